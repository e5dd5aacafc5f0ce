package web

import (
	"crypto/tls"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/mail/mailtest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestMailHostileText: supplier and source names and policy text with
// CR/LF, header lines and markup (a record from before names were
// checked, or text from a policy) reach the subject and both parts as
// text: no header is added, the HTML part escapes, the text part keeps
// the words.
func TestMailHostileText(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{TLS: "starttls"})
	sender, err := mail.NewSender(mail.Config{Host: srv.Host, Port: srv.Port, Security: mail.StartTLS,
		From: netmail.Address{Address: "cw@example.org"}, TLS: &tls.Config{RootCAs: srv.Roots}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Mailer{opts: MailerOptions{Sender: sender, BaseURL: "https://cw.example"}}
	if m.tpl, err = parseMailTemplates(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	sub := store.Subscription{ID: 7, Email: "r@example.org"}
	e := entry{Change: store.Change{ID: 41, Revet: true, Summary: "Re-vet:\r\nBcc: victim@example.net\r\n\r\n<script>alert(1)</script>",
		Reasons: []string{"adds </li><img src=x onerror=alert(1)>", "line\r\nX-Injected: yes"}},
		Source: store.Source{Name: "privacy\r\nX-Injected: yes", Supplier: "Acme\r\nBcc: victim@example.net <b>Ltd</b>"}}
	it := vetting.Item{Kind: "update", Supplier: "Acme\nBcc: victim@example.net", Day: "2026-03-12", Title: "Acme\r\nX-Injected: 1 <i>x</i>",
		Detail: "open\r\nBcc: x@y.z", Rule: "10 days"}
	digest, err := m.digestMail(sub, vetting.Date{Year: 2026, Month: 3, Day: 9}, []entry{e}, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	change, err := m.changeMail(sub, e, now)
	if err != nil {
		t.Fatal(err)
	}
	reminder, err := m.reminderMail(sub, it, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, ml := range []store.Mail{change, digest, reminder} {
		t.Run(ml.Kind, func(t *testing.T) {
			if err := sender.Send(t.Context(), []string{ml.To}, ml.Message); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			p, err := mailtest.Parse(got[len(got)-1].Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"Bcc", "X-Injected", "Cc"} {
				if v, ok := p.Header[h]; ok {
					t.Errorf("header %s injected: %q", h, v)
				}
			}
			if strings.ContainsAny(p.Subject, "\r\n") || !strings.HasPrefix(p.Subject, "[clausewatch] ") {
				t.Errorf("subject %q", p.Subject)
			}
			for _, bad := range []string{"<script>", "<img", "<b>Ltd", "<i>x"} {
				if strings.Contains(p.HTML, bad) {
					t.Errorf("HTML part carries markup %q from the text:\n%s", bad, p.HTML)
				}
			}
			if ml.Kind != store.MailReminder && (!strings.Contains(p.HTML, "&lt;script&gt;") || !strings.Contains(p.Text, "<script>alert(1)</script>")) {
				t.Errorf("policy text not kept as text in both parts:\n%s\n%s", p.Text, p.HTML)
			}
		})
	}
}
