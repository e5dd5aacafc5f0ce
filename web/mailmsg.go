package web

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	netmail "net/mail"
	"strings"
	"text/template"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// mailTemplates render a message's two parts from one mailView: HTML
// with html/template (so a supplier's name or a policy's words are text,
// never markup), plain text with text/template.
type mailTemplates struct {
	html *htmltemplate.Template
	text *template.Template
}

func parseMailTemplates() (*mailTemplates, error) {
	h, err := htmltemplate.ParseFS(templateFiles, "templates/mail.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse mail template: %w", err)
	}
	t, err := template.New("mail").Parse(mailText)
	if err != nil {
		return nil, fmt.Errorf("web: parse mail text template: %w", err)
	}
	return &mailTemplates{html: h, text: t}, nil
}

// mailText is the plain-text part.
const mailText = `{{.Intro}}
{{range .Changes}}
{{.Title}}{{if .Revet}} — RE-VET{{end}}
{{if .Headline}}{{.Headline}}
{{end}}{{.Summary}}
{{range .Reasons}}  - {{.}}
{{end}}Recorded {{.Recorded}}
{{.Link}}
{{end}}{{if .More}}
… and {{.More}} more: {{.FeedLink}}
{{end}}{{with .Reminder}}
{{.Title}}
{{.What}}
{{.Detail}}
{{.Rule}}
{{.Link}}
{{end}}{{with .Test}}
This is a test message from clausewatch, sent at {{.At}} by {{.By}} through {{.Server}}.
If you can read this, e-mail delivery works.
{{end}}
-- 
You get this because of an e-mail subscription on clausewatch.{{if .Settings}}
Change or remove it: {{.Settings}}{{end}}
`

// mailView is what both parts show.
type mailView struct {
	Subject  string
	Intro    string
	Changes  []mailChange
	More     int
	FeedLink string
	Reminder *mailReminder
	Test     *mailTest
	Settings string
}

type mailChange struct {
	Title, Headline, Summary, Link, Recorded string
	Reasons                                  []string
	Revet                                    bool
}

type mailReminder struct{ Title, What, Detail, Rule, Link string }

type mailTest struct{ At, By, Server string }

// link makes a path absolute when the base URL is known.
func (m *Mailer) link(path string) string { return m.opts.BaseURL + path }

func (m *Mailer) toMailChange(e entry) mailChange {
	return mailChange{Title: e.Title(), Headline: e.Headline(), Summary: e.Summary, Reasons: e.Reasons,
		Revet: e.Revet, Link: m.link(e.Link()), Recorded: when(e.Recorded)}
}

// changeMail is the message about one change.
func (m *Mailer) changeMail(s store.Subscription, e entry, now time.Time) (store.Mail, error) {
	v := mailView{Subject: "[clausewatch] " + e.Title(), Changes: []mailChange{m.toMailChange(e)},
		Intro: fmt.Sprintf("A policy of %s changed.", e.Source.Supplier)}
	ml, err := m.compose(s.Email, v, now, "change")
	ml.Kind, ml.Key, ml.Changes = store.MailChange, fmt.Sprintf("change/%d/%d", s.ID, e.ID), []uint64{e.ID}
	return ml, err
}

// digestMail is the day's digest.
func (m *Mailer) digestMail(s store.Subscription, day vetting.Date, es []entry, more int, now time.Time) (store.Mail, error) {
	revet := 0
	v := mailView{More: more, FeedLink: m.link("/")}
	ids := make([]uint64, len(es))
	for i, e := range es {
		v.Changes = append(v.Changes, m.toMailChange(e))
		ids[i] = e.ID
		if e.Revet {
			revet++
		}
	}
	n := len(es) + more
	v.Subject = fmt.Sprintf("[clausewatch] Digest %s: %s, %d to re-vet", day, plural(n, "change"), revet)
	v.Intro = fmt.Sprintf("Policy changes recorded since the last digest (%s).", plural(n, "change"))
	ml, err := m.compose(s.Email, v, now, "digest")
	ml.Kind, ml.Key, ml.Changes = store.MailDigested, fmt.Sprintf("digest/%d/%s", s.ID, day), ids
	return ml, err
}

// reminderMail is a deadline's reminder.
func (m *Mailer) reminderMail(s store.Subscription, it vetting.Item, now time.Time) (store.Mail, error) {
	r := &mailReminder{Title: it.Title, Detail: it.Detail, Rule: it.Rule, Link: m.link("/deadlines")}
	var subject string
	switch it.Kind {
	case "renewal":
		r.What = fmt.Sprintf("The seal renewal is on %s: notify the supplier now (%d days before).", it.Day, vetting.NoticeDays)
		subject = fmt.Sprintf("[clausewatch] Reminder: %s seal renewal on %s — notice due", it.Supplier, it.Day)
	case "rubric":
		r.What = fmt.Sprintf("The re-vet against the new rubric is due by %s this reminder comes %d days before: book the review.", it.Day, vetting.RubricReminderDays)
		subject = fmt.Sprintf("[clausewatch] Reminder: %s re-vet against the new rubric due by %s", it.Supplier, it.Day)
	default:
		r.What = fmt.Sprintf("Day %d of the %d-day update window: the update is not seen yet; the last day is %s.",
			vetting.ReminderDay, vetting.UpdateDays, it.Day)
		subject = fmt.Sprintf("[clausewatch] Reminder: %s policy update due by %s", it.Supplier, it.Day)
	}
	v := mailView{Subject: subject, Reminder: r, Intro: "A deadline of the seal programme is coming up."}
	ml, err := m.compose(s.Email, v, now, "reminder")
	ml.Kind = store.MailReminder
	return ml, err
}

// testMessage is the test e-mail, built.
func (m *Mailer) testMessage(to, by string, now time.Time) ([]byte, error) {
	v := mailView{Subject: "[clausewatch] Test e-mail", Intro: "Test e-mail.",
		Test: &mailTest{At: when(now), By: by, Server: m.Server()}}
	ml, err := m.compose(to, v, now, "test")
	return ml.Message, err
}

// compose renders both parts and builds the message.
func (m *Mailer) compose(to string, v mailView, now time.Time, kind string) (store.Mail, error) {
	if m.opts.BaseURL != "" {
		v.Settings = m.link("/settings/email")
	}
	var html, text bytes.Buffer
	if err := m.tpl.html.ExecuteTemplate(&html, "mail", v); err != nil {
		return store.Mail{}, fmt.Errorf("render %s mail: %w", kind, err)
	}
	if err := m.tpl.text.Execute(&text, v); err != nil {
		return store.Mail{}, fmt.Errorf("render %s mail: %w", kind, err)
	}
	msg := mail.Message{From: m.opts.Sender.Config().From, To: []netmail.Address{{Address: to}},
		Subject: v.Subject, Date: now, Text: text.String(), HTML: html.String(),
		Headers: []mail.Header{{Name: "Auto-Submitted", Value: "auto-generated"}, {Name: "X-Clausewatch-Kind", Value: kind}}}
	if v.Settings != "" {
		msg.Headers = append(msg.Headers, mail.Header{Name: "List-Unsubscribe", Value: "<" + v.Settings + ">"})
	}
	data, err := msg.Build()
	if err != nil {
		return store.Mail{}, fmt.Errorf("build %s mail to %s: %w", kind, to, err)
	}
	return store.Mail{To: to, Subject: strings.TrimSpace(v.Subject), Message: data}, nil
}
