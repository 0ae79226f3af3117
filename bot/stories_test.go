package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/pgtest"
	"github.com/newshound/newshound/internal/storycorpus"
	"github.com/newshound/newshound/store"
)

// editRecorder is a recorder that can edit what it posted, as a Discord
// channel does.
type editRecorder struct {
	recorder
	emu     sync.Mutex
	edits   []notify.Edit
	editAt  []time.Time
	deleted map[string]bool // message ids gone from the channel
	clock   func() time.Time
}

func (r *editRecorder) Edit(ctx context.Context, e notify.Edit) error {
	r.emu.Lock()
	defer r.emu.Unlock()
	if r.deleted[e.MessageID] {
		return fmt.Errorf("unknown message %s: %w", e.MessageID, notify.ErrNoMessage)
	}
	r.edits = append(r.edits, e)
	r.editAt = append(r.editAt, r.clock())
	return nil
}

// also is what the last edit of the first message lists under its story:
// "outlet: title" per report.
func (r *editRecorder) also() []string {
	r.emu.Lock()
	defer r.emu.Unlock()
	if len(r.edits) == 0 {
		return nil
	}
	var out []string
	for _, rep := range r.edits[len(r.edits)-1].Message.Alerts[0].Also {
		out = append(out, rep.Feed+": "+rep.Title)
	}
	return out
}

const kesslerLead = `Engineers reopened the Kessler Dam spillway on Tuesday after three days of
record rainfall pushed the reservoir above its emergency line, forcing the evacuation of about
4,000 residents from the valley towns of Marbeck and Ostry, the regional water authority said.`

// outlets are five feeds that carry the same wire story under their own
// headlines.
var outlets = []struct{ feed, title string }{
	{"courier", "Kessler Dam spillway reopened as valley towns evacuate"},
	{"herald", "Thousands flee Marbeck and Ostry as Kessler reservoir rises - Herald"},
	{"post", "Dam authority: Kessler structure sound, releases to continue | The Post"},
	{"gazette", "Record rain forces evacuations below Kessler Dam (AP)"},
	{"ledger", "UPDATE 1-Kessler Dam spillway reopened after record rain"},
}

// storyHarness is a harness whose desk can edit, with the five outlets'
// feeds first seen empty of the story.
func storyHarness(t *testing.T, sub config.Subscription) (*harness, *editRecorder) {
	h := newHarness(t, sub)
	rec := &editRecorder{deleted: map[string]bool{}, clock: func() time.Time { return h.clock }}
	h.rec = &rec.recorder
	for _, o := range outlets {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: o.feed, URL: h.feedURL(o.feed + ".xml"), Interval: 10 * time.Minute})
		h.write(o.feed+".xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
	}
	return h, rec
}

// openWith starts a service on the harness's database with n as the
// desk (whether it can edit decides whether the desk groups stories).
func (h *harness) openWith(n notify.Notifier) (*Service, func()) {
	h.t.Helper()
	return h.openWithLog(n, io.Discard)
}

// openWithLog is openWith, the service logging to w.
func (h *harness) openWithLog(n notify.Notifier, w io.Writer) (*Service, func()) {
	h.t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := New(ctx, h.options(st, n, w))
	if err != nil {
		st.Close()
		h.t.Fatal(err)
	}
	return svc, func() { st.Close() }
}

