package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/internal/fakediscord"
)

// sendUntilDelivered sends m until it is delivered. On a RetryError it
// sends again at once, without waiting as the outbox sender would, so that
// only the Limiter stands between a retry and the fake.
func sendUntilDelivered(t *testing.T, n notify.Notifier, m notify.Message) {
	t.Helper()
	for attempt := 0; attempt < 5; attempt++ {
		_, err := n.Send(context.Background(), m)
		var re *notify.RetryError
		if !errors.As(err, &re) {
			if err != nil {
				t.Fatalf("Send %s: %v", m.Nonce, err)
			}
			return
		}
	}
	t.Fatalf("Send %s: still rate limited after 5 attempts", m.Nonce)
}

// assertQuietUntilReset checks that after each 429 the fake answered, no
// request on the limited routes reached it before the reset it announced.
func assertQuietUntilReset(t *testing.T, f *fakediscord.Server) {
	t.Helper()
	all := f.Requests("")
	limited := 0
	for i, r := range all {
		if r.Status != http.StatusTooManyRequests {
			continue
		}
		limited++
		for _, later := range all[i+1:] {
			if (r.Global || later.Route == r.Route) && later.At.Before(r.ResetAt) {
				t.Errorf("request %s at %s sent %s before the reset announced by the 429 on %s",
					later.Route, later.At.Format("15:04:05.000"), r.ResetAt.Sub(later.At), r.Route)
			}
		}
	}
	if limited == 0 {
		t.Errorf("the fake answered no 429: the test did not exercise the limit")
	}
}

func TestRateLimitStormIsObeyed(t *testing.T) {
	channels := []string{"200000000000000001", "200000000000000002", "200000000000000003"}
	tests := []struct {
		name string
		arm  func(f *fakediscord.Server)
	}{
		{"route 429", func(f *fakediscord.Server) {
			f.Route429("POST channels/"+channels[0]+"/messages", 300*time.Millisecond)
		}},
		{"global 429", func(f *fakediscord.Server) { f.Global429(400 * time.Millisecond) }},
		{"route then global", func(f *fakediscord.Server) {
			f.Route429("POST channels/"+channels[0]+"/messages", 200*time.Millisecond)
			f.Global429(300 * time.Millisecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			s := newTestSession(t, f, "test-token")
			lim := NewLimiter(LimiterConfig{})
			var notifiers []notify.Notifier
			for _, ch := range channels {
				notifiers = append(notifiers, NewChannelNotifier(s, ch, lim))
			}
			tt.arm(f)
			for i := range 9 {
				sendUntilDelivered(t, notifiers[i%3], oneAlert(fmt.Sprintf("storm-%d", i), "Aleppo"))
			}
			for _, ch := range channels {
				if got := len(f.Messages(ch)); got != 3 {
					t.Errorf("channel %s got %d messages, want 3", ch, got)
				}
			}
			assertQuietUntilReset(t, f)
		})
	}
}

func TestRouteBucketHeadersAreObeyedWithout429(t *testing.T) {
	f := fakediscord.New(t)
	route := "POST channels/" + testChannel + "/messages"
	f.RateLimit(route, 2, 300*time.Millisecond)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	for i := range 5 {
		sendUntilDelivered(t, n, oneAlert(fmt.Sprintf("b-%d", i), "Aleppo"))
	}
	reqs := f.Requests(route)
	for _, r := range reqs {
		if r.Status != http.StatusOK {
			t.Errorf("request at %s got %d, want every request within the announced bucket", r.At.Format("15:04:05.000"), r.Status)
		}
	}
	if len(reqs) != 5 {
		t.Errorf("got %d requests, want 5", len(reqs))
	}
}

func TestLongPauseReturnsRetryErrorWithoutSending(t *testing.T) {
	tests := []struct {
		name      string
		arm       func(f *fakediscord.Server)
		wantAfter time.Duration
	}{
		{"global 429", func(f *fakediscord.Server) { f.Global429(30 * time.Second) }, 30 * time.Second},
		{"cloudflare", func(f *fakediscord.Server) { f.Cloudflare429(1) }, 7 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			s := newTestSession(t, f, "test-token")
			lim := NewLimiter(LimiterConfig{MaxWait: time.Second, CloudflareBackoff: 7 * time.Minute})
			first := NewChannelNotifier(s, "200000000000000001", lim)
			other := NewChannelNotifier(s, "200000000000000002", lim)
			tt.arm(f)

			_, err := first.Send(context.Background(), oneAlert("p-1", "Aleppo"))
			var re *notify.RetryError
			if !errors.As(err, &re) {
				t.Fatalf("Send error = %v, want a RetryError", err)
			}
			if re.After < tt.wantAfter-time.Second || re.After > tt.wantAfter {
				t.Errorf("RetryError.After = %s, want about %s", re.After, tt.wantAfter)
			}
			_, err = other.Send(context.Background(), oneAlert("p-2", "Aleppo"))
			if !errors.As(err, &re) {
				t.Fatalf("Send on another channel: error = %v, want a RetryError while paused", err)
			}
			if got := len(f.Requests("")); got != 1 {
				t.Errorf("fake got %d requests, want 1 (nothing sent while paused)", got)
			}
		})
	}
}

