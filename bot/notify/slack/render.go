package slack

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// Slack's Block Kit limits, in characters of the text as sent.
const (
	MaxBlocks      = 50   // per message
	MaxText        = 3000 // a section's or context element's text
	MaxContextEls  = 10   // elements of a context block
	MaxBlockID     = 255
	maxTitle       = 300  // title shown in a section; longer ones are cut
	maxContextText = 600  // each context element; Slack shows it small
	maxFallback    = 500  // the notification text
	maxURL         = 2000 // longer links are not linked
)

const ellipsis = "…"

// Payload is the body of an incoming webhook POST.
type Payload struct {
	// Text is what notifications and screen readers show; with blocks,
	// the channel shows the blocks.
	Text        string  `json:"text"`
	Blocks      []Block `json:"blocks"`
	UnfurlLinks bool    `json:"unfurl_links"`
	UnfurlMedia bool    `json:"unfurl_media"`
}

// Block is a section, context or divider block.
type Block struct {
	Type     string `json:"type"`
	BlockID  string `json:"block_id,omitempty"`
	Text     *Text  `json:"text,omitempty"`     // section
	Elements []Text `json:"elements,omitempty"` // context
}

// Text is a mrkdwn text object. Verbatim stops Slack from turning bare
// URLs and channel names into links on its own.
type Text struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim,omitempty"`
}

func mrkdwn(s string) Text { return Text{Type: "mrkdwn", Text: s, Verbatim: true} }

// Render builds the message for alerts: per alert a section (the linked
// title and the excerpt, matched words in bold) and a context line (feed,
// matched words, subscription), dividers between alerts, within Slack's
// limits; alerts beyond what 50 blocks hold are counted in an "and N more"
// line. nonce, when set, goes into the block ids so a repeated post can be
// recognised (Slack itself does not drop repeats).
func Render(alerts []alert.Alert, nonce string) Payload {
	const perAlert = 3 // section, context, divider
	shown := len(alerts)
	if perAlert*shown-1 > MaxBlocks {
		shown = MaxBlocks / perAlert // 3 blocks each, less the last divider, leave one for "and N more"
	}
	p := Payload{Text: fallback(alerts)}
	for i, a := range alerts[:shown] {
		if i > 0 {
			p.Blocks = append(p.Blocks, Block{Type: "divider"})
		}
		section := mrkdwn(sectionText(a))
		p.Blocks = append(p.Blocks,
			Block{Type: "section", BlockID: blockID(nonce, i, "s"), Text: &section},
			Block{Type: "context", BlockID: blockID(nonce, i, "c"), Elements: contextElements(a)})
	}
	if more := len(alerts) - shown; more > 0 {
		p.Blocks = append(p.Blocks, Block{Type: "context", BlockID: blockID(nonce, shown, "more"),
			Elements: []Text{mrkdwn(fmt.Sprintf("_and %d more_", more))}})
	}
	return p
}

// blockID is "<nonce>.<alert>.<part>": unique in the message, the same on
// every retry. Empty without a nonce (Slack makes its own).
func blockID(nonce string, i int, part string) string {
	if nonce == "" {
		return ""
	}
	id := fmt.Sprintf("%s.%d.%s", nonce, i, part)
	if len(id) > MaxBlockID {
		return ""
	}
	return id
}

// sectionText is "*<link|title>*" and the excerpt below it.
func sectionText(a alert.Alert) string {
	title := render(a.Title, nil, maxTitle, false)
	if title == "" {
		title = "(untitled)"
	}
	head := "*" + title + "*"
	if link := linkTarget(a.Link); link != "" {
		// A "|" in the label is read as a second separator by some clients.
		head = "*<" + link + "|" + strings.ReplaceAll(title, "|", "\u2223") + ">*"
	}
	left := MaxText - utf8.RuneCountInString(head) - 1
	body := excerpt(a.Text, a.TextSpans, left)
	if body == "" {
		return head
	}
	return head + "\n" + body
}

