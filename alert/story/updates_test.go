package story

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/newshound/newshound/internal/corpus"
	"github.com/newshound/newshound/internal/storycorpus"
)

// stormBlog is an invented live blog, newest entry first, one entry a
// paragraph.
var stormBlog = []string{
	"Updated 16:05 GMT",
	"UPDATE 16:05 GMT: The coast guard says two fishing boats are missing off Port Ellery. Rescue helicopters were sent from Dunmore at noon.",
	"UPDATE 15:40 GMT: Power is out for about 40,000 homes in the northern districts, the grid operator said.",
	"Storm Hilde made landfall on Tuesday morning with gusts of 140 km/h. Schools across the region are closed until further notice.",
	"Forecasters at the Meteorological Office warned that the worst of the rain is still to come. Live coverage: https://news.example.org/live/storm-hilde",
}

const stormTitle = "Storm Hilde live: coast braces for flooding - March 10, 2014"

func joinParagraphs(ps ...string) string { return strings.Join(ps, "\n\n") }

func TestAddedInventedCases(t *testing.T) {
	// The label of a new entry is a sentence old has ("update", once its
	// time is dropped): it is not part of the added text, which the caller
	// posts under a label of its own.
	newEntry := "UPDATE 17:15 GMT: Water has reached the town square of Port Ellery. Residents of the harbour streets are told to leave now."
	newEntryText := "Water has reached the town square of Port Ellery. Residents of the harbour streets are told to leave now."
	tests := []struct {
		name              string
		oldTitle, oldText string
		newTitle, newText string
		want              string
		unrelated         bool // no longer the same item
	}{
		{
			name:     "a live blog adds one paragraph at the top",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(append([]string{"Updated 17:15 GMT", newEntry}, stormBlog[1:]...)...),
			want: newEntryText,
		},
		{
			name:     "a live blog adds one paragraph at the bottom",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(append(slices.Clone(stormBlog), "Trains between Dunmore and the coast have stopped.")...),
			want: "Trains between Dunmore and the coast have stopped.",
		},
		{
			name:     "two paragraphs added in the middle, in their order",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(stormBlog[0], stormBlog[1],
				"The mayor has opened the sports hall as a shelter.",
				"Volunteers are filling sandbags at the fire station. Bring a shovel if you can.",
				stormBlog[2], stormBlog[3], stormBlog[4]),
			want: "The mayor has opened the sports hall as a shelter.\n\nVolunteers are filling sandbags at the fire station. Bring a shovel if you can.",
		},
		{
			name:     "only the Updated timestamp changed",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(append([]string{"Updated 17:15 GMT"}, stormBlog[1:]...)...),
		},
		{
			name:     "a timestamp written another way",
			oldTitle: "Flood watch for the valley", oldText: "Last updated at 4:05 p.m. EST on Tuesday. The river is rising.",
			newTitle: "Flood watch for the valley", newText: "Last updated at 10 a.m. EST on Wednesday. The river is rising.",
		},
		{
			name:     "the date in the title changed",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: "Storm Hilde live: coast braces for flooding - March 11, 2014", newText: joinParagraphs(stormBlog...),
		},
		{
			name:     "relative times moved on",
			oldTitle: "Markets today", oldText: "Posted 3 hours ago. Shares in Halvorsen Shipping fell sharply. Comment added 5 minutes ago.",
			newTitle: "Markets today", newText: "Posted 4 hours ago. Shares in Halvorsen Shipping fell sharply. Comment added an hour ago.",
		},
		{
			name:     "whitespace and punctuation only",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: "Storm Hilde live — coast braces for flooding, March 10 2014",
			newText: strings.NewReplacer(". ", ".   ", ",", "", "coast guard", "coast-guard", ": ", " - ").Replace(
				joinParagraphs(stormBlog...)) + "\n\n\n",
		},
		{
			name:     "U.S. and US, cease-fire and ceasefire",
			oldTitle: "Talks resume", oldText: "The U.S. envoy proposed a cease-fire in the valley.",
			newTitle: "Talks resume", newText: "The US envoy proposed a ceasefire in the valley!",
		},
		{
			name:     "tracking parameters added to a link",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: strings.Replace(joinParagraphs(stormBlog...),
				"https://news.example.org/live/storm-hilde",
				"http://www.news.example.org/live/storm-hilde?utm_source=twitter&utm_medium=social&fbclid=IwAR0xyz#latest", 1),
		},
		{
			name:     "the link of a bare domain gets a gclid",
			oldTitle: "Sale", oldText: "Details at shop.example.com/boots today.",
			newTitle: "Sale", newText: "Details at shop.example.com/boots?gclid=Cj0KCQ today.",
		},
		{
			name:     "paragraphs reordered",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(stormBlog[4], stormBlog[2], stormBlog[0], stormBlog[3], stormBlog[1]),
		},
		{
			name:     "one word of a sentence edited",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: strings.Replace(joinParagraphs(stormBlog...), "two fishing boats", "two ferry boats", 1),
			want: "The coast guard says two ferry boats are missing off Port Ellery.",
		},
		{
			name:     "a count revised",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: strings.Replace(joinParagraphs(stormBlog...), "40,000", "52,000", 1),
			want: "Power is out for about 52,000 homes in the northern districts, the grid operator said.",
		},
		{
			name:     "a count revised in the title",
			oldTitle: "Ferry capsizes off Port Ellery: 27 dead", oldText: "Rescuers are searching the harbour.",
			newTitle: "Ferry capsizes off Port Ellery: 31 dead", newText: "Rescuers are searching the harbour.",
			want: "Ferry capsizes off Port Ellery: 31 dead",
		},
		{
			name:     "a count written another way",
			oldTitle: "Evacuations", oldText: "About 40,000 people left the valley. The dam holds 3.5 million cubic metres.",
			newTitle: "Evacuations", newText: "About 40000 people left the valley! The dam holds 3.5 million cubic metres",
		},
		{
			name:     "times and dates written with numbers",
			oldTitle: "Flood log", oldText: "Gauge read at 17:15 on 12/03/2026: river at the 2014 mark. Next reading in 3 hours. Issued 2026-03-12 0915 GMT.",
			newTitle: "Flood log", newText: "Gauge read at 18:40 on 13/03/2026: river at the 2015 mark. Next reading in 2 hours. Issued 2026-03-13 1045 GMT.",
		},
		{
			name:     "text shortened",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(stormBlog[2:]...),
		},
		{
			name:     "an added paragraph that is only a time",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: stormTitle, newText: joinParagraphs(append([]string{"17:15 GMT, Tuesday 11 March"}, stormBlog...)...),
		},
		{
			name:     "a sentence added twice is added once",
			oldTitle: "Flood watch for the valley", oldText: "The river is rising.",
			newTitle: "Flood watch for the valley", newText: "Bridges are closed. The river is rising. Bridges are closed.",
			want: "Bridges are closed.",
		},
		{
			name:     "sentences added apart in one line are kept apart",
			oldTitle: "Flood watch for the valley", oldText: "The river is rising. Stay indoors.",
			newTitle: "Flood watch for the valley", newText: "Bridges are closed. The river is rising. Stay indoors. Buses run hourly.",
			want: "Bridges are closed.\n\nBuses run hourly.",
		},
		{
			name:     "a live blog flattened to one line, as plain-text extraction gives it",
			oldTitle: stormTitle, oldText: strings.Join(stormBlog[1:], " "),
			newTitle: stormTitle, newText: strings.Join(append([]string{newEntry}, stormBlog[1:]...), " "),
			want: newEntryText,
		},
		{
			name:     "the first labelled entry of a blog keeps its label",
			oldTitle: "Flood watch for the valley", oldText: "The river is rising.",
			newTitle: "Flood watch for the valley", newText: "UPDATE 09:30 BST: Bridges are closed.\nThe river is rising.",
			want: "UPDATE 09:30 BST: Bridges are closed.",
		},
		{
			name:     "a flattened live blog whose heading has no full stop",
			oldTitle: stormTitle, oldText: "Live coverage from our reporters on the coast " + strings.Join(stormBlog[1:], " "),
			newTitle: stormTitle, newText: "Live coverage from our reporters on the coast " + strings.Join(append([]string{newEntry}, stormBlog[1:]...), " "),
			want: newEntryText,
		},
		{
			name:     "a line break lost between a heading and a paragraph",
			oldTitle: "Flood watch for the valley", oldText: "What we know\nThe river is rising. Bridges are closed.",
			newTitle: "Flood watch for the valley", newText: "What we know The river is rising. Bridges are closed.",
		},
		{
			name:     "a sentence split in two by a full stop",
			oldTitle: "Flood watch for the valley", oldText: "The river is rising and bridges are closed. Stay indoors.",
			newTitle: "Flood watch for the valley", newText: "The river is rising. And bridges are closed. Stay indoors.",
		},
		{
			name:     "an old sentence run on into new text is added with it",
			oldTitle: "Flood watch for the valley", oldText: "The river is rising. Stay indoors.",
			newTitle: "Flood watch for the valley", newText: "The river is rising; Bridges are closed. Stay indoors.",
			want: "The river is rising; Bridges are closed.",
		},
		{
			name:     "the headline rewritten is added text",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: "Storm Hilde live: Port Ellery evacuated", newText: joinParagraphs(stormBlog...),
			want: "Storm Hilde live: Port Ellery evacuated",
		},
		{
			name:     "another story under the same key shares nothing",
			oldTitle: stormTitle, oldText: joinParagraphs(stormBlog...),
			newTitle: "Halvorsen Shipping names a new chief executive", newText: "The board chose Ingrid Vale, formerly of Nordhavn Lines. She starts in June.",
			unrelated: true,
		},
		{
			name:     "another live blog under the same key shares only a label and boilerplate",
			oldTitle: "Flood watch for the valley", oldText: "UPDATE 09:30 BST: The river is rising.\nAdvertisement",
			newTitle: "Election night", newText: "UPDATE 22:00 BST: Polls have closed.\nAdvertisement",
			unrelated: true,
		},
		{
			name:     "German: a sentence with umlauts added",
			oldTitle: "Sturm über Küstenorten", oldText: "Der Sturm erreichte am Montag die Küste. Tausende Menschen mussten ihre Häuser verlassen.",
			newTitle: "Sturm über Küstenorten", newText: "Der Sturm erreichte am Montag die Küste. Tausende Menschen mussten ihre Häuser verlassen. Die Behörden öffneten Notunterkünfte in Größenbach.",
			want: "Die Behörden öffneten Notunterkünfte in Größenbach.",
		},
		{
			name:     "German: umlauts decomposed, the weekday changed",
			oldTitle: "Sturm über Küstenorten", oldText: "Der Sturm erreichte am Montag die Küste.",
			newTitle: "Sturm u\u0308ber Ku\u0308stenorten", newText: "Der Sturm erreichte am Dienstag die Ku\u0308ste.",
		},
		{
			name:     "Arabic: a sentence added",
			oldTitle: "عاصفة تضرب الساحل", oldText: "قال مسؤولون إن العاصفة ضربت الساحل يوم الثلاثاء. وأجلت السلطات آلاف السكان.",
			newTitle: "عاصفة تضرب الساحل", newText: "قال مسؤولون إن العاصفة ضربت الساحل يوم الثلاثاء. وأجلت السلطات آلاف السكان. وفتحت المدارس أبوابها للنازحين.",
			want: "وفتحت المدارس أبوابها للنازحين.",
		},
		{
			name:     "Arabic: vowel marks added, the weekday changed",
			oldTitle: "عاصفة تضرب الساحل", oldText: "قال مسؤولون إن العاصفة ضربت الساحل يوم الثلاثاء.",
			newTitle: "عَاصِفَة تضرب الساحل", newText: "قال مسؤولون إن العاصفة ضَرَبَت الساحل يوم الأربعاء.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := SignText(tt.oldTitle, tt.oldText)
			if got := Added(old, tt.newTitle, tt.newText); got != tt.want {
				t.Errorf("Added = %q, want %q", got, tt.want)
			}
			if tt.want != "" {
				return
			}
			// Nothing added: it must be because the change is cosmetic,
			// not because the item was not recognized. A new paragraph
			// shows which.
			probe, want := "A paragraph nobody wrote before.", "A paragraph nobody wrote before."
			if tt.unrelated {
				want = ""
			}
			if got := Added(old, tt.newTitle, tt.newText+"\n"+probe); got != want {
				t.Errorf("with a paragraph added: Added = %q, want %q", got, want)
			}
		})
	}
}