func TestWaitEndsWithCancelledContext(t *testing.T) {
	f := fakediscord.New(t)
	lim := NewLimiter(LimiterConfig{MaxWait: time.Minute})
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, lim)
	f.Global429(time.Minute)
	if _, err := n.Send(context.Background(), oneAlert("c-1", "Aleppo")); err == nil {
		t.Fatal("first Send succeeded, want the global 429")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := n.Send(ctx, oneAlert("c-2", "Aleppo"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send error = %v, want context.DeadlineExceeded", err)
	}
	if got := len(f.Requests("")); got != 1 {
		t.Errorf("fake got %d requests, want 1", got)
	}
}

func TestInvalidRequestBudgetHoldsBack(t *testing.T) {
	f := fakediscord.New(t)
	lim := NewLimiter(LimiterConfig{InvalidBudget: 3})
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, lim)
	f.DenyChannel(testChannel)
	for i := range 3 {
		if _, err := n.Send(context.Background(), oneAlert(fmt.Sprint(i), "Aleppo")); !errors.Is(err, notify.ErrGone) {
			t.Fatalf("Send %d: error = %v, want ErrGone", i, err)
		}
	}
	if got := lim.InvalidRequests(); got != 3 {
		t.Errorf("InvalidRequests = %d, want 3", got)
	}
	_, err := n.Send(context.Background(), oneAlert("4", "Aleppo"))
	var re *notify.RetryError
	if !errors.As(err, &re) || re.After < 9*time.Minute {
		t.Errorf("Send over budget: error = %v, want a RetryError of about 10 minutes", err)
	}
	if got := len(f.Requests("")); got != 3 {
		t.Errorf("fake got %d requests, want 3", got)
	}
}

func TestTokenBucketPacesBursts(t *testing.T) {
	lim := NewLimiter(LimiterConfig{PerSecond: 10, Burst: 2})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim.clock = func() time.Time { return start }
	var waits []time.Duration
	for i := range 4 {
		reserved := false
		wait, _, _ := lim.reserve(fmt.Sprint("r", i), &reserved) // a route each: only the token bucket paces
		waits = append(waits, wait)
	}
	want := []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", waits, want)
	}
}

// clientLog keeps, for each request the notifiers send, the Limiter's
// record of it: when it was let through and when its answer was noted.
type clientLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	recs []*recorder
}

func (c *clientLog) RoundTrip(req *http.Request) (*http.Response, error) {
	if rec := recorderFrom(req.Context()); rec != nil {
		c.mu.Lock()
		c.recs = append(c.recs, rec)
		c.mu.Unlock()
	}
	return c.base.RoundTrip(req)
}

