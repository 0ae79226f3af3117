package discord

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/bot/notify"
)

// This file renders what joined a story since its first message was
// posted: the other outlets' reports as one "Also" field ("[Reuters](…) ·
// [AP](…) +12"), those that joined doubtfully by headline in a "Perhaps
// another story" field, and the item's updates as fields of their own
// ("Update 17:15 UTC"), within the room the message leaves them.

// Discord's limits on embed fields, in code points.
const (
	MaxFields     = 25
	MaxFieldName  = 256
	MaxFieldValue = 1024
)

const (
	alsoName = "Also"
	// doubtName heads the reports that joined the story doubtfully (see
	// alert.Alert.Doubtful), listed by headline: the first reports of a
	// story the grouping may have swallowed.
	doubtName = "Perhaps another story"
	// maxHeadline bounds one headline in that list.
	maxHeadline = 120
	// maxOutlet bounds one outlet's name in the Also list, so one long
	// feed title cannot crowd the others out.
	maxOutlet = 60
	// maxAlsoLink is the longest link an Also entry is linked with; a
	// longer one would cost the room of several outlets, so that outlet is
	// listed unlinked.
	maxAlsoLink = 300
	// minUpdateText is the least of an update's text worth showing cut.
	minUpdateText = 40
	earlierName   = "Earlier updates"
	alsoSeparator = " · "
	unlimited     = 1 << 30
)

// storyEmbed renders a with its story's fields within budget code points.
// cut reports that something was left out for lack of room (part of the
// description, reports or updates), so RenderEmbeds gives it more if it
// can. Without reports or updates it is Embed.
func storyEmbed(a alert.Alert, budget int) (e *discordgo.MessageEmbed, cut bool) {
	e = Embed(a, budget)
	if len(a.Also) == 0 && len(a.Updates) == 0 {
		return e, descriptionCut(e, a)
	}
	// The fields get what the alert's own parts leave, and at least half:
	// what joined the story is why the message was edited.
	room := max(budget/2, budget-EmbedLength(e))
	fields, fieldsCut := storyFields(a, room)
	if n := fieldsLength(fields); n > budget-EmbedLength(e) {
		e = Embed(a, budget-n)
	}
	e.Fields = fields
	return e, fieldsCut || descriptionCut(e, a)
}

func descriptionCut(e *discordgo.MessageEmbed, a alert.Alert) bool {
	return utf8.RuneCountInString(e.Description) < fullDescriptionLength(a)
}

// storyFields renders a's reports and updates in at most room code points
// (names and values). When they do not all fit, the reports shrink first,
// down to a third of the room (of which the doubtful ones' headlines keep
// at least half), then the oldest updates give way.
func storyFields(a alert.Alert, room int) ([]*discordgo.MessageEmbedField, bool) {
	loc := updateZone(a)
	alsoRoom := room - fieldsLength(updateFields(a.Updates, loc, unlimited, MaxFields-1))
	alsoRoom = max(alsoRoom, room/3)
	sure, doubtful := splitDoubtful(a.Also)
	// The headlines get what the outlets leave, and at least half.
	outlets, _ := alsoField(sure, alsoRoom)
	doubt, shownDoubtful := doubtField(doubtful, alsoRoom-min(fieldsLength(outlets), alsoRoom/2))
	also, shown := alsoField(sure, alsoRoom-fieldsLength(doubt))
	fields := append(also, doubt...)
	// Each report field takes the place of an update: an embed has at most
	// MaxFields, one of them for the count of earlier updates.
	updates := updateFields(a.Updates, loc, room-fieldsLength(fields), MaxFields-1-len(fields))
	fields = append(fields, updates...)
	return fields, shownDoubtful+shown < len(a.Also) || shownUpdates(updates) < len(renderableUpdates(a.Updates))
}

// splitDoubtful separates the reports that joined the story doubtfully
// from the others, each in their order.
func splitDoubtful(reports []alert.Report) (sure, doubtful []alert.Report) {
	for _, r := range reports {
		if r.Doubtful {
			doubtful = append(doubtful, r)
		} else {
			sure = append(sure, r)
		}
	}
	return sure, doubtful
}

