package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestReissuedItemIsNotPostedAgainLater: a feed that re-issues an item it
// still carries under its headline and link (a CMS migration gives every
// item a new GUID, its links gain a tracking parameter) re-issues the same
// item, which is not posted again however long after its alert that
// happens (the outbox's duplicate check holds 48 hours): undated items
// know no max_age, max_age: 0 is no age limit, and an item re-issued
// under a new date (an Atom entry dated by its <updated>, which the
// re-issue touched) is new to max_age. Another story under the same link
// is still posted.
func TestReissuedItemIsNotPostedAgainLater(t *testing.T) {
	const title = "Aleppo truce holds for a second night"
	const link = "https://wire.example/2026/11/21/aleppo-truce-holds"
	const newGUID = "https://wire.example/?p=9001"
	tests := []struct {
		name      string
		noAgeCap  bool          // max_age: 0, else 24h
		maxAge    time.Duration // max_age when not 0
		dated     bool
		redated   bool // the re-issue carries the time it was re-issued
		guid      string
		title     string // "" keeps the headline
		link      string
		reissueAt time.Duration // after the alert
		want      int           // alerts in all
	}{
		{"undated, a new GUID after 3 days", false, 0, false, false, newGUID, "", link, 72 * time.Hour, 1},
		{"undated, a tracking parameter after 3 days", false, 0, false, false, "urn:wire:1", "", link + "?utm_source=rss&utm_medium=feed", 72 * time.Hour, 1},
		{"undated, a new GUID and a tracking parameter after 3 days", false, 0, false, false, newGUID, "", link + "?utm_source=rss", 72 * time.Hour, 1},
		{"no age limit, a new GUID after 3 days", true, 0, true, false, newGUID, "", link, 72 * time.Hour, 1},
		{"no age limit, a new GUID after 10 days", true, 0, true, false, newGUID, "", link, 240 * time.Hour, 1},
		{"a new GUID and a new date after 3 days", false, 0, true, true, newGUID, "", link, 72 * time.Hour, 1},
		{"a new GUID after 1 day", false, 0, true, false, newGUID, "", link, 24 * time.Hour, 1},
		{"max_age 7 days, a new GUID after 3 days", false, 7 * 24 * time.Hour, true, false, newGUID, "", link, 72 * time.Hour, 1},
		{"a new date, another story under the link after 3 days", false, 0, true, true, newGUID, "Aleppo hospital reopens after airstrikes", link, 72 * time.Hour, 2},
		{"undated, another story under the link after 3 days", false, 0, false, false, newGUID, "Aleppo hospital reopens after airstrikes", link, 72 * time.Hour, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			if tt.noAgeCap {
				h.cfg.Subscriptions[0].MaxAge = 0 // newHarness takes 0 for 24h
			}
			if tt.maxAge != 0 {
				h.cfg.Subscriptions[0].MaxAge = tt.maxAge
			}
			var published time.Time
			if tt.dated {
				published = h.clock
			}
			first := testItem{GUID: "urn:wire:1", Title: title, Link: link, Description: "Residents reported a quiet night.", Published: published}
			h.afterFirstSight(first)
			h.runOnce()
			h.wantTitles(title)
			h.runDailyUntil(h.clock.Add(tt.reissueAt)) // the item stays in the feed
			again := first
			again.GUID, again.Link = tt.guid, tt.link
			if tt.redated {
				again.Published = h.clock
			}
			if tt.title != "" {
				again.Title = tt.title
			}
			h.write("wire.xml", item(1, "Unrelated", h.clock), again)
			h.clock = h.clock.Add(10 * time.Minute)
			h.runOnce()
			h.runOnce()
			if got := h.rec.titles(); len(got) != tt.want {
				t.Errorf("alerts: got %q, want %d", got, tt.want)
			}
		})
	}
}

