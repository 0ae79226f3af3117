package notify

import (
	"fmt"
	"testing"

	"github.com/newshound/newshound/alert"
)

func TestNormalizeSpans(t *testing.T) {
	text := "dock  strike in Gdańsk"
	tests := []struct {
		name  string
		spans []alert.Span
		want  []alert.Span
	}{
		{"kept", []alert.Span{{Start: 0, End: 4}}, []alert.Span{{Start: 0, End: 4}}},
		{"spaces trimmed", []alert.Span{{Start: 4, End: 12}}, []alert.Span{{Start: 6, End: 12}}},
		{"overlaps merged and sorted", []alert.Span{{Start: 6, End: 12}, {Start: 0, End: 4}, {Start: 2, End: 8}}, []alert.Span{{Start: 0, End: 12}}},
		{"clipped to text", []alert.Span{{Start: -3, End: 2}, {Start: 21, End: 99}}, []alert.Span{{Start: 0, End: 2}, {Start: 21, End: len(text)}}},
		{"end inside a rune: widened to take it", []alert.Span{{Start: 16, End: 20}}, []alert.Span{{Start: 16, End: 21}}},
		{"start inside a rune: narrowed past it", []alert.Span{{Start: 20, End: 23}}, []alert.Span{{Start: 21, End: 23}}},
		{"empty dropped", []alert.Span{{Start: 5, End: 5}, {Start: 4, End: 6}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeSpans(text, tt.spans)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("NormalizeSpans(%v) = %v, want %v", tt.spans, got, tt.want)
			}
		})
	}
}

func TestHiddenControls(t *testing.T) {
	for _, r := range []rune{'\u202E', '\u202A', '\u2066', '\u2069', 0, 7, 0x1b, 0x7f, 0x85} {
		if !IsHiddenControl(r) {
			t.Errorf("IsHiddenControl(%U) = false, want true", r)
		}
	}
	for _, r := range []rune{'\n', '\t', '\r', 'a', '\u200F', 'é', '·'} {
		if IsHiddenControl(r) {
			t.Errorf("IsHiddenControl(%U) = true, want false", r)
		}
	}
}

func TestStoryKey(t *testing.T) {
	a := alert.Alert{Feed: "wire", Title: "Strike ends", Link: "https://example.org/a"}
	b := a
	b.Title, b.Feed = "Strike ends (updated)", "other"
	if StoryKey(a) != StoryKey(b) {
		t.Error("one link, two story keys")
	}
	c := a
	c.Link = "https://example.org/b"
	if StoryKey(a) == StoryKey(c) {
		t.Error("two links, one story key")
	}
	d, e := a, c
	d.Story, e.Story = "docks/1", "docks/1"
	if StoryKey(d) != StoryKey(e) {
		t.Error("two outlets' reports of one story (two links), two story keys")
	}
	if e.Story = "docks/2"; StoryKey(d) == StoryKey(e) {
		t.Error("two stories, one story key")
	}
	noLink := alert.Alert{Feed: "wire", Title: "Strike ends"}
	if StoryKey(noLink) == StoryKey(alert.Alert{Feed: "wire", Title: "Strike over"}) || StoryKey(noLink) == "" {
		t.Error("items without links are not told apart by feed and title")
	}
}

func TestCutRunes(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"héllo", 5, "héllo"},
		{"héllo", 6, "héllo"},
		{"héllo", 4, "hél…"},
		{"héllo", 1, "…"},
		{"héllo", 0, ""},
		{"", 3, ""},
		{"日本語テキスト", 3, "日本…"},
	}
	for _, tt := range tests {
		if got := CutRunes(tt.in, tt.limit); got != tt.want {
			t.Errorf("CutRunes(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}
