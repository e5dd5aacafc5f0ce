package mail_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/mail/mailtest"
)

var sent = time.Date(2026, 3, 9, 8, 30, 0, 0, time.UTC)

func message(subject, name string) mail.Message {
	return mail.Message{
		From:    netmail.Address{Name: "clausewatch", Address: "cw@example.org"},
		To:      []netmail.Address{{Name: name, Address: "reviewer@example.org"}},
		Subject: subject, Date: sent,
		Text:    "Policy changed.\nSecond line — ünïcode.\n",
		HTML:    "<p>Policy changed.</p><p>&lt;b&gt; stays text</p>",
		Headers: []mail.Header{{Name: "Auto-Submitted", Value: "auto-generated"}},
	}
}

// parsed is a message as a mail reader sees it.
type parsed struct {
	header netmail.Header
	text   string
	html   string
	ctypes []string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	p := parsed{header: m.Header}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct := part.Header.Get("Content-Type")
		p.ctypes = append(p.ctypes, ct)
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			p.html = string(b)
		}
	}
	return p
}

func decodeHeader(t *testing.T, s string) string {
	t.Helper()
	out, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		t.Fatalf("decode header %q: %v", s, err)
	}
	return out
}

func TestBuild(t *testing.T) {
	data, err := message("Ümlaut supplier: privacy policy changed — re-vet", "Zoë Reviewer").Build()
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 || strings.ContainsRune(line, '\n') || strings.ContainsRune(line, '\r') {
			t.Fatalf("line %d is not a clean CRLF line: %q", i, line)
		}
	}
	head, _, _ := strings.Cut(string(data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line of %d characters (folded lines stay within 78): %q", len(line), line)
		}
	}
	p := parse(t, data)
	if got, want := decodeHeader(t, p.header.Get("Subject")), "Ümlaut supplier: privacy policy changed — re-vet"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Zoë Reviewer" || to[0].Address != "reviewer@example.org" {
		t.Errorf("to %+v %v", to, err)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(sent) {
		t.Errorf("date %v %v, want %v", d, err, sent)
	}
	if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("message ID %q", id)
	}
	if p.header.Get("MIME-Version") != "1.0" || p.header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("headers %v", p.header)
	}
	if len(p.ctypes) != 2 || p.ctypes[0] != "text/plain; charset=utf-8" || p.ctypes[1] != "text/html; charset=utf-8" {
		t.Errorf("parts %q, want text then HTML", p.ctypes)
	}
	if want := "Policy changed.\r\nSecond line — ünïcode.\r\n"; p.text != want {
		t.Errorf("text part %q, want %q", p.text, want)
	}
	if want := "<p>Policy changed.</p><p>&lt;b&gt; stays text</p>"; p.html != want {
		t.Errorf("HTML part %q, want %q", p.html, want)
	}
}

