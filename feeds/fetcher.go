package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// UserAgentFor names newshound, its version and where to find it, so that
// a site operator who sees it in their logs knows who is polling and why.
func UserAgentFor(version string) string {
	return "newshound/" + version + " (+https://github.com/newshound/newshound)"
}

// DefaultUserAgent is the User-Agent of a Fetcher whose options name none;
// pass UserAgentFor(version) to say which release is polling.
func DefaultUserAgent() string { return UserAgentFor("dev") }

// Defaults for FetcherOptions fields left zero.
const (
	DefaultMaxBodyBytes    = 10 << 20
	DefaultTimeout         = 30 * time.Second
	DefaultConnectTimeout  = 10 * time.Second
	DefaultMaxRedirects    = 5
	DefaultHostConcurrency = 2
	DefaultHostGap         = time.Second
)

// FetcherOptions configures a Fetcher. Zero numbers take the defaults
// above, except HostGap, whose 0 means no gap.
type FetcherOptions struct {
	// UserAgent is sent with every request (default DefaultUserAgent()).
	// It and a Request's own UserAgent are sent as written, except that a
	// leading bare "newshound" product token, as in the config's default
	// "newshound (+https://…)", gets the version: "newshound/1.4 (+https://…)".
	UserAgent string
	// Version is the release named in such a User-Agent; empty takes it
	// from UserAgent when that starts "newshound/<version>", else none is
	// added.
	Version      string
	MaxBodyBytes int64 // limit on the decompressed body
	// Timeout bounds the request itself: connect, redirects, headers and
	// body. Waiting for a free slot on the host (HostConcurrency, HostGap)
	// is not part of it; that wait is bounded by Timeout too, separately,
	// and when it runs out Fetch fails with HostBusy, having sent nothing.
	Timeout        time.Duration
	ConnectTimeout time.Duration // TCP connect and TLS handshake
	MaxRedirects   int
	// AllowPrivate lifts the SSRF guard (allow_private_networks).
	AllowPrivate bool
	// ProxyResolvesNames (proxy_resolves_names) gives a proxy the feed's
	// host name, as net/http does, instead of a checked IP to tunnel to:
	// for hosts with no outside DNS and proxies that allow by domain. The
	// guard then checks only what it can before the request: that the name
	// resolves (locally, when it resolves at all) to no private address. The
	// proxy resolves it again, so DNS rebinding through the proxy is
	// possible. Without a proxy it changes nothing.
	ProxyResolvesNames bool
	// HostConcurrency and HostGap keep the fetcher polite to each host.
	// HostGap 0 means no gap (DefaultHostGap is the polite choice).
	HostConcurrency int
	HostGap         time.Duration
	// LookupIP resolves host names for the SSRF guard; nil uses
	// net.DefaultResolver. Tests inject fake DNS here.
	LookupIP func(ctx context.Context, host string) ([]net.IPAddr, error)
	// Proxy picks the proxy for a request; nil uses the environment
	// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Schemes http, https and
	// socks5(h). Unless AllowPrivate or ProxyResolvesNames, the proxy is
	// asked to tunnel to an address the guard checked (CONNECT ip:port, for
	// http:// feeds too), never given the host name: it must allow CONNECT
	// to the feeds' ports.
	Proxy func(*http.Request) (*url.URL, error)
	// Now is the clock used to turn a Retry-After date into a duration;
	// nil uses time.Now.
	Now    func() time.Time
	Logger *slog.Logger // nil discards
}

// Fetcher downloads feeds over HTTP(S) (and file:// when allowed) with
// conditional requests, limits and the SSRF guard: it resolves each host
// itself and connects only to addresses that pass IsPublicAddr, also on
// every redirect and through a proxy, which gets the checked IP to tunnel
// to (see proxyGuard), so DNS cannot answer differently in between (unless
// ProxyResolvesNames: the proxy then gets the name, checked first). It is
// safe for concurrent use; share one per process so connections and
// per-host politeness are shared too.
type Fetcher struct {
	opts      FetcherOptions
	version   string // for withVersion
	dialer    *guardedDialer
	transport *http.Transport
	hosts     *hostLimiter
}