// TestReissuedItemIsKnownPastTheRetention: what a link's key remembers of
// its headlines is kept while an item under the link is still in the
// feed, like the item's own seen key, however long that is: a feed that
// changes around an item for longer than the retention (30 days) and then
// re-issues it under a new GUID re-issues an item already posted. That
// holds for polls by processes of their own (run --once) and by one
// process, whose parser skips the items it parsed before (feeds.ItemMemo).
func TestReissuedItemIsKnownPastTheRetention(t *testing.T) {
	const title = "Aleppo truce holds for a second night"
	tests := []struct {
		name       string
		oneProcess bool
		every      time.Duration // between polls
	}{
		{"a process per poll, every 2 days", false, 48 * time.Hour},
		{"one process, every 12 hours", true, 12 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			// Undated: max_age refuses no re-issue, the headlines are all
			// that tell it.
			first := testItem{GUID: "urn:wire:1", Title: title, Link: "https://wire.example/2026/11/21/aleppo-truce-holds",
				Description: "Residents reported a quiet night."}
			h.afterFirstSight(first)
			poll := h.runOnce
			if tt.oneProcess {
				svc, st := h.open()
				t.Cleanup(func() { st.Close() })
				poll = func() {
					if _, err := svc.RunOnce(context.Background()); err != nil {
						t.Fatalf("RunOnce: %v", err)
					}
				}
			}
			poll()
			h.wantTitles(title)
			// The feed changes around the item for 32 days.
			n := 100
			for end := h.clock.Add(32 * 24 * time.Hour); h.clock.Before(end); {
				h.clock = h.clock.Add(tt.every)
				n++
				h.write("wire.xml", item(n, fmt.Sprintf("Markets move, day %d", n), time.Time{}), first)
				poll()
			}
			again := first
			again.GUID = "https://wire.example/?p=9001"
			h.clock = h.clock.Add(tt.every)
			h.write("wire.xml", item(n+1, "Markets close", time.Time{}), again)
			poll()
			h.wantTitles(title)
		})
	}
}

// TestReissueKnownBesideAnItemCutOutByTheMemo: two items under one link,
// the first of them left out of a later parse because the document
// repeats it byte for byte (feeds.ItemMemo): the link's key keeps the
// first's headline beside the second's, so the first re-issued under a
// new GUID is no news.
func TestReissueKnownBesideAnItemCutOutByTheMemo(t *testing.T) {
	const link = "https://wire.example/live/aleppo"
	first := testItem{GUID: "urn:wire:1", Title: "Aleppo truce holds for a second night", Link: link,
		Description: "Residents reported a quiet night."}
	second := testItem{GUID: "urn:wire:2", Title: "Hospital reopens after airstrikes", Link: link,
		Description: "Doctors returned on Monday."}
	again := first
	again.GUID = "https://wire.example/?p=9001"
	tests := []struct {
		name  string
		steps [][]testItem // polled every 2 days, in one process
		want  []string
	}{
		{"the second beside the first, then the first re-issued",
			[][]testItem{{first}, {second, first}, {second, again}}, []string{first.Title, second.Title}},
		{"the first re-issued beside the second",
			[][]testItem{{first}, {second, first}, {again, second}}, []string{first.Title, second.Title}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo OR hospital"})
			h.afterFirstSight()
			svc, st := h.open()
			t.Cleanup(func() { st.Close() })
			for i, items := range tt.steps {
				h.clock = h.clock.Add(48 * time.Hour)
				h.write("wire.xml", items...)
				if _, err := svc.RunOnce(context.Background()); err != nil {
					t.Fatalf("step %d: RunOnce: %v", i, err)
				}
			}
			h.wantTitles(tt.want...)
		})
	}
}

// TestReissuedWithACreditIsNotPostedAgain: a feed that starts crediting
// its headlines (" - Newswire"), or stops, re-issues its items, also one
// whose headline ends in its source, which the credit's rule takes for a
// credit (BBC's "Coronavirus: How to wash your hands - in 20 seconds"):
// neither a backlog item (never posted) nor one posted 3 days before (past
// the outbox's duplicate check) is posted again.
func TestReissuedWithACreditIsNotPostedAgain(t *testing.T) {
	const link = "https://wire.example/2026/11/21/wash-your-hands"
	tests := []struct {
		name, first, again string
		backlog            bool // the item was in the feed at its first sight
	}{
		{"a credit added to a headline ending in its source", "How to wash your hands - in 20 seconds", "How to wash your hands - in 20 seconds - Newswire", false},
		{"a credit taken off a headline ending in its source", "How to wash your hands - in 20 seconds - Newswire", "How to wash your hands - in 20 seconds", false},
		{"a credit added to a backlog item's headline ending in its source", "How to wash your hands - in 20 seconds", "How to wash your hands - in 20 seconds - Newswire", true},
		{"a credit added to a plain headline", "How to wash your hands properly", "How to wash your hands properly - Newswire", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "hands", Query: "hands"})
			first := testItem{GUID: "urn:wire:1", Title: tt.first, Link: link, Description: "A doctor shows how."}
			want := []string{tt.first}
			if tt.backlog {
				h.write("wire.xml", first)
				want = nil
			} else {
				h.afterFirstSight(first)
			}
			h.runOnce()
			h.wantTitles(want...)
			h.runDailyUntil(h.clock.Add(72 * time.Hour))
			again := first
			again.GUID, again.Title = "https://wire.example/?p=9001", tt.again
			h.write("wire.xml", item(1, "Unrelated", h.clock), again)
			h.clock = h.clock.Add(10 * time.Minute)
			h.runOnce()
			h.wantTitles(want...)
		})
	}
}

