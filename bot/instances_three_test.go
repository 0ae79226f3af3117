package bot

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newshound/newshound/internal/pgtest"
)

// TestInstancesThreeOutletsAtOnceOneMessage: README ("Several
// instances") says instances that find outlets' first reports of a story
// at the same moment still post it once, and README ("One story, one
// message") that the other reports go in its message. Three instances on
// one PostgreSQL schema each poll one outlet, and the three outlets
// publish the story in the same second; the instances poll and send at
// once. The story has one message, whose last edit lists the two other
// outlets' reports: none is lost or posted alone.
func TestInstancesThreeOutletsAtOnceOneMessage(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	clk, at := h.sharedClock(rec)
	var svcs []*Service
	for _, o := range outlets[:3] {
		svc, _ := h.openInstance(dsn, clk, rec, o.feed)
		svcs = append(svcs, svc)
	}
	together := func() { runTogether(t, svcs...) }
	together() // first sight
	for i := range 3 {
		h.publishReport(i)
	}
	at(time.Minute)
	together()
	for range 3 {
		at(editGap)
		together()
	}
	if got := rec.titles(); len(got) != 1 {
		t.Fatalf("messages %q, want one: the story's", got)
	}
	first := rec.titles()[0]
	var want []string
	for _, o := range outlets[:3] {
		if o.title != first {
			want = append(want, o.title)
		}
	}
	var got []string
	for _, a := range rec.also() {
		_, title, _ := strings.Cut(a, ": ")
		got = append(got, title)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the message of %q lists %q, want the other reports %q", first, rec.also(), want)
	}
}
