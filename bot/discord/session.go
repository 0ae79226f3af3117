// Package discord owns everything newshound says to Discord: the discordgo
// session and its api_base transport, the notifiers that post alerts to a
// channel (bot token) or a webhook, the rendering of alerts as embeds, the
// rate limiter shared by all sends of one token, and the /watch slash
// commands. It turns Discord's answers into the errors bot/notify defines and
// must not import the bot package (the bot imports this one).
package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/newshound/newshound/bot/notify"
)

// DefaultAPIBase is Discord's REST API as discordgo addresses it.
const DefaultAPIBase = "https://discord.com/api/v9/"

// maxRecordedBody bounds how much of a response the transport keeps for error
// classification; Discord's answers are a few kB at most.
const maxRecordedBody = 1 << 20

// NewSession returns a discordgo session whose HTTP client sends every request
// aimed at discordgo's https://discord.com/api/v9/ to apiBase instead (a
// Discord-compatible proxy, or a fake in tests). token may be empty for a
// session used only for webhooks; a bot token gets its "Bot " prefix added
// when missing. base is the transport underneath (nil: http.DefaultTransport).
//
// discordgo's own retries are turned off: it retries a 429 with time.Sleep,
// deaf to cancellation, and the outbox sender owns retries and back-off.
func NewSession(token, apiBase string, base http.RoundTripper) (*discordgo.Session, error) {
	if apiBase == "" {
		apiBase = DefaultAPIBase
	}
	to, err := parseAPIBase(apiBase)
	if err != nil {
		return nil, err
	}
	if token != "" && !strings.HasPrefix(token, "Bot ") && !strings.HasPrefix(token, "Bearer ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	s.Client = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &apiTransport{base: base, from: discordgo.EndpointAPI, to: to},
	}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	// Gateway intents: interactions arrive without any intent; ask for the
	// least so the bot needs no privileged intent.
	s.Identify.Intents = discordgo.IntentsGuilds
	return s, nil
}

func parseAPIBase(apiBase string) (string, error) {
	u, err := url.Parse(apiBase)
	if err != nil {
		return "", fmt.Errorf("discord: api_base %q: %w", apiBase, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("discord: api_base %q: want an http(s) URL like %s", apiBase, DefaultAPIBase)
	}
	if !strings.HasSuffix(apiBase, "/") {
		apiBase += "/"
	}
	return apiBase, nil
}

// apiTransport rewrites Discord API URLs onto the configured base and, for
// requests sent through a Limiter, records the exchange so the Limiter can
// classify it.
type apiTransport struct {
	base http.RoundTripper
	from string // discordgo's API prefix
	to   string // the configured api_base, ending in "/"
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, ok := strings.CutPrefix(req.URL.String(), t.from)
	if ok && t.to != t.from {
		u, err := url.Parse(t.to + rest)
		if err != nil {
			return nil, fmt.Errorf("discord: rewrite %s onto api_base: %w", req.URL.Redacted(), err)
		}
		req = req.Clone(req.Context())
		req.URL = u
		req.Host = u.Host
	}
	rec := recorderFrom(req.Context())
	if lim := limiterFrom(req.Context()); lim != nil && rec == nil {
		path, _, _ := strings.Cut(rest, "?")
		return lim.roundTrip(req, req.Method+" "+withoutToken(path), t.base)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if rec != nil {
		if err := rec.record(resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// withoutURL is err, the failure of a request discordgo sent, without
// the request's URL, which may hold a token (an interaction's, with which
// whoever reads it may answer as the bot; a webhook's): the URL of a
// transport error, and of the RateLimitError discordgo makes of a 429.
func withoutURL(err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return fmt.Errorf("discord: HTTP 429 Too Many Requests, retry after %s", rl.RetryAfter)
	}
	return notify.WithoutURL(err)
}

type limiterKey struct{}

// throughLimiter makes each request sent with ctx that no Limiter.do
// sends go through lim as do's requests do (see Limiter.roundTrip):
// for the requests discordgo's helpers make, several per call, as a
// destination's check does.
func throughLimiter(ctx context.Context, lim *Limiter) context.Context {
	return context.WithValue(ctx, limiterKey{}, lim)
}

func limiterFrom(ctx context.Context) *Limiter {
	lim, _ := ctx.Value(limiterKey{}).(*Limiter)
	return lim
}

// exchange is what the transport saw of one response.
type exchange struct {
	status int
	header http.Header
	body   []byte
	seen   time.Time // when the Limiter took note of it
}

type recorderKey struct{}

// recorder is carried in a request's context by the Limiter.
type recorder struct {
	route    string
	admitted time.Time // when the Limiter let the request through
	last     *exchange
}

func withRecorder(ctx context.Context) (context.Context, *recorder) {
	rec := &recorder{}
	return context.WithValue(ctx, recorderKey{}, rec), rec
}

func recorderFrom(ctx context.Context) *recorder {
	rec, _ := ctx.Value(recorderKey{}).(*recorder)
	return rec
}

// record keeps status, headers and body, then hides the rate-limit headers
// from discordgo: the Limiter obeys them with waits that honour the context,
// while discordgo's own bucket would time.Sleep through a cancellation.
func (r *recorder) record(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordedBody))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("discord: read response: %w", err)
	}
	r.last = &exchange{status: resp.StatusCode, header: resp.Header.Clone(), body: body}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	for name := range resp.Header {
		if strings.HasPrefix(http.CanonicalHeaderKey(name), "X-Ratelimit-") {
			resp.Header.Del(name)
		}
	}
	return nil
}
