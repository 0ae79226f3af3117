package alert

import (
	"reflect"
	"strings"
	"testing"
)

// TestColorSurvivesTheOutbox: the outbox stores alerts as JSON, so a
// colour written as 0 (black) must come back as 0, not as "none given"
// (nil, which picks a colour from the subscription's name), and alerts
// stored before black existed, with no color at all, still read as none.
func TestColorSurvivesTheOutbox(t *testing.T) {
	tests := []struct {
		name      string
		color     *int
		format    *Format
		wantColor string // what the payload says, "" for no color key
	}{
		{"none given", nil, nil, ""},
		{"black", new(0), nil, `"color":0`},
		{"a colour", new(0xC0392B), nil, `"color":12597547`},
		{"black in the format", nil, &Format{Title: "{title}", Color: new(0)}, `"color":0`},
		{"format without a colour", nil, &Format{Title: "{title}"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Alert{Subscription: "s", Title: "t", Color: tt.color, Format: tt.format}
			payload := string(Encode(a))
			if got := strings.Contains(payload, `"color"`); got != (tt.wantColor != "") || !strings.Contains(payload, tt.wantColor) {
				t.Errorf("Encode = %s, want it to carry %q", payload, tt.wantColor)
			}
			back, err := Decode([]byte(payload))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Color, tt.color) || !reflect.DeepEqual(back.Format, tt.format) {
				t.Errorf("Decode(Encode) colour %v, format %+v; want %v, %+v", back.Color, back.Format, tt.color, tt.format)
			}
		})
	}
}
