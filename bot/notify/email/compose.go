package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// Limits on feed text in a mail, in code points. Mail has no hard limit;
// these keep a digest readable.
const (
	maxTitle   = 300
	maxExcerpt = 1500
	maxSubject = 120 // of feed text; the prefix comes on top
	// MaxAlerts is the most alerts one mail lists; a longer digest ends
	// with "and N more".
	MaxAlerts = 100
)

const ellipsis = "…"

// Envelope is who a mail is from and to, parsed.
type Envelope struct {
	From *mail.Address
	To   []*mail.Address
}

// ParseEnvelope parses a From address and To addresses as the config
// writes them ("Desk <desk@example.org>").
func ParseEnvelope(from string, to []string) (Envelope, error) {
	var e Envelope
	var err error
	if e.From, err = mail.ParseAddress(from); err != nil {
		return e, fmt.Errorf("from %q: %v", from, err)
	}
	if len(to) == 0 {
		return e, fmt.Errorf("no recipients")
	}
	for _, s := range to {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return e, fmt.Errorf("to %q: %v", s, err)
		}
		e.To = append(e.To, a)
	}
	return e, nil
}

// Compose renders a message as a MIME mail with CRLF line endings:
// multipart/alternative with a plain-text and an HTML part (feed text
// escaped by html/template), an RFC 2047 subject, a Message-ID derived
// from the message's nonce and alerts, so every retry is recognisably the
// same mail,
// and, when all alerts belong to one story, In-Reply-To and References
// naming that story, so mail clients thread its mails. The output depends
// only on its inputs.
func Compose(m notify.Message, env Envelope, date time.Time) ([]byte, error) {
	if len(m.Alerts) == 0 {
		return nil, fmt.Errorf("a message without alerts")
	}
	domain := domainOf(env.From.Address)
	lines := m.Alerts
	if m.Digest != nil {
		lines = notify.DigestLines(lines) // each story once
	}
	shown := lines[:min(len(lines), MaxAlerts)]
	items := make([]item, len(shown))
	for i, a := range shown {
		items[i] = newItem(a)
	}
	more := len(lines) - len(shown)
	var b bytes.Buffer
	h := textproto.MIMEHeader{}
	header := func(k, v string) { h.Set(k, v); fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", env.From.String())
	header("To", addressList(env.To))
	header("Subject", encodeHeader(subjectOf(m)))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", MessageID(m, domain))
	// A digest's own grouping names no story another mail names: no
	// thread to join.
	if story := oneStory(m.Alerts); story != "" && !m.Alerts[0].DigestStory {
		ref := "<story." + story + "@" + domain + ">"
		header("In-Reply-To", ref)
		header("References", ref)
	}
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	mw := multipart.NewWriter(&b)
	// "=_" is what quoted-printable never writes (it writes "=" as "=3D"),
	// so no feed text in the parts can write the boundary (RFC 2045 6.7),
	// guessable as it is: it is the same on every retry.
	if err := mw.SetBoundary("nh=_" + digest(MessageID(m, domain))[:24]); err != nil {
		return nil, err
	}
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	if err := writePart(mw, "text/plain; charset=utf-8", plainText(heading(m), items, more)); err != nil {
		return nil, err
	}
	html, err := htmlText(heading(m), items, more)
	if err != nil {
		return nil, err
	}
	if err := writePart(mw, "text/html; charset=utf-8", html); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MessageID is the Message-ID of the mail for m, the same on every retry
// and different for other alerts under a nonce used before (see
// notify.MessageKey).
func MessageID(m notify.Message, domain string) string {
	return "<" + notify.MessageKey(m)[:32] + ".alert@" + domain + ">"
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// oneStory is the story key all alerts share, or "".
func oneStory(alerts []alert.Alert) string {
	key := notify.StoryKey(alerts[0])
	for _, a := range alerts[1:] {
		if notify.StoryKey(a) != key {
			return ""
		}
	}
	return key
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return "newshound.invalid"
}

func addressList(as []*mail.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",\r\n ")
}

// subjectOf is a digest's title, or else the alerts' subject.
func subjectOf(m notify.Message) string {
	if h := heading(m); h != "" {
		return h
	}
	return subject(m.Alerts)
}

// heading is the title a digest's mail starts with ("Digest: aleppo — 12
// stories since 08:00"); "" for other messages.
func heading(m notify.Message) string {
	if m.Digest == nil {
		return ""
	}
	return cut(clean(m.Digest.Title), maxTitle)
}

// subject: "[subscription] title", or "N alerts: first title" for several.
func subject(alerts []alert.Alert) string {
	title := cut(clean(alerts[0].Title), maxSubject)
	if title == "" {
		title = "(untitled)"
	}
	if len(alerts) > 1 {
		return fmt.Sprintf("%d alerts: %s", len(alerts), title)
	}
	if sub := cut(clean(alerts[0].Subscription), 60); sub != "" {
		return "[" + sub + "] " + title
	}
	return title
}

// encodeHeader writes a Subject value as RFC 2047 encoded words when it is
// not plain ASCII, or contains "=?" (which a reader would decode), folding
// between words so no line passes 78 characters; plain ASCII is folded
// at its spaces, or encoded too when a word is too long to fold.
func encodeHeader(s string) string {
	plain := !strings.Contains(s, "=?")
	for _, r := range s {
		if r >= utf8.RuneSelf || r < ' ' {
			plain = false
			break
		}
	}
	if plain {
		if folded, ok := foldAtSpaces(s, 78-len("Subject: ")); ok {
			return folded
		}
	}
	var words []string
	const maxChunk = 42 // bytes: 56 in base64, 68 with "=?utf-8?b?" and "?=", 77 after "Subject: "
	for s != "" {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxChunk {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, "\r\n ")
}

// foldAtSpaces breaks s before spaces so that its first line takes at
// most first characters and the others at most 78, the space opening the
// next line (RFC 5322 2.2.3: unfolding gives s back); false when a word
// is too long for that.
func foldAtSpaces(s string, first int) (string, bool) {
	var b strings.Builder
	room := first
	for {
		if len(s) <= room {
			b.WriteString(s)
			return b.String(), true
		}
		cut := strings.LastIndexByte(s[:room+1], ' ')
		if cut <= 0 {
			return "", false
		}
		b.WriteString(s[:cut] + "\r\n")
		s, room = s[cut:], 78 // the space begins the next line
	}
}

func writePart(mw *multipart.Writer, contentType, body string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(w) // text mode: line breaks become CRLF
	if _, err := qp.Write([]byte(body)); err != nil {
		return err
	}
	return qp.Close()
}

// item is an alert's feed text, cleaned and cut for a mail.
type item struct {
	Title        string
	Link         string // "" unless http(s)
	Excerpt      []segment
	Feed         string
	Matched      string
	Subscription string
	Published    string
	// Also are the story's further reports a digest lists under it, at
	// most maxAlso; AlsoMore counts the rest.
	Also     []report
	AlsoMore int
}

// report is a further report of a story, cleaned and cut for a mail.
type report struct {
	Outlet, Title string
	Link          string // "" unless http(s)
}

// maxAlso is the most further reports of a story a digest mail lists.
const maxAlso = 20

// segment is a run of excerpt text, bold when it matched, a paragraph
// break (a blank line of the text), or a line break (a line of an item's
// text, which keeps one between paragraphs: see feeds.ParagraphText). The
// text part shows a line break as a space, so that no feed line starts a
// line there that reads like a header; the HTML part as "<br>".
type segment struct {
	Text  string
	Bold  bool
	Break bool
	Line  bool
}

func newItem(a alert.Alert) item {
	it := item{
		Title:        cut(clean(a.Title), maxTitle),
		Link:         httpLink(a.Link),
		Excerpt:      segments(a.Text, a.TextSpans, maxExcerpt),
		Feed:         cut(clean(a.Feed), 100),
		Subscription: cut(clean(a.Subscription), 100),
	}
	if it.Title == "" {
		it.Title = "(untitled)"
	}
	for _, r := range a.Also[:min(len(a.Also), maxAlso)] {
		rep := report{Outlet: cut(clean(r.Outlet()), 100), Title: cut(clean(r.Title), maxTitle), Link: httpLink(r.Link)}
		if rep.Outlet == "" {
			rep.Outlet = "(unnamed)"
		}
		it.Also = append(it.Also, rep)
	}
	it.AlsoMore = len(a.Also) - len(it.Also)
	if it.Feed == "" {
		it.Feed = cut(clean(a.FeedTitle), 100)
	}
	words := make([]string, 0, len(a.Matched))
	for _, w := range a.Matched {
		if w = cut(clean(w), 60); w != "" {
			words = append(words, w)
		}
	}
	it.Matched = strings.Join(words, ", ")
	if !a.Published.IsZero() {
		it.Published = a.Published.UTC().Format("2006-01-02 15:04 UTC")
	}
	return it
}

func httpLink(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return ""
	}
	// Percent-encode what url.Parse leaves in a query but a mail client
	// could read as the end of the link.
	return strings.NewReplacer("<", "%3C", ">", "%3E", `"`, "%22", "|", "%7C", " ", "%20").Replace(u.String())
}

// clean drops control and bidi characters and folds white space, for
// one-line feed text (titles, names).
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if notify.IsHiddenControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// cut shortens s to limit code points on a word boundary, ending in "…".
func cut(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	end := limit - 1
	for k := end; k > end/2; k-- {
		if unicode.IsSpace(runes[k]) {
			end = k
			break
		}
	}
	return strings.TrimRightFunc(string(runes[:end]), unicode.IsSpace) + ellipsis
}

// segments renders text as runs of plain and bold (span) text and
// paragraph breaks, with control characters dropped and white space
// folded, cut on a word boundary to at most limit code points plus "…".
func segments(text string, spans []alert.Span, limit int) []segment {
	spans = notify.NormalizeSpans(text, spans)
	var out []segment
	var cur strings.Builder
	bold, n := false, 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, segment{Text: cur.String(), Bold: bold})
			cur.Reset()
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case notify.IsHiddenControl(r):
			i += size
			continue
		case unicode.IsSpace(r):
			end, newlines := spaceRun(text, i)
			switch {
			case n == 0 || end == len(text): // no leading or trailing space
			case newlines >= 2:
				flush()
				out = append(out, segment{Break: true})
			case newlines == 1:
				flush()
				out = append(out, segment{Line: true})
				n++
			default:
				if spaceBold := bold && inSpans(spans, i); spaceBold != bold {
					flush()
					bold = spaceBold
				}
				cur.WriteByte(' ')
				n++
			}
			i = end
			continue
		}
		if n >= limit-1 {
			trimToWord(&cur)
			flush()
			out = append(out, segment{Text: ellipsis})
			return out
		}
		if b := inSpans(spans, i); b != bold {
			flush()
			bold = b
		}
		cur.WriteRune(r)
		n++
		i += size
	}
	flush()
	return out
}