// TestAddedTimesWrittenWithFullStops: British, Australian and German
// papers write times and dates with full stops ("5.15pm", "17.15 BST",
// "12.03.2026, 17.15 Uhr") and an ISO timestamp has its time after a
// "T": a time or date moved on is no update, even in a sentence that
// names the story. Decimals and counts written with full stops still
// count.
func TestAddedTimesWrittenWithFullStops(t *testing.T) {
	const body = "Government forces pressed on with the offensive in eastern Aleppo. Residents said the shelling went on through the night."
	tests := []struct {
		name              string
		oldTitle, oldText string
		newTitle, newText string
		want              string
	}{
		{
			name:     "an updated line with a time and a zone",
			oldTitle: "Aleppo live", oldText: "Updated at 17.15 BST\n\n" + body,
			newTitle: "Aleppo live", newText: "Updated at 17.40 BST\n\n" + body,
		},
		{
			name:     "a time with pm joined",
			oldTitle: "Aleppo live", oldText: "Aleppo: evacuation resumes, updated 5.15pm GMT\n\n" + body,
			newTitle: "Aleppo live", newText: "Aleppo: evacuation resumes, updated 6.05pm GMT\n\n" + body,
		},
		{
			name:     "a time with a.m. apart",
			oldTitle: "Aleppo live", oldText: "Aleppo convoy left at 9.05 a.m. " + body,
			newTitle: "Aleppo live", newText: "Aleppo convoy left at 10.35 a.m. " + body,
		},
		{
			name:     "the time in the title",
			oldTitle: "Aleppo live, updated 17.15 GMT", oldText: body,
			newTitle: "Aleppo live, updated 17.40 GMT", newText: body,
		},
		{
			name:     "a German date and time",
			oldTitle: "Aleppo live", oldText: "Aleppo, Stand: 12.03.2026, 17.15 Uhr\n\n" + body,
			newTitle: "Aleppo live", newText: "Aleppo, Stand: 13.03.2026, 09.05 Uhr\n\n" + body,
		},
		{
			name:     "an ISO timestamp",
			oldTitle: "Aleppo live", oldText: "Aleppo as of 2026-03-12T17:15:03Z\n\n" + body,
			newTitle: "Aleppo live", newText: "Aleppo as of 2026-03-12T17:25:43Z\n\n" + body,
		},
		{
			name:     "a revised decimal count",
			oldTitle: "Aleppo live", oldText: "Aleppo: 3.5 million people need aid.\n\n" + body,
			newTitle: "Aleppo live", newText: "Aleppo: 4.2 million people need aid.\n\n" + body,
			want: "Aleppo: 4.2 million people need aid.",
		},
		{
			name:     "a revised count in German thousands",
			oldTitle: "Aleppo live", oldText: "Aleppo: 1.234.567 Menschen brauchen Hilfe.\n\n" + body,
			newTitle: "Aleppo live", newText: "Aleppo: 1.300.000 Menschen brauchen Hilfe.\n\n" + body,
			want: "Aleppo: 1.300.000 Menschen brauchen Hilfe.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Added(SignText(tt.oldTitle, tt.oldText), tt.newTitle, tt.newText); got != tt.want {
				t.Errorf("Added = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddedNeedsAnOldSignature(t *testing.T) {
	if got := Added(TextSig{}, stormTitle, joinParagraphs(stormBlog...)); got != "" {
		t.Errorf("Added(zero signature) = %q, want \"\"", got)
	}
	if sig := SignText("12 March 2014", "16:05 GMT"); !sig.IsZero() {
		t.Errorf("SignText of a date and a time: %d sentences, want none", sig.Len())
	}
}

// TestSignTextSentences checks where text is split into sentences, and that
// Added gives all of them back, as written, when all are new.
func TestSignTextSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"full stops, questions, exclamations", `Ships left. Did they return? No! They did not.`,
			[]string{"Ships left.", "Did they return?", "No!", "They did not."}},
		{"abbreviations and initials", `Mr. Vale met Gov. Rhee in the U.S. Capitol on Jan. 4. John F. Kerr joined them.`,
			[]string{"Mr. Vale met Gov. Rhee in the U.S. Capitol on Jan. 4.", "John F. Kerr joined them."}},
		{"closing quotes stay with their sentence", `"We are ready," she said. "Are you?" He nodded.`,
			[]string{`"We are ready," she said.`, `"Are you?"`, `He nodded.`}},
		{"no split before lower case or digits", `Prices rose approx. three percent. Room no. 5 was empty.`,
			[]string{"Prices rose approx. three percent.", "Room no. 5 was empty."}},
		{"decimals and domains", `Growth was 2.5 percent, says example.com. Fine.`,
			[]string{"Growth was 2.5 percent, says example.com.", "Fine."}},
		{"ellipsis", `They waited... Then the bus came.`, []string{"They waited...", "Then the bus came."}},
		{"Arabic", `ضربت العاصفة الساحل. هل عادت السفن؟ لم تعد.`, []string{"ضربت العاصفة الساحل.", "هل عادت السفن؟", "لم تعد."}},
		{"Chinese full stops", `风暴登陆了。学校停课。`, []string{"风暴登陆了。", "学校停课。"}},
	}
	const title = "Notes from the coast"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sentences []string
			for _, sp := range sentenceBounds(tt.text) {
				sentences = append(sentences, tt.text[sp.start:sp.end])
			}
			if !slices.Equal(sentences, tt.want) {
				t.Errorf("sentences %q, want %q", sentences, tt.want)
			}
			if got := Added(SignText(title, ""), title, tt.text); got != tt.text {
				t.Errorf("Added = %q, want all the text", got)
			}
		})
	}
}