func TestHeaderInjection(t *testing.T) {
	for _, tc := range []struct {
		name, subject, display string
		want                   string // the subject as read back
	}{
		{"CRLF in subject", "Acme\r\nBcc: victim@example.net", "", "Acme Bcc: victim@example.net"},
		{"LF in subject", "Acme\nX-Injected: yes\n\nbody", "", "Acme X-Injected: yes body"},
		{"CR alone", "Acme\rX-Injected: yes", "", "Acme X-Injected: yes"},
		{"unicode separators", "Acme\u2028X-Injected: yes\u0085Bcc: x@y.z", "", "Acme X-Injected: yes Bcc: x@y.z"},
		{"NUL and tab", "A\x00c\tme", "", "A c me"},
		{"fake encoded-word", "=?utf-8?q?Acme=0D=0ABcc:_x@y.z?=", "", "=?utf-8?q?Acme=0D=0ABcc:_x@y.z?="},
		{"CRLF in display name", "Policy changed", "Eve\r\nBcc: victim@example.net", "Policy changed"},
		{"long non-ASCII", strings.Repeat("Überprüfung ", 40), "", strings.TrimSpace(strings.Repeat("Überprüfung ", 20)) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := message(tc.subject, tc.display).Build()
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, data)
			for _, h := range []string{"Bcc", "X-Injected"} {
				if v, ok := p.header[h]; ok {
					t.Errorf("injected header %s: %q", h, v)
				}
			}
			got := decodeHeader(t, p.header.Get("Subject"))
			if tc.name == "long non-ASCII" {
				if !strings.HasPrefix(got, "Überprüfung Überprüfung") || !strings.HasSuffix(got, "…") || len([]rune(got)) > 241 {
					t.Errorf("subject %q: want cut to 240 characters with an ellipsis", got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("subject %q, want %q", got, tc.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("subject decodes with a line break: %q", got)
			}
			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != "reviewer@example.org" {
				t.Errorf("to %+v %v", to, err)
			}
			if p.text == "" || p.html == "" {
				t.Errorf("a body part went missing")
			}
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*mail.Message)
	}{
		{"recipient with CRLF", func(m *mail.Message) { m.To[0].Address = "a@b.c\r\nBcc: x@y.z" }},
		{"recipient with display name", func(m *mail.Message) { m.To[0].Address = "Eve <e@example.org>" }},
		{"no recipient", func(m *mail.Message) { m.To = nil }},
		{"bad sender", func(m *mail.Message) { m.From.Address = "nobody" }},
		{"header name with colon", func(m *mail.Message) { m.Headers = []mail.Header{{Name: "X-A: b\r\nBcc", Value: "x"}} }},
		{"header that repeats Bcc", func(m *mail.Message) { m.Headers = []mail.Header{{Name: "bcc", Value: "x@y.z"}} }},
		{"message ID with CRLF", func(m *mail.Message) { m.ID = "a@b\r\nBcc: x@y.z" }},
		{"no date", func(m *mail.Message) { m.Date = time.Time{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := message("s", "")
			tc.edit(&m)
			if data, err := m.Build(); err == nil {
				t.Errorf("built:\n%s", data)
			}
		})
	}
}

func TestValidAddress(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"a@example.org", true}, {"first.last+tag@sub.example.org", true},
		{"", false}, {"a", false}, {"a@b@c", false}, {"a @example.org", false}, {"<a@example.org>", false},
		{"a@example.org\r\n", false}, {"zoë@example.org", false}, {"a@example.org, b@example.org", false},
	} {
		if err := mail.ValidAddress(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidAddress(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

// config is a client configuration for a test server.
func config(srv *mailtest.Server, sec mail.Security, user, pass string) mail.Config {
	return mail.Config{Host: srv.Host, Port: srv.Port, Security: sec, Username: user, Password: pass,
		From: netmail.Address{Address: "cw@example.org"}, TLS: &tls.Config{RootCAs: srv.Roots}, Timeout: 2 * time.Minute}
}

func TestSend(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   mailtest.Options
		security mail.Security
		user     string
		wantTLS  bool
	}{
		{"STARTTLS with auth", mailtest.Options{TLS: "starttls", Username: "cw", Password: "s3cret", RequireAuth: true}, mail.StartTLS, "cw", true},
		{"implicit TLS with auth", mailtest.Options{TLS: "tls", Username: "cw", Password: "s3cret", RequireAuth: true}, mail.ImplicitTLS, "cw", true},
		{"STARTTLS without auth", mailtest.Options{TLS: "starttls"}, mail.StartTLS, "", true},
		{"plain relay without auth", mailtest.Options{}, mail.Plain, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.server)
			pass := ""
			if tc.user != "" {
				pass = "s3cret"
			}
			s, err := mail.NewSender(config(srv, tc.security, tc.user, pass))
			if err != nil {
				t.Fatal(err)
			}
			data, err := message("Test", "").Build()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(t.Context(), []string{"reviewer@example.org"}, data); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("%d messages arrived, want 1", len(got))
			}
			r := got[0]
			if r.TLS != tc.wantTLS || r.User != tc.user || r.From != "cw@example.org" || len(r.To) != 1 || r.To[0] != "reviewer@example.org" {
				t.Errorf("arrived %+v, want TLS %v user %q", r, tc.wantTLS, tc.user)
			}
			p := parse(t, r.Data)
			if p.text == "" || p.html == "" || decodeHeader(t, p.header.Get("Subject")) != "Test" {
				t.Errorf("message as received: %+v", p)
			}
		})
	}
}

func TestAuthNeedsTLS(t *testing.T) {
	t.Run("server without STARTTLS", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Username: "cw", Password: "s3cret"})
		s, err := mail.NewSender(config(srv, mail.StartTLS, "cw", "s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := message("Test", "").Build()
		err = s.Send(t.Context(), []string{"reviewer@example.org"}, data)
		if !errors.Is(err, mail.ErrNoStartTLS) || mail.Temporary(err) {
			t.Errorf("send: %v, want ErrNoStartTLS (permanent)", err)
		}
		if all, _ := srv.AuthAttempts(); all != 0 || len(srv.Messages()) != 0 {
			t.Errorf("%d AUTH commands and %d messages reached a server without TLS", all, len(srv.Messages()))
		}
	})
	t.Run("credentials on a plain connection", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		if _, err := mail.NewSender(config(srv, mail.Plain, "cw", "s3cret")); !errors.Is(err, mail.ErrInsecureAuth) {
			t.Errorf("NewSender: %v, want ErrInsecureAuth", err)
		}
	})
	t.Run("certificate not trusted", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "cw", Password: "s3cret"})
		cfg := config(srv, mail.StartTLS, "cw", "s3cret")
		cfg.TLS = nil // system roots: the test certificate is not among them
		s, err := mail.NewSender(cfg)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := message("Test", "").Build()
		err = s.Send(t.Context(), []string{"reviewer@example.org"}, data)
		if err == nil || mail.Temporary(err) {
			t.Errorf("send with an untrusted certificate: %v, want a permanent error", err)
		}
		if all, _ := srv.AuthAttempts(); all != 0 {
			t.Errorf("%d AUTH commands sent to an unverified server", all)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "cw", Password: "s3cret"})
		s, _ := mail.NewSender(config(srv, mail.StartTLS, "cw", "wrong"))
		data, _ := message("Test", "").Build()
		if err := s.Send(t.Context(), []string{"reviewer@example.org"}, data); err == nil || mail.Temporary(err) {
			t.Errorf("send with a wrong password: %v, want a permanent 535", err)
		}
		if _, insecure := srv.AuthAttempts(); insecure != 0 {
			t.Errorf("%d AUTH commands without TLS", insecure)
		}
	})
}