// TestConcurrentStormNoSendAfterSeen429 sends from three goroutines at
// once. A request already let through when a 429 arrives cannot be
// helped; what must hold is that once the Limiter has noted a 429, it lets
// nothing through on the limited routes before the reset the fake
// announced. Both times come from the Limiter, under its lock.
func TestConcurrentStormNoSendAfterSeen429(t *testing.T) {
	f := fakediscord.New(t)
	log := &clientLog{base: http.DefaultTransport}
	s, err := NewSession("test-token", f.APIBase(), log)
	if err != nil {
		t.Fatal(err)
	}
	lim := NewLimiter(LimiterConfig{})
	channels := []string{"200000000000000001", "200000000000000002", "200000000000000003"}
	f.Route429("POST channels/"+channels[0]+"/messages", 250*time.Millisecond)
	f.Global429(300 * time.Millisecond)

	var wg sync.WaitGroup
	for c, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := NewChannelNotifier(s, ch, lim)
			for i := range 4 {
				m := oneAlert(fmt.Sprintf("c%d-%d", c, i), "Aleppo")
				for attempt := 0; ; attempt++ {
					_, err := n.Send(context.Background(), m)
					var re *notify.RetryError
					if errors.As(err, &re) && attempt < 5 {
						continue // at once: the Limiter must hold the retry
					}
					if err != nil {
						t.Errorf("Send %s: %v", m.Nonce, err)
					}
					break
				}
			}
		}()
	}
	wg.Wait()

	for _, ch := range channels {
		if got := len(f.Messages(ch)); got != 4 {
			t.Errorf("channel %s got %d messages, want 4", ch, got)
		}
	}
	limited := 0
	for _, r := range f.Requests("") {
		if r.Status != http.StatusTooManyRequests {
			continue
		}
		limited++
		seen := noticeOf(log, r)
		for _, rec := range log.recs {
			if rec.admitted.After(seen) && rec.admitted.Before(r.ResetAt) && (r.Global || rec.route == r.Route) {
				t.Errorf("%s let through %s after a 429 was noted and %s before its reset", rec.route, rec.admitted.Sub(seen), r.ResetAt.Sub(rec.admitted))
			}
		}
	}
	if limited == 0 {
		t.Errorf("no 429 was answered: the test did not exercise the limits")
	}
}

// noticeOf is when the Limiter noted the 429 the fake recorded as r: the
// earliest 429 on r's route noted after r reached the fake.
func noticeOf(log *clientLog, r fakediscord.Request) time.Time {
	var seen time.Time
	for _, rec := range log.recs {
		ex := rec.last
		if ex != nil && rec.route == r.Route && ex.status == http.StatusTooManyRequests && !ex.seen.Before(r.At) && (seen.IsZero() || ex.seen.Before(seen)) {
			seen = ex.seen
		}
	}
	return seen
}

// Requests on their way count against a route's bucket until their
// answers come: an answer that left the server before they arrived cannot
// hand their room out again, and a new window opens with the bucket's
// limit, not without any.
func TestRouteBucketCountsRequestsOnTheirWay(t *testing.T) {
	lim := NewLimiter(LimiterConfig{PerSecond: 1000, Burst: 100})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim.clock = func() time.Time { return now }
	admit := func() time.Duration {
		reserved := false
		wait, _, _ := lim.reserve("r", &reserved)
		return wait
	}
	answer := func(remaining int, window string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", "3")
		h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
		h.Set("X-RateLimit-Reset-After", "1.000")
		h.Set("X-RateLimit-Reset", window)
		if err := lim.observe("r", "r", &exchange{status: http.StatusOK, header: h}, nil); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		do   func()
		want []time.Duration // waits of the admissions tried after do
	}{
		{"unknown bucket: the first goes alone", func() {}, []time.Duration{0, awaitAnswers}},
		{"its answer is late: the others go", func() { now = now.Add(firstAnswer) }, []time.Duration{0, 0}},
		{"first answer: two more on their way, none left", func() { answer(2, "w1") }, []time.Duration{time.Second}},
		{"later answers of the window", func() { answer(1, "w1"); answer(0, "w1") }, []time.Duration{time.Second}},
		{"next window: the limit", func() { now = now.Add(time.Second) }, []time.Duration{0, 0, 0, awaitAnswers}},
		{"an answer in the new window", func() { answer(2, "w2") }, []time.Duration{time.Second}},
		{"a late answer cannot raise what is left", func() { answer(2, "w2") }, []time.Duration{time.Second}},
	}
	for _, s := range steps {
		s.do()
		var got []time.Duration
		for range s.want {
			got = append(got, admit())
		}
		if fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("%s: waits %v, want %v", s.name, got, s.want)
		}
	}
}

