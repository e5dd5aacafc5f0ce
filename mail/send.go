package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Sender delivers messages to one SMTP server, a connection each.
type Sender struct {
	cfg Config
}

// NewSender checks cfg and returns a sender for it.
func NewSender(cfg Config) (*Sender, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	return &Sender{cfg: cfg}, nil
}

// From is the sender address of every message.
func (s *Sender) From() string { return s.cfg.From.Address }

// Config is the sender's configuration.
func (s *Sender) Config() Config { return s.cfg }

// Send delivers msg (as Build wrote it) to the recipients. An error from
// the server is an *smtp.SMTPError inside; Temporary says whether trying
// again later may help.
func (s *Sender) Send(ctx context.Context, to []string, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.connect(ctx)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Addr(), err)
	}
	defer c.Close()
	if err := s.deliver(c, to, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Addr(), err)
	}
	return nil
}

// connect dials, secures the connection as configured and
// authenticates. The connection's deadline follows ctx.
func (s *Sender) connect(ctx context.Context) (*smtp.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr())
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	c, err := s.secure(ctx, conn)
	if err != nil {
		stop()
		conn.Close()
		return nil, err
	}
	if err := s.auth(c); err != nil {
		stop()
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *Sender) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		cfg = s.cfg.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.cfg.Host
	}
	return cfg
}

// secure wraps conn as Security says and says hello.
func (s *Sender) secure(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	switch s.cfg.Security {
	case ImplicitTLS:
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		c := smtp.NewClient(tc)
		return c, c.Hello(s.cfg.HelloName)
	case StartTLS:
		// EHLO, a check that STARTTLS is offered, STARTTLS; the handshake
		// runs at the second EHLO. go-smtp's error for a server without
		// STARTTLS is neither a server reply nor a network error.
		c, err := smtp.NewClientStartTLS(conn, s.tlsConfig())
		if err != nil {
			var se *smtp.SMTPError
			var ne net.Error
			if !errors.As(err, &se) && !errors.As(err, &ne) {
				return nil, fmt.Errorf("%w (%v)", ErrNoStartTLS, err)
			}
			return nil, fmt.Errorf("starttls: %w", err)
		}
		if err := c.Hello(s.cfg.HelloName); err != nil {
			return nil, fmt.Errorf("starttls: %w", err)
		}
		return c, nil
	default:
		c := smtp.NewClient(conn)
		return c, c.Hello(s.cfg.HelloName)
	}
}

// auth authenticates when a user name is configured, and only over TLS.
func (s *Sender) auth(c *smtp.Client) error {
	if s.cfg.Username == "" {
		return nil
	}
	if _, ok := c.TLSConnectionState(); !ok {
		return ErrInsecureAuth
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return fmt.Errorf("%w: the server offers no AUTH after TLS", ErrConfig)
	}
	if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
		return fmt.Errorf("auth as %s: %w", s.cfg.Username, err)
	}
	return nil
}

// deliver runs one mail transaction and quits.
func (s *Sender) deliver(c *smtp.Client, to []string, msg []byte) error {
	if err := c.Mail(s.cfg.From.Address, nil); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fmt.Errorf("rcpt to %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	// The message is accepted once DATA is: a failed QUIT does not undo
	// that.
	_ = c.Quit()
	return nil
}

// Temporary reports whether a failed Send may succeed later: a 4xx reply
// or a network failure. A 5xx reply and the package's own refusals
// (configuration, TLS required) are permanent.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInsecureAuth) || errors.Is(err, ErrNoStartTLS) || errors.Is(err, ErrConfig) || errors.Is(err, ErrAddress) {
		return false
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	var ce *tls.CertificateVerificationError
	return !errors.As(err, &ce)
}
