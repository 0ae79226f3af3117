package msgtemplate

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Part
	}{
		{"empty", "", nil},
		{"literal", "Wire alert", []Part{{Text: "Wire alert"}}},
		{"one placeholder", "{title}", []Part{{Name: "title"}}},
		{"mixed", "[{feed}] {title}!", []Part{{Text: "["}, {Name: "feed"}, {Text: "] "}, {Name: "title"}, {Text: "!"}}},
		{"escaped braces", "{{x}} {link}", []Part{{Text: "{x} "}, {Name: "link"}}},
		{"unicode around", "🛰 {matched} — حلب", []Part{{Text: "🛰 "}, {Name: "matched"}, {Text: " — حلب"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		offset     int
		unknown    string
		wantSubstr string
	}{
		{"unknown", "News: {tilte}", 6, "tilte", "unknown placeholder {tilte}"},
		{"unclosed", "{title", 0, "", "not closed"},
		{"nested", "{ti{tle}", 0, "", "not closed"},
		{"stray close", "a } b", 2, "", `"}" without "{"`},
		{"empty name", "x {}", 2, "", "unknown placeholder {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.in, err)
			}
			if e.Offset != tt.offset || e.Unknown != tt.unknown || !strings.Contains(e.Msg, tt.wantSubstr) {
				t.Errorf("Parse(%q) = offset %d unknown %q msg %q; want offset %d unknown %q msg containing %q",
					tt.in, e.Offset, e.Unknown, e.Msg, tt.offset, tt.unknown, tt.wantSubstr)
			}
		})
	}
}