// The Limiter forgets a route once it has been idle for routeIdle, so that
// a route per story post does not grow it for as long as the bot runs;
// a route with a request on its way or a window still running is kept,
// and keeps its wait.
func TestLimiterForgetsIdleRoutes(t *testing.T) {
	lim := NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim.clock = func() time.Time { return now }
	admit := func(route string) time.Duration {
		t.Helper()
		reserved := false
		wait, _, _ := lim.reserve(route, &reserved)
		return wait
	}
	answer := func(route string, remaining int, resetAfter string) {
		t.Helper()
		h := http.Header{}
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
		h.Set("X-RateLimit-Reset-After", resetAfter)
		h.Set("X-RateLimit-Reset", "w-"+route)
		if err := lim.observe(route, route, &exchange{status: http.StatusOK, header: h}, nil); err != nil {
			t.Fatal(err)
		}
	}
	const posts = 1000
	for i := range posts {
		route := fmt.Sprintf("PATCH channels/%d/messages/{message_id}", i)
		admit(route)
		answer(route, 4, "1.000")
	}
	admit("on its way")  // never answered
	admit("long window") // answered: none left for an hour
	answer("long window", 0, "3600.000")
	if got := len(lim.routes); got != posts+2 {
		t.Fatalf("%d routes known, want %d", got, posts+2)
	}

	now = now.Add(routeIdle)
	admit("new")
	if got := len(lim.routes); got != 3 {
		t.Errorf("after %v idle: %d routes known, want 3 (the new one, the one on its way, the long window)", routeIdle, got)
	}
	if wait := admit("long window"); wait <= 0 {
		t.Errorf("long window after the sweep: wait %v, want its window's rest", wait)
	}
	// A forgotten route, and a new one of the same shape, start with the
	// limit their shape announced: five go before an answer, not all.
	for _, route := range []string{"PATCH channels/7/messages/{message_id}", "PATCH channels/5000/messages/{message_id}"} {
		var waits []time.Duration
		for range 6 {
			waits = append(waits, admit(route))
		}
		if want := fmt.Sprint([]time.Duration{0, 0, 0, 0, 0, awaitAnswers}); fmt.Sprint(waits) != want {
			t.Errorf("%s after the sweep: waits %v, want %v", route, waits, want)
		}
	}
}

func TestRouteShape(t *testing.T) {
	for _, tt := range []struct{ route, want string }{
		{"POST channels/123/messages", "POST channels/{id}/messages"},
		{"PATCH channels/123/messages/{message_id}", "PATCH channels/{id}/messages/{message_id}"},
		{"PATCH channels/123", "PATCH channels/{id}"},
		{"POST webhooks/600000000000000020", "POST webhooks/{id}"},
		{"GET gateway/bot", "GET gateway/bot"},
		{"r", "r"},
	} {
		if got := routeShape(tt.route); got != tt.want {
			t.Errorf("routeShape(%q) = %q, want %q", tt.route, got, tt.want)
		}
	}
}