// trimToWord drops a cut word's start from the end of b, when a space in
// b's second half allows it.
func trimToWord(b *strings.Builder) {
	s := b.String()
	if k := strings.LastIndexByte(s, ' '); k > len(s)/2 {
		s = s[:k]
	}
	b.Reset()
	b.WriteString(strings.TrimRight(s, " "))
}

func spaceRun(text string, i int) (end, newlines int) {
	for end = i; end < len(text); {
		r, size := utf8.DecodeRuneInString(text[end:])
		if !unicode.IsSpace(r) && !notify.IsHiddenControl(r) {
			break
		}
		if r == '\n' {
			newlines++
		}
		end += size
	}
	return end, newlines
}

func inSpans(spans []alert.Span, i int) bool {
	for _, s := range spans {
		if s.Start <= i && i < s.End {
			return true
		}
	}
	return false
}

// plainText is the text/plain part: a digest's heading, then each alert's
// title, link, excerpt and details, and a digest story's further reports,
// alerts separated by a rule.
func plainText(heading string, items []item, more int) string {
	var b strings.Builder
	if heading != "" {
		b.WriteString(heading + "\n" + strings.Repeat("=", min(utf8.RuneCountInString(heading), 72)) + "\n\n")
	}
	for i, it := range items {
		if i > 0 {
			b.WriteString("\n----------------------------------------\n\n")
		}
		b.WriteString(it.Title + "\n")
		if it.Link != "" {
			b.WriteString(it.Link + "\n")
		}
		var ex strings.Builder
		for _, s := range it.Excerpt {
			if s.Break {
				ex.WriteString("\n\n")
				continue
			}
			if s.Line {
				ex.WriteByte(' ')
				continue
			}
			ex.WriteString(s.Text)
		}
		if ex.Len() > 0 {
			b.WriteString("\n" + ex.String() + "\n")
		}
		b.WriteString("\n" + strings.Join(details(it), " · ") + "\n")
		for i, r := range it.Also {
			if i == 0 {
				b.WriteString("\nAlso:\n")
			}
			b.WriteString("- " + r.Outlet + ": " + r.Title + "\n")
			if r.Link != "" {
				b.WriteString("  " + r.Link + "\n")
			}
		}
		if it.AlsoMore > 0 {
			fmt.Fprintf(&b, "- and %d more\n", it.AlsoMore)
		}
	}
	if more > 0 {
		fmt.Fprintf(&b, "\n----------------------------------------\n\nand %d more\n", more)
	}
	return b.String()
}

