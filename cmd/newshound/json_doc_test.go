package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestJSONOutputIsDocumented: every key `status --json` and `preview
// --json` can print is named in README's paragraph on it; a monitoring
// script is written against those names. README had no paragraph on
// status --json, and named none of the keys preview --stories --json adds.
func TestJSONOutputIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		start string // the paragraph's first words
		types []reflect.Type
	}{
		{"status", "`status --json` prints", []reflect.Type{reflect.TypeFor[statusReport](), reflect.TypeFor[feedStatus](), reflect.TypeFor[destinationStatus](), reflect.TypeFor[watchStatus]()}},
		{"preview", "`preview --json` prints", []reflect.Type{reflect.TypeFor[previewRecord]()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, para, ok := strings.Cut(string(readme), tt.start)
			if !ok {
				t.Fatalf("README has no paragraph starting %q", tt.start)
			}
			para, _, _ = strings.Cut(para, "\n\n")
			for _, typ := range tt.types {
				for f := range typ.Fields() {
					key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
					if !strings.Contains(para, "`"+key+"`") && !strings.Contains(para, `"`+key+`"`) {
						t.Errorf("%s.%s: key %q not in README's paragraph %q…", typ.Name(), f.Name, key, tt.start)
					}
				}
			}
		})
	}
}
