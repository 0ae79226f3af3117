// Package corpus finds the shared news corpus the tests read: the
// directory NEWSHOUND_CORPUS names, else shared/corpus beside the
// repository's root (../shared/corpus from a developer's clone, whatever
// the package's depth). It reads nothing in it: internal/storycorpus
// holds the story tests' fixtures.
package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the variable that points the tests at a corpus kept
// anywhere else.
const EnvVar = "NEWSHOUND_CORPUS"

// Locate returns the corpus directory and whether it is there. A set
// NEWSHOUND_CORPUS that names no directory is an error, not passed over
// for the default: a value a user writes is used or refused.
func Locate() (dir string, ok bool, err error) {
	if named, set := os.LookupEnv(EnvVar); set {
		if err := isDir(named); err != nil {
			return "", false, fmt.Errorf("%s=%q: %w", EnvVar, named, err)
		}
		return named, true, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", false, err
	}
	dir = filepath.Join(root, "..", "shared", "corpus")
	return dir, isDir(dir) == nil, nil
}

// Dir returns the corpus directory for a test, skipping the test, with
// word of NEWSHOUND_CORPUS, when there is none, and failing it when
// NEWSHOUND_CORPUS names no directory.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, ok, err := Locate()
	if err != nil {
		tb.Fatal(err)
	}
	if !ok {
		tb.Skipf("corpus not found at %s; set %s to its directory to run this test", dir, EnvVar)
	}
	return dir
}

func isDir(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return errors.New("not a directory")
	}
	return nil
}

// repoRoot is the nearest directory holding go.mod, from the working
// directory up (a test runs in its package's directory), as a path
// relative to the working directory.
func repoRoot() (string, error) {
	for up := "."; ; up = filepath.Join(up, "..") {
		if _, err := os.Stat(filepath.Join(up, "go.mod")); err == nil {
			return up, nil
		}
		abs, err := filepath.Abs(up)
		if err != nil {
			return "", err
		}
		if filepath.Dir(abs) == abs {
			return "", errors.New("no go.mod in the working directory or above it")
		}
	}
}