// openPostgres opens a service for n over the PostgreSQL database dsn,
// the store closed when the test ends.
func (h *harness) openPostgres(dsn string, n notify.Notifier) *Service {
	h.t.Helper()
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	svc, err := New(ctx, h.options(st, n, io.Discard))
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

func (h *harness) publishReport(i int) {
	o := outlets[i]
	h.write(o.feed+".xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
		testItem{GUID: "urn:" + o.feed + ":kessler", Title: o.title, Link: "https://" + o.feed + ".example/kessler",
			Description: kesslerLead, Published: h.clock})
}

func kesslerSub() config.Subscription {
	return config.Subscription{Name: "dams", Query: "kessler", StoryWindow: 48 * time.Hour}
}

func TestFurtherReportsGoUnderTheStorysMessage(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	runOnceWith := func() {
		svc, closeStore := h.openWith(rec)
		defer closeStore()
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	runOnceWith() // first sight of every feed
	for i := range 4 {
		h.publishReport(i)
	}
	h.clock = h.clock.Add(time.Minute)
	runOnceWith()
	if got := rec.titles(); len(got) != 1 {
		t.Fatalf("messages posted: %q, want one", got)
	}
	if len(rec.edits) != 1 || len(rec.edits[0].Added) != 3 {
		t.Fatalf("edits: %d (added %v), want one edit adding 3 reports", len(rec.edits), rec.edits)
	}
	if got := rec.also(); len(got) != 3 {
		t.Errorf("the message lists %q, want the 3 further reports", got)
	}

	// A restart: the story index comes back from the store, and a fifth
	// outlet's report joins the same message, listed with the others.
	h.publishReport(4)
	h.clock = h.clock.Add(time.Hour)
	runOnceWith()
	if got := rec.titles(); len(got) != 1 {
		t.Fatalf("after a restart, messages posted: %q, want still one", got)
	}
	want := []string{}
	for _, o := range outlets {
		if o.feed != rec.msgs[0].Alerts[0].Feed {
			want = append(want, o.feed+": "+o.title)
		}
	}
	got := rec.also()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after a restart the message lists\n  %q\nwant\n  %q", got, want)
	}
	if e := rec.edits[len(rec.edits)-1]; e.MessageID != "m1" || len(e.Added) != 1 {
		t.Errorf("last edit: message %q adding %d; want m1 adding 1", e.MessageID, len(e.Added))
	}
}

// TestStoryEditsAreCoalesced: reports that come faster than editGap make
// at most one edit per message per editGap, and none is lost.
func TestStoryEditsAreCoalesced(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	for i := range outlets {
		h.publishReport(i)
		h.clock = h.clock.Add(time.Second)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The README and Discord's limits say 5 s; the constant must not drift.
	const documentedGap = 5 * time.Second
	for i := 1; i < len(rec.editAt); i++ {
		if gap := rec.editAt[i].Sub(rec.editAt[i-1]); gap < documentedGap {
			t.Errorf("edits %d and %d of one message %s apart, want at least %s", i-1, i, gap, documentedGap)
		}
	}
	h.clock = h.clock.Add(editGap)
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.also(); len(got) != len(outlets)-1 {
		t.Errorf("the message lists %d reports (%q), want %d", len(got), got, len(outlets)-1)
	}
	if len(rec.titles()) != 1 {
		t.Errorf("messages: %q, want one", rec.titles())
	}
	t.Logf("%d reports, %d edits over %s", len(outlets)-1, len(rec.edits), time.Duration(len(outlets))*time.Second+editGap)
}

// TestEditGapHoldsAcrossRestarts: the same reports a second apart, with a
// restart (or a run --once) before each poll: the first edit after a
// restart still waits 5 s after the last edit before it, which the store
// remembers (its reports' delivery), not the process.
func TestEditGapHoldsAcrossRestarts(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	ctx := context.Background()
	run := func() {
		t.Helper()
		svc, closeStore := h.openWith(rec)
		defer closeStore()
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run() // first sight
	for i := range outlets {
		h.publishReport(i)
		h.clock = h.clock.Add(time.Second)
		run()
	}
	for i := 1; i < len(rec.editAt); i++ {
		if gap := rec.editAt[i].Sub(rec.editAt[i-1]); gap < 5*time.Second {
			t.Errorf("edits %d and %d of one message %s apart across a restart, want at least 5s", i-1, i, gap)
		}
	}
	h.clock = h.clock.Add(editGap)
	run()
	if got := rec.also(); len(got) != len(outlets)-1 {
		t.Errorf("the message lists %d reports (%q), want %d", len(got), got, len(outlets)-1)
	}
}

// TestReportOfAGoneMessageIsPostedAlone: when the story's message was
// deleted, a further report is posted as a message of its own.
func TestReportOfAGoneMessageIsPostedAlone(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx)
	h.publishReport(0)
	svc.RunOnce(ctx)
	rec.deleted["m1"] = true
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx)
	if got, want := rec.titles(), []string{outlets[0].title, outlets[1].title}; !slices.Equal(got, want) {
		t.Errorf("messages: %q, want %q", got, want)
	}
}

// TestReportsToADestinationThatCannotEditArePosted: Slack, email and the
// JSON webhook cannot edit; each report is a message there.
func TestReportsToADestinationThatCannotEditArePosted(t *testing.T) {
	h, _ := storyHarness(t, kesslerSub())
	plain := &recorder{}
	ctx := context.Background()
	run := func() {
		svc, closeStore := h.openWith(plain)
		defer closeStore()
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run() // first sight
	h.publishReport(0)
	h.publishReport(1)
	run()
	h.clock = h.clock.Add(time.Minute)
	h.publishReport(2)
	run() // a restart: the story is restored from the store
	var keys []string
	for _, m := range plain.msgs {
		for _, a := range m.Alerts {
			keys = append(keys, notify.StoryKey(a))
		}
	}
	if got := plain.titles(); len(got) != 3 {
		t.Fatalf("messages: %q, want the three reports", got)
	}
	if keys[0] != keys[1] || keys[0] != keys[2] {
		t.Errorf("story keys %q: want one, for the three outlets' reports of the story (an email thread, a story_id)", keys)
	}
}

// TestLiveUpdatesShowTheAddedTextOnly: an item already posted gains a
// paragraph that matches: one update under the story; a changed date and
// spacing: nothing.
func TestLiveUpdatesShowTheAddedTextOnly(t *testing.T) {
	h, rec, svc, blog := liveBlog(t)
	ctx := context.Background()
	first := "Updated 16:05 GMT.\n\nEngineers reopened the Kessler Dam spillway on Tuesday."
	blog(first)
	svc.RunOnce(ctx)
	steps := []struct {
		name string
		body string
		want []string // the texts of the updates under the story after the step
	}{
		{"a matching paragraph added", "Updated 17:15 GMT.\n\nEngineers reopened the Kessler Dam spillway on Tuesday.\n\nA second spillway gate opened at noon, officials said.",
			[]string{"A second spillway gate opened at noon, officials said."}},
		{"only the date and spacing changed", "Updated 18:40  GMT.\n\nEngineers reopened the Kessler   Dam spillway on Tuesday.\n\nA second spillway gate opened at noon, officials said.",
			[]string{"A second spillway gate opened at noon, officials said."}},
		{"a paragraph that does not match", "Updated 19:00 GMT.\n\nEngineers reopened the Kessler Dam spillway on Tuesday.\n\nA second spillway gate opened at noon, officials said.\n\nSchools in the valley stay closed.",
			[]string{"A second spillway gate opened at noon, officials said."}},
	}
	for _, step := range steps {
		h.clock = h.clock.Add(time.Minute)
		blog(step.body)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.updates(); !slices.Equal(got, step.want) {
			t.Errorf("%s: updates %q, want %q", step.name, got, step.want)
		}
	}
	if len(rec.titles()) != 1 || len(rec.edits) != 1 {
		t.Errorf("messages %q and %d edits; want one message and one edit", rec.titles(), len(rec.edits))
	}
	if len(rec.edits) > 0 && rec.edits[0].Added[0].Alert.Join != alert.JoinUpdate {
		t.Errorf("the edit added a %q, want an update", rec.edits[0].Added[0].Alert.Join)
	}
}

// TestInstancesGroupIntoOneAnothersStories: on a shared store, a report
// that one instance polls joins the story another instance opened after
// the first started.
func TestInstancesGroupIntoOneAnothersStories(t *testing.T) {
	dsn := pgtest.Schema(t)
	h, rec := storyHarness(t, kesslerSub())
	h.clock = time.Now().UTC() // the database's clock times the stored rows
	ctx := context.Background()
	open := func() *Service { return h.openPostgres(dsn, rec) }
	a := open()
	if _, err := a.RunOnce(ctx); err != nil { // first sight
		t.Fatal(err)
	}
	b := open() // its story index starts empty
	h.publishReport(0)
	if _, err := a.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	if _, err := b.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.titles(); len(got) != 1 {
		t.Errorf("messages: %q, want one: the second instance's report joins the first's story", got)
	}
	if got := rec.also(); len(got) != 1 {
		t.Errorf("the story's message lists %q, want the second report", got)
	}
}

// failOnce fails the next n poll commits, then commits.
type failOnce struct {
	store.Store
	n int
}

func (f *failOnce) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if f.n > 0 {
		f.n--
		return 0, errors.New("disk full")
	}
	return f.Store.CommitPoll(ctx, feedID, p)
}

// TestFailedCommitDoesNotLeaveAPhantomStory: a story's first report whose
// commit failed is grouped the same way when it is retried: it is the
// story's message, and a later report goes under it.
func TestFailedCommitDoesNotLeaveAPhantomStory(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	ctx := context.Background()
	st := h.sqlite(t)
	defer st.Close()
	flaky := &failOnce{Store: st}
	svc, err := New(ctx, h.options(flaky, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	flaky.n = 1
	svc.RunOnce(ctx) // the commit fails: nothing recorded
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // retried
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx)
	if got := rec.titles(); len(got) != 1 || got[0] != outlets[0].title {
		t.Errorf("messages: %q, want only the first report's", got)
	}
	if got := rec.also(); len(got) != 1 {
		t.Errorf("the story's message lists %q, want the second report", got)
	}
}

// refusingEditor is an editRecorder whose edits the destination refuses
// (a 400).
type refusingEditor struct{ *editRecorder }

func (r refusingEditor) Edit(ctx context.Context, e notify.Edit) error {
	return fmt.Errorf("bad edit: %w", notify.ErrRejected)
}

// TestReportOfARefusedEditIsPostedAlone: a destination that refuses the
// edit gets the further report as a message of its own, and is not asked
// to edit that message again.
func TestReportOfARefusedEditIsPostedAlone(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	svc, closeStore := h.openWith(refusingEditor{rec})
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx)
	h.publishReport(0)
	svc.RunOnce(ctx)
	for i := 1; i < 3; i++ {
		h.publishReport(i)
		h.clock = h.clock.Add(time.Minute)
		svc.RunOnce(ctx)
	}
	if got, want := rec.titles(), []string{outlets[0].title, outlets[1].title, outlets[2].title}; !slices.Equal(got, want) {
		t.Errorf("messages: %q, want %q", got, want)
	}
}

// TestQuietHoursHoldAStorysFurtherReports: a further report found inside
// quiet hours neither edits the story's message nor posts then: the quiet
// hours' digest lists it.
func TestQuietHoursHoldAStorysFurtherReports(t *testing.T) {
	sub := kesslerSub()
	sub.Delivery = config.Delivery{Mode: config.Instant, Location: time.UTC,
		QuietHours: &config.TimeWindow{Start: config.ClockTime{Hour: 13}, End: config.ClockTime{Hour: 14}}}
	h, rec := storyHarness(t, sub) // the clock starts at 12:00 UTC
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx)
	h.publishReport(0)
	svc.RunOnce(ctx) // 12:00: posted at once
	h.clock = h.clock.Add(90 * time.Minute)
	h.publishReport(1)
	svc.RunOnce(ctx) // 13:30: quiet
	if len(rec.msgs) != 1 || len(rec.edits) != 0 {
		t.Fatalf("inside quiet hours: %d messages and %d edits, want the first message alone", len(rec.msgs), len(rec.edits))
	}
	if r, err := svc.RunOnce(ctx); err != nil || r.Pending != 0 {
		t.Errorf("inside quiet hours: pending %d (%v); a held report is not a backlog", r.Pending, err)
	}
	h.clock = h.clock.Add(time.Hour)
	svc.RunOnce(ctx) // 14:30: the quiet hours' digest
	if len(rec.msgs) != 2 || rec.msgs[1].Digest == nil || len(rec.msgs[1].Alerts) != 1 || rec.msgs[1].Alerts[0].Title != outlets[1].title {
		t.Errorf("after quiet hours: messages %+v, want the first and a digest listing the second report", rec.msgs)
	}
}

