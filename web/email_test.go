package web_test

import (
	"crypto/tls"
	"encoding/json"
	netmail "net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/mail/mailtest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// mailClock is a fixed clock the test moves.
type mailClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mailClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *mailClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// mailRig is a history database, an SMTP server on 127.0.0.1 (STARTTLS,
// PLAIN auth required) and a mailer sending to it on a fixed clock.
type mailRig struct {
	h      *history
	smtp   *mailtest.Server
	clock  *mailClock
	mailer *web.Mailer
	srv    string
	tok    string
}

func newMailRig(t *testing.T) *mailRig {
	t.Helper()
	h := newHistory(t)
	smtp := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "cw", Password: "s3cret", RequireAuth: true})
	sender, err := mail.NewSender(mail.Config{Host: smtp.Host, Port: smtp.Port, Security: mail.StartTLS, Username: "cw", Password: "s3cret",
		From: netmail.Address{Name: "clausewatch", Address: "cw@example.org"}, TLS: &tls.Config{RootCAs: smtp.Roots}, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	clock := &mailClock{t: time.Date(2022, 6, 2, 6, 0, 0, 0, time.UTC)}
	m, err := web.NewMailer(web.MailerOptions{DB: h.DB, Sender: sender, BaseURL: "https://cw.example",
		Backoff: []time.Duration{time.Minute, time.Hour}, DigestHour: 7, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, Mail: m})
	return &mailRig{h: h, smtp: smtp, clock: clock, mailer: m, srv: srv.URL, tok: token(t, h.DB, "alice")}
}

func (r *mailRig) subscribe(t *testing.T, body string) { r.subscribeAs(t, r.tok, body) }

// subscribeAs subscribes with tok: the subscription is its user's.
func (r *mailRig) subscribeAs(t *testing.T, tok, body string) {
	t.Helper()
	if resp, b := do(t, "POST", r.srv+"/api/email/subscriptions", tok, body, nil); resp.StatusCode != 201 {
		t.Fatalf("subscribe %s: %d %s", body, resp.StatusCode, b)
	}
}

// received parses what the server got since index from, by recipient.
func (r *mailRig) received(t *testing.T, from int) map[string][]mailtest.Parsed {
	t.Helper()
	out := map[string][]mailtest.Parsed{}
	for _, m := range r.smtp.Messages()[from:] {
		if !m.TLS || m.User != "cw" {
			t.Errorf("message to %v arrived without TLS or auth: %+v", m.To, m)
		}
		p, err := mailtest.Parse(m.Data)
		if err != nil {
			t.Fatalf("message to %v: %v\n%s", m.To, err, m.Data)
		}
		for _, to := range m.To {
			out[to] = append(out[to], p)
		}
	}
	return out
}

// newChanges records two changes after the subscriptions: a re-vet
// change of a 1EdTech source and a change of a COR source.
func (r *mailRig) newChanges(t *testing.T) (ims, cor store.Change) {
	t.Helper()
	h, ctx := r.h, t.Context()
	extra := h.add(t, store.Source{Name: "ims-again", URL: h.Fixture.URL + "/ims/privacy?copy=1", Supplier: "1EdTech Consortium"})
	corAgain := h.add(t, store.Source{Name: "cor-again", URL: h.Fixture.URL + "/cor/privacy?copy=1", Supplier: "COR"})
	for _, step := range []struct {
		day string
		src store.Source
	}{{"2019-06-01", extra}, {"2022-06-01", extra}, {"2016-04-01", corAgain}, {"2016-10-01", corAgain}} {
		h.Clock.Set(day(step.day))
		if res := h.Checker.Check(ctx, step.src); res.Err != nil {
			t.Fatalf("check %s: %v", step.src.Name, res.Err)
		}
	}
	return mustChangeAfter(t, h, extra), mustChangeAfter(t, h, corAgain)
}

func TestMailChangesAndDigest(t *testing.T) {
	r := newMailRig(t)
	ctx := t.Context()
	// Subscribers of every role, each subscribing themselves.
	bob, carol := roleToken(t, r.h.DB, "bob", store.RoleViewer), roleToken(t, r.h.DB, "carol", store.RoleViewer)
	dave := roleToken(t, r.h.DB, "dave", store.RoleReviewer)
	r.subscribe(t, `{"email":"alice@example.org"}`) // admin; re-vet only, immediate, every supplier
	r.subscribeAs(t, bob, `{"email":"bob@example.org","floor":"all","suppliers":["COR"]}`)
	r.subscribeAs(t, dave, `{"email":"dave@example.org","floor":"all","suppliers":["1EdTech Consortium"]}`)
	r.subscribeAs(t, carol, `{"email":"carol@example.org","floor":"all","mode":"digest"}`)
	subs, err := r.h.DB.Subscriptions(ctx)
	if err != nil || len(subs) != 4 {
		t.Fatalf("subscriptions %+v, %v", subs, err)
	}
	for _, sub := range subs {
		if owner, _, _ := strings.Cut(sub.Email, "@"); sub.Owner != owner || sub.User != owner {
			t.Errorf("subscription for %s owned by %q, made by %q", sub.Email, sub.Owner, sub.User)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{`{"email":"x@example.org\r\nBcc: y@example.org"}`, "invalid address"},
		{`{"email":"Eve <eve@example.org>"}`, "invalid address"},
		{`{"email":"e@example.org","suppliers":["Nobody Ltd"]}`, `no supplier named \"Nobody Ltd\"`},
		{`{"email":"e@example.org","floor":"some"}`, "floor"},
		{`{"email":"e@example.org","mode":"weekly"}`, "mode"},
	} {
		if resp, b := do(t, "POST", r.srv+"/api/email/subscriptions", r.tok, tc.body, nil); resp.StatusCode != 400 || !strings.Contains(b, tc.want) {
			t.Errorf("subscribe %s: %d %s, want 400 saying %q", tc.body, resp.StatusCode, b, tc.want)
		}
	}
	ims, cor := r.newChanges(t)
	if !ims.Revet {
		t.Fatalf("the 1EdTech change does not call for re-vetting: %+v", ims)
	}
	want := map[string][]uint64{"dave@example.org": {ims.ID}, "bob@example.org": {cor.ID}, "alice@example.org": {ims.ID}}
	if cor.Revet {
		want["alice@example.org"] = []uint64{ims.ID, cor.ID}
	}

	// The first message meets a 451: it waits for its retry; the others
	// go out.
	r.smtp.FailNext(451)
	if wait := r.mailer.Deliver(ctx); wait <= 0 || wait > time.Minute {
		t.Errorf("wait after a 451: %v, want up to the 1m backoff", wait)
	}
	total := len(want["alice@example.org"]) + 2
	if n := len(r.smtp.Messages()); n != total-1 {
		t.Fatalf("first pass: %d messages, want %d (one refused with 451)", n, total-1)
	}
	r.mailer.Deliver(ctx)
	if n := len(r.smtp.Messages()); n != total-1 {
		t.Errorf("retried before the backoff: %d messages", n)
	}
	r.clock.Set(r.clock.Now().Add(2 * time.Minute))
	r.mailer.Deliver(ctx)
	got := r.received(t, 0)
	if len(r.smtp.Messages()) != total {
		t.Fatalf("after the backoff: %d messages, want %d", len(r.smtp.Messages()), total)
	}
	for to, ids := range want {
		if len(got[to]) != len(ids) {
			t.Errorf("%s got %d messages, want %d", to, len(got[to]), len(ids))
			continue
		}
		// Retried messages arrive late: match them by the change they link.
		for _, id := range ids {
			link := "https://cw.example/changes/" + strconvU(id) + "\r\n"
			i := slices.IndexFunc(got[to], func(p mailtest.Parsed) bool { return strings.Contains(p.Text, link) })
			if i < 0 {
				t.Errorf("%s got no message about change %d", to, id)
				continue
			}
			checkChangeMail(t, got[to][i], to, id)
		}
	}
	if len(got["carol@example.org"]) != 0 {
		t.Errorf("the digest went out before the digest hour")
	}
	var outbox struct{ Mail []store.Mail }
	if resp, b := do(t, "GET", r.srv+"/api/email/outbox", r.tok, "", nil); resp.StatusCode != 200 || json.Unmarshal([]byte(b), &outbox) != nil {
		t.Fatalf("outbox: %d %s", resp.StatusCode, b)
	}
	retried := 0
	for _, m := range outbox.Mail {
		if m.State != store.DeliveryDelivered || m.Message != nil {
			t.Errorf("outbox entry %+v: want delivered, without the body", m)
		}
		if m.Attempts == 2 {
			retried++
		}
	}
	if retried != 1 || len(outbox.Mail) != total {
		t.Errorf("outbox: %d entries, %d retried; want %d, 1", len(outbox.Mail), retried, total)
	}

	// The digest hour: one message for carol listing both changes, once.
	r.clock.Set(time.Date(2022, 6, 2, 7, 30, 0, 0, time.UTC))
	before := len(r.smtp.Messages())
	r.mailer.Deliver(ctx)
	r.mailer.Deliver(ctx)
	got = r.received(t, before)
	if len(got) != 1 || len(got["carol@example.org"]) != 1 {
		t.Fatalf("digest pass sent %v, want one message to carol", keys(got))
	}
	d := got["carol@example.org"][0]
	if !strings.HasPrefix(d.Subject, "[clausewatch] Digest 2022-06-02: 2 changes, ") {
		t.Errorf("digest subject %q", d.Subject)
	}
	for _, c := range []store.Change{ims, cor} {
		link := "https://cw.example/changes/" + strconvU(c.ID)
		if !strings.Contains(d.Text, link) || !strings.Contains(d.HTML, `href="`+link+`"`) {
			t.Errorf("digest does not link change %d in both parts", c.ID)
		}
	}
	// The next day, nothing new: no digest.
	r.clock.Set(time.Date(2022, 6, 3, 8, 0, 0, 0, time.UTC))
	before = len(r.smtp.Messages())
	r.mailer.Deliver(ctx)
	if n := len(r.smtp.Messages()) - before; n != 0 {
		t.Errorf("%d messages on a day without changes", n)
	}
}

func checkChangeMail(t *testing.T, p mailtest.Parsed, to string, change uint64) {
	t.Helper()
	if got, err := p.Header.AddressList("To"); err != nil || len(got) != 1 || got[0].Address != to {
		t.Errorf("To %q, want %s", p.Header.Get("To"), to)
	}
	if from, err := p.Header.AddressList("From"); err != nil || from[0].Address != "cw@example.org" || from[0].Name != "clausewatch" {
		t.Errorf("From %q", p.Header.Get("From"))
	}
	if !strings.HasPrefix(p.Subject, "[clausewatch] ") || !strings.Contains(p.Subject, "changed") {
		t.Errorf("subject %q", p.Subject)
	}
	if p.Header.Get("Message-ID") == "" || p.Header.Get("Date") == "" || p.Header.Get("Auto-Submitted") != "auto-generated" ||
		p.Header.Get("List-Unsubscribe") != "<https://cw.example/settings/email>" {
		t.Errorf("headers %v", p.Header)
	}
	if !slices.Equal(p.Types, []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}) {
		t.Errorf("parts %q", p.Types)
	}
	link := "https://cw.example/changes/" + strconvU(change)
	if !strings.Contains(p.Text, link) || !strings.Contains(p.HTML, `href="`+link+`"`) {
		t.Errorf("message to %s does not link change %d in both parts:\n%s\n%s", to, change, p.Text, p.HTML)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestMailReminders: a renewal's notice date, an update window's day 7
// and two weeks before a rubric re-vet is due each bring one reminder, on
// the day, to a subscriber of the supplier, and never twice.
func TestMailReminders(t *testing.T) {
	r := newMailRig(t)
	ctx := t.Context()
	// Awarded 2021-08-31: renewal 2022-08-31, notice due 2022-07-02.
	// Vetted against rubric 1.0; 2.0 released 2022-05-20: re-vet due
	// 2022-07-19, reminded 2022-07-05.
	for _, rb := range []store.Rubric{{Version: "1.0", Released: "2018-09-01"}, {Version: "2.0", Released: "2022-05-20"}} {
		if _, err := r.h.DB.AddRubric(ctx, rb); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.h.DB.PutSupplier(ctx, store.Supplier{Name: "COR", Awarded: "2021-08-31", Rubric: "1.0"}); err != nil {
		t.Fatal(err)
	}
	// Notified 2022-07-10: day 7 is 2022-07-17.
	if _, err := r.h.DB.AddNotification(ctx, store.Notification{Supplier: "COR", Date: "2022-07-10", Zone: "UTC",
		At: time.Date(2022, 7, 10, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	// erin is a viewer, subscribed by herself.
	r.subscribeAs(t, roleToken(t, r.h.DB, "erin", store.RoleViewer), `{"email":"erin@example.org","suppliers":["COR"],"reminders":true}`)
	r.subscribe(t, `{"email":"frank@example.org","suppliers":["1EdTech Consortium"],"reminders":true}`)
	r.subscribe(t, `{"email":"gina@example.org","suppliers":["COR"]}`) // no reminders
	for _, tc := range []struct {
		day  string
		want string // the reminder erin gets that day ("" for none)
	}{
		{"2022-07-01", ""},
		{"2022-07-02", "[clausewatch] Reminder: COR seal renewal on 2022-08-31 — notice due"},
		{"2022-07-03", ""},
		{"2022-07-05", "[clausewatch] Reminder: COR re-vet against the new rubric due by 2022-07-19"},
		{"2022-07-06", ""},
		{"2022-07-16", ""},
		{"2022-07-17", "[clausewatch] Reminder: COR policy update due by 2022-07-20"},
		{"2022-07-18", ""},
	} {
		r.clock.Set(day(tc.day))
		before := len(r.smtp.Messages())
		r.mailer.Deliver(ctx)
		got := r.received(t, before)
		var subjects []string
		for _, p := range got["erin@example.org"] {
			subjects = append(subjects, p.Subject)
			if !strings.Contains(p.Text, "https://cw.example/deadlines") || !strings.Contains(p.HTML, "COR") {
				t.Errorf("%s: reminder body:\n%s", tc.day, p.Text)
			}
		}
		var want []string
		if tc.want != "" {
			want = []string{tc.want}
		}
		if !slices.Equal(subjects, want) || len(got) != len(want) {
			t.Errorf("%s: erin got %q (all recipients %v), want %q", tc.day, subjects, keys(got), want)
		}
	}
}

// TestMailWebForms: the no-script page subscribes, lists, sends a test
// e-mail and removes; the test e-mail API answers with what the server
// said.
func TestMailWebForms(t *testing.T) {
	r := newMailRig(t)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
	body := url.Values{"email": {"hal@example.org"}, "floor": {"all"}, "mode": {"digest"}, "supplier": {"COR"}, "reminders": {"1"}}.Encode()
	if resp, b := do(t, "POST", r.srv+"/settings/email", r.tok, body, form); resp.StatusCode != 303 {
		t.Fatalf("subscribe form: %d %s", resp.StatusCode, b)
	}
	resp, page := do(t, "GET", r.srv+"/settings/email?done=added", r.tok, "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != 200 || !strings.Contains(page, "hal@example.org") || !strings.Contains(page, "in a daily digest") ||
		!strings.Contains(page, "Subscription added.") || !strings.Contains(page, "smtp://cw@127.0.0.1:") {
		t.Fatalf("settings page: %d\n%s", resp.StatusCode, page)
	}
	bad := url.Values{"email": {"<b>hal</b>@example.org"}}.Encode()
	if resp, b := do(t, "POST", r.srv+"/settings/email", r.tok, bad, form); resp.StatusCode != 400 || strings.Contains(b, "<b>hal") {
		t.Errorf("bad address form: %d (the address must come back escaped)\n%s", resp.StatusCode, b)
	}
	if resp, b := do(t, "POST", r.srv+"/settings/email/test", r.tok, url.Values{"to": {"hal@example.org"}}.Encode(), form); resp.StatusCode != 200 ||
		!strings.Contains(b, "Test e-mail sent to hal@example.org.") {
		t.Errorf("test e-mail form: %d\n%s", resp.StatusCode, b)
	}
	got := r.received(t, 0)
	if len(got["hal@example.org"]) != 1 || got["hal@example.org"][0].Subject != "[clausewatch] Test e-mail" ||
		!strings.Contains(got["hal@example.org"][0].Text, "by alice through smtp://cw@127.0.0.1:") {
		t.Fatalf("test e-mail: %+v", got)
	}
	r.smtp.FailNext(550)
	if resp, b := do(t, "POST", r.srv+"/api/email/test", r.tok, `{"to":"hal@example.org"}`, nil); resp.StatusCode != 502 || !strings.Contains(b, "550") {
		t.Errorf("test e-mail refused by the server: %d %s, want 502 naming the reply", resp.StatusCode, b)
	}
	if resp, _ := do(t, "POST", r.srv+"/api/email/test", r.tok, `{"to":"nobody"}`, nil); resp.StatusCode != 400 {
		t.Errorf("test e-mail to a bad address: %d, want 400", resp.StatusCode)
	}
	// Three test e-mails at once, then one every two minutes: alice has
	// sent two; the third goes, the fourth waits.
	if resp, b := do(t, "POST", r.srv+"/api/email/test", r.tok, `{"to":"hal@example.org"}`, nil); resp.StatusCode != 200 {
		t.Errorf("third test e-mail: %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, "POST", r.srv+"/api/email/test", r.tok, `{"to":"hal@example.org"}`, nil); resp.StatusCode != 429 {
		t.Errorf("fourth test e-mail at once: %d, want 429", resp.StatusCode)
	}
	r.clock.Set(r.clock.Now().Add(2 * time.Minute))
	if resp, b := do(t, "POST", r.srv+"/api/email/test", r.tok, `{"to":"hal@example.org"}`, nil); resp.StatusCode != 200 {
		t.Errorf("test e-mail two minutes later: %d %s", resp.StatusCode, b)
	}
	var subs struct {
		Subscriptions []struct{ ID uint64 }
		Mail          string
	}
	_, b := do(t, "GET", r.srv+"/api/email/subscriptions", r.tok, "", nil)
	if json.Unmarshal([]byte(b), &subs) != nil || len(subs.Subscriptions) != 1 {
		t.Fatalf("subscriptions: %s", b)
	}
	other := roleToken(t, r.h.DB, "mallory", store.RoleReviewer)
	// The mail server's address and account are shown to admins only.
	var theirs struct{ Mail string }
	if _, b := do(t, "GET", r.srv+"/api/email/subscriptions", other, "", nil); json.Unmarshal([]byte(b), &theirs) != nil || theirs.Mail != "configured" {
		t.Errorf("a reviewer reads the mail server as %q, want \"configured\": %s", theirs.Mail, b)
	}
	if _, page := do(t, "GET", r.srv+"/settings/email", other, "", map[string]string{"Accept": "text/html"}); strings.Contains(page, "smtp://") {
		t.Errorf("a reviewer's e-mail page shows the mail server's address")
	}
	del := r.srv + "/settings/email/" + strconvU(subs.Subscriptions[0].ID) + "/delete"
	if resp, b := do(t, "POST", del, other, "", form); resp.StatusCode != 404 || strings.Contains(b, "hal@") {
		t.Errorf("removing another user's subscription: %d %s, want 404 (as if it did not exist)", resp.StatusCode, b)
	}
	if resp, _ := do(t, "POST", del, r.tok, "", form); resp.StatusCode != 303 {
		t.Errorf("remove: %d, want 303", resp.StatusCode)
	}
	if _, b := do(t, "GET", r.srv+"/api/email/subscriptions", r.tok, "", nil); strings.Contains(b, "hal@example.org") {
		t.Errorf("still subscribed after removal: %s", b)
	}
	// Addresses are not for anonymous readers, even on an open server.
	open := serve(t, web.Options{DB: r.h.DB, OpenRead: true})
	if resp, _ := do(t, "GET", open.URL+"/api/email/subscriptions", "", "", nil); resp.StatusCode != 401 {
		t.Errorf("anonymous subscription list: %d, want 401", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", open.URL+"/api/email/test", r.tok, `{"to":"hal@example.org"}`, nil); resp.StatusCode != 503 {
		t.Errorf("test e-mail with no mail server: %d, want 503", resp.StatusCode)
	}
}
