// Package email sends alerts as mail through an SMTP server (net/smtp):
// STARTTLS, implicit TLS or none, AUTH PLAIN (or LOGIN, when the server
// offers no PLAIN) when a username is set. It owns the mail's form (see
// Compose) and what the server's replies mean; it does not retry (the
// outbox sender does).
//
// A retry sends the same Message-ID, so a receiving system that drops
// repeats drops it. Replies map to the sender's errors: a 4xx reply is
// temporary (*notify.RetryError), but for a recipient's and for a 421
// (the server closing the session: a plain error, retried with the
// destination's back-off); a 5xx to the message itself is
// notify.ErrRejected, but for a mailbox full (5.2.2), retried as a 4xx
// (to several recipients, first sent to each in a transaction of its own:
// see fullAtData);
// refused authentication, a refused sender address, or a server without
// the STARTTLS or AUTH it is configured to use is notify.ErrGone, a
// problem only the operator can fix.
//
// A recipient refused at RCPT, for good (5xx: no such mailbox) or for
// now (4xx, or 552 or 5.2.2: mailbox full, greylisted), does not hold up
// the others: when at least one recipient accepts, the mail goes to those
// and the refused one misses it. The sender retries a message only as a
// whole, in order, so waiting for a mailbox full for days would stop the destination for
// everyone. Each refusal is logged when it starts or changes, and its end
// once, with the count of mails missed, not on every mail; the receipt's
// Missed counts the recipients that missed a mail, for the sender's
// metric. When no recipient accepts, a 4xx, 552 or 5.2.2 for any of them
// is a RetryError and another 5xx for all is ErrGone, as a refused sender
// is: the envelope is refused, and every mail would be.
//
// A server at its limit of recipients per mail transaction refuses no one:
// the rest get the same mail, under the same Message-ID, in further
// transactions on the connection (RFC 5321 4.5.3.1.10). Should a further
// transaction fail, however, the recipients it has not reached miss the
// mail, as refused ones do: retried whole, it would go again to those who
// have it, on every attempt for as long as the failure lasts.
//
// Check (notify.Checker) holds the same conversation up to the envelope
// and sends nothing, so that the service can tell at start and at a
// reload whether the destination can take mail (run --once leaves it to
// its mail: a cron job would log in at every run), and resume one a
// refusal paused once it is fixed.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newshound/newshound/bot/notify"
	"github.com/newshound/newshound/internal/statelog"
)

// TLS modes, as the config writes them.
const (
	StartTLS    = "starttls"
	ImplicitTLS = "implicit"
	NoTLS       = "none"
)

// tempFailWait is how long a 4xx reply waits: long enough for greylisting,
// which refuses the first attempt for a few minutes.
const tempFailWait = 5 * time.Minute

// defaultTimeout bounds a whole Send when the context has no deadline.
const defaultTimeout = 2 * time.Minute

// checkWait bounds a Check whose context has no deadline, when shorter
// than Config.Timeout: a reload ends only once the checks are over, so a
// server that never answers must not hold it for a send's time. A
// Discord check waits as long (its requests' 30 s).
const checkWait = 30 * time.Second

// quitWait bounds the wait for the answer to QUIT: the server has the
// mail by then, and one that never says goodbye must not hold the
// destination for the rest of the send's time.
const quitWait = 5 * time.Second

// Config configures a Notifier.
type Config struct {
	Host     string
	Port     int
	TLS      string // StartTLS, ImplicitTLS or NoTLS
	Username string // empty = no AUTH
	Password string
	From     string   // "newshound <alerts@example.org>"
	To       []string // one or more addresses
	// TLSConfig, when set, is used for STARTTLS and implicit TLS (its
	// ServerName defaults to Host); tests use it to trust a test CA.
	TLSConfig *tls.Config
	// LocalName is the name sent with EHLO; default "localhost".
	LocalName string
	// Timeout bounds a Send whose context has no deadline; default 2m.
	Timeout time.Duration
	// Now is the clock for the Date header; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger // default: discard
}