func TestSendFailures(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: "starttls"})
	s, err := mail.NewSender(config(srv, mail.StartTLS, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := message("Test", "").Build()
	srv.FailNext(451, 554)
	for _, tc := range []struct {
		name      string
		ok        bool
		temporary bool
	}{{"451", false, true}, {"554", false, false}, {"accepted", true, false}} {
		err := s.Send(t.Context(), []string{"reviewer@example.org"}, data)
		if (err == nil) != tc.ok || mail.Temporary(err) != tc.temporary {
			t.Errorf("%s: send %v (temporary %v), want ok %v temporary %v", tc.name, err, mail.Temporary(err), tc.ok, tc.temporary)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages accepted, want 1", n)
	}
	// Nobody listening: a network error, worth trying again.
	dead := config(srv, mail.StartTLS, "", "")
	dead.Port = 1
	s2, _ := mail.NewSender(dead)
	if err := s2.Send(t.Context(), []string{"reviewer@example.org"}, data); err == nil || !mail.Temporary(err) {
		t.Errorf("send to a closed port: %v, want a temporary error", err)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // Config.String(); "" for an error
		sec  mail.Security
	}{
		{"smtp://mail.example.org", "smtp://mail.example.org:587", mail.StartTLS},
		{"smtp://cw%40example.org@mail.example.org:2525", "smtp://cw%40example.org@mail.example.org:2525", mail.StartTLS},
		{"smtps://cw@mail.example.org", "smtps://cw@mail.example.org:465", mail.ImplicitTLS},
		{"smtp+plain://localhost", "smtp+plain://localhost:25", mail.Plain},
		{"smtp://[::1]:25", "smtp://[::1]:25", mail.StartTLS},
		{"smtp://cw:hunter2@mail.example.org", "", ""},
		{"smtp+plain://cw@localhost", "", ""},
		{"http://mail.example.org", "", ""},
		{"smtp://mail.example.org/path", "", ""},
		{"smtp://mail.example.org?tls=off", "", ""},
		{"smtp://mail.example.org:0", "", ""},
		{"smtp://mail.example.org:99999", "", ""},
		{"smtp://", "", ""},
		{"mail.example.org:587", "", ""},
	} {
		c, err := mail.ParseURL(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseURL(%q) = %v, want an error", tc.in, c)
			}
			continue
		}
		if err != nil || c.String() != tc.want || c.Security != tc.sec {
			t.Errorf("ParseURL(%q) = %v (%s) %v, want %s (%s)", tc.in, c, c.Security, err, tc.want, tc.sec)
		}
	}
	if _, err := mail.ParseURL("smtp://cw:hunter2@mail.example.org"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a password in the URL: %v (must be refused without repeating it)", err)
	}
}
