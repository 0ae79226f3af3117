// Package fakesmtp is an SMTP server for tests, on loopback, built on
// net/textproto: EHLO, STARTTLS or implicit TLS with a certificate made at
// start, AUTH PLAIN or LOGIN, MAIL, RCPT, DATA (dot-stuffing undone), RSET, NOOP
// and QUIT. It records each mail once by its Message-ID, with every
// recipient any transaction delivered it to, counts repeats, refuses
// recipients on request (at RCPT, or a mailbox full at the end of DATA),
// can hold a transaction to a number of recipients and answers with
// injected faults, among them a connection dropped after
// the mail was taken (the answer lost). It keeps each session's commands
// (Commands), so a test can tell a conversation that stopped short of DATA.
package fakesmtp

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mode is how the server does TLS.
type Mode int

const (
	Plain    Mode = iota // no TLS offered
	StartTLS             // STARTTLS offered (and required before AUTH and MAIL)
	Implicit             // TLS from the first byte
)

// Options configure a Server.
type Options struct {
	Mode Mode
	// Username and Password, when set, make AUTH required before MAIL.
	Username, Password string
	// AuthLogin offers AUTH LOGIN alone, as Office 365 does (it offers
	// "LOGIN XOAUTH2"), instead of AUTH PLAIN.
	AuthLogin bool
	// MaxRecipients, when set, is how many recipients one mail transaction
	// takes: a RCPT past it is answered LimitReply, as a real server at its
	// limit does (RFC 5321 4.5.3.1.10), and the client must send the rest
	// in a new transaction.
	MaxRecipients int
	// LimitReply is that answer; default "452 4.5.3 Too many recipients".
	LimitReply string
}

// Mail is one accepted mail.
type Mail struct {
	From string
	// To is every recipient the mail was delivered to, in order, over all
	// the transactions that carried its Message-ID: a mail split for a
	// server's recipient limit is one mail to its receivers.
	To        []string
	Data      []byte // as received, dot-stuffing undone
	MessageID string
	TLS       bool   // the session was encrypted
	User      string // the authenticated user, if any
}

// Fault replaces the server's reply to one command.
type Fault struct {
	Command string // "AUTH", "MAIL", "RCPT", "DATA" (the reply after the mail) or "QUIT"
	// Code is the reply code; 0 closes the connection instead, and so
	// does 421 after its reply, as a real server does.
	Code int
	// Hang answers nothing instead, until the client goes away.
	Hang bool
	// Accept, for DATA, records the mail before replying, as when the
	// server took it but the reply was lost.
	Accept bool
	// Text is the reply's text; "injected fault" when empty.
	Text string
}

// Server is a fake SMTP server. Its methods are safe for concurrent use.
type Server struct {
	Addr string // host:port
	Host string
	Port int

	opts    Options
	ln      net.Listener
	tlsConf *tls.Config
	roots   *x509.CertPool
	wg      sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool
	faults   []Fault
	refuse   map[string]refusal // recipient → its RCPT reply
	mails    []Mail
	seen     map[string]bool
	repeats  int
	sessions int
	commands [][]string // each session's verbs, in order

	fullAtData map[string]string // recipient → its 552's text (FullAtData)
}

// New starts a server on 127.0.0.1; it stops, and waits for its
// connections to end, when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, roots, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		opts:    opts,
		tlsConf: &tls.Config{Certificates: []tls.Certificate{cert}},
		roots:   roots,
		conns:   map[net.Conn]bool{},
		refuse:  map[string]refusal{},
		seen:    map[string]bool{},
	}
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	s.Addr, s.Host, s.Port = addr.String(), addr.IP.String(), addr.Port
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

// ClientTLS is a TLS config that trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.roots, ServerName: s.Host}
}

// FailNext queues faults; each applies once, to the next matching command.
func (s *Server) FailNext(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Refuse makes RCPT TO addr answer code (e.g. 550, or 452 for a full
// mailbox) every time; code 0 accepts it again. 421 also closes the
// connection, as the server ending the session does.
func (s *Server) Refuse(addr string, code int) { s.RefuseWith(addr, code, "recipient refused") }

// RefuseWith is Refuse with the reply's text, which a real server starts
// with an enhanced status code (RFC 3463): "5.2.2 mailbox full".
func (s *Server) RefuseWith(addr string, code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = refusal{code, text}
}

// FullAtData makes addr's mailbox full as Gmail finds one: RCPT TO addr
// is taken, and the end of DATA of each transaction addr is a recipient
// of is answered 552 text, for the whole mail (RFC 5321 has one reply to
// it), naming no recipient; "" takes mail for it again.
func (s *Server) FullAtData(addr, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if text == "" {
		delete(s.fullAtData, strings.ToLower(addr))
		return
	}
	if s.fullAtData == nil {
		s.fullAtData = map[string]string{}
	}
	s.fullAtData[strings.ToLower(addr)] = text
}

// fullReply is the end of DATA's reply to a transaction to one of the
// mailboxes FullAtData made full, "" for none.
func (s *Server) fullReply(to []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, addr := range to {
		if text, full := s.fullAtData[strings.ToLower(addr)]; full {
			return text
		}
	}
	return ""
}

// refusal is a RCPT reply; code 0 accepts.
type refusal struct {
	code int
	text string
}

// Mails returns the accepted mails, each Message-ID once, in order.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	mails := append([]Mail(nil), s.mails...)
	for i := range mails {
		// a later part of a split mail appends to To: the caller gets its own
		mails[i].To = slices.Clone(mails[i].To)
	}
	return mails
}

// Stats: sessions opened, and mails received again under a Message-ID
// already accepted.
func (s *Server) Stats() (sessions, repeats int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions, s.repeats
}

// Commands returns the verbs each session sent, in order ("EHLO",
// "MAIL", "RCPT", …), a session's lines within AUTH and DATA left out.
func (s *Server) Commands() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]string, len(s.commands))
	for i, c := range s.commands {
		out[i] = slices.Clone(c)
	}
	return out
}