func TestSignTextStopsAt500Sentences(t *testing.T) {
	var lines []string
	for i := range 600 {
		lines = append(lines, fmt.Sprintf("Entry %s says the water rose.", wordFor(i)))
	}
	text := strings.Join(lines, "\n")
	old := SignText("Flood log", text)
	if got, want := old.Len(), maxSignedSentences; got != want {
		t.Fatalf("signed %d sentences, want %d", got, want)
	}
	tests := []struct {
		name, text, want string
	}{
		{"added past the limit: not seen", text + "\nThe dam broke.", ""},
		{"added at the top: seen", "The dam broke.\n" + text, "The dam broke."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Added(old, "Flood log", tt.text); got != tt.want {
				t.Errorf("Added = %q, want %q", got, tt.want)
			}
		})
	}
}

// wordFor spells i in letters, so that no word is a count or a year,
// and after a "q", so that no word is a time word ("am", "may").
func wordFor(i int) string {
	b := []byte{'q'}
	for {
		b = append(b, byte('a'+i%26))
		if i /= 26; i == 0 {
			return string(b)
		}
	}
}

func TestTextSigUnionRemembersTextThatComesBack(t *testing.T) {
	full := joinParagraphs(stormBlog...)
	summary := stormBlog[3]
	tests := []struct {
		name  string
		union bool
		want  []string // Added at each fetch after the first
	}{
		{"union: the full text once", true, []string{"", ""}},
		{"replace: the full text each time it comes back", false, []string{"", "nonempty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := SignText(stormTitle, full)
			for i, text := range []string{summary, full} {
				got := Added(stored, stormTitle, text)
				if (got != "") != (tt.want[i] != "") {
					t.Errorf("fetch %d: Added = %q, want empty: %v", i+2, got, tt.want[i] == "")
				}
				next := SignText(stormTitle, text)
				if tt.union {
					next = stored.Union(next)
				}
				stored = next
			}
		})
	}
}

