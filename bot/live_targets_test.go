package bot

import (
	"reflect"
	"testing"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/config"
)

func TestConfigSubscriptionsOnePerDestination(t *testing.T) {
	custom := config.DefaultFormat()
	custom.Content, custom.Color = "Wire: {matched}", new(0xC0392B)
	wantCustom := alert.Format(custom)
	tests := []struct {
		name string
		in   config.Subscription
		want []alert.Subscription
	}{
		{"built by hand: the default look", config.Subscription{Name: "a", Query: "x", Destination: "desk", Color: new(7)},
			[]alert.Subscription{{ID: "cfg:a", Name: "a", Query: "x", AllFileFeeds: true, Destination: "desk", Color: new(7)}}},
		{"several destinations", config.Subscription{Name: "a", Query: "x", Feeds: []string{"wire"}, Destination: "desk", Color: new(0xC0392B), Backfill: 2,
			Targets: []config.Target{{Destination: "desk", Format: custom}, {Destination: "console"}}},
			[]alert.Subscription{
				{ID: "cfg:a", Name: "a", Query: "x", Feeds: []string{"wire"}, Destination: "desk", Color: new(0xC0392B), Backfill: 2, Format: &wantCustom},
				{ID: "cfg:a@console", Name: "a", Query: "x", Feeds: []string{"wire"}, Destination: "console", Color: new(0xC0392B), Backfill: 2},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := configSubscriptions(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("configSubscriptions =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