// Notifier sends mail through one SMTP server.
type Notifier struct {
	cfg Config
	env Envelope
	tls *tls.Config
	// refused holds the recipients refused while others took the mail,
	// by address: a refusal repeats on every mail, and is logged when it
	// starts, changes or ends, with a count.
	refused *statelog.Log
	log     *slog.Logger // what a Check finds that is no fault
	// checkWait bounds a Check, Config.Timeout if shorter (checkWait);
	// a test shortens it.
	checkWait time.Duration
	// watch runs f once ctx ends (context.AfterFunc); a test waits for it.
	watch func(ctx context.Context, f func()) (stop func() bool)
}

// New checks cfg and returns a notifier. It does not connect.
func New(cfg Config) (*Notifier, error) {
	env, err := ParseEnvelope(cfg.From, cfg.To)
	if err != nil {
		return nil, fmt.Errorf("email: %v", err)
	}
	switch {
	case cfg.Host == "":
		return nil, errors.New("email: no SMTP host")
	case cfg.Port <= 0 || cfg.Port > 65535:
		return nil, fmt.Errorf("email: bad SMTP port %d", cfg.Port)
	case cfg.TLS != StartTLS && cfg.TLS != ImplicitTLS && cfg.TLS != NoTLS:
		return nil, fmt.Errorf("email: TLS mode %q is not starttls, implicit or none", cfg.TLS)
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
	}
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, env: env, tls: tc, refused: statelog.NewAt(log, cfg.Now), log: log, checkWait: min(checkWait, cfg.Timeout), watch: context.AfterFunc}, nil
}

// Send delivers the message as one mail to every recipient. Every network
// step is bounded by ctx (and by Config.Timeout when ctx has no deadline),
// and the answer to QUIT, after the mail is taken, by quitWait too.
// The receipt's MessageID is the mail's Message-ID.
func (n *Notifier) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	msg, err := Compose(m, n.env, n.cfg.Now())
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("email: %v: %w", err, notify.ErrRejected)
	}
	ctx, cancel := bounded(ctx, n.cfg.Timeout)
	defer cancel()
	c, conn, stop, err := n.connect(ctx)
	if err != nil {
		return notify.Receipt{}, err
	}
	defer stop()
	defer c.Close()
	missed, err := n.deliver(c, msg)
	if err != nil {
		return notify.Receipt{}, n.contextError(ctx, err)
	}
	// The server has the mail; a goodbye that fails or does not come
	// changes nothing.
	quit(ctx, c, conn)
	return notify.Receipt{MessageID: MessageID(m, domainOf(n.env.From.Address)), Missed: missed}, nil
}

// quit says goodbye, waiting quitWait at most for the answer, which
// changes nothing. An earlier deadline (ctx's) stays. A ctx ended since
// the last step has had its watch cut the deadline to now, which the
// quitWait one would put off again: it ends the wait at once.
func quit(ctx context.Context, c *smtp.Client, conn net.Conn) {
	if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > quitWait {
		conn.SetDeadline(time.Now().Add(quitWait))
		if ctx.Err() != nil {
			conn.SetDeadline(time.Now())
		}
	}
	_ = c.Quit()
}

// bounded is ctx, within wait when it has no deadline.
func bounded(ctx context.Context, wait time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, wait)
}