func (s *Server) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.sessions++
		n := len(s.commands)
		s.commands = append(s.commands, nil)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.session(c, n)
		}()
	}
}

// takeFault removes and returns the first queued fault for command.
func (s *Server) takeFault(command string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Command == command {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// session is one client's conversation.
type session struct {
	s      *Server
	n      int // its place in Server.commands
	conn   net.Conn
	tp     *textproto.Conn
	tls    bool
	user   string
	from   string
	to     []string
	inMail bool
}

func (s *Server) session(c net.Conn, n int) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	ss := &session{s: s, conn: c, n: n}
	if s.opts.Mode == Implicit {
		tc := tls.Server(c, s.tlsConf)
		if err := tc.Handshake(); err != nil {
			c.Close()
			return
		}
		ss.conn, ss.tls = tc, true
	}
	ss.tp = textproto.NewConn(ss.conn)
	defer ss.tp.Close()
	ss.reply(220, "fake.smtp.test ESMTP ready")
	for {
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if !ss.command(strings.ToUpper(verb), arg) {
			return
		}
	}
}

func (ss *session) reply(code int, msg string) { ss.tp.PrintfLine("%d %s", code, msg) }

// inject answers with a fault: its code, or a closed connection (then
// the session ends).
func (ss *session) inject(f Fault) bool {
	if f.Hang {
		io.Copy(io.Discard, ss.conn)
		return false
	}
	if f.Code == 0 {
		ss.conn.Close()
		return false
	}
	text := f.Text
	if text == "" {
		text = "injected fault"
	}
	ss.reply(f.Code, text)
	return f.Code != 421 // 421 closes the channel (RFC 5321 3.8)
}

// command handles one command; false ends the session.
func (ss *session) command(verb, arg string) bool {
	ss.s.mu.Lock()
	ss.s.commands[ss.n] = append(ss.s.commands[ss.n], verb)
	ss.s.mu.Unlock()
	if verb == "AUTH" || verb == "MAIL" || verb == "RCPT" || verb == "QUIT" {
		if f, hit := ss.s.takeFault(verb); hit {
			return ss.inject(f)
		}
	}
	switch verb {
	case "EHLO", "HELO":
		ss.resetMail()
		ext := []string{"fake.smtp.test", "8BITMIME", "SIZE 10485760"}
		if ss.s.opts.Mode == StartTLS && !ss.tls {
			ext = append(ext, "STARTTLS")
		}
		if ss.s.opts.Username != "" && (ss.tls || ss.s.opts.Mode == Plain) {
			if ss.s.opts.AuthLogin {
				ext = append(ext, "AUTH LOGIN XOAUTH2")
			} else {
				ext = append(ext, "AUTH PLAIN")
			}
		}
		for i, e := range ext {
			sep := "-"
			if i == len(ext)-1 {
				sep = " "
			}
			ss.tp.PrintfLine("250%s%s", sep, e)
		}
	case "STARTTLS":
		if ss.s.opts.Mode != StartTLS || ss.tls {
			ss.reply(502, "5.5.1 not offered")
			return true
		}
		ss.reply(220, "2.0.0 go ahead")
		tc := tls.Server(ss.conn, ss.s.tlsConf)
		if err := tc.Handshake(); err != nil {
			return false
		}
		ss.conn, ss.tls = tc, true
		ss.tp = textproto.NewConn(tc)
		ss.resetMail()
	case "AUTH":
		return ss.auth(arg)
	case "MAIL":
		switch {
		case ss.s.opts.Mode == StartTLS && !ss.tls:
			ss.reply(530, "5.7.0 must issue STARTTLS first")
		case ss.s.opts.Username != "" && ss.user == "":
			ss.reply(530, "5.7.0 authentication required")
		default:
			ss.resetMail()
			ss.from, ss.inMail = address(arg, "FROM:"), true
			ss.reply(250, "2.1.0 ok")
		}
	case "RCPT":
		to := address(arg, "TO:")
		ss.s.mu.Lock()
		refused := ss.s.refuse[strings.ToLower(to)]
		ss.s.mu.Unlock()
		switch {
		case !ss.inMail:
			ss.reply(503, "5.5.1 MAIL first")
		case ss.s.opts.MaxRecipients > 0 && len(ss.to) >= ss.s.opts.MaxRecipients:
			limit := ss.s.opts.LimitReply
			if limit == "" {
				limit = "452 4.5.3 Too many recipients"
			}
			ss.tp.PrintfLine("%s", limit)
		case refused.code == 421:
			ss.reply(refused.code, "4.7.0 too many errors, closing transmission channel")
			return false
		case refused.code != 0:
			ss.reply(refused.code, refused.text)
		default:
			ss.to = append(ss.to, to)
			ss.reply(250, "2.1.5 ok")
		}
	case "DATA":
		return ss.data()
	case "RSET":
		ss.resetMail()
		ss.reply(250, "2.0.0 ok")
	case "NOOP":
		ss.reply(250, "2.0.0 ok")
	case "QUIT":
		ss.reply(221, "2.0.0 bye")
		return false
	default:
		ss.reply(502, "5.5.2 command not recognized")
	}
	return true
}

func (ss *session) resetMail() { ss.from, ss.to, ss.inMail = "", nil, false }

func (ss *session) auth(arg string) bool {
	mech, initial, _ := strings.Cut(arg, " ")
	want := "PLAIN"
	if ss.s.opts.AuthLogin {
		want = "LOGIN"
	}
	if !strings.EqualFold(mech, want) || ss.s.opts.Username == "" {
		ss.reply(504, "5.5.4 mechanism not supported")
		return true
	}
	if want == "LOGIN" {
		return ss.authLogin(initial)
	}
	if initial == "" {
		ss.reply(334, "")
		line, err := ss.tp.ReadLine()
		if err != nil {
			return false
		}
		initial = line
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 || parts[1] != ss.s.opts.Username || parts[2] != ss.s.opts.Password {
		ss.reply(535, "5.7.8 authentication credentials invalid")
		return true
	}
	ss.user = parts[1]
	ss.reply(235, "2.7.0 authentication successful")
	return true
}

// authLogin is AUTH LOGIN: the username and the password, each asked
// for with a base64 prompt and answered in base64.
func (ss *session) authLogin(initial string) bool {
	var answers []string
	if initial != "" {
		answers = append(answers, initial)
	}
	for _, prompt := range []string{"Username:", "Password:"}[len(answers):] {
		ss.reply(334, base64.StdEncoding.EncodeToString([]byte(prompt)))
		line, err := ss.tp.ReadLine()
		if err != nil {
			return false
		}
		answers = append(answers, line)
	}
	user, err1 := base64.StdEncoding.DecodeString(answers[0])
	pass, err2 := base64.StdEncoding.DecodeString(answers[1])
	if err1 != nil || err2 != nil || string(user) != ss.s.opts.Username || string(pass) != ss.s.opts.Password {
		ss.reply(535, "5.7.8 authentication credentials invalid")
		return true
	}
	ss.user = string(user)
	ss.reply(235, "2.7.0 authentication successful")
	return true
}

func (ss *session) data() bool {
	if !ss.inMail || len(ss.to) == 0 {
		ss.reply(503, "5.5.1 RCPT first")
		return true
	}
	ss.reply(354, "end data with <CR><LF>.<CR><LF>")
	data, err := ss.tp.ReadDotBytes() // undoes dot-stuffing; lines end in \n
	if err != nil {
		return false
	}
	data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	f, hit := ss.s.takeFault("DATA")
	if hit && !f.Accept {
		ss.resetMail()
		return ss.inject(f)
	}
	if text := ss.s.fullReply(ss.to); text != "" && !hit {
		ss.resetMail()
		ss.reply(552, text)
		return true
	}
	ss.record(data)
	ss.resetMail()
	if hit {
		return ss.inject(f)
	}
	ss.reply(250, "2.0.0 queued")
	return true
}

func (ss *session) record(data []byte) {
	id := ""
	if m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(data))); err == nil {
		id = m.Header.Get("Message-Id")
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if id != "" && ss.s.seen[id] {
		// Another transaction of a mail seen before: a retry (a repeat
		// for a recipient that had it) or the next part of a mail split
		// for the recipient limit (new recipients of the same mail).
		i := slices.IndexFunc(ss.s.mails, func(m Mail) bool { return m.MessageID == id })
		repeat := false
		for _, to := range ss.to {
			if slices.Contains(ss.s.mails[i].To, to) {
				repeat = true
			} else {
				ss.s.mails[i].To = append(ss.s.mails[i].To, to)
			}
		}
		if repeat {
			ss.s.repeats++
		}
		return
	}
	ss.s.seen[id] = id != ""
	ss.s.mails = append(ss.s.mails, Mail{
		From: ss.from, To: append([]string(nil), ss.to...), Data: data,
		MessageID: id, TLS: ss.tls, User: ss.user,
	})
}

// address reads "FROM:<a@b> SIZE=1" as "a@b".
func address(arg, prefix string) string {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return ""
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	rest, _, _ = strings.Cut(rest, " ")
	return strings.TrimSuffix(strings.TrimPrefix(rest, "<"), ">")
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fakesmtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// String describes the server for test logs.
func (s *Server) String() string { return fmt.Sprintf("fakesmtp %s", s.Addr) }