// TestSameWireHeadlineOnceWhereNoEdits: a destination that cannot edit
// keeps the headline dedupe: the same wire headline on two feeds is
// posted once, though the subscription groups stories.
func TestSameWireHeadlineOnceWhereNoEdits(t *testing.T) {
	h, _ := storyHarness(t, kesslerSub())
	plain := &recorder{}
	svc, closeStore := h.openWith(plain)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx)
	for _, feed := range []string{"courier", "herald"} {
		h.write(feed+".xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
			testItem{GUID: "urn:" + feed + ":k", Title: "Kessler Dam spillway reopened as valley towns evacuate",
				Link: "https://" + feed + ".example/kessler", Description: kesslerLead, Published: h.clock})
	}
	svc.RunOnce(ctx)
	if got := plain.titles(); len(got) != 1 {
		t.Errorf("messages: %q, want the wire headline once", got)
	}
}

// resplitHarness is a harness of the olives subscription over one feed a
// title of storycorpus.ResplitSequence (f00.xml…), with an editRecorder
// as the desk; publish(i) puts titles[i] in its feed.
func resplitHarness(t *testing.T) (h *harness, rec *editRecorder, titles []string, publish func(i int)) {
	t.Helper()
	h = newHarness(t, config.Subscription{Name: "olives", Query: "olive OR drought", StoryWindow: 48 * time.Hour})
	rec = &editRecorder{deleted: map[string]bool{}, clock: func() time.Time { return h.clock }}
	h.rec = &rec.recorder
	titles = storycorpus.ResplitSequence()
	feed := func(i int) string { return fmt.Sprintf("f%02d.xml", i) }
	for i := range titles {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: fmt.Sprintf("f%02d", i), URL: h.feedURL(feed(i)), Interval: 10 * time.Minute})
		h.write(feed(i), item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
	}
	publish = func(i int) {
		h.write(feed(i), item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
			testItem{GUID: fmt.Sprintf("urn:f%02d:olive", i), Title: titles[i], Link: fmt.Sprintf("https://f%02d.example/olive", i), Published: h.clock})
	}
	return h, rec, titles, publish
}

