package email

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"strings"

	"github.com/newshound/newshound/bot/notify"
)

// Check holds the conversation a mail would, up to its envelope, and
// sends no mail (notify.Checker): connect (TLS as configured, AUTH),
// MAIL FROM and RCPT TO each recipient, then RSET and QUIT, within ctx
// or, when it has no deadline, checkWait (Config.Timeout if shorter).
// What would pause the destination or fail every mail (a refused login,
// a tls: that does not match the server, every recipient refused for
// good, a server that cannot be reached) is an error wrapping
// notify.ErrCannotPost, in the words a send's error has.
// A 4xx to the envelope (greylisting, a mailbox full) and a recipient
// refused while another accepts are no such fault: a send goes on past
// them, so they are logged as warnings and Check passes. A 4xx or 421
// before the envelope, or a connection dropped in it, leaves it unknown:
// a plain error.
func (n *Notifier) Check(parent context.Context) error {
	ctx, cancel := bounded(parent, n.checkWait)
	defer cancel()
	c, conn, stop, err := n.connect(ctx)
	if err != nil {
		if code := replyCode(err); code >= 400 && code < 500 || parent.Err() != nil {
			return fmt.Errorf("email: could not check: %w", err)
		}
		return cannotPost(err) // unreachable, or silent within the timeout, too
	}
	defer stop()
	defer c.Close()
	accepted, refusals, err := n.envelope(c)
	quit(ctx, c, conn)
	if err == nil && accepted == 0 {
		if err = n.everyoneRefused(refusals); errors.Is(err, notify.ErrGone) {
			return fmt.Errorf("%w; every recipient refused: %s", cannotPost(err), strings.Join(refusedAddresses(refusals), ", "))
		}
	}
	switch _, later := errors.AsType[*notify.RetryError](err); {
	case later:
		n.log.Warn("email: check: the server asks to try again later; alerts wait for it", "server", n.server(), "err", err)
	case errors.Is(err, notify.ErrGone):
		return cannotPost(err)
	case err != nil:
		return fmt.Errorf("email: could not check: %w", n.contextError(ctx, err))
	case accepted > 0:
		n.warnRefused(refusals)
	}
	return nil
}

// envelope names the sender and every recipient, as deliver does, in as
// many transactions as the server takes them, each ended by RSET.
func (n *Notifier) envelope(c *smtp.Client) (accepted int, refusals []refusal, err error) {
	from := n.env.From.Address
	for rest := addresses(n.env.To); len(rest) > 0; {
		if err := c.Mail(from); err != nil {
			return accepted, refusals, n.replyError("MAIL FROM "+from, err, notify.ErrGone)
		}
		ok, refused, next, err := recipients(c, rest)
		accepted, refusals = accepted+len(ok), append(refusals, refused...)
		if err != nil {
			return accepted, refusals, n.replyError("RCPT TO "+rest[next], err, nil)
		}
		if err := c.Reset(); err != nil {
			return accepted, refusals, n.replyError("RSET", err, nil)
		}
		rest = rest[next:]
	}
	return accepted, refusals, nil
}

// warnRefused logs each recipient the server refused while another
// accepted: it would miss every mail.
func (n *Notifier) warnRefused(refusals []refusal) {
	for _, r := range refusals {
		what := "email: check: recipient refused for now; it misses the mails sent meanwhile"
		if r.permanent() {
			what = "email: check: recipient refused for good; it would miss every mail, the others get them"
		}
		n.log.Warn(what, "server", n.server(), "recipient", r.address, "err", fmt.Errorf("%s: %w", r.step, r.reply))
	}
}

func refusedAddresses(refusals []refusal) []string {
	out := make([]string, len(refusals))
	for i, r := range refusals {
		out[i] = r.address
	}
	return out
}

// cannotPost is a send's error as a check's: the destination cannot take
// alerts as it stands. The send's "destination gone" is left out: nothing
// was sent, and nothing is paused by a check.
func cannotPost(err error) error {
	text := strings.TrimSuffix(err.Error(), ": "+notify.ErrGone.Error())
	return fmt.Errorf("email: %s: %w", text, notify.ErrCannotPost)
}