// contextElements: feed, matched words, subscription.
func contextElements(a alert.Alert) []Text {
	feed := a.Feed
	if feed == "" {
		feed = a.FeedTitle
	}
	els := []Text{mrkdwn(render(feed, nil, maxContextText, false))}
	if len(a.Matched) > 0 {
		words := make([]string, 0, len(a.Matched))
		for _, w := range a.Matched {
			if r := render(w, nil, 60, false); r != "" {
				words = append(words, "*"+r+"*")
			}
		}
		els = append(els, mrkdwn(cutList("matched: ", words, maxContextText)))
	}
	if a.Subscription != "" {
		els = append(els, mrkdwn("subscription "+render(a.Subscription, nil, maxContextText-13, false)))
	}
	if !a.Published.IsZero() {
		// Slack shows the date in the reader's time zone, with the UTC
		// text as fallback.
		els = append(els, mrkdwn(fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>",
			a.Published.Unix(), a.Published.UTC().Format("2006-01-02 15:04 UTC"))))
	}
	for i := range els {
		if els[i].Text == "" {
			els[i].Text = "-"
		}
	}
	return els[:min(len(els), MaxContextEls)]
}

// cutList joins items after prefix, dropping the ones that do not fit.
func cutList(prefix string, items []string, limit int) string {
	out := prefix
	for i, it := range items {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		if utf8.RuneCountInString(out+sep+it)+2 > limit {
			return out + sep + ellipsis
		}
		out += sep + it
	}
	return out
}

// fallback is the notification text: the first title ("(untitled)" when
// it has none), and how many more.
func fallback(alerts []alert.Alert) string {
	if len(alerts) == 0 {
		return ""
	}
	text := render(alerts[0].Title, nil, maxFallback-20, false)
	if text == "" {
		text = "(untitled)" // as its section says; Slack refuses an empty text
	}
	if len(alerts) > 1 {
		text += fmt.Sprintf(" (+%d more)", len(alerts)-1)
	}
	return text
}

// linkTarget returns link escaped for <link|label>, or "" when it is not
// an http(s) URL Slack would link.
func linkTarget(link string) string {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	// url.Parse leaves | < > in a query; Slack reads them as the end of
	// the link, and wants & escaped like everywhere else.
	s := strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20", "&", "&amp;").Replace(u.String())
	if len(s) > maxURL {
		return ""
	}
	return s
}

// excerpt renders the text for a section within limit characters. When the
// first match lies beyond what fits, the excerpt starts shortly before it,
// after a "…", so the reader sees why the item matched.
func excerpt(text string, spans []alert.Span, limit int) string {
	spans = notify.NormalizeSpans(text, spans)
	if len(spans) == 0 || limit < 16 || utf8.RuneCountInString(text) <= limit {
		return render(text, spans, limit, true)
	}
	lead := limit / 4
	if utf8.RuneCountInString(text[:spans[0].Start]) <= limit-lead {
		return render(text, spans, limit, true)
	}
	start := spans[0].Start
	for n := 0; start > 0 && n < lead; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	if sp := strings.IndexFunc(text[start:spans[0].Start], unicode.IsSpace); sp >= 0 {
		start += sp
	}
	shifted := make([]alert.Span, 0, len(spans))
	for _, s := range spans {
		if s.End > start {
			shifted = append(shifted, alert.Span{Start: max(s.Start, start) - start, End: s.End - start})
		}
	}
	return ellipsis + " " + render(text[start:], shifted, limit-2, true)
}

// piece is one rendered unit of feed text: an escaped character or a
// collapsed run of white space.
type piece struct {
	text  string
	bold  bool
	space bool
	br    bool // a line break
}

// render escapes feed text for mrkdwn, bolds the spans (byte offsets into
// text, normalized) and cuts it on a word boundary so that the result,
// markers and "…" included, has at most limit characters. Line breaks
// are kept (at most one blank line) when breaks is set, else folded.
func render(text string, spans []alert.Span, limit int, breaks bool) string {
	if limit <= 0 {
		return ""
	}
	ps, more := pieces(text, spans, breaks, limit)
	n := len(ps)
	if more || length(ps) > limit {
		n = cutPoint(ps, limit-1)
	}
	out := join(ps[:n])
	if n < len(ps) || more {
		out += ellipsis
	}
	return out
}