// TestResplitStoryKeepsItsMessageAfterARestart: B's first report joins A's
// story weakly and is listed under A's message; B's next reports follow it
// until one opens B's own message (a re-split). After a restart, B's next
// report is listed under B's message, not A's: the re-split's moves were
// stored with the alerts.
func TestResplitStoryKeepsItsMessageAfterARestart(t *testing.T) {
	h, rec, titles, publish := resplitHarness(t) // the last title after the restart
	ctx := context.Background()
	svc, closeStore := h.openWith(rec)
	svc.RunOnce(ctx) // first sight
	last := len(titles) - 1
	for i := range last {
		h.clock = h.clock.Add(time.Minute)
		publish(i)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	closeStore()
	if got := rec.titles(); len(got) != 2 || got[0] != titles[0] {
		t.Fatalf("messages before the restart: %q, want A's and B's", got)
	}

	h.clock = h.clock.Add(time.Hour)
	publish(last)
	svc, closeStore = h.openWith(rec)
	defer closeStore()
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.titles(); len(got) != 2 {
		t.Fatalf("messages after the restart: %q, want still two", got)
	}
	e := rec.edits[len(rec.edits)-1]
	if e.MessageID != "m2" || len(e.Added) != 1 || e.Added[0].Alert.Title != titles[last] {
		t.Errorf("last edit: message %s adding %d; want B's message m2 adding %q", e.MessageID, len(e.Added), titles[last])
	}
}

// TestLiveUpdateOfARevisedCount: a live blog's sentence whose count is
// revised ("1,200" to "1,450") is an update showing the revised sentence;
// the same count written another way ("1450") is none.
func TestLiveUpdateOfARevisedCount(t *testing.T) {
	h, rec, svc, blog := liveBlog(t)
	for _, count := range []string{"1,200", "1,450", "1450"} {
		h.clock = h.clock.Add(time.Minute)
		blog("Updated 16:05 GMT.\n\nThe spillway releases " + count + " cubic metres a second.")
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := rec.updates(), []string{"The spillway releases 1,450 cubic metres a second."}; !slices.Equal(got, want) {
		t.Errorf("updates %q, want %q", got, want)
	}
	if len(rec.titles()) != 1 || len(rec.edits) != 1 {
		t.Errorf("messages %q and %d edits; want one message and one edit", rec.titles(), len(rec.edits))
	}
}

// liveBlog starts a service whose desk can edit, following the updates of
// the courier's feed, past its first sight; blog publishes the courier's
// live blog with body.
func liveBlog(t *testing.T) (h *harness, rec *editRecorder, svc *Service, blog func(body string)) {
	h, rec, svc, _ = restartableLiveBlog(t)
	blog = func(body string) {
		h.write("courier.xml", testItem{GUID: "urn:courier:blog", Title: "Kessler Dam: live", Link: "https://courier.example/live",
			Description: body, Published: h.clock})
	}
	return h, rec, svc, blog
}

// restartableLiveBlog is liveBlog's harness and service, with restart:
// the service's store (a SQLite file in t.TempDir()) closed and a new
// service opened on it, as after a restart of the process.
func restartableLiveBlog(t *testing.T) (h *harness, rec *editRecorder, svc *Service, restart func() *Service) {
	sub := config.Subscription{Name: "dams", Query: "kessler OR spillway", StoryWindow: 48 * time.Hour, Updates: true}
	h, rec = storyHarness(t, sub)
	svc, closeStore := h.openWith(rec)
	t.Cleanup(func() { closeStore() })
	svc.RunOnce(context.Background()) // first sight
	restart = func() *Service {
		closeStore()
		svc, closeStore = h.openWith(rec)
		return svc
	}
	return h, rec, svc, restart
}

// updates are the texts of the updates the last edit shows under the
// story.
func (r *editRecorder) updates() []string {
	r.emu.Lock()
	defer r.emu.Unlock()
	var out []string
	if n := len(r.edits); n > 0 {
		for _, u := range r.edits[n-1].Message.Alerts[0].Updates {
			out = append(out, strings.TrimSpace(u.Text))
		}
	}
	return out
}

// TestDoubtfulReportIsListedWithItsHeadline: a report that joins a story
// through the story's keywords alone ("Sbarro Files For Second
// Bankruptcy Protection" under the Mt. Gox story, through "bankruptcy")
// reaches the message's edit marked Doubtful, so that Discord lists it by
// its headline; the others are not, and after a restart the edit that
// the stored reports make still marks it.
func TestDoubtfulReportIsListedWithItsHeadline(t *testing.T) {
	h, rec := storyHarness(t, config.Subscription{Name: "bankruptcies", Query: "bankruptcy", StoryWindow: 48 * time.Hour})
	reports := []struct{ feed, title string }{
		{"courier", "Mt. Gox files for US bankruptcy"},
		{"herald", "Mt. Gox bankruptcy filing in Texas court"},
		{"post", "Bitcoin exchange Mt. Gox seeks bankruptcy protection"},
		{"gazette", "Sbarro Files For Second Bankruptcy Protection"},
		{"ledger", "Mt. Gox chief apologises in Tokyo bankruptcy court"},
	}
	publish := func(i int) {
		r := reports[i]
		h.write(r.feed+".xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
			testItem{GUID: "urn:" + r.feed + ":" + fmt.Sprint(i), Title: r.title, Link: "https://" + r.feed + ".example/" + fmt.Sprint(i), Published: h.clock})
	}
	runOnce := func() {
		t.Helper()
		svc, closeStore := h.openWith(rec)
		defer closeStore()
		if _, err := svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	doubtful := func() map[string]bool {
		rec.emu.Lock()
		defer rec.emu.Unlock()
		out := map[string]bool{}
		for _, r := range rec.edits[len(rec.edits)-1].Message.Alerts[0].Also {
			out[r.Title] = r.Doubtful
		}
		return out
	}
	runOnce() // first sight
	for i := range 3 {
		publish(i)
	}
	h.clock = h.clock.Add(time.Minute)
	runOnce()
	publish(3) // once the story has the three reports that make "bankruptcy" its keyword
	h.clock = h.clock.Add(time.Minute)
	runOnce()
	if got := rec.titles(); len(got) != 1 {
		t.Fatalf("messages posted: %q, want one", got)
	}
	// The message is whichever Mt. Gox report the poll took first; the
	// others are listed under it.
	want := map[string]bool{}
	for _, r := range reports[:4] {
		if r.title != rec.titles()[0] {
			want[r.title] = r.feed == "gazette"
		}
	}
	if got := doubtful(); !maps.Equal(got, want) {
		t.Errorf("the edit lists (title → doubtful) %v, want %v", got, want)
	}

	publish(4) // a restart, and one more report: the edit is made of the stored reports
	h.clock = h.clock.Add(time.Hour)
	runOnce()
	want[reports[4].title] = false
	if got := doubtful(); !maps.Equal(got, want) {
		t.Errorf("after a restart the edit lists (title → doubtful) %v, want %v", got, want)
	}
}

// forumRecorder is an editRecorder whose every alert is a post of its
// own, as a Discord forum's.
type forumRecorder struct{ *editRecorder }

func (forumRecorder) PostsEach() bool { return true }

// Edit refuses a burst, as a forum does: its alerts opened a post each,
// and the receipt names the first only.
func (r forumRecorder) Edit(ctx context.Context, e notify.Edit) error {
	if len(e.Message.Alerts) > 1 {
		return fmt.Errorf("a burst's posts: %w", notify.ErrNoMessage)
	}
	return r.editRecorder.Edit(ctx, e)
}

// TestForumPostsOneAlertAMessage: where each alert is a post of its own,
// a backlog over the burst size still goes one alert a message, so that
// each story's post has its own receipt: a story whose first report came
// in that backlog gets its next report, the same headline on another
// feed, listed under its post, not posted again (the headline dedupe is
// off where stories are listed).
func TestForumPostsOneAlertAMessage(t *testing.T) {
	h, rec := storyHarness(t, config.Subscription{Name: "dams", Query: "kessler OR flood", StoryWindow: 48 * time.Hour})
	forum := forumRecorder{rec}
	svc, closeStore := h.openWith(forum)
	defer closeStore()
	ctx := context.Background()
	h.write("wire.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
	svc.RunOnce(ctx) // first sight
	backlog := []testItem{item(0, "Weather stays mild", h.clock.Add(-time.Hour))}
	for i, title := range []string{ // more stories than the burst size (5)
		"Flood closes the coast road at Brelland",
		"Ferry to Ostmark halted as flood waters rise",
		"Vintners in Calder count their flood losses",
		"Flood insurance claims double in Tarrow county",
		"School in Minsby reopens after the flood",
		"Rail line to Queln cut by a flash flood",
		"Flood museum opens in the old Harwick mill",
	} {
		backlog = append(backlog, item(i+1, title, h.clock.Add(time.Duration(i)*time.Second-time.Hour)))
	}
	h.write("wire.xml", backlog...)
	h.publishReport(0)
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.msgs) != 8 {
		t.Fatalf("%d messages (%q), want 8: one for each alert", len(rec.msgs), rec.titles())
	}
	for _, m := range rec.msgs {
		if len(m.Alerts) != 1 {
			t.Fatalf("a message of %d alerts, want one alert a message", len(m.Alerts))
		}
	}
	h.clock = h.clock.Add(time.Minute)
	h.write("herald.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
		testItem{GUID: "urn:herald:kessler", Title: outlets[0].title, Link: "https://herald.example/kessler", Description: kesslerLead, Published: h.clock})
	h.clock = h.clock.Add(time.Minute)
	if _, err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var kessler int
	for _, title := range rec.titles() {
		if title == outlets[0].title {
			kessler++
		}
	}
	if kessler != 1 || len(rec.also()) != 1 {
		t.Errorf("the story's headline posted %d times, its post lists %q; want once, listing the second feed's report", kessler, rec.also())
	}
}

// lastEditOf is the last edit of message id, and whether there was one.
func (r *editRecorder) lastEditOf(id string) (notify.Edit, bool) {
	r.emu.Lock()
	defer r.emu.Unlock()
	for i := len(r.edits) - 1; i >= 0; i-- {
		if r.edits[i].MessageID == id {
			return r.edits[i], true
		}
	}
	return notify.Edit{}, false
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

// alsoTitles is what an edit lists under each alert, in order.
func alsoTitles(e notify.Edit) []string {
	var out []string
	for _, a := range e.Message.Alerts {
		for _, r := range a.Also {
			out = append(out, r.Title)
		}
	}
	return out
}

// TestCappedStorysReportsWaitForIt: a story whose first report
// max_per_hour held for the hour's "also matched" digest: its further
// reports are not posted past the cap, one message each, nor after the
// digest: the digest lists them with it.
func TestCappedStorysReportsWaitForIt(t *testing.T) {
	sub := kesslerSub()
	sub.Query = "kessler OR brelland"
	sub.Delivery = config.Delivery{MaxPerHour: 1}
	h, rec := storyHarness(t, sub) // the clock starts at 12:00 UTC
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	h.write("wire.xml", item(1, "Flood closes the coast road at Brelland", h.clock))
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // 12:01: the hour's one message
	for i := range 4 {
		h.publishReport(i) // courier's is capped; the others join its story
		h.clock = h.clock.Add(time.Minute)
		svc.RunOnce(ctx)
	}
	if got := rec.titles(); len(got) != 1 || len(rec.edits) != 0 {
		t.Fatalf("before 13:00 with max_per_hour 1: messages %q, %d edits; want only the first", got, len(rec.edits))
	}
	for _, step := range []time.Duration{55 * time.Minute, leadPoll + time.Second, editGap} {
		h.clock = h.clock.Add(step)
		svc.RunOnce(ctx) // 13:00: the digest
	}
	var want []string
	for _, o := range outlets[:4] {
		want = append(want, o.title)
	}
	if len(rec.msgs) != 2 || rec.msgs[1].Digest == nil || len(rec.edits) != 0 || !sameSet(rec.titles()[1:], want) {
		t.Fatalf("after 13:00: messages %q, %d edits; want the first, then a digest of %q", rec.titles(), len(rec.edits), want)
	}
}

// failFeed fails the commits of one feed while n > 0.
type failFeed struct {
	store.Store
	feed string
	n    int
}

func (f *failFeed) CommitPoll(ctx context.Context, feedID string, p store.Poll) (int, error) {
	if feedID == f.feed && f.n > 0 {
		f.n--
		return 0, errors.New("disk full")
	}
	return f.Store.CommitPoll(ctx, feedID, p)
}

// TestEditUnderAReportPostedAlone: the story's first report never reaches
// the outbox (its commit keeps failing), so the next report is posted
// alone after leadGrace and leads the story; an edit of its message shows
// it as the message's alert, with the report after it listed under it.
func TestEditUnderAReportPostedAlone(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	ctx := context.Background()
	st, _, svc := heraldPostedAlone(t, h, rec)
	defer st.Close()
	h.publishReport(2)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // the post's: an edit of m1
	if got, want := rec.titles(), []string{outlets[1].title}; !slices.Equal(got, want) {
		t.Fatalf("messages %q, want %q", got, want)
	}
	e, ok := rec.lastEditOf("m1")
	if !ok || len(e.Message.Alerts) != 1 || e.Message.Alerts[0].Title != outlets[1].title {
		t.Fatalf("edit of m1: %+v; want herald's report as its alert", e.Message.Alerts)
	}
	if got, want := alsoTitles(e), []string{outlets[2].title}; !slices.Equal(got, want) {
		t.Errorf("listed under m1: %q, want %q", got, want)
	}
}

// heraldPostedAlone runs h until the herald's report of a story is posted
// alone as m1: the courier's first report opened the story, but its
// commits fail (until flaky.n is set to 0), so the herald's, having waited
// leadGrace for it, leads the story.
func heraldPostedAlone(t *testing.T, h *harness, rec *editRecorder) (*store.SQLite, *failFeed, *Service) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock }))
	if err != nil {
		t.Fatal(err)
	}
	flaky := &failFeed{Store: st, feed: "courier"}
	svc, err := New(ctx, h.options(flaky, rec, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	flaky.n = 100
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // courier's report opens the story; its commit fails
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // herald's joins it and waits for its first alert
	h.clock = h.clock.Add(leadGrace)
	svc.RunOnce(ctx) // posted alone: m1
	return st, flaky, svc
}

// TestStoryWhoseMessageIsGoneGetsOneMoreMessage: once the story's message
// was deleted (or its first alert dropped), the first further report is
// posted alone and leads the story; the rest are listed under it, not
// posted one message each. Reports found in one poll (a burst) too.
func TestStoryWhoseMessageIsGoneGetsOneMoreMessage(t *testing.T) {
	cases := []struct {
		name     string
		lose     func(rec *editRecorder)
		before   bool // lose it before the first report is sent, or after
		burst    bool // the further reports are found in one poll
		messages int  // the first report's (unless dropped) and one more
	}{
		{"deleted", func(rec *editRecorder) { rec.deleted["m1"] = true }, false, false, 2},
		{"deleted, a burst of reports", func(rec *editRecorder) { rec.deleted["m1"] = true }, false, true, 2},
		{"first alert dropped", func(rec *editRecorder) { rec.fail = []error{notify.ErrRejected} }, true, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			svc, closeStore := h.openWith(rec)
			defer closeStore()
			ctx := context.Background()
			svc.RunOnce(ctx)
			if c.before {
				c.lose(rec)
			}
			h.publishReport(0)
			svc.RunOnce(ctx)
			if !c.before {
				c.lose(rec)
			}
			for i := 1; i < len(outlets); i++ {
				h.publishReport(i)
				if !c.burst {
					h.clock = h.clock.Add(time.Minute)
					svc.RunOnce(ctx)
				}
			}
			for range 2 { // the burst's rest waits for the first one's message
				h.clock = h.clock.Add(editGap)
				svc.RunOnce(ctx)
			}
			// Which report of a burst is posted alone depends on which
			// feed was polled first: compare the number of messages, and
			// that every other report is listed under the last.
			posted := rec.titles()
			if len(posted) != c.messages {
				t.Fatalf("messages %q, want %d", posted, c.messages)
			}
			var rest []string
			for i, o := range outlets {
				if !slices.Contains(posted, o.title) && (i > 0 || !c.before) { // a dropped one is shown nowhere
					rest = append(rest, o.title)
				}
			}
			e, _ := rec.lastEditOf(fmt.Sprintf("m%d", c.messages))
			if got := alsoTitles(e); !sameSet(got, rest) {
				t.Errorf("listed under the last message: %q, want %q", got, rest)
			}
		})
	}
}

// TestResplitReportsStayListedWhereTheyWereShown: B's first report was
// listed under A's message before a re-split took it into B's story. A's
// next edit keeps listing it (what was shown stays shown), and B's
// message, where it was never shown, does not list it too.
func TestResplitReportsStayListedWhereTheyWereShown(t *testing.T) {
	h := newHarness(t, config.Subscription{Name: "olives", Query: "olive OR drought", StoryWindow: 48 * time.Hour})
	rec := &editRecorder{deleted: map[string]bool{}, clock: func() time.Time { return h.clock }}
	h.rec = &rec.recorder
	titles := storycorpus.ResplitSequence()
	_, bFirst, _, _ := storycorpus.ResplitHeadlines()
	feed := func(i int) string { return fmt.Sprintf("f%02d.xml", i) }
	for i := range titles {
		h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: fmt.Sprintf("f%02d", i), URL: h.feedURL(feed(i)), Interval: 10 * time.Minute})
		h.write(feed(i), item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
	}
	ctx := context.Background()
	svc, closeStore := h.openWith(rec)
	defer func() { closeStore() }()
	svc.RunOnce(ctx) // first sight
	for i := range len(titles) - 1 {
		h.clock = h.clock.Add(time.Minute)
		h.write(feed(i), item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
			testItem{GUID: fmt.Sprintf("urn:f%02d:olive", i), Title: titles[i], Link: fmt.Sprintf("https://f%02d.example/olive", i), Published: h.clock})
		svc.RunOnce(ctx)
	}
	if e, _ := rec.lastEditOf("m1"); !slices.Contains(alsoTitles(e), bFirst) {
		t.Fatalf("before A's next report, m1 lists %q; want %q among them", alsoTitles(e), bFirst)
	}
	// One more report of A, on a new feed (a restart reads the new config).
	closeStore()
	h.cfg.Feeds = append(h.cfg.Feeds, config.Feed{Name: "fa", URL: h.feedURL("fa.xml"), Interval: 10 * time.Minute})
	h.write("fa.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)))
	svc, closeStore = h.openWith(rec)
	svc.RunOnce(ctx)
	h.clock = h.clock.Add(time.Minute)
	h.write("fa.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
		testItem{GUID: "urn:fa:olive", Title: "Olive oil prices jump again worldwide", Link: "https://fa.example/olive", Published: h.clock})
	svc.RunOnce(ctx)
	a, _ := rec.lastEditOf("m1")
	if got := alsoTitles(a); !slices.Contains(got, bFirst) || !slices.Contains(got, "Olive oil prices jump again worldwide") {
		t.Errorf("A's message m1 lists %q; want %q still, and A's new report", got, bFirst)
	}
	if b, _ := rec.lastEditOf("m2"); slices.Contains(alsoTitles(b), bFirst) {
		t.Errorf("B's message m2 lists %q too: shown twice", bFirst)
	}
}

// cappedDams is the setup shared by the tests of a capped story's further
// reports: with max_per_hour 1, the 12:01 message is the hour's one, and
// three stories found at 12:02 are capped into the 13:00 digest. joins are
// their further reports from another outlet (herald.xml), not yet
// published; want lists the stories' and the reports' titles.
type cappedDams struct {
	h          *harness
	rec        *editRecorder
	svc        *Service
	closeStore func()
	ctx        context.Context
	logs       *logBuffer
	seed       testItem
	joins      []testItem
	want       []string
}

func newCappedDams(t *testing.T) *cappedDams {
	t.Helper()
	sub := config.Subscription{Name: "dams", Query: "dam", StoryWindow: 48 * time.Hour, Delivery: config.Delivery{MaxPerHour: 1}}
	h, rec := storyHarness(t, sub) // the clock starts at 12:00 UTC
	logs := &logBuffer{}
	svc, closeStore := h.openWithLog(rec, logs)
	c := &cappedDams{h: h, rec: rec, svc: svc, closeStore: closeStore, ctx: context.Background(), logs: logs}
	ctx := c.ctx
	svc.RunOnce(ctx) // first sight
	c.seed = item(0, "Weather stays mild", h.clock.Add(-time.Hour))
	h.write("wire.xml", c.seed, item(1, "Dam safety report published for Ostry", h.clock))
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // 12:01: the hour's one message
	pairs := [][2]string{
		{"Kessler Dam spillway reopened as valley towns evacuate", "UPDATE 1-Kessler Dam spillway reopened after record rain"},
		{"Hoover Dam power output falls to record low amid drought", "Drought cuts Hoover Dam power output to record low"},
		{"Engineers inspect cracked Oroville Dam spillway", "Oroville Dam spillway cracks, engineers inspect damage"},
	}
	var firsts []testItem
	for i, p := range pairs {
		firsts = append(firsts, testItem{GUID: fmt.Sprintf("urn:c:%d", i), Title: p[0],
			Link: fmt.Sprintf("https://courier.example/%d", i), Published: h.clock})
		c.joins = append(c.joins, testItem{GUID: fmt.Sprintf("urn:h:%d", i), Title: p[1],
			Link: fmt.Sprintf("https://herald.example/%d", i), Published: h.clock})
		c.want = append(c.want, p[0], p[1])
	}
	h.write("courier.xml", append([]testItem{c.seed}, firsts...)...)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // 12:02: three stories, capped
	return c
}

// splitDigests returns the alert titles in msgs posted outside a digest
// (plain) and in one (digested), and how many digests there were.
func splitDigests(msgs []notify.Message) (plain, digested []string, digests int) {
	for _, m := range msgs {
		for _, a := range m.Alerts {
			if m.Digest == nil {
				plain = append(plain, a.Title)
			} else {
				digested = append(digested, a.Title)
			}
		}
		if m.Digest != nil {
			digests++
		}
	}
	return plain, digested, digests
}

// TestCappedStorysReportsGoInItsDigest: with max_per_hour 1, three
// stories are capped into the 13:00 digest, each with a further report
// from another outlet found while it waits. The reports go in the digest
// with their stories, not as messages of their own once it is out (which
// no cap counted); the next hour's one regular alert is posted as usual.
func TestCappedStorysReportsGoInItsDigest(t *testing.T) {
	c := newCappedDams(t)
	defer c.closeStore()
	h, rec, svc, ctx := c.h, c.rec, c.svc, c.ctx
	h.write("herald.xml", append([]testItem{c.seed}, c.joins...)...)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // 12:03: their further reports, held with them
	if len(rec.msgs) != 1 || len(rec.edits) != 0 {
		t.Fatalf("before 13:00 with max_per_hour 1: %d messages, %d edits; want only the first", len(rec.msgs), len(rec.edits))
	}
	for _, step := range []time.Duration{57 * time.Minute, leadPoll + time.Second, editGap, 10 * time.Minute} {
		h.clock = h.clock.Add(step)
		svc.RunOnce(ctx) // 13:00: the digest
	}
	h.write("wire.xml", c.seed, item(2, "Dam collapse feared at Lindau after quake", h.clock))
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // 13:11: a new story, the hour's one message
	plain, digested, digests := splitDigests(rec.msgs[1:])
	if len(plain) != 1 || len(rec.edits) != 0 {
		dumpMsgs(t, rec)
		t.Errorf("13:00-14:00 with max_per_hour 1: messages outside the digest %q, %d edits; want the one new story's", plain, len(rec.edits))
	}
	if digests != 1 || !sameSet(digested, c.want) {
		t.Errorf("%d digests listing %q; want one listing %q", digests, digested, c.want)
	}
}

// TestGoneMessagesSuccessorLeadsAfterARestart: the story's message m1 is
// deleted, so the next report is posted alone (m2) and leads the story. A
// restart (or run --once) forgets that m1 is gone: the reports after it
// find out again, and are then listed under m2, not posted alone.
func TestGoneMessagesSuccessorLeadsAfterARestart(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	ctx := context.Background()
	svc, closeStore := h.openWith(rec)
	svc.RunOnce(ctx)
	h.publishReport(0)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // m1
	rec.deleted["m1"] = true
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // m1 is gone: posted alone, m2
	defer func() { closeStore() }()
	for i := 2; i < 4; i++ {
		closeStore()
		svc, closeStore = h.openWith(rec) // a restart
		h.publishReport(i)
		h.clock = h.clock.Add(time.Minute)
		svc.RunOnce(ctx)
		h.clock = h.clock.Add(editGap)
		svc.RunOnce(ctx)
	}
	if got, want := rec.titles(), []string{outlets[0].title, outlets[1].title}; !slices.Equal(got, want) {
		dumpMsgs(t, rec)
		t.Fatalf("messages %q, want %q", got, want)
	}
	e, _ := rec.lastEditOf("m2")
	if got, want := alsoTitles(e), []string{outlets[2].title, outlets[3].title}; !slices.Equal(got, want) {
		t.Errorf("listed under m2: %q, want %q", got, want)
	}
}

// dumpMsgs logs what the recorder was sent and how it was edited.
func dumpMsgs(t *testing.T, rec *editRecorder) {
	t.Helper()
	for i, m := range rec.msgs {
		var ts []string
		for _, a := range m.Alerts {
			ts = append(ts, a.Title)
		}
		t.Logf("msg %d digest=%v %q", i, m.Digest != nil, ts)
	}
	for _, e := range rec.edits {
		t.Logf("edit %s also=%q", e.MessageID, alsoTitles(e))
	}
}

// windowEditor is an editRecorder whose edits fail while fails > 0, as
// after the joins went into a story thread; it notes each edit's
// InsideNonceWindow.
type windowEditor struct {
	*editRecorder
	fails  int
	inside []bool
}

func (w *windowEditor) SendsNonce() bool { return true }

func (w *windowEditor) Edit(ctx context.Context, e notify.Edit) error {
	w.inside = append(w.inside, e.InsideNonceWindow)
	if w.fails > 0 {
		w.fails--
		return &notify.RetryError{After: time.Second, Err: errors.New("HTTP 500")}
	}
	return w.editRecorder.Edit(ctx, e)
}

// TestEditRetriedPastTheNonceWindowLooks: an edit's first attempt, and a
// retry within the nonce window, leave the joins to the nonces; a retry
// later than that tells the destination to look for what an earlier
// attempt posted into the story's thread.
func TestEditRetriedPastTheNonceWindowLooks(t *testing.T) {
	h, rec := storyHarness(t, kesslerSub())
	w := &windowEditor{editRecorder: rec, fails: 2}
	svc, closeStore := h.openWith(w)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // the story's message
	h.publishReport(1)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // the edit fails
	h.clock = h.clock.Add(5 * time.Second)
	svc.RunOnce(ctx) // fails again, inside the window
	h.clock = h.clock.Add(h.cfg.Service.NonceWindow)
	svc.RunOnce(ctx) // past it
	if want := []bool{true, true, false}; !slices.Equal(w.inside, want) {
		t.Errorf("edits' InsideNonceWindow: %v, want %v", w.inside, want)
	}
	if len(rec.edits) != 1 {
		t.Errorf("%d edits went through, want 1", len(rec.edits))
	}
}

// A capped story's further reports first seen in the pass that releases
// the story's digest (an hourly run --once at the top of the hour, a
// destination paused across it) go in that digest: placed after it was
// sent, they found their story out in a digest and each went alone, past
// max_per_hour.
func TestCappedStorysReportsSeenAsItsDigestGoesOut(t *testing.T) {
	c := newCappedDams(t)
	defer c.closeStore()
	h, rec, svc, ctx := c.h, c.rec, c.svc, c.ctx
	h.write("herald.xml", append([]testItem{c.seed}, c.joins...)...)
	h.clock = h.clock.Add(58 * time.Minute)
	svc.RunOnce(ctx) // 13:00: their further reports, polled in the digest's pass
	for _, step := range []time.Duration{leadPoll + time.Second, editGap, 10 * time.Minute} {
		h.clock = h.clock.Add(step)
		svc.RunOnce(ctx)
	}
	plain, digested, digests := splitDigests(rec.msgs[1:])
	if len(plain) != 0 || len(rec.edits) != 0 {
		dumpMsgs(t, rec)
		t.Errorf("with max_per_hour 1: posted alone past the cap %q, %d edits; want none", plain, len(rec.edits))
	}
	if digests != 1 || !sameSet(digested, c.want) {
		t.Errorf("%d digests listing %q; want one listing %q", digests, digested, c.want)
	}
}

// TestCappedStorysReportsAfterItsDigestKeepTheCap: with max_per_hour 1,
// three stories are capped into the 13:00 digest; their further reports
// come after it went out. In an hour whose one message is out they wait
// for that hour's digest, which lists each story once; in an hour with
// room, the first goes as the hour's message and the rest wait. Before,
// each went alone, counted by no cap.
func TestCappedStorysReportsAfterItsDigestKeepTheCap(t *testing.T) {
	c := newCappedDams(t)
	defer c.closeStore()
	h, rec, svc, ctx := c.h, c.rec, c.svc, c.ctx
	runAt := func(steps ...time.Duration) {
		for _, step := range steps {
			h.clock = h.clock.Add(step)
			svc.RunOnce(ctx)
		}
	}
	runAt(58*time.Minute, leadPoll+time.Second) // 13:00: the digest of the three stories
	h.write("wire.xml", c.seed, item(2, "Dam collapse feared at Lindau after quake", h.clock))
	runAt(5 * time.Minute) // 13:05: a new story, the hour's one message
	h.write("herald.xml", append([]testItem{c.seed}, c.joins[:2]...)...)
	logged := strings.Count(c.logs.String(), "max_per_hour reached") // hour 12's
	runAt(5*time.Minute, leadGrace, editGap)                         // 13:10: two further reports, past the cap
	if n := strings.Count(c.logs.String(), "max_per_hour reached") - logged; n != 1 {
		t.Errorf("the log says max_per_hour reached %d times in hour 13, want once:\n%s", n, c.logs.String())
	}
	plain, digested, digests := splitDigests(rec.msgs[1:])
	if want := []string{"Dam collapse feared at Lindau after quake"}; !slices.Equal(plain, want) || digests != 1 {
		dumpMsgs(t, rec)
		t.Fatalf("13:00-14:00 with max_per_hour 1: messages outside the digest %q, %d digests; want %q and the 13:00 digest", plain, digests, want)
	}
	runAt(50 * time.Minute) // 14:01: the 14:00 digest
	_, digested, digests = splitDigests(rec.msgs[1:])
	want := []string{c.joins[0].Title, c.joins[1].Title} // and the three stories' first reports
	for i := 0; i < len(c.want); i += 2 {
		want = append(want, c.want[i])
	}
	if digests != 2 || !sameSet(digested, want) {
		dumpMsgs(t, rec)
		t.Errorf("%d digests listing %q; want two, the second with the two further reports", digests, digested)
	}

	h.write("herald.xml", append([]testItem{c.seed}, c.joins...)...)
	runAt(5*time.Minute, leadGrace, editGap) // 14:06: the third story's report, with room in the hour
	plain, _, _ = splitDigests(rec.msgs[1:])
	if want := []string{"Dam collapse feared at Lindau after quake", c.joins[2].Title}; !slices.Equal(plain, want) {
		dumpMsgs(t, rec)
		t.Errorf("messages outside the digests %q, want %q: an hour with room takes one", plain, want)
	}
}

// TestStorysReportInQuietHoursWaitsForTheirDigest: a story's report found
// just before quiet hours waits its turn to be edited into the story's
// message; by then quiet hours have begun and the message is deleted, so
// it would go alone as the story's new message. It waits for the quiet
// hours' digest instead, like any alert found in them.
func TestStorysReportInQuietHoursWaitsForTheirDigest(t *testing.T) {
	h, rec, svc := reportHeldInQuietHours(t)
	ctx := context.Background()
	h.clock = h.clock.Add(2 * time.Hour)
	svc.RunOnce(ctx) // 15:00:02
	if _, digested, digests := splitDigests(rec.msgs); digests != 1 || !slices.Equal(digested, []string{outlets[2].title}) {
		dumpMsgs(t, rec)
		t.Errorf("%d digests listing %q, want the quiet hours' one with the story's report", digests, digested)
	}
}

// reportHeldInQuietHours runs TestStorysReportInQuietHoursWaitsForTheirDigest
// up to 13:00:02, quiet hours from 13:00 to 15:00: the third outlet's
// report, found at 12:59:57, held for their digest.
func reportHeldInQuietHours(t *testing.T) (*harness, *editRecorder, *Service) {
	t.Helper()
	sub := kesslerSub()
	sub.Delivery = config.Delivery{QuietHours: &config.TimeWindow{Start: config.ClockTime{Hour: 13}, End: config.ClockTime{Hour: 15}}}
	h, rec := storyHarness(t, sub) // the clock starts at 12:00 UTC
	svc, closeStore := h.openWith(rec)
	t.Cleanup(closeStore)
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	h.publishReport(0)
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx) // 12:01: m1
	h.clock = h.clock.Add(58*time.Minute + 55*time.Second)
	h.publishReport(1)
	svc.RunOnce(ctx) // 12:59:55: edited into m1
	h.clock = h.clock.Add(2 * time.Second)
	h.publishReport(2)
	svc.RunOnce(ctx) // 12:59:57: waits for the edit gap
	rec.deleted["m1"] = true
	h.clock = h.clock.Add(editGap)
	svc.RunOnce(ctx) // 13:00:02, quiet hours: m1 is gone
	if plain, _, _ := splitDigests(rec.msgs); !slices.Equal(plain, []string{outlets[0].title}) {
		dumpMsgs(t, rec)
		t.Fatalf("messages %q, want only the story's first, before quiet hours", plain)
	}
	return h, rec, svc
}