// doubtField lists the doubtful reports, oldest first, one a line by
// headline and outlet, in one field of at most room code points: as many
// as fit, then "+N" for the rest. A desk reads there the headline of a
// story that may be its own, which an outlet's name would not tell it.
func doubtField(reports []alert.Report, room int) ([]*discordgo.MessageEmbedField, int) {
	entries := make([]string, len(reports))
	for i, r := range reports {
		entries[i] = doubtEntry(r)
	}
	return listField(doubtName, entries, "\n", "\n", room)
}

// doubtEntry is "[Headline](link) (Outlet)": the headline linked as an
// Also entry's outlet is (see alsoEntry).
func doubtEntry(r alert.Report) string {
	title := markdown(stripHidden(notify.OneLine(r.Title)), nil, maxHeadline)
	if title == "" {
		return alsoEntry(r)
	}
	outlet := markdown(stripHidden(notify.OneLine(r.Outlet())), nil, maxOutlet)
	if link := markdownLinkTarget(r.Link); link != "" && utf8.RuneCountInString(link) <= maxAlsoLink && !hasBroadcast(link) {
		title = "[" + title + "](" + link + ")"
	}
	if outlet == "" {
		return title
	}
	return title + " (" + outlet + ")"
}

func fieldsLength(fields []*discordgo.MessageEmbedField) int {
	n := 0
	for _, f := range fields {
		n += fieldLength(f)
	}
	return n
}

func fieldLength(f *discordgo.MessageEmbedField) int {
	return utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
}

// alsoField lists the reports, oldest first, in one field of at most room
// code points: as many as fit, then "+N" for the rest. It returns no
// field when not even the count fits, and how many reports it names.
func alsoField(reports []alert.Report, room int) ([]*discordgo.MessageEmbedField, int) {
	entries := make([]string, len(reports))
	for i, r := range reports {
		entries[i] = alsoEntry(r)
	}
	return listField(alsoName, entries, alsoSeparator, " ", room)
}

// listField is a field named name listing entries, joined by sep, in at
// most room code points: as many as fit, then moreSep and "+N" for the
// rest, or only the count when none fits. It returns no field when not
// even the count fits, and how many entries it lists.
func listField(name string, entries []string, sep, moreSep string, room int) ([]*discordgo.MessageEmbedField, int) {
	limit := min(MaxFieldValue, room-utf8.RuneCountInString(name))
	if len(entries) == 0 || limit <= 0 {
		return nil, 0
	}
	var b strings.Builder
	length, shown := 0, 0
	for i, entry := range entries {
		need := utf8.RuneCountInString(entry)
		if i > 0 {
			need += utf8.RuneCountInString(sep)
		}
		if rest := len(entries) - i - 1; rest > 0 {
			need += utf8.RuneCountInString(moreSep + moreReports(rest))
		}
		if length+need > limit {
			break
		}
		if i > 0 {
			b.WriteString(sep)
			length += utf8.RuneCountInString(sep)
		}
		b.WriteString(entry)
		length += utf8.RuneCountInString(entry)
		shown++
	}
	value := b.String()
	if rest := len(entries) - shown; rest > 0 && shown > 0 {
		value += moreSep + moreReports(rest)
	} else if rest > 0 {
		value = reportCount(rest)
	}
	if utf8.RuneCountInString(value) > limit {
		return nil, 0
	}
	return []*discordgo.MessageEmbedField{{Name: name, Value: value}}, shown
}

func moreReports(n int) string { return fmt.Sprintf("+%d", n) }

func reportCount(n int) string {
	if n == 1 {
		return "1 report"
	}
	return fmt.Sprintf("%d reports", n)
}

// alsoEntry is "[Outlet](link)", or the outlet alone when the link is not
// an http(s) URL Discord would link (or too long to be worth its room).
// The outlet is feed text: escaped, it can close no link and mention no
// one.
func alsoEntry(r alert.Report) string {
	name := outletName(r)
	link := markdownLinkTarget(r.Link)
	if link == "" || utf8.RuneCountInString(link) > maxAlsoLink || hasBroadcast(link) {
		return name
	}
	return "[" + name + "](" + link + ")"
}