// A window whose requests all ended without the bucket's headers (no
// answer, or a proxy's 502) does not hold the route: with nothing on its
// way, nothing would ever end the wait.
func TestRouteWindowEndedWithoutAnswers(t *testing.T) {
	lim := NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim.clock = func() time.Time { return now }
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "2")
	h.Set("X-RateLimit-Remaining", "1")
	h.Set("X-RateLimit-Reset-After", "1.000")
	h.Set("X-RateLimit-Reset", "w1")
	const learned = "POST channels/1/messages"
	reserved := false
	lim.reserve(learned, &reserved)
	if err := lim.observe(learned, learned, &exchange{status: http.StatusOK, header: h}, nil); err != nil {
		t.Fatal(err)
	}
	for _, end := range []struct {
		name  string
		route string // a new route: it starts with the shape's limit, 2
		end   func(route string)
	}{
		{"unanswered", "POST channels/2/messages", func(route string) { lim.unanswered(route) }},
		{"answered without headers", "POST channels/3/messages", func(route string) {
			lim.observe(route, route, &exchange{status: http.StatusBadGateway, header: http.Header{}}, func(int) string { return "" })
		}},
	} {
		route := end.route
		for range 2 {
			reserved := false
			if wait, _, _ := lim.reserve(route, &reserved); wait != 0 {
				t.Fatalf("%s: admission waited %v, want 0", end.name, wait)
			}
			end.end(route)
		}
		reserved := false
		if wait, reason, _ := lim.reserve(route, &reserved); wait != 0 {
			t.Errorf("%s: with nothing on its way the route waits %v (%s), want 0", end.name, wait, reason)
		}
	}
	// With a request still on its way, its answer will tell: the route waits.
	const onItsWay = "POST channels/4/messages"
	for range 2 {
		reserved := false
		lim.reserve(onItsWay, &reserved)
	}
	lim.unanswered(onItsWay)
	reserved = false
	if wait, _, _ := lim.reserve(onItsWay, &reserved); wait != awaitAnswers {
		t.Errorf("one of two requests on its way: the route waits %v, want %v", wait, awaitAnswers)
	}
}

// Discord counts 401, 403 and 429 answers toward its invalid-request
// limit, but not a 429 whose X-RateLimit-Scope is "shared" (a resource's
// limit shared with other bots, which no client can foresee): the budget
// must not hold every send back for those.
func TestSharedScope429IsNotInvalid(t *testing.T) {
	route := "POST channels/" + testChannel + "/messages"
	tests := []struct {
		name    string
		arm     func(f *fakediscord.Server)
		want    int
		wantFak int
	}{
		{"shared 429", func(f *fakediscord.Server) { f.Route429(route, time.Minute) }, 0, 0},
		{"route 429", func(f *fakediscord.Server) { f.RateLimit(route, 0, time.Minute) }, 1, 1},
		{"global 429", func(f *fakediscord.Server) { f.Global429(time.Minute) }, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			lim := NewLimiter(LimiterConfig{})
			n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, lim)
			tt.arm(f)
			_, err := n.Send(context.Background(), oneAlert("s-1", "Aleppo"))
			if re, ok := errors.AsType[*notify.RetryError](err); !ok {
				t.Fatalf("Send: error = %v, want a RetryError", err)
			} else if re.After < 50*time.Second {
				t.Errorf("Send: retry after %v, want about a minute", re.After)
			}
			if got := lim.InvalidRequests(); got != tt.want {
				t.Errorf("InvalidRequests = %d, want %d", got, tt.want)
			}
			if got := f.Invalid(""); got != tt.wantFak {
				t.Errorf("fake Invalid = %d, want %d", got, tt.wantFak)
			}
		})
	}
}