func TestTextSigUnionIsBounded(t *testing.T) {
	var a, b []string
	for i := range 400 {
		a = append(a, fmt.Sprintf("Old %s note.", wordFor(i)))
		b = append(b, fmt.Sprintf("New %s note.", wordFor(i)))
	}
	newer := SignText("", strings.Join(b, "\n"))
	u := SignText("", strings.Join(a, "\n")).Union(newer)
	if got, want := u.Len(), maxSignedSentences; got != want {
		t.Errorf("union of 400 and 400 sentences: %d, want %d", got, want)
	}
	for _, v := range newer.sums {
		if !u.has(v) {
			t.Fatalf("union lost a sentence of the newer signature")
		}
	}
}

// TestTextSigReadRightAtTheBound marks a signature of the most sentences
// it holds: the mark survives an encoding and a union with text signed
// since, and counts as no sentence.
func TestTextSigReadRightAtTheBound(t *testing.T) {
	var lines []string
	for i := range maxSignedSentences + 20 {
		lines = append(lines, fmt.Sprintf("Old %s note.", wordFor(i)))
	}
	full := SignText("", strings.Join(lines, "\n"))
	marked := full.ReadRight()
	b, err := marked.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var decoded TextSig
	if err := decoded.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary of a marked signature of %d sentences: %v", full.Len(), err)
	}
	for name, sig := range map[string]TextSig{
		"marked":                 marked,
		"decoded":                decoded,
		"in a union with itself": decoded.Union(full),
		"in a union with others": decoded.Union(SignText("", strings.Join(lines[20:], "\n"))),
	} {
		if !sig.IsReadRight() || sig.Len() != maxSignedSentences {
			t.Errorf("%s: read right %v, %d sentences; want true, %d", name, sig.IsReadRight(), sig.Len(), maxSignedSentences)
		}
	}
}