// NewFetcher returns a Fetcher with o's zero fields set to the defaults.
func NewFetcher(o FetcherOptions) *Fetcher {
	o = o.withDefaults()
	d := &guardedDialer{
		dialer:        net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second},
		lookupIP:      o.LookupIP,
		allowPrivate:  o.AllowPrivate,
		proxyResolves: o.ProxyResolvesNames,
	}
	d.connect = d.dialer.DialContext
	t := &http.Transport{
		DialContext:            d.DialContext,
		TLSHandshakeTimeout:    o.ConnectTimeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: maxHeaderBytes(o.MaxBodyBytes),
		MaxIdleConnsPerHost:    o.HostConcurrency,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
		// We ask for gzip and brotli ourselves and decode with our own limit.
		DisableCompression: true,
	}
	if o.AllowPrivate || o.ProxyResolvesNames {
		// Else no Proxy here: proxyGuard and the dialer do the proxying.
		t.Proxy = o.Proxy
	}
	version := o.Version
	if version == "" {
		if rest, ok := strings.CutPrefix(o.UserAgent, "newshound/"); ok {
			version, _, _ = strings.Cut(rest, " ")
		}
	}
	return &Fetcher{opts: o, version: version, dialer: d, transport: t, hosts: newHostLimiter(o.HostConcurrency, o.HostGap)}
}

// maxHeaderBytes bounds a response's headers by the body's limit, between
// 64 KiB (real feeds send a few) and 1 MiB, so that headers too stay within
// one fetch's memory bound (about 5 × MaxBodyBytes); net/http's own bound
// is 10 MB whatever the body's limit.
func maxHeaderBytes(maxBody int64) int64 {
	return min(max(maxBody, 64<<10), 1<<20)
}

// withVersion names the version in a User-Agent that says "newshound"
// without one: the config's default, copied into every feed, reads
// "newshound (+https://…)" and would otherwise lose it. Anything else — a
// versioned token, another product, a browser string some site insists
// on — is sent as the operator wrote it.
func withVersion(ua, version string) string {
	rest, ok := strings.CutPrefix(ua, "newshound")
	if !ok || version == "" || (rest != "" && rest[0] != ' ') {
		return ua
	}
	return "newshound/" + version + rest
}

// Options are the options the Fetcher runs with, defaults applied.
func (f *Fetcher) Options() FetcherOptions { return f.opts }

// CloseIdleConnections closes kept-alive connections, for shutdown.
func (f *Fetcher) CloseIdleConnections() { f.transport.CloseIdleConnections() }