// Discord answers a channel's message posts and its message edits with
// the same X-RateLimit-Bucket: they share one limit. The Limiter used to
// keep a bucket per route, so once posts had used the shared bucket up an
// edit was let through on what the edit route last heard (and the other
// way round), and Discord answered 429.
func TestRoutesSharingABucketAreLimitedAsOne(t *testing.T) {
	const (
		perWindow = 4
		window    = 1500 * time.Millisecond
	)
	tests := []struct {
		name  string
		useUp string // "post" or "edit": what uses the bucket up
		then  string // the request that must wait for the window's end
	}{
		{name: "posts use the bucket up, then an edit", useUp: "post", then: "edit"},
		{name: "edits use the bucket up, then a post", useUp: "edit", then: "post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakediscord.New(t)
			f.SetEditLimit(perWindow, window)
			f.SharePostsWithEdits()
			n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
			ctx := context.Background()
			a := testAlert("Aleppo")
			sent := 0
			do := func(what string) {
				t.Helper()
				var err error
				switch what {
				case "post":
					sent++
					_, err = n.Send(ctx, oneAlert(fmt.Sprint("p-", sent), "Aleppo"))
				case "edit":
					a.Also = reports(len(a.Also) + 1)
					err = n.(notify.Editor).Edit(ctx, notify.Edit{MessageID: f.AllMessages()[0].ID, Message: notify.Message{Alerts: []alert.Alert{a}}})
				}
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			do("post") // the first answers tell each route's bucket
			do("edit")
			for range perWindow - 2 {
				do(tt.useUp)
			}
			do(tt.then)
			if got := f.Count429(""); got != 0 {
				for _, r := range f.Requests("") {
					t.Logf("%s %s: %d", r.At.Format("15:04:05.000"), r.Route, r.Status)
				}
				t.Errorf("the fake answered %d 429s, want none: the routes share one bucket of %d per %s", got, perWindow, window)
			}
		})
	}
}

// A route's bucket is its own until an answer names its X-RateLimit-Bucket;
// then the hash with the route's major parameter, which the hash leaves
// out.
func TestBucketKey(t *testing.T) {
	lim := NewLimiter(LimiterConfig{})
	lim.hashes[routeShape("POST channels/1/messages")] = "h1"
	lim.hashes[routeShape("PATCH channels/1/messages/{message_id}")] = "h1"
	lim.hashes[routeShape("POST webhooks/6")] = "h2"
	for _, tt := range []struct{ route, want string }{
		{"POST channels/2/messages", "bucket h1 channels/2"},
		{"PATCH channels/2/messages/{message_id}", "bucket h1 channels/2"},
		{"POST channels/3/messages", "bucket h1 channels/3"},
		{"POST webhooks/6", "bucket h2 webhooks/6"},
		{"PATCH webhooks/6/messages/{message_id}", "PATCH webhooks/6/messages/{message_id}"},
		{"POST channels/2/threads", "POST channels/2/threads"},
	} {
		if got := lim.bucketKey(tt.route); got != tt.want {
			t.Errorf("bucketKey(%q) = %q, want %q", tt.route, got, tt.want)
		}
	}
}

// After a start the Limiter knows no route's bucket. It used to let every
// request of a new route through until the first answer told the
// bucket's size, so a burst onto a channel (a backlog, several stories
// edited at once) got Discord's 429 for each request past the bucket.
// The first request of a route it knows nothing of now goes alone, and
// the others wait for its answer.
func TestNewRouteBurstWaitsForTheFirstAnswer(t *testing.T) {
	const (
		perWindow = 2
		burst     = 6
	)
	f := fakediscord.New(t)
	f.RateLimit("POST channels/"+testChannel+"/messages", perWindow, 500*time.Millisecond)
	n := NewChannelNotifier(newTestSession(t, f, "test-token"), testChannel, NewLimiter(LimiterConfig{}))
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			if _, err := n.Send(context.Background(), oneAlert(fmt.Sprint("b-", i), "Aleppo")); err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	checkBurstPaced(t, f, burst, perWindow, "")
}

// checkBurstPaced fails t unless a burst of burst posts onto testChannel,
// a route of perWindow per window new to the Limiter, got no 429 and all
// went out; when says when the burst was sent, if it matters.
func checkBurstPaced(t *testing.T, f *fakediscord.Server, burst, perWindow int, when string) {
	t.Helper()
	if got := f.Count429(""); got != 0 {
		t.Errorf("the fake answered %d 429s to a burst of %d onto a new route of %d per window%s, want none", got, burst, perWindow, when)
	}
	if got := len(f.Messages(testChannel)); got != burst {
		t.Errorf("%d messages posted, want %d", got, burst)
	}
}