func TestTextSigEncodingRoundTrip(t *testing.T) {
	for _, sig := range []TextSig{
		{},
		SignText("One", ""),
		SignText(stormTitle, joinParagraphs(stormBlog...)),
	} {
		b, err := sig.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(b), 2+8*sig.Len(); got != want {
			t.Errorf("%d sentences encode in %d bytes, want %d", sig.Len(), got, want)
		}
		var got TextSig
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", b, err)
		}
		if !slices.Equal(got.sums, sig.sums) {
			t.Errorf("round trip: got %x, want %x", got.sums, sig.sums)
		}
	}
}

func TestTextSigEncodingErrors(t *testing.T) {
	good, _ := SignText(stormTitle, joinParagraphs(stormBlog...)).MarshalBinary()
	swapped := slices.Clone(good)
	copy(swapped[2:10], good[10:18])
	copy(swapped[10:18], good[2:10])
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"count only", []byte{textSigVersion}},
		{"truncated", good[:len(good)-3]},
		{"bytes left over", append(slices.Clone(good), 0)},
		{"sums out of order", swapped},
		{"duplicate sums", append([]byte{textSigVersion, 2}, append(good[2:10:10], good[2:10]...)...)},
		{"too many sums", append([]byte{textSigVersion, 0xf5, 0x03}, make([]byte, 8*501)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sig TextSig
			err := sig.UnmarshalBinary(tt.b)
			if !errors.Is(err, ErrTextSig) {
				t.Errorf("UnmarshalBinary(%x…) = %v, want ErrTextSig", tt.b[:min(len(tt.b), 12)], err)
			}
		})
	}
}

