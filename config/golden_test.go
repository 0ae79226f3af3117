package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files from the current output")

// goldenEnv is the environment the golden configs see: one variable set,
// so the rest are reported as unset.
func goldenEnv(name string) (string, bool) {
	env := map[string]string{"NEWSHOUND_TEST_USER": "news"}
	v, ok := env[name]
	return v, ok
}

// TestErrorsGolden parses every testdata/errors/NAME.yaml and compares the
// problems, one per line as `newshound check` prints them, with NAME.golden.
func TestErrorsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(file, data, goldenEnv)
			var problems Errors
			if !errors.As(err, &problems) {
				t.Fatalf("Parse returned config %v and error %v, want an Errors", c, err)
			}
			if c != nil {
				t.Errorf("Parse returned a config along with errors")
			}
			got := err.Error() + "\n"
			golden.Check(t, strings.TrimSuffix(file, ".yaml")+".golden", []byte(got), *update)
		})
	}
}