// connect dials, greets, secures and authenticates, all within ctx. conn
// is the connection under c, whose deadline bounds each step. stop
// disarms the watch on ctx; call it when done with the client.
func (n *Notifier) connect(ctx context.Context) (c *smtp.Client, conn net.Conn, stop func() bool, err error) {
	addr := net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port))
	if n.cfg.TLS == ImplicitTLS {
		conn, err = (&tls.Dialer{Config: n.tls}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if _, clear := errors.AsType[tls.RecordHeaderError](err); clear {
		return nil, nil, nil, fmt.Errorf("%s answers in clear, not TLS (set tls: starttls, or none for a relay on this machine): %v: %w", n.server(), err, notify.ErrGone)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", n.server(), err)
	}
	// net/smtp takes no context: a deadline on the connection bounds each
	// step, and cancelling ctx ends the one under way.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// The watch reads its own copy: the returns below clear conn.
	watched := conn
	stop = n.watch(ctx, func() { watched.SetDeadline(time.Now()) })
	c, err = n.handshake(conn)
	if err != nil {
		stop()
		conn.Close()
		return nil, nil, nil, n.contextError(ctx, err)
	}
	return c, conn, stop, nil
}

// contextError says so when the context, through the connection's
// deadline, cut a step short: the conn's timer can fire a moment before
// ctx reports it.
func (n *Notifier) contextError(ctx context.Context, err error) error {
	cause := ctx.Err()
	var ne net.Error
	if deadline, ok := ctx.Deadline(); cause == nil && ok && !time.Now().Before(deadline) && errors.As(err, &ne) && ne.Timeout() {
		cause = context.DeadlineExceeded
	}
	if cause == nil {
		return err
	}
	return fmt.Errorf("%s: %w (%v)", n.server(), cause, err)
}

func (n *Notifier) handshake(conn net.Conn) (*smtp.Client, error) {
	c, err := smtp.NewClient(conn, n.cfg.Host)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		// A server speaking TLS from the first byte waits for our hello
		// as we wait for its greeting; it may be slow too, so retried.
		return nil, fmt.Errorf("%s sent no greeting (a server on port 465 speaks TLS first: set tls: implicit): %w", n.server(), err)
	}
	if err != nil {
		return nil, n.replyError("greeting", err, notify.ErrGone)
	}
	if err := c.Hello(n.cfg.LocalName); err != nil {
		c.Close()
		return nil, n.replyError("EHLO", err, notify.ErrGone)
	}
	if n.cfg.TLS == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fmt.Errorf("%s offers no STARTTLS (set tls: implicit or none if that is intended): %w", n.server(), notify.ErrGone)
		}
		if err := c.StartTLS(n.tls); err != nil {
			c.Close()
			return nil, n.replyError("STARTTLS", err, notify.ErrGone)
		}
	}
	if n.cfg.Username != "" {
		ok, offered := c.Extension("AUTH")
		if !ok {
			c.Close()
			return nil, fmt.Errorf("%s offers no AUTH but a username is set: %w", n.server(), notify.ErrGone)
		}
		auth, err := n.auth(offered)
		if err != nil {
			c.Close()
			return nil, err
		}
		if err := c.Auth(auth); err != nil {
			c.Close()
			return nil, n.replyError("AUTH as "+n.cfg.Username, err, notify.ErrGone)
		}
	}
	return c, nil
}

// auth is AUTH PLAIN, or LOGIN when the server offers LOGIN and not PLAIN
// (Office 365 offers "LOGIN XOAUTH2").
func (n *Notifier) auth(offered string) (smtp.Auth, error) {
	mechs := strings.Fields(strings.ToUpper(offered))
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		if slices.Contains(mechs, mech) {
			return &login{mech: mech, username: n.cfg.Username, password: n.cfg.Password, host: n.cfg.Host}, nil
		}
	}
	return nil, fmt.Errorf("%s offers AUTH %s, neither PLAIN nor LOGIN, which newshound speaks: %w", n.server(), offered, notify.ErrGone)
}

// login is AUTH PLAIN (the username and password at once) or LOGIN (the
// server asks for each). Like net/smtp's PlainAuth it sends them only over
// TLS or to this machine, which is also what the config allows: any name
// of it (localhost in any case, a loopback address in any form), where
// net/smtp knows only three.
type login struct {
	mech, username, password, host string
	step                           int
}