// TestAddedCorpusArticles takes each paragraph out of each article of the
// corpus in turn and puts it back: Added must find the sentences it brings
// that the rest of the article lacks, and nothing else; the whole article
// against itself adds nothing. The same with the article in one line, as
// plain-text extraction gave it before feeds kept paragraphs: a heading without a full stop then runs
// on into the next sentence, and Added returns the two, but every run of
// text it returns must hold text of the paragraph put back.
func TestAddedCorpusArticles(t *testing.T) {
	articles, err := storycorpus.Articles(corpus.Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, article := range articles {
		paras := article.Paragraphs
		t.Run(article.Name, func(t *testing.T) {
			exact, oneLineExact := 0, 0
			full := strings.Join(paras, "\n")
			if got := Added(SignText("", full), "", full); got != "" {
				t.Errorf("the article against itself: Added = %q, want \"\"", got)
			}
			for k, para := range paras {
				without := strings.Join(slices.Delete(slices.Clone(paras), k, k+1), "\n")
				old := SignText("", without)
				got := Added(old, "", full)
				brings := slices.ContainsFunc(SignText("", para).sums, func(v uint64) bool { return !old.has(v) })
				if brings != (got != "") {
					t.Errorf("paragraph %d %.60q brings new sentences: %v, but Added = %q", k, para, brings, got)
				}
				if runsWithin(got, para) {
					exact++
				} else {
					t.Errorf("paragraph %d: Added returned %q, not all in the paragraph %q", k, got, para)
				}
				got = Added(SignText("", strings.ReplaceAll(without, "\n", " ")), "", strings.Join(paras, " "))
				if runsWithin(got, para) {
					oneLineExact++
				}
				for run := range strings.SplitSeq(got, "\n\n") {
					if !slices.ContainsFunc(sentenceBounds(para), func(sp span) bool {
						return strings.Contains(run, para[sp.start:sp.end])
					}) && !strings.Contains(para, run) {
						t.Errorf("paragraph %d in one line: Added returned %q, which holds nothing of the paragraph %q", k, run, para)
					}
				}
			}
			t.Logf("%d paragraphs put back: Added returned only their text for %d, and for %d in one line", len(paras), exact, oneLineExact)
		})
	}
}

// runsWithin reports whether every run of text Added returned is part of
// para.
func runsWithin(added, para string) bool {
	for run := range strings.SplitSeq(added, "\n\n") {
		if !strings.Contains(para, run) {
			return false
		}
	}
	return true
}

// benchText is an invented live blog of about 300 words.
func benchText() (old, full string) {
	entries := []string{
		"UPDATE 17:15 GMT: Water has reached the town square of Port Ellery, and residents of the harbour streets have been told to leave their homes now. Police are going door to door.",
		"UPDATE 16:05 GMT: The coast guard says two fishing boats are missing off Port Ellery. Rescue helicopters were sent from Dunmore at noon, but low cloud is hampering the search.",
		"UPDATE 15:40 GMT: Power is out for about 40,000 homes in the northern districts, the grid operator said. Crews cannot reach the damaged lines until the wind drops.",
		"UPDATE 14:10 GMT: The regional government has declared an emergency for the three coastal counties. The army will send trucks and soldiers to help with the evacuation.",
		"Storm Hilde made landfall on Tuesday morning with gusts of 140 km/h. Schools across the region are closed until further notice, and the ferry to the islands has stopped.",
		"Forecasters at the Meteorological Office warned that the worst of the rain is still to come, with up to 120 mm expected overnight in the hills above the river valley.",
		"Residents who need shelter can go to the sports hall on Mill Road or the community centre in Dunmore. Both have beds, food and medical staff on site.",
		"The harbour master has closed the port to all shipping until Thursday at the earliest. Two cargo ships that were due to dock this afternoon are waiting at anchor in the bay.",
		"Insurers say it is too early to estimate the cost of the damage, but farmers in the valley fear that much of the winter crop has already been lost to the floods.",
		"We will keep updating this page through the night. Send us your pictures and reports, but please do not put yourself in danger to take them.",
	}
	return joinParagraphs(entries[1:]...), joinParagraphs(entries...)
}

func BenchmarkSignText(b *testing.B) {
	_, full := benchText()
	b.ReportAllocs()
	b.SetBytes(int64(len(full)))
	for b.Loop() {
		SignText(stormTitle, full)
	}
	b.ReportMetric(float64(len(strings.Fields(full))), "words")
}

func BenchmarkAdded(b *testing.B) {
	old, full := benchText()
	var long []string
	for i := range 600 {
		long = append(long, fmt.Sprintf("Entry %s of a long text that shares nothing with the old one but its title, twenty words or so.", wordFor(i)))
	}
	cases := []struct {
		name, old, text string
		want            bool
	}{
		{"one paragraph added", old, full, true},
		{"nothing added", full, full, false},
		// The bound: 500 sentences signed, all new and held for coverRun.
		{"600 sentences all new", "", strings.Join(long, " "), true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			sig := SignText(stormTitle, c.old)
			b.ReportAllocs()
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				if got := Added(sig, stormTitle, c.text); (got != "") != c.want {
					b.Fatalf("Added = %.80q, want text: %v", got, c.want)
				}
			}
		})
	}
}

// A poller keeps each item's text signature; when a seen item comes back
// with other text, Added says what it added, if anything worth posting.
func ExampleAdded() {
	title := "Storm Hilde live: coast braces for flooding"
	stored, _ := SignText(title, "Updated 16:05 GMT\nPower is out in the northern districts.").MarshalBinary()

	var old TextSig
	if err := old.UnmarshalBinary(stored); err != nil {
		fmt.Println(err)
		return
	}
	for _, text := range []string{
		"Updated 16:20 GMT\nPower is out in the northern districts.",
		"Updated 17:15 GMT\nUPDATE 17:15 GMT: Water has reached the town square.\nPower is out in the northern districts.",
	} {
		fmt.Printf("%q\n", Added(old, title, text))
		old = old.Union(SignText(title, text)) // what to store next
	}
	// Output:
	// ""
	// "UPDATE 17:15 GMT: Water has reached the town square."
}
