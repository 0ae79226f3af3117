package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestStatusJSONIsDocumented: every key `status --json` can print is named
// in README's paragraph on it, as preview --json's are; a monitoring
// script is written against those names. README had no such paragraph.
func TestStatusJSONIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, para, ok := strings.Cut(string(readme), "`status --json` prints")
	if !ok {
		t.Fatal("README has no paragraph starting \"`status --json` prints\"")
	}
	para, _, _ = strings.Cut(para, "\n\n")
	for _, typ := range []reflect.Type{reflect.TypeFor[statusReport](), reflect.TypeFor[feedStatus](), reflect.TypeFor[destinationStatus](), reflect.TypeFor[watchStatus]()} {
		for f := range typ.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !strings.Contains(para, "`"+key+"`") && !strings.Contains(para, `"`+key+`"`) {
				t.Errorf("%s.%s: key %q not in README's status --json paragraph", typ.Name(), f.Name, key)
			}
		}
	}
}