func (o FetcherOptions) withDefaults() FetcherOptions {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.HostConcurrency <= 0 {
		o.HostConcurrency = DefaultHostConcurrency
	}
	o.HostGap = max(o.HostGap, 0)
	if o.LookupIP == nil {
		o.LookupIP = net.DefaultResolver.LookupIPAddr
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Request is one fetch of one feed, with what was remembered from the last.
type Request struct {
	URL          string
	ETag         string // sent as If-None-Match
	LastModified string // sent as If-Modified-Since
	BodyHash     string // Response.BodyHash of the last parsed body
	UserAgent    string // per-feed override; empty uses the Fetcher's
	Headers      map[string]string
	// AllowFile permits file:// URLs. Set it only for feeds from the
	// config file, never for URLs typed into Discord.
	AllowFile bool
	// WaitForSlot waits for a free slot on the host for as long as ctx
	// lasts instead of at most Timeout (see FetcherOptions.Timeout): for a
	// one-shot run (`run --once`), which has no later poll to leave a busy
	// host's feed to.
	WaitForSlot bool
}

// Response is a successful fetch.
type Response struct {
	URL string // the final URL fetched (after redirects)
	// MovedTo is set when every redirect on the way was permanent
	// (301/308): the URL to store instead of Request.URL. Not for a
	// request with Headers whose redirects left its site, which must not
	// get them.
	MovedTo string
	// NotModified: 304, or the body hash equals Request.BodyHash. Body is
	// nil then: there is nothing to parse.
	NotModified bool
	Body        []byte // decompressed, not yet charset-decoded
	BodyHash    string
	ContentType string
	// ETag and LastModified are the validators to store for the next
	// request (the request's own when a 304 does not repeat them).
	ETag         string
	LastModified string
	MaxAge       time.Duration // Cache-Control max-age, 0 if none
}

// Fetch downloads r.URL. It blocks until the body is read, the timeout
// expires or ctx is done. Every error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(strings.TrimSpace(r.URL))
	if err != nil {
		return nil, &Error{URL: r.URL, Kind: Blocked, Err: fmt.Errorf("invalid URL: %w", err)}
	}
	switch u.Scheme {
	case "http", "https":
		return f.fetchHTTP(ctx, u, r)
	case "file":
		if !r.AllowFile {
			return nil, &Error{URL: r.URL, Kind: Blocked, Err: errors.New("file:// URLs are allowed only for feeds in the config file")}
		}
		return f.fetchFile(ctx, u, r)
	default:
		return nil, &Error{URL: r.URL, Kind: Blocked, Err: fmt.Errorf("unsupported URL scheme %q (want http, https or file)", u.Scheme)}
	}
}

func (f *Fetcher) fetchHTTP(ctx context.Context, u *url.URL, r Request) (*Response, error) {
	release, err := f.waitForSlot(ctx, u, r.WaitForSlot)
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()

	req, err := f.newRequest(ctx, u, r)
	if err != nil {
		return nil, &Error{URL: u.String(), Kind: Blocked, Err: err}
	}
	chain := &redirectChain{max: f.opts.MaxRedirects, permanent: true, extra: r.Headers}
	client := &http.Client{Transport: &proxyGuard{next: f.transport, dialer: f.dialer, proxy: f.opts.Proxy}, CheckRedirect: chain.check}
	resp, err := client.Do(req)
	if err != nil {
		return nil, f.classify(ctx, u.String(), err)
	}
	defer resp.Body.Close()

	res := &Response{
		URL:          resp.Request.URL.String(),
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         firstNonEmpty(resp.Header.Get("ETag"), r.ETag),
		LastModified: firstNonEmpty(resp.Header.Get("Last-Modified"), r.LastModified),
		MaxAge:       cacheMaxAge(resp.Header.Get("Cache-Control")),
	}
	if chain.hops > 0 && chain.permanent && !chain.leftSite {
		res.MovedTo = res.URL
		f.opts.Logger.Debug("feed moved permanently", "from", u.String(), "to", res.URL)
	}
	if err := f.checkStatus(resp); err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotModified {
		if resp.Request.Header.Get("If-None-Match") == "" && resp.Request.Header.Get("If-Modified-Since") == "" {
			// Nothing was asked that a 304 answers (a broken cache): taken
			// as "not modified", the feed would never be read.
			return nil, &Error{URL: res.URL, Status: http.StatusNotModified, Kind: HTTPStatus, Err: errUnaskedNotModified}
		}
		res.NotModified = true
		return res, nil
	}
	body, err := f.readBody(resp)
	if err != nil {
		return nil, f.classify(ctx, res.URL, err)
	}
	f.finish(res, body, r.BodyHash)
	return res, nil
}

// waitForSlot waits for the host's politeness (HostConcurrency, HostGap)
// to let a request start, at most Timeout: the wait is not the feed's
// fault, so it is kept out of the request's own timeout, and a feed queued
// behind a slow host's other feeds is reported as not fetched (HostBusy),
// not as timed out. Unbounded, it waits as long as ctx lasts.
func (f *Fetcher) waitForSlot(ctx context.Context, u *url.URL, unbounded bool) (release func(), err error) {
	wait, cancel := ctx, context.CancelFunc(func() {})
	if !unbounded {
		wait, cancel = context.WithTimeout(ctx, f.opts.Timeout)
	}
	defer cancel()
	release, err = f.hosts.acquire(wait, u.Hostname())
	switch {
	case err == nil:
		return release, nil
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		return nil, &Error{URL: u.String(), Kind: HostBusy,
			Err: fmt.Errorf("waited %s for a slot on host %s; not fetched", f.opts.Timeout, u.Hostname())}
	default:
		return nil, f.classify(ctx, u.String(), err)
	}
}

func (f *Fetcher) newRequest(ctx context.Context, u *url.URL, r Request) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", withVersion(firstNonEmpty(r.UserAgent, f.opts.UserAgent), f.version))
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, application/json;q=0.8, text/xml;q=0.8, */*;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip, br")
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	return req, nil
}

// checkStatus turns a status that carries no feed into an *Error.
func (f *Fetcher) checkStatus(resp *http.Response) error {
	code := resp.StatusCode
	if code == http.StatusNotModified || (code >= 200 && code < 300) {
		return nil
	}
	// Read a little of the error page so the connection can be reused.
	io.CopyN(io.Discard, resp.Body, 4<<10)
	e := &Error{URL: resp.Request.URL.String(), Status: code, Kind: HTTPStatus}
	switch code {
	case http.StatusGone:
		e.Kind = Gone
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), f.opts.Now())
	}
	return e
}

func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	limit := f.opts.MaxBodyBytes
	if resp.ContentLength > limit && resp.Header.Get("Content-Encoding") == "" {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds the limit of %d bytes", errTooLarge, resp.ContentLength, limit)
	}
	enc := resp.Header.Get("Content-Encoding")
	raw := &readErrors{r: resp.Body}
	r, err := decodedReader(raw, enc)
	hint := int64(0)
	if enc == "" {
		hint = resp.ContentLength
	}
	var body []byte
	if err == nil {
		body, err = readLimited(r, limit, hint)
	}
	if err != nil && enc != "" && raw.err == nil && !errors.Is(err, errTooLarge) && !errors.Is(err, errUnsupportedEncoding) {
		// The bytes came, but are not what the header says (an empty
		// body, a plain one): the decompressor's bare "EOF" would read as
		// a network fault.
		err = fmt.Errorf("reading the body as its Content-Encoding %s says: %w", enc, err)
	}
	if err != nil {
		return nil, err
	}
	return gunzipIfCompressed(body, limit)
}

// readErrors remembers the error, other than io.EOF, of the reader under a
// decompressor, to tell the connection's failures from the encoding's.
type readErrors struct {
	r   io.Reader
	err error
}

func (r *readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// fetchFile reads a local feed, bounded like an HTTP body and, like a
// request, by the timeout and ctx (see readWithin). Its modification
// time serves as Last-Modified so an unchanged file is not parsed again.
// file://relative/path (a host part) is read relative to the working
// directory, which is handy in config files.
func (f *Fetcher) fetchFile(ctx context.Context, u *url.URL, r Request) (*Response, error) {
	path := u.Path
	if u.Host != "" && u.Host != "localhost" {
		path = filepath.Join(u.Host, u.Path)
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	file, err := openFeedFile(path)
	if err != nil {
		return nil, &Error{URL: u.String(), Kind: Network, Err: err}
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, &Error{URL: u.String(), Kind: Network, Err: err}
	}
	body, err := readWithin(ctx, file, f.opts.MaxBodyBytes, st.Size())
	if err == nil {
		body, err = gunzipIfCompressed(body, f.opts.MaxBodyBytes)
	}
	if err != nil {
		return nil, f.classify(ctx, u.String(), fmt.Errorf("reading %s: %w", path, err))
	}
	res := &Response{URL: u.String(), LastModified: st.ModTime().UTC().Format(http.TimeFormat)}
	f.finish(res, body, r.BodyHash)
	return res, nil
}

// readWithin reads file (see readLimited) until ctx is done: a file the
// runtime polls (a named pipe) has its read deadline set then, which ends
// a read that waits for a writer; a regular file, whose reads do not
// wait, is read chunk by chunk, ctx asked before each. The error is then
// ctx's. (A read of a file on a hung network mount cannot be ended.)
func readWithin(ctx context.Context, file *os.File, limit, sizeHint int64) ([]byte, error) {
	if file.SetReadDeadline(time.Time{}) == nil { // polled
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				file.SetReadDeadline(time.Now())
			case <-stop:
			}
		}()
		defer wg.Wait()
		defer close(stop)
	}
	body, err := readLimited(ctxReader{ctx, file}, limit, sizeHint)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return body, err
}

// ctxReader is r, read until ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// finish records the body and its hash, and drops the body when the hash is
// unchanged: many servers ignore validators but send identical bytes.
func (f *Fetcher) finish(res *Response, body []byte, lastHash string) {
	res.BodyHash = BodyHash(body)
	if lastHash != "" && res.BodyHash == lastHash {
		res.NotModified = true
		return
	}
	res.Body = body
}

// BodyHash is the compact hash of a body stored to skip re-parsing it.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// classify turns a transport or read error into an *Error a person can act on.
func (f *Fetcher) classify(ctx context.Context, rawURL string, err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its "Get <url>:" prefix repeats what the caller prints
	}
	e := &Error{URL: rawURL, Kind: Network, Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, errBlocked):
		e.Kind = Blocked
	case errors.Is(err, errTooLarge):
		e.Kind = TooLarge
	case errors.Is(err, errTooManyRedirects):
		e.Kind = TooManyRedirects
	case errors.Is(err, errBadRedirect):
		e.Kind = Blocked
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		e.Kind = Timeout
		e.Err = fmt.Errorf("timed out after %s (%w)", f.opts.Timeout, err)
	case errors.Is(err, context.Canceled):
		e.Kind = Canceled
	case errors.As(err, &ne) && ne.Timeout():
		e.Kind = Timeout
	}
	return e
}

var (
	errUnaskedNotModified = errors.New("the request had no If-None-Match or If-Modified-Since to answer")
	errTooManyRedirects   = errors.New("too many redirects")
	errBadRedirect        = errors.New("redirect to a non-HTTP URL")
)

// redirectChain follows at most max redirects over http(s) only and
// remembers whether all of them were permanent.
type redirectChain struct {
	max       int
	hops      int
	permanent bool
	// extra are the feed's own headers (an API key, a token). Like
	// Authorization, they follow a redirect only to the feed's host and its
	// subdomains: net/http forwards custom headers to any site.
	extra map[string]string
	// leftSite: the chain went to another site, and extra were kept from
	// it. Such a move is not reported (Response.MovedTo): polled at the new
	// URL, the feed would send extra there directly.
	leftSite bool
}

func (c *redirectChain) check(req *http.Request, via []*http.Request) error {
	if len(via) > c.max {
		return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, c.max)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s", errBadRedirect, req.URL)
	}
	if len(c.extra) > 0 && !isDomainOrSubdomain(req.URL.Hostname(), via[0].URL.Hostname()) {
		c.leftSite = true
		for name := range c.extra {
			req.Header.Del(name)
		}
	}
	keepCredentials(req.URL, via[0].URL)
	c.hops++
	if code := req.Response.StatusCode; code != http.StatusMovedPermanently && code != http.StatusPermanentRedirect {
		c.permanent = false
	}
	return nil
}

// keepCredentials gives a redirect to the feed URL's own host and port
// (or from http to https on the default ports) the user and password that
// URL carries (https://user:pass@host/feed), unless it names its own:
// net/http sends them only to the URL that names them, so a feed moved by
// an absolute Location on its host, as most servers write it, failed with
// 401, and the URL stored for it (Response.MovedTo) lost them for good.
// Another host or port, or plain http after https, never gets them.
func keepCredentials(to, from *url.URL) {
	if from.User == nil || to.User != nil || !strings.EqualFold(to.Hostname(), from.Hostname()) {
		return
	}
	same := to.Scheme == from.Scheme && portOf(to) == portOf(from)
	upgrade := from.Scheme == "http" && to.Scheme == "https" && portOf(from) == "80" && portOf(to) == "443"
	if same || upgrade {
		to.User = from.User
	}
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// isDomainOrSubdomain reports whether host is parent or one of its
// subdomains; an IP address only matches itself.
func isDomainOrSubdomain(host, parent string) bool {
	host, parent = strings.ToLower(host), strings.ToLower(parent)
	if host == parent {
		return true
	}
	if strings.ContainsAny(host, ":%") || net.ParseIP(parent) != nil {
		return false
	}
	return strings.HasSuffix(host, "."+parent)
}

// proxyGuard keeps the SSRF check on the address actually reached when a
// proxy is used. Unless private networks are allowed or the proxy resolves
// names, the Transport has no Proxy: proxyGuard picks the proxy for the
// request and hands it to the guarded dialer in the context, and the dialer
// resolves the target host once, checks the addresses and has the proxy
// tunnel (CONNECT, SOCKS5) to a checked IP, for http:// feeds too. A proxy
// given the host name would resolve it again, and the second answer could
// be private (DNS rebinding). With private networks allowed, the Transport
// proxies as net/http does. With ProxyResolvesNames it does too, after
// proxyGuard checked the name (checkHost); the dial to the proxy itself is
// then unchecked (withProxied).
type proxyGuard struct {
	next   http.RoundTripper
	dialer *guardedDialer
	proxy  func(*http.Request) (*url.URL, error)
}

func (p *proxyGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if p.dialer.allowPrivate {
		return p.next.RoundTrip(req)
	}
	pu, err := p.proxy(req)
	if err != nil {
		return nil, err
	}
	switch {
	case pu == nil:
	case p.dialer.proxyResolves:
		if err := p.dialer.checkHost(req.Context(), req.URL.Host); err != nil {
			return nil, err
		}
		req = req.WithContext(withProxied(req.Context()))
	default:
		req = req.WithContext(withProxy(req.Context(), pu))
	}
	return p.next.RoundTrip(req)
}

// parseRetryAfter reads delay-seconds or an HTTP-date, at most
// maxRetryAfter (the longest the schedule parks a feed, which the error's
// message then states); 0 when absent, unreadable or not in the future.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d.Round(time.Second), maxRetryAfter)
		}
	}
	return 0
}

// cacheMaxAge returns Cache-Control max-age, or 0 when absent or when the
// response must not be cached.
func cacheMaxAge(v string) time.Duration {
	var age time.Duration
	for _, part := range strings.Split(v, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(name) {
		case "no-cache", "no-store":
			return 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n > 0 {
				age = time.Duration(min(n, int64(365*24*3600))) * time.Second
			}
		}
	}
	return age
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