// TestDigestListsEachStoryOnce: an hourly digest holds four outlets'
// reports of one story and one report of another story that shares its
// name. It lists two stories, one with the other three reports under it,
// and its title counts two; a further report after the digest went out is
// in the next one, on a line of its own. With story_window 0 (never group)
// it lists every report on a line of its own.
func TestDigestListsEachStoryOnce(t *testing.T) {
	const other = "Kessler Foundation names new director of disability research grants"
	var kessler [][]string // the four reports as one story
	var each [][]string    // every report alone
	kessler = append(kessler, nil)
	for _, o := range outlets[:4] {
		kessler[0] = append(kessler[0], o.title)
		each = append(each, []string{o.title})
	}
	tests := []struct {
		name      string
		window    time.Duration
		wantTitle string
		want      [][]string // each story's reports, in any order
	}{
		{"grouped", 48 * time.Hour, "Digest: dams — 2 stories since 12:00", append(kessler, []string{other})},
		{"story_window 0", 0, "Digest: dams — 5 stories since 12:00", append(each, []string{other})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := kesslerSub()
			sub.StoryWindow = tt.window
			sub.Delivery = config.Delivery{Mode: config.Digest, Every: time.Hour}
			h, rec := storyHarness(t, sub) // the clock starts at 12:00 UTC
			svc, closeStore := h.openWith(rec)
			defer closeStore()
			ctx := context.Background()
			svc.RunOnce(ctx) // first sight
			for i := range 4 {
				h.publishReport(i)
			}
			h.write("ledger.xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
				testItem{GUID: "urn:ledger:grants", Title: other, Link: "https://ledger.example/grants", Published: h.clock})
			h.clock = h.clock.Add(time.Minute)
			svc.RunOnce(ctx) // 12:01: all held for the 13:00 digest
			h.clock = h.clock.Add(time.Hour)
			svc.RunOnce(ctx) // 13:01: the digest
			if len(rec.msgs) != 1 || rec.msgs[0].Digest == nil {
				dumpMsgs(t, rec)
				t.Fatalf("%d messages, want the one digest", len(rec.msgs))
			}
			title, stories := consoleDigest(t, rec.msgs[0])
			if title != tt.wantTitle {
				t.Errorf("title %q, want %q", title, tt.wantTitle)
			}
			if !sameStories(stories, tt.want) {
				t.Errorf("stories listed (each a title and those under it) %q, want %q", stories, tt.want)
			}

			h.publishReport(4)
			h.clock = h.clock.Add(time.Minute)
			svc.RunOnce(ctx) // 13:02
			h.clock = h.clock.Add(time.Hour)
			svc.RunOnce(ctx) // 14:02: the next digest
			if len(rec.msgs) != 2 {
				dumpMsgs(t, rec)
				t.Fatalf("%d messages, want a second digest", len(rec.msgs))
			}
			title, stories = consoleDigest(t, rec.msgs[1])
			if want := "Digest: dams — 1 story since 13:00"; title != want || len(stories) != 1 || !slices.Equal(stories[0], []string{outlets[4].title}) {
				t.Errorf("the next digest %q lists %q, want %q listing %q alone", title, stories, want, outlets[4].title)
			}
		})
	}
}