func (a *login) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	a.step = 0
	if a.mech == "PLAIN" {
		return a.mech, []byte("\x00" + a.username + "\x00" + a.password), nil
	}
	return a.mech, nil, nil
}

func (a *login) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch {
	case a.mech == "LOGIN" && a.step == 1:
		return []byte(a.username), nil
	case a.mech == "LOGIN" && a.step == 2:
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected AUTH %s challenge %q", a.mech, challenge)
}

// isLoopback reports whether host names this machine, as config reads it.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
}

// deliver sends the envelope and the mail. A recipient the server
// refuses, for good (5xx) or for now (4xx), while another accepts is
// skipped and the mail goes to the rest: a mailbox full for days must not
// hold up everyone else's alerts, and the sender retries a message as a
// whole, so waiting for one recipient would stop the destination. Only
// when no recipient accepts does a 4xx ask for a retry. Each recipient's
// refusal is logged once per change of state (see refused).
//
// A server at its limit of recipients per transaction says so at RCPT
// (see tooManyRecipients); that refuses no one, and the rest go in a new
// transaction on the same connection, with the same mail and so the same
// Message-ID, until every recipient has been tried (RFC 5321 4.5.3.1.10);
// once a transaction went through, a later one that fails ends the mail
// (see missRest), but for a reply to one recipient's own transaction
// after a split (see transactionReply).
//
// missed is how many recipients were refused while others got the mail.
func (n *Notifier) deliver(c *smtp.Client, msg []byte) (missed int, err error) {
	rest := addresses(n.env.To) // the recipients not tried yet
	var delivered []string      // recipients of the transactions the server took
	var refusals []refusal
	// missRest ends a mail some recipients have when a later transaction
	// fails, whatever the failure: a retry would send it to them again,
	// on every attempt for as long as the failure lasts, so the recipients
	// it has not reached miss it, as if refused.
	missRest := func(step string, err error, left []string) {
		for _, to := range left {
			refusals = append(refusals, refusal{to, step, err})
		}
	}
	alone := false // one recipient a transaction: see fullAtData
transactions:
	for len(rest) > 0 {
		batch := rest
		if alone {
			batch = rest[:1]
		}
		if err := c.Mail(n.env.From.Address); err != nil {
			if len(delivered) > 0 {
				missRest("MAIL FROM "+n.env.From.Address, err, rest)
				break
			}
			return 0, n.replyError("MAIL FROM "+n.env.From.Address, err, notify.ErrGone)
		}
		accepted, refused, next, err := recipients(c, batch)
		refusals = append(refusals, refused...)
		if err != nil {
			// nothing is known about the others, and the mail is retried
			// whole, unless some recipients have it
			if len(delivered) > 0 {
				missRest("RCPT TO "+rest[next], err, append(accepted, rest[next:]...))
				break transactions
			}
			_ = c.Reset()
			return 0, n.replyError("RCPT TO "+rest[next], err, nil)
		}
		rest = rest[next:]
		if len(accepted) == 0 {
			// every recipient left was refused: rest is empty
			_ = c.Reset()
			continue
		}
		if err := n.data(c, msg); err != nil {
			if reply, full := fullAtData(err); full {
				if len(accepted) > 1 {
					alone, rest = true, slices.Concat(accepted, rest)
				} else {
					refusals = append(refusals, refusal{accepted[0], "end of DATA", reply})
				}
				continue
			}
			if alone && len(delivered) > 0 && transactionReply(err) {
				refusals = append(refusals, refusal{accepted[0], "end of DATA", err})
				continue
			}
			if len(delivered) > 0 {
				missRest("the mail", err, append(accepted, rest...))
				break
			}
			return 0, err
		}
		delivered = append(delivered, accepted...)
	}
	if len(delivered) == 0 {
		// Nobody gets this mail, and every recipient was refused at RCPT:
		// the sender retries it (the first refusal that may clear: a 4xx,
		// a mailbox full) or pauses the destination (all for good), and
		// logs that itself. A RCPT reply judges the envelope, not the mail (no such
		// mailbox, no relaying without a login), so every mail would be
		// refused alike until the operator fixes to: or the server: as a
		// refused sender, not a mail to drop.
		return 0, n.everyoneRefused(refusals)
	}
	// Each Fail of a recipient is a mail it missed, so the counts
	// statelog adds (failures, previous_count) are the mails missed.
	for _, to := range delivered {
		n.refused.OK(to, "email: recipient accepted again; failures is how many mails it missed", "server", n.server(), "recipient", to)
	}
	for _, r := range refusals {
		what := "email: recipient refused for now; it misses the mail, the others get it"
		if r.permanent() {
			what = "email: recipient refused for good; it misses the mail, the others get it"
		}
		// logged without the retry or rejection it would be for the whole
		// mail: neither happens while another recipient accepts
		logged := fmt.Errorf("%s: %s: %w", n.server(), r.step, r.reply)
		n.refused.Fail(r.address, what, logged, "server", n.server(), "recipient", r.address)
	}
	return len(refusals), nil
}