// pieces splits text into escaped characters and folded white space. It
// stops once the pieces are longer than limit, which bounds the work for
// huge text, and reports whether it did.
func pieces(text string, spans []alert.Span, breaks bool, limit int) (ps []piece, more bool) {
	chars := 0
	for i := 0; i < len(text); {
		if chars > limit {
			return ps, true
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		bold := inSpans(spans, i)
		switch {
		case notify.IsHiddenControl(r):
			i += size
			continue
		case unicode.IsSpace(r):
			end, newlines := i, 0
			for end < len(text) {
				r, size := utf8.DecodeRuneInString(text[end:])
				if !unicode.IsSpace(r) && !notify.IsHiddenControl(r) {
					break
				}
				if r == '\n' {
					newlines++
				}
				end += size
			}
			if len(ps) > 0 && end < len(text) {
				ps = append(ps, spacePiece(newlines, bold, breaks))
				chars += len(ps[len(ps)-1].text)
			}
			i = end
			continue
		}
		esc := escapeRune(text, i, r)
		if (r == '>' || r == '\uff1e') && (len(ps) == 0 || ps[len(ps)-1].br) {
			// Slack reads "&gt;" (and "＞") opening a line as a quote, and
			// has no escape for it: a soft hyphen before it is invisible.
			esc = softHyphen + esc
		}
		ps = append(ps, piece{text: esc, bold: bold})
		chars += utf8.RuneCountInString(ps[len(ps)-1].text)
		i += size
	}
	return ps, false
}

func spacePiece(newlines int, bold, breaks bool) piece {
	switch {
	case newlines == 0 || !breaks:
		return piece{text: " ", bold: bold, space: true}
	case newlines == 1:
		return piece{text: "\n", space: true, br: true}
	default:
		return piece{text: "\n\n", space: true, br: true}
	}
}

// softHyphen keeps a line's first character from opening a quote.
const softHyphen = "\u00ad"

// zwj, after an "@", keeps "@channel", "@here" and "@everyone" from being
// read as broadcasts; readers do not see it.
const zwj = "\u200d"

// escapeRune makes one character of feed text inert in mrkdwn. &, < and >
// are escaped as Slack asks, so no <!channel>, <@U…>, <#C…> or <link|…>
// can come from a feed. Slack has no escape for its formatting characters,
// so *, _, ~ and ` become look-alikes that format nothing.
func escapeRune(text string, i int, r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '*':
		return "\u2217" // ∗ asterisk operator
	case '_':
		return "\u02CD" // ˍ modifier letter low macron
	case '~':
		return "\u223C" // ∼ tilde operator
	case '`':
		return "\u02CB" // ˋ modifier letter grave accent
	case '@':
		rest := text[i+1:]
		for _, w := range []string{"channel", "here", "everyone"} {
			if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) {
				return "@" + zwj
			}
		}
	}
	return string(r)
}

func inSpans(spans []alert.Span, i int) bool {
	for _, s := range spans {
		if s.Start <= i && i < s.End {
			return true
		}
	}
	return false
}

// startsRun reports whether piece k opens a bold run; a run never spans a
// line break, where Slack would not render it bold.
func startsRun(ps []piece, k int) bool {
	return ps[k].bold && !ps[k].br && (k == 0 || !ps[k-1].bold || ps[k-1].br)
}

func endsRun(ps []piece, k int) bool {
	return ps[k].bold && !ps[k].br && (k == len(ps)-1 || !ps[k+1].bold || ps[k+1].br)
}

func length(ps []piece) int {
	n := 0
	for k, p := range ps {
		n += utf8.RuneCountInString(p.text)
		if startsRun(ps, k) {
			n += 2 // "*" on each side
		}
	}
	return n
}

// cutPoint is how many pieces fit in limit characters, ending before a
// space when that keeps at least half of what fits. Cutting inside a bold
// run is safe: join closes the run.
func cutPoint(ps []piece, limit int) int {
	fit, total := 0, 0
	for fit < len(ps) {
		total += utf8.RuneCountInString(ps[fit].text)
		if startsRun(ps, fit) {
			total += 2
		}
		if total > limit {
			break
		}
		fit++
	}
	for k := fit; k > fit/2; k-- {
		if k < len(ps) && ps[k].space {
			fit = k
			break
		}
	}
	for fit > 0 && ps[fit-1].space {
		fit--
	}
	return fit
}

func join(ps []piece) string {
	var b strings.Builder
	for k, p := range ps {
		if startsRun(ps, k) {
			b.WriteByte('*')
		}
		b.WriteString(p.text)
		if endsRun(ps, k) {
			b.WriteByte('*')
		}
	}
	return b.String()
}
