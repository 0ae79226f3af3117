package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree makes <tmp>/work/repo (with go.mod and a package two levels down)
// and, when withCorpus, <tmp>/work/shared/corpus beside it, and runs the
// test from the package's directory, as go test does.
func tree(t *testing.T, withCorpus bool) (corpusDir string) {
	t.Helper()
	work := t.TempDir()
	pkg := filepath.Join(work, "repo", "alert", "story")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "repo", "go.mod"), []byte("module example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	corpusDir = filepath.Join(work, "shared", "corpus")
	if withCorpus {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(pkg)
	return corpusDir
}

func TestLocate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "corpus.tar")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	tests := []struct {
		name       string
		withCorpus bool
		env        *string // nil: unset
		wantDir    string  // "sibling": the tree's shared/corpus
		wantOK     bool
		wantErr    string
	}{
		{name: "unset, corpus beside the repository", withCorpus: true, wantDir: "sibling", wantOK: true},
		{name: "unset, no corpus", wantDir: "sibling", wantOK: false},
		{name: "set to a directory", env: &elsewhere, wantDir: elsewhere, wantOK: true},
		{name: "set to a directory, corpus beside too", withCorpus: true, env: &elsewhere, wantDir: elsewhere, wantOK: true},
		{name: "set to a file", withCorpus: true, env: &file, wantErr: "not a directory"},
		{name: "set to nothing there", withCorpus: true, env: ptr(filepath.Join(elsewhere, "absent")), wantErr: "no such file"},
		{name: "set empty", withCorpus: true, env: ptr(""), wantErr: EnvVar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sibling := tree(t, tt.withCorpus)
			if tt.env != nil {
				t.Setenv(EnvVar, *tt.env)
			} else {
				unsetenv(t, EnvVar)
			}
			dir, ok, err := Locate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), EnvVar) {
					t.Fatalf("got dir %q, ok %v, err %v; want an error naming %s with %q", dir, ok, err, EnvVar, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantDir
			if want == "sibling" {
				want = sibling
			}
			if got, _ := filepath.Abs(dir); got != want || ok != tt.wantOK {
				t.Errorf("got %q (%q), ok %v; want %q, ok %v", dir, got, ok, want, tt.wantOK)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// unsetenv unsets name for the test, restoring it after.
func unsetenv(t *testing.T, name string) {
	t.Setenv(name, "") // registers the restore
	os.Unsetenv(name)
}