func details(it item) []string {
	var d []string
	for _, kv := range [][2]string{{"Feed", it.Feed}, {"Matched", it.Matched}, {"Subscription", it.Subscription}, {"Published", it.Published}} {
		if kv[1] != "" {
			d = append(d, kv[0]+": "+kv[1])
		}
	}
	return d
}

var page = template.Must(template.New("mail").Funcs(template.FuncMap{"details": details}).Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"></head>
<body style="font-family: sans-serif; line-height: 1.4; max-width: 40em">
{{- if .Heading }}
<h2 style="margin: 0.4em 0">{{ .Heading }}</h2>
{{- end }}
{{- range $i, $it := .Items }}
{{- if $i }}
<hr style="border: 0; border-top: 1px solid #ddd">
{{- end }}
<div>
<h3 style="margin: 0.6em 0 0.2em">{{ if $it.Link }}<a href="{{ $it.Link }}">{{ $it.Title }}</a>{{ else }}{{ $it.Title }}{{ end }}</h3>
{{- if $it.Excerpt }}
<p style="margin: 0.2em 0">{{ range $it.Excerpt }}{{ if .Break }}<br><br>{{ else if .Line }}<br>{{ else if .Bold }}<strong>{{ .Text }}</strong>{{ else }}{{ .Text }}{{ end }}{{ end }}</p>
{{- end }}
<p style="margin: 0.2em 0; color: #666; font-size: smaller">{{ range $k, $d := details $it }}{{ if $k }} · {{ end }}{{ $d }}{{ end }}</p>
{{- if $it.Also }}
<p style="margin: 0.2em 0; font-size: smaller">Also: {{ range $k, $r := $it.Also }}{{ if $k }} · {{ end }}{{ if $r.Link }}<a href="{{ $r.Link }}" title="{{ $r.Title }}">{{ $r.Outlet }}</a>{{ else }}{{ $r.Outlet }}{{ end }}{{ end }}{{ if $it.AlsoMore }} and {{ $it.AlsoMore }} more{{ end }}</p>
{{- end }}
</div>
{{- end }}
{{- if .More }}
<hr style="border: 0; border-top: 1px solid #ddd">
<p>and {{ .More }} more</p>
{{- end }}
</body>
</html>
`))

func htmlText(heading string, items []item, more int) (string, error) {
	var b strings.Builder
	data := struct {
		Heading string
		Items   []item
		More    int
	}{heading, items, more}
	if err := page.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
