package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies checks examples/newshound.service with
// systemd-analyze verify: no unknown key, no bad value, no missing
// command. The binary is this test's own, as /usr/local/bin/newshound does
// not exist here.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found (apt-get install systemd provides it)")
	}
	unit, err := os.ReadFile("../../examples/newshound.service")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("ExecStart=/usr/local/bin/newshound run ")) {
		t.Fatalf("the unit does not start /usr/local/bin/newshound run, as its install notes say")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "newshound.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/newshound"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", "--man=no", path)
	out, err := cmd.CombinedOutput()
	// Unknown keys are only warned about, with exit status 0: any output is
	// a problem.
	if msg := strings.TrimSpace(string(out)); err != nil || msg != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, msg)
	}
}
