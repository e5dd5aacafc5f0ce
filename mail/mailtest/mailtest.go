// Package mailtest runs a real SMTP server (go-smtp's) on 127.0.0.1 for
// tests, with a throw-away certificate for STARTTLS or implicit TLS,
// PLAIN authentication, and replies the test scripts (a 4xx for the next
// message, say). It records every message it accepts.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configures a Server.
type Options struct {
	// TLS is "starttls" (offer STARTTLS), "tls" (implicit TLS) or ""
	// (plain, nothing offered).
	TLS string
	// Username and Password, when set, are the only credentials PLAIN
	// accepts; AUTH is offered only over TLS.
	Username, Password string
	// RequireAuth refuses MAIL before a successful AUTH.
	RequireAuth bool
}

// Received is one accepted message.
type Received struct {
	From string
	To   []string
	Data []byte
	// TLS says whether the message came over an encrypted connection;
	// User who authenticated ("" for nobody).
	TLS  bool
	User string
}

// Server is a running SMTP server.
type Server struct {
	// Host and Port are where it listens (127.0.0.1).
	Host string
	Port int
	// Roots trusts the server's certificate (for the client's
	// tls.Config).
	Roots *x509.CertPool

	mu       sync.Mutex
	got      []Received
	fail     []*smtp.SMTPError
	auths    int
	insecure int
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, roots := certificate(t)
	s := &Server{Host: "127.0.0.1", Roots: roots}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c, opts: opts}, nil
	}))
	srv.Domain = "mailtest.localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = testLogger{t}
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var ln net.Listener
	var err error
	switch opts.TLS {
	case "starttls":
		srv.TLSConfig = tcfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case "tls":
		srv.TLSConfig = tcfg
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tcfg)
	case "":
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	default:
		t.Fatalf("mailtest: TLS %q", opts.TLS)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Port, _ = strconv.Atoi(port)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("mailtest: serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		ln.Close() // Close may run before Serve has registered ln
		<-done
	})
	return s
}

// FailNext makes the next messages' DATA get these replies, one each, in
// order (e.g. 451 for a temporary failure).
func (s *Server) FailNext(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range codes {
		s.fail = append(s.fail, &smtp.SMTPError{Code: c, EnhancedCode: smtp.EnhancedCode{c / 100, 0, 0},
			Message: "mailtest: scripted failure " + strconv.Itoa(c)})
	}
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// AuthAttempts counts AUTH commands that reached the server;
// InsecureAuths those of them on a connection without TLS.
func (s *Server) AuthAttempts() (all, insecure int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths, s.insecure
}

type session struct {
	srv  *Server
	conn *smtp.Conn
	opts Options
	user string
	from string
	to   []string
}

func (se *session) AuthMechanisms() []string {
	if se.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	se.srv.mu.Lock()
	se.srv.auths++
	if _, ok := se.conn.TLSConnectionState(); !ok {
		se.srv.insecure++
	}
	se.srv.mu.Unlock()
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != se.opts.Username || password != se.opts.Password {
			return smtp.ErrAuthFailed
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.opts.RequireAuth && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.srv.mu.Lock()
	defer se.srv.mu.Unlock()
	if len(se.srv.fail) > 0 {
		e := se.srv.fail[0]
		se.srv.fail = se.srv.fail[1:]
		return e
	}
	_, tlsOn := se.conn.TLSConnectionState()
	se.srv.got = append(se.srv.got, Received{From: se.from, To: append([]string(nil), se.to...), Data: data, TLS: tlsOn, User: se.user})
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// certificate makes a self-signed certificate for 127.0.0.1 and
// localhost, valid for a day.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf("mailtest: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(append([]any{"mailtest:"}, v...)...) }