// TestReissuedChineseHeadlineIsNotPostedAgain: a headline in Chinese has
// no word of four letters (each character is a word), so what a link
// remembered of it was nothing to compare a re-issue with: a feed that
// gave its items new GUIDs had each posted again, its whole backlog at
// once (China Digital Times' feed of 2015 in the corpus, 15 items). Its
// whole headline is what is remembered; another headline under the link
// is still another story, and a short generic one ("Live updates") is
// none to compare, as before.
func TestReissuedChineseHeadlineIsNotPostedAgain(t *testing.T) {
	const link = "https://wire.example/chinese/?p=385722"
	tests := []struct {
		name, first, again string
		backlog            bool // the item was in the feed at its first sight
		posted             bool // the re-issue is posted
	}{
		{"a backlog item", "中国军网：徐才厚在病榻上结束了可悲可耻的一生", "", true, false},
		{"an item posted 3 days before", "中国军网：徐才厚在病榻上结束了可悲可耻的一生", "", false, false},
		{"a credit added", "中国军网：徐才厚在病榻上结束了可悲可耻的一生", "中国军网：徐才厚在病榻上结束了可悲可耻的一生 - Newswire", true, false},
		{"another headline under the link", "中国军网：徐才厚在病榻上结束了可悲可耻的一生", "法广：新疆局势紧张两会期间再发两起暴力恐怖事件", false, true},
		{"a short generic headline", "Live updates", "", false, true},
		// China Digital Times names the source first: what follows " | "
		// is the headline, however few spaces it has, not a credit.
		{"a backlog item after its source", "新华网 | 徐才厚癌症恶化医治无效死亡", "", true, false},
		{"an item after its source, posted 3 days before", "纽约时报 | 今年两会 代表不再露富", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "all", Query: "feed:wire"})
			first := testItem{GUID: "urn:wire:1", Title: tt.first, Link: link, Description: "中国军网北京3月16日电"}
			var want []string
			if tt.backlog {
				h.write("wire.xml", first)
				h.runOnce()
			} else {
				h.runOnce()
				h.write("wire.xml", first)
				h.runOnce()
				want = append(want, tt.first)
			}
			h.wantTitles(want...)
			h.runDailyUntil(h.clock.Add(72 * time.Hour))
			again := first
			again.GUID = "https://wire.example/?p=9001"
			if tt.again != "" {
				again.Title = tt.again
			}
			if tt.posted {
				want = append(want, again.Title)
			}
			h.write("wire.xml", again)
			h.clock = h.clock.Add(10 * time.Minute)
			h.runOnce()
			h.wantTitles(want...)
		})
	}
}

// TestAnItemBackAfterTheRetentionIsPostedAgain holds README's "No
// duplicate" to its retention: an item's seen keys are kept 30 days after
// it left its feed (config's Retention, by which run --once prunes), so an
// item back within them is known, and one back after them, re-dated within
// max_age, is new again; one back with its old date is past max_age.
func TestAnItemBackAfterTheRetentionIsPostedAgain(t *testing.T) {
	const title = "Aleppo truce holds for a second night"
	tests := []struct {
		name    string
		gone    time.Duration
		redated bool
		again   bool // posted again
	}{
		{"gone 29 days, back re-dated", 29 * 24 * time.Hour, true, false},
		{"gone 31 days, back re-dated", 31 * 24 * time.Hour, true, true},
		{"gone 31 days, back with its date", 31 * 24 * time.Hour, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			it := item(2, title, h.clock)
			h.afterFirstSight(it)
			h.runOnce() // posted
			unrelated := item(1, "Unrelated", h.clock)
			// Past the hour by which a present key's last sight may lag
			// (the store's lastSeenGranularity).
			h.clock = h.clock.Add(2 * time.Hour)
			h.write("wire.xml", unrelated)
			h.runOnce() // the item has left the feed
			h.clock = h.clock.Add(tt.gone)
			h.runOnce() // prunes what was gone longer than the retention
			if tt.redated {
				it.Published = h.clock
			}
			h.write("wire.xml", unrelated, it)
			h.runOnce()
			want := []string{title}
			if tt.again {
				want = append(want, title)
			}
			h.wantTitles(want...)
		})
	}
}