// TestDigestListsWireCopiesUnderTheirStory: the same wire headline on
// three feeds is one story of the digest with the two other copies after
// it, as under a channel message, not one line with two copies refused.
func TestDigestListsWireCopiesUnderTheirStory(t *testing.T) {
	sub := kesslerSub()
	sub.Delivery = config.Delivery{Mode: config.Digest, Every: time.Hour}
	h, rec := storyHarness(t, sub)
	svc, closeStore := h.openWith(rec)
	defer closeStore()
	ctx := context.Background()
	svc.RunOnce(ctx) // first sight
	var copies []string
	for _, o := range outlets[:3] {
		h.write(o.feed+".xml", item(0, "Weather stays mild", h.clock.Add(-time.Hour)),
			testItem{GUID: "urn:" + o.feed + ":wire", Title: outlets[0].title, Link: "https://" + o.feed + ".example/wire",
				Description: kesslerLead, Published: h.clock})
		copies = append(copies, outlets[0].title)
	}
	h.clock = h.clock.Add(time.Minute)
	svc.RunOnce(ctx)
	h.clock = h.clock.Add(time.Hour)
	svc.RunOnce(ctx) // the digest
	if len(rec.msgs) != 1 || rec.msgs[0].Digest == nil {
		dumpMsgs(t, rec)
		t.Fatalf("%d messages, want the one digest", len(rec.msgs))
	}
	if _, stories := consoleDigest(t, rec.msgs[0]); !sameStories(stories, [][]string{copies}) {
		t.Errorf("the digest lists %q, want the three copies as one story", stories)
	}
}

