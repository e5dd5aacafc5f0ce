package mail_test

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/mail"
)

// FuzzParseURL: no input panics; whatever parses round-trips through
// String and never carries a password or a plain connection with a user.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"smtp://mail.example.org", "smtps://u@h:465", "smtp+plain://localhost:25", "smtp://u:p@h", "smtp://[::1]:25", "smtp://%zz@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := mail.ParseURL(raw)
		if err != nil {
			return
		}
		if c.Password != "" || (c.Security == mail.Plain && c.Username != "") || c.Port <= 0 || c.Port > 65535 || c.Host == "" {
			t.Fatalf("ParseURL(%q) = %+v", raw, c)
		}
		again, err := mail.ParseURL(c.String())
		if err != nil || again.String() != c.String() {
			t.Fatalf("round trip %q -> %q -> %v %v", raw, c.String(), again, err)
		}
	})
}

// FuzzBuild: whatever the subject, display name and bodies, the message
// parses, has exactly the headers Build writes, and reads back the
// subject as cleaned text with no line break.
func FuzzBuild(f *testing.F) {
	f.Add("Acme\r\nBcc: x@y.z", "Eve\nX: y", "text\r\n.\r\n", "<p>x</p>")
	f.Add("=?utf-8?b?QQ==?=", "Zoë", "ü", "")
	f.Add(strings.Repeat("é", 300), "", "", "")
	f.Fuzz(func(t *testing.T, subject, name, text, html string) {
		m := mail.Message{From: netmail.Address{Name: name, Address: "cw@example.org"},
			To: []netmail.Address{{Name: name, Address: "r@example.org"}}, Subject: subject, Date: sent, Text: text, HTML: html}
		data, err := m.Build()
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("read: %v\n%q", err, data)
		}
		for k := range msg.Header {
			switch k {
			case "From", "To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type":
			default:
				t.Fatalf("unexpected header %q in\n%q", k, data)
			}
		}
		got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("subject decodes with a line break: %q", got)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != "r@example.org" {
			t.Fatalf("to %q: %+v %v", msg.Header.Get("To"), to, err)
		}
	})
}
