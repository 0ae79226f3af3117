package retryafter

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"absent", "", 0, false},
		{"seconds", "120", 2 * time.Minute, true},
		{"fraction", "1.5", 1500 * time.Millisecond, true},
		{"zero means now", "0", 0, true},
		{"negative", "-5", 0, false},
		{"date", "Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"past date", "Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"garbage", "soon", 0, false},
		{"huge", "1e300", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
