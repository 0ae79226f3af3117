package feeds

import (
	"errors"
	"io/fs"
	"net"
	"net/http"
	"syscall"
)

// Advice says what a person who gave a URL to read as a feed can do
// about err, an error of Fetch, Parse or Find (whose message names the
// cause, not the remedy): a clause to put after the cause. It is "" for
// an error whose remedy is a setting only the caller can name (Blocked,
// TooLarge: the config that allows private networks or raises the limit,
// given as a command takes it, or asked of whoever runs the bot), and for
// one with none (Canceled).
func Advice(err error) string {
	var fe *Error
	if !errors.As(err, &fe) {
		return ""
	}
	switch fe.Kind {
	case Network:
		return networkAdvice(err)
	case Timeout, HostBusy:
		return "the site did not answer in time: try again later"
	case HTTPStatus, Gone:
		return statusAdvice(fe.Status)
	case NotAFeed, Parse:
		return "give the address of the feed itself, or of a web page that announces it"
	case TooManyRedirects:
		return "open the URL in a browser and give the address it ends at"
	}
	return ""
}

func networkAdvice(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return "check the host name in the URL"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing answers at that address and port: check the URL, or try again once the site is back"
	case errors.Is(err, fs.ErrNotExist):
		return "check the file's path"
	}
	return "check the URL, or try again later"
}

func statusAdvice(status int) string {
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return "check the URL: the feed may have moved (give the site's home page to find it)"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "the site refuses to serve newshound: the feed may need a login, or the site may block bots"
	case status == http.StatusTooManyRequests || status >= 500:
		return "the site failed for now: try again later"
	}
	return "check the URL"
}