// fullAtData reports whether err, a transaction's end of DATA, says a
// mailbox is full (Gmail's 552 5.2.2), with its reply. The reply is the
// mail's, for every recipient of the transaction (RFC 5321 3.3), and names
// none: nobody got it, and each recipient is sent it in a transaction of
// its own, so that the others get it and the full one, alone refused,
// misses it as one refused at RCPT does, rather than the mail waiting
// whole for as long as one mailbox stays full.
func fullAtData(err error) (*textproto.Error, bool) {
	reply, ok := errors.AsType[*textproto.Error](err)
	return reply, ok && mailboxFull("end of DATA", reply)
}

// transactionReply reports whether err is the server's reply to a
// transaction, which leaves the connection open for the next: a 4xx or
// 5xx but a 421 (the server closing the session). Once a mail is split
// (fullAtData), such a reply to one recipient's transaction is that
// recipient's alone, a refusal, and the others still get the mail.
func transactionReply(err error) bool {
	code := replyCode(err)
	return code >= 400 && code <= 599 && code != 421
}

// recipients names the recipients of the transaction begun, from the
// first of rest, until the server takes no more in it: rest[next:] go in
// the next one. err is a reply that is not about rest[next] (a dropped
// connection, or a 421: the server closing the session).
func recipients(c *smtp.Client, rest []string) (accepted []string, refused []refusal, next int, err error) {
	for ; next < len(rest); next++ {
		to := rest[next]
		err := c.Rcpt(to)
		if err == nil {
			accepted = append(accepted, to)
			continue
		}
		if code := replyCode(err); code < 400 || code > 599 || code == 421 {
			return accepted, refused, next, err
		}
		if len(accepted) > 0 && tooManyRecipients(err) {
			break // this one and the rest go in the next transaction
		}
		refused = append(refused, refusal{to, "RCPT TO " + to, err})
	}
	return accepted, refused, next, nil
}

// data sends the mail of a transaction whose recipients are set. An
// error that is a reply keeps its *textproto.Error for errors.As.
func (n *Notifier) data(c *smtp.Client, msg []byte) error {
	w, err := c.Data()
	if err != nil {
		return n.replyError("DATA", err, notify.ErrRejected)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("%s: sending the mail: %w", n.server(), err)
	}
	if err := w.Close(); err != nil {
		return n.replyError("end of DATA", err, notify.ErrRejected)
	}
	return nil
}

// addresses are the bare addresses of list.
func addresses(list []*mail.Address) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Address
	}
	return out
}

