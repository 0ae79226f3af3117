package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that it returns
// either a config or an Errors with at least one problem, never both.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	seeds = append(seeds, examplePath)
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, goldenEnv)
		var problems Errors
		switch {
		case err == nil && c == nil:
			t.Fatal("no config and no error")
		case err != nil && (c != nil || !errors.As(err, &problems) || len(problems) == 0):
			t.Fatalf("config %v with error %v", c, err)
		}
	})
}
