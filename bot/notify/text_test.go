package notify

import (
	"fmt"
	"testing"
)

func TestNormalizeSpans(t *testing.T) {
	text := "dock  strike in Gdańsk"
	tests := []struct {
		name  string
		spans []Span
		want  []Span
	}{
		{"kept", []Span{{0, 4}}, []Span{{0, 4}}},
		{"spaces trimmed", []Span{{4, 12}}, []Span{{6, 12}}},
		{"overlaps merged and sorted", []Span{{6, 12}, {0, 4}, {2, 8}}, []Span{{0, 12}}},
		{"clipped to text", []Span{{-3, 2}, {21, 99}}, []Span{{0, 2}, {21, len(text)}}},
		{"end inside a rune: widened to take it", []Span{{16, 20}}, []Span{{16, 21}}},
		{"start inside a rune: narrowed past it", []Span{{20, 23}}, []Span{{21, 23}}},
		{"empty dropped", []Span{{5, 5}, {4, 6}}, nil},
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
	a := Alert{Feed: "wire", Title: "Strike ends", Link: "https://example.org/a"}
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
	noLink := Alert{Feed: "wire", Title: "Strike ends"}
	if StoryKey(noLink) == StoryKey(Alert{Feed: "wire", Title: "Strike over"}) || StoryKey(noLink) == "" {
		t.Error("items without links are not told apart by feed and title")
	}
}
