package fakediscord

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// messagePayload is what channel messages and webhooks accept (the parts
// the fake checks).
type messagePayload struct {
	Content         string                    `json:"content"`
	Nonce           any                       `json:"nonce"`
	EnforceNonce    bool                      `json:"enforce_nonce"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions *AllowedMentions          `json:"allowed_mentions"`
	Username        string                    `json:"username"`
	AvatarURL       string                    `json:"avatar_url"`
	ThreadName      string                    `json:"thread_name"`
	AppliedTags     []string                  `json:"applied_tags"`
	Flags           int                       `json:"flags"`
}

func containsFold(s, sub string) bool { return strings.Contains(strings.ToLower(s), sub) }

// fieldError is one entry of Discord's 50035 error tree.
type fieldError struct{ path, code, message string }

type fieldErrors []fieldError

// tree renders the errors as Discord does: {"embeds":{"0":{"title":{"_errors":[…]}}}}.
func (fe fieldErrors) tree() map[string]any {
	root := map[string]any{}
	for _, e := range fe {
		node := root
		for _, key := range strings.Split(e.path, ".") {
			child, _ := node[key].(map[string]any)
			if child == nil {
				child = map[string]any{}
				node[key] = child
			}
			node = child
		}
		list, _ := node["_errors"].([]map[string]string)
		node["_errors"] = append(list, map[string]string{"code": e.code, "message": e.message})
	}
	return root
}

// length counts like Discord: code points, after trimming white space.
func length(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }

func (fe *fieldErrors) maxLength(path, value string, limit int) {
	if length(value) > limit {
		*fe = append(*fe, fieldError{path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", limit)})
	}
}

func (fe *fieldErrors) required(path, value string) {
	if length(value) == 0 {
		*fe = append(*fe, fieldError{path, "BASE_TYPE_REQUIRED", "This field is required"})
	}
}

func (fe *fieldErrors) url(path, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "attachment") || u.Host == "" || len(value) > 2048 {
		*fe = append(*fe, fieldError{path, "URL_TYPE_INVALID_URL", "Not a well formed URL."})
	}
}

// validate checks a message against Discord's limits.
func validate(p *messagePayload) fieldErrors {
	var fe fieldErrors
	fe.maxLength("content", p.Content, 2000)
	if n, ok := p.Nonce.(string); ok && utf8.RuneCountInString(n) > 25 {
		fe = append(fe, fieldError{"nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
	}
	if len(p.Embeds) > 10 {
		fe = append(fe, fieldError{"embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."})
	}
	validateIdentity(&fe, p)
	total := 0
	for i, e := range p.Embeds {
		total += validateEmbed(&fe, fmt.Sprintf("embeds.%d", i), e)
	}
	if total > 6000 {
		fe = append(fe, fieldError{"embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"})
	}
	if am := p.AllowedMentions; am != nil && am.Parse != nil {
		for i, kind := range *am.Parse {
			if kind != "users" && kind != "roles" && kind != "everyone" {
				fe = append(fe, fieldError{fmt.Sprintf("allowed_mentions.parse.%d", i), "ENUM_TYPE_COERCE", fmt.Sprintf("Value %q is not a valid enum value.", kind)})
			}
		}
		if slices.Contains(*am.Parse, "roles") && len(am.Roles) > 0 {
			fe = append(fe, fieldError{"allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[\"roles\"] and roles: [ids] are mutually exclusive."})
		}
	}
	return fe
}

// validateEmbed checks one embed and returns what it counts toward 6,000.
func validateEmbed(fe *fieldErrors, path string, e *discordgo.MessageEmbed) int {
	if e == nil {
		return 0
	}
	fe.maxLength(path+".title", e.Title, 256)
	fe.maxLength(path+".description", e.Description, 4096)
	fe.url(path+".url", e.URL)
	total := length(e.Title) + length(e.Description)
	if e.Footer != nil {
		fe.maxLength(path+".footer.text", e.Footer.Text, 2048)
		fe.url(path+".footer.icon_url", e.Footer.IconURL)
		total += length(e.Footer.Text)
	}
	if e.Author != nil {
		fe.maxLength(path+".author.name", e.Author.Name, 256)
		fe.url(path+".author.url", e.Author.URL)
		total += length(e.Author.Name)
	}
	if e.Image != nil {
		fe.url(path+".image.url", e.Image.URL)
	}
	if e.Thumbnail != nil {
		fe.url(path+".thumbnail.url", e.Thumbnail.URL)
	}
	if len(e.Fields) > 25 {
		*fe = append(*fe, fieldError{path + ".fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
	}
	for i, f := range e.Fields {
		fp := fmt.Sprintf("%s.fields.%d", path, i)
		fe.required(fp+".name", f.Name)
		fe.required(fp+".value", f.Value)
		fe.maxLength(fp+".name", f.Name, 256)
		fe.maxLength(fp+".value", f.Value, 1024)
		total += length(f.Name) + length(f.Value)
	}
	if e.Timestamp != "" {
		if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
			*fe = append(*fe, fieldError{path + ".timestamp", "DATE_TIME_TYPE_PARSE", "Could not parse " + e.Timestamp + ". Should be ISO8601."})
		}
	}
	if e.Color < 0 || e.Color > 0xFFFFFF {
		*fe = append(*fe, fieldError{path + ".color", "NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215."})
	}
	return total
}

// Pings lists what this message would ping if Discord delivered it:
// "@everyone", "@here", "role:ID", "user:ID". Only content pings (never
// embeds), and only what allowed_mentions lets through; a message without
// allowed_mentions gets Discord's default of everything.
func (m Message) Pings() []string {
	allowed := func(kind, id string) bool {
		am := m.AllowedMentions
		if am == nil || am.Parse == nil && am.Roles == nil && am.Users == nil {
			return true
		}
		if am.Parse != nil && slices.Contains(*am.Parse, kind) {
			return true
		}
		switch kind {
		case "roles":
			return slices.Contains(am.Roles, id)
		case "users":
			return slices.Contains(am.Users, id)
		}
		return false
	}
	var out []string
	for _, word := range []string{"@everyone", "@here"} {
		if strings.Contains(m.Content, word) && allowed("everyone", "") {
			out = append(out, word)
		}
	}
	for _, id := range mentionIDs(m.Content, "<@&") {
		if allowed("roles", id) {
			out = append(out, "role:"+id)
		}
	}
	for _, prefix := range []string{"<@!", "<@"} {
		for _, id := range mentionIDs(m.Content, prefix) {
			if allowed("users", id) {
				out = append(out, "user:"+id)
			}
		}
	}
	return out
}

// mentionIDs finds the ids of <PREFIXdigits> mentions in s.
func mentionIDs(s, prefix string) []string {
	var ids []string
	for rest := s; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return ids
		}
		rest = rest[i+len(prefix):]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 && j < len(rest) && rest[j] == '>' {
			ids = append(ids, rest[:j])
		}
	}
}
