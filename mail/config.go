package mail

import (
	"crypto/tls"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Security is how the connection to the SMTP server is protected.
type Security string

// The three ways to reach a server.
const (
	// StartTLS connects in the clear and must upgrade with STARTTLS
	// before anything else (port 587, submission). A server that does
	// not offer it is an error.
	StartTLS Security = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465,
	// submissions).
	ImplicitTLS Security = "tls"
	// Plain is unencrypted: only for a relay on the same host or
	// network, and never with a user name.
	Plain Security = "none"
)

// Config is how to reach the SMTP server and who mail is from.
type Config struct {
	Host     string
	Port     int
	Security Security
	// Username and Password authenticate with SASL PLAIN, only ever over
	// TLS. The password is never part of a URL (see ParseURL).
	Username string
	Password string
	// From is the sender of every message.
	From netmail.Address
	// HelloName is the name given in EHLO. Default "localhost".
	HelloName string
	// TLS configures the TLS client; nil verifies the server against
	// the system's roots for Host. Tests give their own roots.
	TLS *tls.Config
	// Timeout bounds one whole delivery (connect to QUIT). Default 60s.
	Timeout time.Duration
}

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Check refuses a configuration that cannot work or would send a
// password in the clear.
func (c Config) Check() error {
	switch {
	case c.Host == "":
		return fmt.Errorf("%w: no server host", ErrConfig)
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("%w: port %d", ErrConfig, c.Port)
	case c.Security != StartTLS && c.Security != ImplicitTLS && c.Security != Plain:
		return fmt.Errorf("%w: security %q (want starttls, tls or none)", ErrConfig, c.Security)
	case c.Security == Plain && (c.Username != "" || c.Password != ""):
		return fmt.Errorf("%w: %s: a user name or password on an unencrypted connection; use smtp:// (STARTTLS) or smtps://", ErrInsecureAuth, c.Addr())
	case c.Password != "" && c.Username == "":
		return fmt.Errorf("%w: a password but no user name (smtp://USER@host)", ErrConfig)
	}
	if err := ValidAddress(c.From.Address); err != nil {
		return fmt.Errorf("%w: sender: %w", ErrConfig, err)
	}
	return nil
}

// ParseURL reads a server URL:
//
//	smtp://[user@]host[:port]           STARTTLS required (default port 587)
//	smtps://[user@]host[:port]          TLS from the start (default port 465)
//	smtp+plain://host[:port]            unencrypted, no user (default port 25)
//
// A password in the URL is refused: a flag's value shows in ps and in
// shell history. It comes from the environment or a file instead.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("%w: SMTP URL %q: %v", ErrConfig, raw, err)
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.Security, c.Port = StartTLS, 587
	case "smtps":
		c.Security, c.Port = ImplicitTLS, 465
	case "smtp+plain":
		c.Security, c.Port = Plain, 25
	default:
		return Config{}, fmt.Errorf("%w: SMTP URL %q: scheme %q (want smtp, smtps or smtp+plain)", ErrConfig, raw, u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Config{}, fmt.Errorf("%w: SMTP URL %q: only scheme://[user@]host[:port]", ErrConfig, raw)
	}
	if u.User != nil {
		if _, set := u.User.Password(); set {
			return Config{}, fmt.Errorf("%w: SMTP URL: a password in the URL would show in ps; put it in the environment or a file", ErrConfig)
		}
		c.Username = u.User.Username()
		if strings.ContainsFunc(c.Username, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return Config{}, fmt.Errorf("%w: SMTP URL: control character in the user name", ErrConfig)
		}
	}
	c.Host = u.Hostname()
	if c.Host == "" || strings.ContainsAny(c.Host, " %") || (strings.Contains(c.Host, ":") && net.ParseIP(c.Host) == nil) {
		// A host with a colon must be an IPv6 address ("smtp://::" names
		// host ":", which no dialer or URL parser takes back).
		return Config{}, fmt.Errorf("%w: SMTP URL %q: no valid host", ErrConfig, raw)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return Config{}, fmt.Errorf("%w: SMTP URL %q: port %q", ErrConfig, raw, p)
		}
		c.Port = n
	}
	if c.Security == Plain && c.Username != "" {
		return Config{}, fmt.Errorf("%w: SMTP URL %q: a user name on an unencrypted connection", ErrInsecureAuth, raw)
	}
	return c, nil
}

// String is the configuration as a URL, without secrets (for logs).
func (c Config) String() string {
	scheme := map[Security]string{StartTLS: "smtp", ImplicitTLS: "smtps", Plain: "smtp+plain"}[c.Security]
	u := url.URL{Scheme: scheme, Host: c.Addr()}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String()
}
