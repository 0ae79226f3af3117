package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/newshound/newshound/feeds"
)

// TestWithoutRereadsKeepsWhatIsNew upgrades over an item of a feed in
// ISO-8859-1 (or windows-1251) served as "charset=utf-8", followed for
// updates: versions before read its raw umlauts as U+FFFD, but those
// written as character references right. Each poll after the upgrade
// wants, of what the item says, only the sentences that are new, whatever
// reading of the others its stored signature knows.
func TestWithoutRereadsKeepsWhatIsNew(t *testing.T) {
	const (
		shots  = "In der Nacht habe es wieder Schüsse gegeben."
		calm   = "Die Waffen schweigen seit drei Tagen."
		greets = "Gr&#252;&#223;e aus Kiew, sagte der Sprecher."
		over   = "Über die Lage wird weiter verhandelt."
		troops = "Die Armee zog neue Truppen zusammen."
		econ   = "Die Ökonomen erwarten keine Besserung."
		mixed  = "Gr&#252;&#223;e aus Kiew, wo es wieder Schüsse gab."
		// A raw no-break space, read now as a space.
		nbsp = "Die Lage ist\u00a0ruhig."
		// One between two characters past ASCII, a space after them.
		euro = "Das Brot kostet 3\u00a0€ mehr."
		// Read as U+FFFD for each letter, one as the other.
		lugansk  = "Взрыв прогремел в Луганске."
		gorlovka = "Взрыв прогремел в Горловке."
	)
	long := manySentences(500) // a live blog of a signature's maximum
	tests := []struct {
		name    string
		charset string   // its label, "" for ISO-8859-1
		before  string   // the item's text at the last poll before the upgrade
		after   []string // its text at the polls after
		want    [][]string
	}{
		{"read right alone", "", calm + " " + shots, []string{calm + " " + shots}, [][]string{nil}},
		{"a sentence run on before, for its first letter", "", calm + " " + over, []string{calm + " " + over}, [][]string{nil}},
		{"read right, and a sentence gained meanwhile", "", calm + " " + shots,
			[]string{calm + " " + shots + " " + troops}, [][]string{{troops}}},
		{"a reference's umlaut, which versions before read right, beside a raw one", "", greets + " " + shots,
			[]string{greets + " " + shots}, [][]string{nil}},
		{"a sentence with an umlaut gained after the upgrade", "", calm + " " + shots,
			[]string{calm + " " + shots, calm + " " + shots + " " + econ, calm + " " + shots + " " + econ},
			[][]string{nil, {econ}, nil}},
		{"a reference's umlaut beside a raw one in one sentence", "", mixed + " " + calm,
			[]string{mixed + " " + calm, mixed + " " + calm + " " + troops}, [][]string{nil, {troops}}},
		{"that sentence beside a raw no-break space", "", mixed + " " + nbsp,
			[]string{mixed + " " + nbsp, mixed + " " + nbsp + " " + troops}, [][]string{nil, {troops}}},
		{"that sentence after a price in euros", "", euro + " " + mixed,
			[]string{euro + " " + mixed, euro + " " + mixed + " " + troops}, [][]string{nil, {troops}}},
		{"a signature of its maximum of sentences, then one gained in Cyrillic", "windows-1251", lugansk + " " + long,
			[]string{lugansk + " " + long, gorlovka + " " + lugansk + " " + long}, [][]string{nil, {gorlovka}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := map[string][]byte{}
			poll := func(text string, asBefore bool) []string {
				t.Helper()
				feed := legacyFeed(t, tt.charset, text, asBefore)
				tp := NewTextPoll(feed.Items)
				changes, sigs := tp.Changes(stored)
				if feed.OldCharset != "" {
					changes = tp.WithoutRereads(changes, stored, sigs, feed.ReadBefore)
				}
				for k, v := range sigs {
					stored[k] = v
				}
				var added []string
				for _, c := range changes {
					added = append(added, c.Added)
				}
				return added
			}
			poll(tt.before, true)
			for i, text := range tt.after {
				if got := poll(text, false); !slices.Equal(got, tt.want[i]) {
					t.Errorf("poll %d after the upgrade: updates %q, want %q", i+1, got, tt.want[i])
				}
			}
		})
	}
}

// manySentences is n sentences of words of ASCII letters, each its own.
func manySentences(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Report %c%c%c came in late. ", 'a'+i/676, 'a'+i/26%26, 'a'+i%26)
	}
	return strings.TrimSpace(b.String())
}

// legacyFeed parses an RSS item of text in the charset label names ("":
// ISO-8859-1) served as UTF-8, as this version reads it, or as versions
// before read it (U+FFFD for each byte of a letter written raw).
func legacyFeed(t *testing.T, label, text string, asBefore bool) *feeds.Feed {
	t.Helper()
	if label == "" {
		label = "ISO-8859-1"
	}
	charset, err := htmlindex.Get(label)
	if err != nil {
		t.Fatal(err)
	}
	doc := `<?xml version="1.0" encoding="` + label + `"?><rss version="2.0"><channel><title>Nachrichten</title>` +
		`<item><guid>n-1</guid><title>Waffenruhe in der Ostukraine</title><link>https://nachrichten.example/1</link>` +
		`<description>` + text + `</description></item></channel></rss>`
	b, err := charset.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if asBefore {
		if b, err = unicode.UTF8.NewDecoder().Bytes(b); err != nil {
			t.Fatal(err)
		}
	}
	feed, err := feeds.NewParser().Parse(b, "text/xml; charset=utf-8", "https://nachrichten.example/rss", now)
	if err != nil {
		t.Fatal(err)
	}
	feeds.FillText(feed.Items)
	if len(feed.Items) != 1 {
		t.Fatalf("%d items, want 1", len(feed.Items))
	}
	if !asBefore && feed.OldCharset == "" {
		t.Fatal("read right: no OldCharset")
	}
	return feed
}
