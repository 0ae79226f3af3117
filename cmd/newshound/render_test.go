package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/golden"
)

func TestPreviewRender(t *testing.T) {
	preview := func(target string) []string {
		return []string{"preview", "--config", "testdata/render.yaml", "--render", target, "--query", "aleppo AND (ceasefire OR truce)", "testdata/wire.xml"}
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string
		wantErr  string
	}{
		{"first Discord destination", preview("aleppo"), exitOK, "preview_render_webhook_forum.golden", "2 of 3 items matched"},
		{"named destination", preview("aleppo@desk"), exitOK, "preview_render_channel.golden", ""},
		{"console is not rendered", preview("aleppo@console"), exitFailure, "", "only Discord messages"},
		{"unknown destination", preview("aleppo@nowhere"), exitFailure, "", `does not deliver to "nowhere"`},
		{"unknown subscription", preview("syria"), exitFailure, "", `no subscription "syria"`},
		{"without a config", []string{"preview", "--render", "aleppo", "--query", "aleppo", "testdata/wire.xml"}, exitUsage, "", "--render needs --config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), tt.args, &out, &errOut); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", code, tt.wantCode, errOut.String())
			}
			if tt.golden != "" {
				golden.Check(t, filepath.Join("testdata", tt.golden), out.Bytes(), *update)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}