// tooManyRecipients reports whether a RCPT reply says the transaction
// takes no more recipients rather than that this one is refused: 452,
// or 552 from servers older than RFC 5321, with the enhanced status
// X.5.3 (RFC 3463: too many recipients) or those words.
func tooManyRecipients(err error) bool {
	var te *textproto.Error
	if !errors.As(err, &te) || (te.Code != 452 && te.Code != 552) {
		return false
	}
	text := strings.ToLower(te.Msg)
	return strings.HasPrefix(text, "4.5.3") || strings.HasPrefix(text, "5.5.3") || strings.Contains(text, "too many recipients")
}

// refusal is one recipient refused at RCPT, or not reached by a mail
// whose later transaction failed (see missRest).
type refusal struct {
	address string
	step    string // the SMTP step that failed for it
	reply   error  // a 4xx or 5xx reply to step, or that transaction's failure
}

// permanent reports whether the recipient was refused for good: a 5xx,
// but for a mailbox full (mailboxFull).
func (r refusal) permanent() bool {
	return replyCode(r.reply) >= 500 && !mailboxFull(r.step, r.reply)
}

// mailboxFull reports whether a reply to step says a mailbox is over its
// quota, which clears once its owner makes room, as a 452 does: the
// enhanced status X.2.2 (RFC 3463: "mailbox full", a persistent transient
// failure), whatever the code (Exchange's 550 5.2.2, Gmail's 552 5.2.2 at
// RCPT or at the end of DATA), or a 552 at RCPT (RFC 5321's "exceeded
// storage allocation"; its too-many-recipients sense never gets here). A
// 552 at the end of DATA without 5.2.2 may be the mail's size (5.3.4).
func mailboxFull(step string, err error) bool {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return false
	}
	return mailboxFullRe.MatchString(te.Msg) || (te.Code == 552 && strings.HasPrefix(step, "RCPT"))
}

var mailboxFullRe = regexp.MustCompile(`^[45]\.2\.2\b`)

// everyoneRefused is the error of a mail every recipient was refused at
// RCPT: retried when one refusal may clear (the first such), else the
// destination is gone.
func (n *Notifier) everyoneRefused(refusals []refusal) error {
	i := slices.IndexFunc(refusals, func(r refusal) bool { return !r.permanent() })
	if i < 0 {
		return n.replyError(refusals[0].step, refusals[0].reply, notify.ErrGone)
	}
	return &notify.RetryError{After: tempFailWait, Err: fmt.Errorf("%s: %s: %w", n.server(), refusals[i].step, refusals[i].reply)}
}

// replyError wraps an error of one SMTP step: a 4xx reply asks for a
// retry later, a 5xx reply gets permanent (ErrGone or ErrRejected; nil
// means retry), anything else (network, TLS) is a plain error, and so is
// a 421: the server closing the session (shutting down, too many
// connections or errors; RFC 5321 3.8) says nothing of the mail or a
// recipient, so the destination's ordinary back-off applies rather than
// the wait for a greylisting.
func (n *Notifier) replyError(step string, err error, permanent error) error {
	wrapped := fmt.Errorf("%s: %s: %w", n.server(), step, err)
	switch code := replyCode(err); {
	case code == 421:
		return fmt.Errorf("%w (the server closed the session)", wrapped)
	case code >= 400 && code < 500, code >= 500 && mailboxFull(step, err):
		return &notify.RetryError{After: tempFailWait, Err: wrapped}
	case code >= 500 && permanent != nil:
		return fmt.Errorf("%w: %w", wrapped, permanent)
	case code == 0 && permanent == notify.ErrGone && isAuthRefusal(err):
		return fmt.Errorf("%w: %w", wrapped, notify.ErrGone)
	}
	return wrapped
}

func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// isAuthRefusal: net/smtp refuses on its own to send a password over a
// connection that is neither TLS nor to localhost.
func isAuthRefusal(err error) bool {
	return err != nil && (err.Error() == "unencrypted connection" || err.Error() == "wrong host name")
}

func (n *Notifier) server() string {
	return "smtp " + net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port))
}