// outletName is the report's outlet as markdown-safe text, its link's host
// when the feed has no name.
func outletName(r alert.Report) string {
	name := markdown(stripHidden(notify.OneLine(r.Outlet())), nil, maxOutlet)
	if name == "" {
		name = markdown(hostOf(r.Link), nil, maxOutlet)
	}
	if name == "" {
		name = "(unnamed)"
	}
	return name
}

// hasBroadcast reports "@everyone" or "@here" in s: in a link, listed
// unlinked rather than left for Discord to read.
func hasBroadcast(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "@everyone") || strings.Contains(s, "@here")
}

func hostOf(link string) string {
	if u, err := url.Parse(link); err == nil {
		return u.Hostname()
	}
	return ""
}

// stripHidden drops the characters notify.IsHiddenControl names: a bidi
// override in one outlet's name would reorder the names after it.
func stripHidden(s string) string {
	return strings.Map(func(r rune) rune {
		if notify.IsHiddenControl(r) {
			return -1
		}
		return r
	}, s)
}

// updateZone is the zone update times are shown in: the alert format's,
// else UTC.
func updateZone(a alert.Alert) *time.Location {
	if tz := formatOf(a).Timezone; tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.UTC
}

// renderableUpdates are the updates with text to show.
func renderableUpdates(updates []alert.Update) []alert.Update {
	var out []alert.Update
	for _, u := range updates {
		if strings.TrimSpace(stripHidden(u.Text)) != "" {
			out = append(out, u)
		}
	}
	return out
}

// updateFields renders updates as fields, newest last, in at most room
// code points: the newest that fit whole (the newest of all cut to fit
// if it must), at most most of them, after a field counting the earlier
// ones left out.
func updateFields(updates []alert.Update, loc *time.Location, room, most int) []*discordgo.MessageEmbedField {
	updates = renderableUpdates(updates)
	var picked []*discordgo.MessageEmbedField // newest first
	used := 0
	for i := len(updates) - 1; i >= 0 && len(picked) < most; i-- {
		f := updateField(updates[i], loc, MaxFieldValue)
		note := 0
		if i > 0 {
			note = fieldLength(earlierField(i))
		}
		if used+fieldLength(f)+note <= room {
			picked = append(picked, f)
			used += fieldLength(f)
			continue
		}
		if len(picked) == 0 { // the newest, cut to fit
			left := room - note - utf8.RuneCountInString(f.Name)
			if left >= minUpdateText {
				f = updateField(updates[i], loc, left)
				picked = append(picked, f)
				used += fieldLength(f)
			}
		}
		break
	}
	var fields []*discordgo.MessageEmbedField
	if hidden := len(updates) - len(picked); hidden > 0 {
		if f := earlierField(hidden); used+fieldLength(f) <= room {
			fields = append(fields, f)
		}
	}
	for i := len(picked) - 1; i >= 0; i-- {
		fields = append(fields, picked[i])
	}
	return fields
}

// shownUpdates counts the update fields among fields.
func shownUpdates(fields []*discordgo.MessageEmbedField) int {
	n := 0
	for _, f := range fields {
		if f.Name != alsoName && f.Name != doubtName && f.Name != earlierName {
			n++
		}
	}
	return n
}

// updateField is "Update 17:15 UTC" over the update's text, escaped and
// cut to limit code points.
func updateField(u alert.Update, loc *time.Location, limit int) *discordgo.MessageEmbedField {
	name := "Update"
	if !u.At.IsZero() {
		name += " " + u.At.In(loc).Format("15:04 MST")
	}
	return &discordgo.MessageEmbedField{Name: name, Value: markdown(stripHidden(u.Text), nil, min(limit, MaxFieldValue))}
}

func earlierField(n int) *discordgo.MessageEmbedField {
	return &discordgo.MessageEmbedField{Name: earlierName, Value: fmt.Sprintf("%d not shown", n)}
}