// A route's 429 holds the route until its reset. Two answers used to lift
// that hold early, and the next request went out into the 429's window:
// an answer to a request sent before the 429 that arrived after it
// (answers may come out of order), whose headers still told of room; and
// an answer on another channel that told the route's shape's bucket hash,
// after which the route counted in a new bucket that knew nothing of the
// 429 (noted under the route, the hash unknown then: Discord's 429 of a
// shared resource names no bucket).
func TestAnswersDoNotLiftA429(t *testing.T) {
	const route = "POST channels/1/messages"
	limits := func(remaining int, hash string) http.Header {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
		h.Set("X-RateLimit-Reset-After", "0.400")
		h.Set("X-RateLimit-Reset", "w1")
		if hash != "" {
			h.Set("X-RateLimit-Bucket", hash)
		}
		return h
	}
	tests := []struct {
		name string
		// after is what is answered after the route's 429 (with the route
		// and the bucket key its request was let through under).
		after func(lim *Limiter) (route, key string, h http.Header)
	}{
		{"an answer to a request sent before the 429", func(lim *Limiter) (string, string, http.Header) {
			return route, route, limits(4, "")
		}},
		{"another channel's answer names the bucket hash", func(lim *Limiter) (string, string, http.Header) {
			other := "POST channels/2/messages"
			reserved := false
			_, _, adm := lim.reserve(other, &reserved)
			return other, adm.key, limits(4, "h1")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6})
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			lim.clock = func() time.Time { return now }
			admit := func() time.Duration {
				t.Helper()
				reserved := false
				wait, _, _ := lim.reserve(route, &reserved)
				return wait
			}
			admit()
			now = now.Add(firstAnswer) // its answer is late: the next goes too
			admit()
			// One is answered: a 429 of a shared resource, no headers.
			limited := &exchange{status: http.StatusTooManyRequests, header: http.Header{"X-Ratelimit-Scope": {"shared"}},
				body: []byte(`{"message":"You are being rate limited.","retry_after":1.0,"global":false}`)}
			if err := lim.observe(route, route, limited, nil); err == nil {
				t.Fatal("a 429 observed as no error")
			}
			r, key, h := tt.after(lim)
			if err := lim.observe(r, key, &exchange{status: http.StatusOK, header: h}, nil); err != nil {
				t.Fatal(err)
			}
			now = now.Add(100 * time.Millisecond)
			if wait := admit(); wait < 800*time.Millisecond {
				t.Errorf("100 ms into a 1 s 429: the next request waits %v, want the 900 ms left", wait)
			}
		})
	}
}

// A 429 asking for a year (or milliseconds written as seconds) held every
// send of the token, or the route's, for that year, in memory until a
// restart, though the sender waits out a destination's Retry-After a day
// at most; one past what a time.Duration holds wrapped round to a wait in
// the past, and the next request went out into the 429. The Limiter's
// hold is now bounded at a day too (maxHold).
func TestLimiterHoldsA429ADayAtMost(t *testing.T) {
	const year = "31536000"
	body := func(after string, global bool) []byte {
		return []byte(fmt.Sprintf(`{"message":"You are being rate limited.","retry_after":%s,"global":%t}`, after, global))
	}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"route 429's retry_after", http.Header{}, body(year, false)},
		{"route 429's X-RateLimit-Reset-After", http.Header{"X-Ratelimit-Reset-After": {year}}, body("1.0", false)},
		{"global 429", http.Header{"X-Ratelimit-Global": {"true"}}, body(year, true)},
		{"Cloudflare's Retry-After", http.Header{"Retry-After": {year}}, []byte("<html>blocked</html>")},
		{"a retry_after past what a Duration holds", http.Header{}, body("1e12", false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const route = "POST channels/1/messages"
			lim := NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6})
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			lim.clock = func() time.Time { return now }
			reserved := false
			if wait, _, _ := lim.reserve(route, &reserved); wait != 0 {
				t.Fatalf("first request waits %v", wait)
			}
			err := lim.observe(route, route, &exchange{status: http.StatusTooManyRequests, header: tt.header, body: tt.body}, nil)
			var re *notify.RetryError
			if !errors.As(err, &re) {
				t.Fatalf("429 observed as %v, want a RetryError", err)
			}
			if re.After <= 0 || re.After > 24*time.Hour {
				t.Errorf("RetryError.After = %v, want at most a day", re.After)
			}
			reserved = false
			if wait, _, _ := lim.reserve(route, &reserved); wait <= 0 || wait > 24*time.Hour {
				t.Errorf("the next request waits %v, want at most a day (and some wait)", wait)
			}
			now = now.Add(24*time.Hour + time.Second)
			reserved = false
			if wait, reason, _ := lim.reserve(route, &reserved); wait != 0 {
				t.Errorf("a day later the next request still waits %v (%s)", wait, reason)
			}
		})
	}
}

