package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
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
		// An @ with nothing after it names no destination: refused, not
		// read as the first Discord one.
		{"empty destination", preview("aleppo@"), exitUsage, "", `--render "aleppo@": nothing after the @; name a destination, or leave the @ out`},
		{"empty subscription", preview("@desk"), exitUsage, "", `--render "@desk": nothing before the @; name a subscription`},
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

// TestPreviewRenderColor follows a color: from the YAML to the embed
// Discord gets. "#000000" and 0 are black, written or inherited from the
// destination's format, never swapped for the colour an unset color:
// picks from the subscription's name. Black goes out as 0x010101 because
// Discord draws an embed without a colour (what discordgo sends for 0)
// with its own grey bar, not black.
func TestPreviewRenderColor(t *testing.T) {
	const (
		black   = 0x010101
		aleppo  = 0x3498DB // the palette's pick for the name "aleppo"
		crimson = 0xC0392B
	)
	tests := []struct {
		name      string
		sub, dest string // the subscription's color: line, the destination's format: block
		want      int
	}{
		{"left out: a colour from the name", "", "", aleppo},
		{"hash black", `color: "#000000"`, "", black},
		{"zero", `color: 0`, "", black},
		{"hex zero", `color: 0x000000`, "", black},
		{"written", `color: "#C0392B"`, "", crimson},
		{"destination's black", "", `format: {color: "#000000"}`, black},
		{"destination's colour", "", `format: {color: 0xC0392B}`, crimson},
		{"subscription's black over the destination's colour", `color: 0`, `format: {color: 0xC0392B}`, black},
		{"subscription's format black", `format: {color: 0}`, `format: {color: 0xC0392B}`, black},
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "newshound.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{`"#000000" (or 0) is black`, "Default: one of eight colours, picked from the subscription's name"} {
		if !documents(string(example), "color", doc) {
			t.Errorf("examples/newshound.yaml: the comment above color does not say %q", doc)
		}
	}
	feed, err := filepath.Abs("testdata/wire.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := fmt.Sprintf(`store:
  path: %q
feeds:
  - name: wire
    url: file://%s
subscriptions:
  - name: aleppo
    query: aleppo
    destination: desk
    %s
destinations:
  - name: desk
    type: discord-webhook
    webhook_url: https://discord.com/api/webhooks/123456789012345678/abcdefTOKEN
    %s
`, filepath.Join(dir, "state.db"), filepath.ToSlash(feed), tt.sub, tt.dest)
			path := filepath.Join(dir, "newshound.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if code := run(context.Background(), []string{"preview", "--config", path, "--render", "aleppo@desk", "--query", "aleppo", feed}, &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			// The first payload: one JSON value, then the next item's.
			var payload struct {
				Embeds []struct {
					Color *int `json:"color"`
				} `json:"embeds"`
			}
			if err := json.NewDecoder(&out).Decode(&payload); err != nil || len(payload.Embeds) == 0 {
				t.Fatalf("no embed in the output (%v):\n%s", err, out.String())
			}
			got := payload.Embeds[0].Color
			if got == nil || *got != tt.want {
				t.Errorf("embed color %v, want %#06x", fmtColor(got), tt.want)
			}
		})
	}
}

func fmtColor(c *int) string {
	if c == nil {
		return "none (Discord's grey)"
	}
	return fmt.Sprintf("%#06x", *c)
}
