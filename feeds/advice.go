package feeds

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
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

// networkAdvice tells apart causes that read alike: the proxy's failure
// from the site's, a name the DNS server could not look up for now from
// one that does not exist, a certificate for another name from one not
// trusted, a port that does not speak TLS from a site whose TLS newshound
// refuses.
func networkAdvice(err error) string {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var here *unresolvedHere
	var file *fs.PathError // a file:// feed's: no site to try again later
	switch {
	case errors.As(err, &here):
		return "check the host name in the URL; if it is right, whoever runs newshound can set proxy_resolves_names: true"
	case viaProxy(err):
		return "the proxy newshound reaches sites through failed, not the site: whoever runs newshound can check the proxy, or try again later"
	case errors.As(err, &dns) && !dns.IsNotFound:
		return "the host name could not be looked up for now (the DNS server failed): try again later"
	case errors.As(err, &dns):
		return "check the host name in the URL"
	case errors.As(err, &cert):
		return certAdvice(cert)
	case notTLS(err):
		return "the server at that address and port does not speak HTTPS (it answers plain HTTP, or another protocol): give the URL with http://, or with the port that serves HTTPS"
	case tlsText(err) == "tls: unrecognized name":
		return "the site has no certificate for that host name: check the host name in the URL"
	case tlsRefused(err):
		return "the site's HTTPS is outdated (it offers no TLS version or cipher newshound accepts) or asks for a client certificate: the site must fix it, or give the feed's http:// address if it has one"
	case errors.Is(err, io.EOF) && overHTTPS(err):
		return "the server closed the connection without answering, as a port that does not serve HTTPS may: check the URL's scheme and port, or try again later"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing answers at that address and port: check the URL, or try again once the site is back"
	case errors.Is(err, fs.ErrNotExist):
		return "check the file's path"
	case errors.As(err, &file):
		return "check the file's path, and that newshound may read it"
	}
	return "check the URL, or try again later"
}

// viaProxy reports an error of reaching or asking the proxy (the guard's
// proxyError, net/http's "proxyconnect" when the guard is off, and a SOCKS5
// proxy's "socks connect", x/net's and net/http's alike, which names the
// proxy's address and wraps the cause).
func viaProxy(err error) bool {
	var pe *proxyError
	var op *net.OpError
	return errors.As(err, &pe) || errors.As(err, &op) && (op.Op == "proxyconnect" || op.Op == "socks connect")
}

// notTLS reports an https:// URL whose server answered the TLS handshake
// in another protocol: plain HTTP (net/http's ErrSchemeMismatch), or
// anything else that is no TLS record.
func notTLS(err error) bool {
	var rec tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rec)
}

// tlsRefused reports a TLS handshake that failed for want of a version
// or cipher both sides accept, or of a client certificate: an alert the
// site sent ("remote error: tls: handshake failure", "…: protocol version
// not supported"), or crypto/tls refusing what the site offered ("tls:
// server selected unsupported protocol version 301"). Other TLS failures
// (a corrupted record, the site's internal error) are no such refusal.
func tlsRefused(err error) bool {
	text := tlsText(err)
	return slices.ContainsFunc(tlsRefusals, func(r string) bool { return strings.HasPrefix(text, r) })
}

// tlsRefusals begin the texts of tlsRefused's errors: the site's alerts,
// then crypto/tls's own refusals.
var tlsRefusals = []string{
	"tls: handshake failure", "tls: protocol version not supported", "tls: insufficient security level", "tls: certificate required",
	"tls: server selected unsupported protocol version", "tls: server chose an unconfigured cipher suite",
}

// tlsText is the text of err's innermost error when crypto/tls made it
// (an alert, its own refusal), else "": crypto/tls exports no type for
// either, so the text alone tells them.
func tlsText(err error) string {
	inner := err
	for next := errors.Unwrap(inner); next != nil; next = errors.Unwrap(inner) {
		inner = next
	}
	if text := inner.Error(); strings.HasPrefix(text, "tls: ") {
		return text
	}
	return ""
}

// overHTTPS reports an error of fetching an https:// URL.
func overHTTPS(err error) bool {
	var fe *Error
	return errors.As(err, &fe) && strings.HasPrefix(fe.URL, "https:")
}

func certAdvice(cert *tls.CertificateVerificationError) string {
	var host x509.HostnameError
	if errors.As(cert, &host) {
		return "the site's certificate is for another name: check the host name in the URL"
	}
	return "the site's certificate is not valid (expired, self-signed, or of an authority this machine does not trust): the site must fix it, or whoever runs newshound can trust its authority"
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