// The Limiter admitted a request, counting it in its route's bucket and
// as the route's first, before the request had a discordgo bucket id to
// go under; with every id taken by a hung request, it waited for one, the
// others of its route stopped waiting for its answer (firstAnswer) and
// were admitted too, and once the hung requests ended they all went out
// together, past the bucket Discord had not yet told the size of. A
// request now takes its id first, and is admitted when it can go.
func TestHungRequestsDoNotUnpaceANewRoute(t *testing.T) {
	const (
		perWindow = 2
		burst     = 6
	)
	f := fakediscord.New(t)
	s := newTestSession(t, f, "test-token")
	lim := NewLimiter(LimiterConfig{})
	var hung, sends sync.WaitGroup
	var releases []func()
	// webhooks, whose answers tell nothing of a channel's bucket
	hooks := func(i int) string { return fmt.Sprint("POST webhooks/", 900000000000000100+i) }
	for i := range maxInFlight {
		releases = append(releases, f.Hold(hooks(i)))
		d := config.Destination{Type: config.DiscordWebhook, WebhookURL: f.AddWebhook(fmt.Sprint(900000000000000100+i), "200000000000000099")}
		n, err := NewDestinationNotifier(s, d, lim)
		if err != nil {
			t.Fatal(err)
		}
		hung.Go(func() { _, _ = n.Send(context.Background(), oneAlert(fmt.Sprint("h-", i), "Aleppo")) })
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		waiting := 0
		for i := range maxInFlight {
			waiting += f.Waiting(hooks(i))
		}
		if waiting == maxInFlight {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests held", waiting, maxInFlight)
		}
	}
	f.RateLimit("POST channels/"+testChannel+"/messages", perWindow, 500*time.Millisecond)
	n := NewChannelNotifier(s, testChannel, lim)
	for i := range burst {
		sends.Go(func() {
			if _, err := n.Send(context.Background(), oneAlert(fmt.Sprint("b-", i), "Aleppo")); err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		})
	}
	time.Sleep(firstAnswer + 200*time.Millisecond) // longer than a first answer is waited for
	for _, release := range releases {
		release()
	}
	hung.Wait()
	sends.Wait()
	checkBurstPaced(t, f, burst, perWindow, " sent once hung requests ended")
}

// The first request of a route the Limiter knows nothing of goes alone
// until its answer (firstAnswer). One that got no answer (a connection
// reset, a timeout) left the route's first request dated when it went
// out, so once that was a second ago the next request of the route was
// not waited for: a burst after it went out together, past the bucket.
// The next request is the route's first again.
func TestFirstRequestWithoutAnswerLeavesTheNextOneFirst(t *testing.T) {
	const route = "POST channels/1/messages"
	tests := []struct {
		name  string
		after time.Duration // when the first request ends without an answer
	}{
		{"no answer at once", 0},
		{"no answer after a timeout", 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := NewLimiter(LimiterConfig{PerSecond: 1e6, Burst: 1e6})
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			lim.clock = func() time.Time { return now }
			admit := func() (time.Duration, admission) {
				reserved := false
				wait, _, adm := lim.reserve(route, &reserved)
				return wait, adm
			}
			_, first := admit()
			now = now.Add(tt.after)
			lim.unanswered(first.key)
			if wait, _ := admit(); wait != 0 {
				t.Fatalf("the next request waits %v, want it to go", wait)
			}
			if wait, _ := admit(); wait == 0 {
				t.Errorf("the one after it went too, want it to wait for the answer to the route's first")
			}
		})
	}
}