// sameStories reports whether got and want list the same stories, each
// the same reports, in any order.
func sameStories(got, want [][]string) bool {
	key := func(stories [][]string) []string {
		var k []string
		for _, s := range stories {
			k = append(k, strings.Join(slices.Sorted(slices.Values(s)), "\x00"))
		}
		slices.Sort(k)
		return k
	}
	return slices.Equal(key(got), key(want))
}

// consoleDigest is digest m as a console prints it: its title, and for each
// story its title followed by the titles of the reports listed under it.
func consoleDigest(t *testing.T, m notify.Message) (title string, stories [][]string) {
	t.Helper()
	var b strings.Builder
	if _, err := notify.NewConsole(&b).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	title = strings.TrimSuffix(strings.TrimPrefix(lines[0], "== "), " ==")
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "  also: ") && len(stories) > 0:
			_, report, _ := strings.Cut(l, " — ")
			report = report[:strings.LastIndex(report, " https://")]
			stories[len(stories)-1] = append(stories[len(stories)-1], report)
		case strings.Contains(l, "UTC  ["):
			_, story, _ := strings.Cut(l, "] ")
			stories = append(stories, []string{story})
		}
	}
	return title, stories
}

// TestLateFirstReportGoesUnderTheStorysMessage: the story's first report
// reaches the outbox late (its commit failed and was retried, or the
// process stopped and polled it again after a restart), after the further
// report that waited leadGrace for it was posted alone. The story keeps
// one message: the late first report is listed under it, not posted too.
func TestLateFirstReportGoesUnderTheStorysMessage(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			h, rec := storyHarness(t, kesslerSub())
			ctx := context.Background()
			st, flaky, svc := heraldPostedAlone(t, h, rec)
			defer func() { st.Close() }()
			if restart {
				var err error
				st.Close()
				if st, err = store.OpenSQLite(ctx, h.db, store.WithClock(func() time.Time { return h.clock })); err != nil {
					t.Fatal(err)
				}
				if svc, err = New(ctx, h.options(st, rec, io.Discard)); err != nil {
					t.Fatal(err)
				}
			}
			flaky.n = 0
			for range 3 {
				h.clock = h.clock.Add(time.Minute)
				svc.RunOnce(ctx) // courier's report is committed at last
			}
			if got, want := rec.titles(), []string{outlets[1].title}; !slices.Equal(got, want) {
				t.Fatalf("messages %q, want %q: the story's one message", got, want)
			}
			e, _ := rec.lastEditOf("m1")
			if got, want := alsoTitles(e), []string{outlets[0].title}; !slices.Equal(got, want) {
				t.Errorf("listed under m1: %q, want %q", got, want)
			}
		})
	}
}
