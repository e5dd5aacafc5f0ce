package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// receiver is a webhook endpoint that records what it gets and answers
// with the statuses it is told, in turn (then 200).
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []delivery
}

type delivery struct {
	header http.Header
	body   []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, delivery{r.Header.Clone(), body})
	status := 200
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func TestWebhooks(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	rc := &receiver{statuses: []int{500}}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	slack := &receiver{}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()

	// Hooks get the changes recorded after they are made: add them
	// first, then record new changes. The receivers are on 127.0.0.1:
	// the operator's override lets the guard pass them.
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now,
		Webhooks: web.NewDeliverer(web.DelivererOptions{DB: h.DB, AllowPrivate: true})})
	tok := token(t, h.DB, "alice")
	resp, body := do(t, "POST", srv.URL+"/api/webhooks", tok, `{"url":"`+recv.URL+`/hook"}`, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("add webhook: %d %s", resp.StatusCode, body)
	}
	var hook struct {
		ID     uint64
		Secret string
	}
	json.Unmarshal([]byte(body), &hook)
	if !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("webhook secret %q", hook.Secret)
	}
	if _, body := do(t, "GET", srv.URL+"/api/webhooks", tok, "", nil); strings.Contains(body, hook.Secret) {
		t.Errorf("the secret is shown after creation")
	}
	if resp, body := do(t, "POST", srv.URL+"/api/webhooks", tok, `{"url":"`+slackSrv.URL+`","format":"slack","revet_only":true}`, nil); resp.StatusCode != 201 {
		t.Fatalf("add slack webhook: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{"url":"ftp://x"}`, `{"url":"http://x","format":"xml"}`, `{"url":"http://x","secret":"short"}`} {
		if resp, _ := do(t, "POST", srv.URL+"/api/webhooks", tok, bad, nil); resp.StatusCode != 400 {
			t.Errorf("add webhook %s: %d", bad, resp.StatusCode)
		}
	}

	// A new change: another copy of the IMS page goes from its 2019 to
	// its 2022 text (a re-vet change).
	h.Clock.Set(day("2019-06-01"))
	extra := h.add(t, store.Source{Name: "ims-again", URL: h.Fixture.URL + "/ims/privacy?copy=1", Supplier: "1EdTech Consortium"})
	h.Checker.Check(ctx, extra)
	h.Clock.Set(day("2022-06-01"))
	h.Checker.Check(ctx, extra) // the 2022 rewrite: re-vet
	h.Clock.Set(day("2022-06-02"))

	now := day("2022-06-02")
	var nowMu sync.Mutex
	clock := func() time.Time { nowMu.Lock(); defer nowMu.Unlock(); return now }
	d := web.NewDeliverer(web.DelivererOptions{DB: h.DB, BaseURL: "https://cw.example", Backoff: []time.Duration{time.Minute, time.Hour}, Now: clock, AllowPrivate: true})
	wait := d.Deliver(ctx)
	got := rc.deliveries()
	if len(got) != 1 {
		t.Fatalf("first pass: %d requests, want 1 (answered 500)", len(got))
	}
	if wait <= 0 || wait > time.Minute {
		t.Errorf("wait after a 500: %v, want up to the 1m backoff", wait)
	}
	dl, err := h.DB.Delivery(ctx, hook.ID, mustChangeAfter(t, h, extra).ID)
	if err != nil || dl.State != store.DeliveryPending || dl.Attempts != 1 || dl.Status != 500 {
		t.Errorf("delivery after a 500: %+v %v", dl, err)
	}

	// Too early for the retry: nothing is sent.
	d.Deliver(ctx)
	if n := len(rc.deliveries()); n != 1 {
		t.Errorf("retried before the backoff: %d requests", n)
	}
	nowMu.Lock()
	now = now.Add(2 * time.Minute)
	nowMu.Unlock()
	d.Deliver(ctx)
	got = rc.deliveries()
	if len(got) != 2 {
		t.Fatalf("after the backoff: %d requests, want 2", len(got))
	}

	// The payload: schema, signature, delivery ID equal on the retry.
	last := got[1]
	if err := web.Verify(hook.Secret, last.header, last.body, clock(), 5*time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}
	if err := web.Verify("whsec_wrong", last.header, last.body, clock(), 5*time.Minute); err == nil {
		t.Errorf("a wrong secret verified")
	}
	tampered := append([]byte(nil), last.body...)
	tampered[10] ^= 1
	if err := web.Verify(hook.Secret, last.header, tampered, clock(), 5*time.Minute); err == nil {
		t.Errorf("a tampered body verified")
	}
	if err := web.Verify(hook.Secret, last.header, last.body, clock().Add(time.Hour), 5*time.Minute); err == nil {
		t.Errorf("a stale signature verified")
	}
	if got[0].header.Get(web.HeaderDelivery) != last.header.Get(web.HeaderDelivery) {
		t.Errorf("delivery id changed on retry: %s, %s", got[0].header.Get(web.HeaderDelivery), last.header.Get(web.HeaderDelivery))
	}
	var p map[string]any
	if err := json.Unmarshal(last.body, &p); err != nil {
		t.Fatal(err)
	}
	change, _ := p["change"].(map[string]any)
	source, _ := change["source"].(map[string]any)
	for _, k := range []string{"event", "delivery", "sent", "change"} {
		if _, ok := p[k]; !ok {
			t.Errorf("payload has no %q: %s", k, last.body)
		}
	}
	for _, k := range []string{"id", "url", "source", "from_version", "to_version", "after", "detected", "recorded", "revet", "summary", "reasons", "categories", "counts", "triage"} {
		if _, ok := change[k]; !ok {
			t.Errorf("payload change has no %q", k)
		}
	}
	if p["event"] != "change" || source["name"] != "ims-again" || change["revet"] != true ||
		!strings.HasPrefix(change["url"].(string), "https://cw.example/changes/") {
		t.Errorf("payload: %s", last.body)
	}

	// A restart: a new deliverer on the database reopened. Nothing is
	// sent again.
	if err := h.DB.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := openAgain(h)
	if err != nil {
		t.Fatal(err)
	}
	d2 := web.NewDeliverer(web.DelivererOptions{DB: db, BaseURL: "https://cw.example", Now: clock, AllowPrivate: true})
	d2.Deliver(ctx)
	d2.Deliver(ctx)
	if n := len(rc.deliveries()); n != 2 {
		t.Errorf("after a restart: %d requests, want still 2", n)
	}
	ds, err := db.Deliveries(ctx, hook.ID, 0)
	if err != nil || len(ds) != 1 || ds[0].State != store.DeliveryDelivered || ds[0].Attempts != 2 {
		t.Errorf("delivery records: %+v %v", ds, err)
	}

	// The Slack hook got the re-vet change once, as {"text": …} with the
	// supplier's text escaped.
	sl := slack.deliveries()
	if len(sl) != 1 {
		t.Fatalf("slack: %d requests", len(sl))
	}
	var msg map[string]string
	if err := json.Unmarshal(sl[0].body, &msg); err != nil || !strings.Contains(msg["text"], "*re-vet*") || !strings.Contains(msg["text"], "<https://cw.example/changes/") {
		t.Errorf("slack payload: %s", sl[0].body)
	}
}

// TestWebhookGivesUp: after the last backoff a delivery is recorded as
// failed and the hook moves on to the next change.
func TestWebhookGivesUp(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	rc := &receiver{statuses: []int{500, 502, 503, 500}}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	hook, err := h.DB.AddWebhook(ctx, store.Webhook{URL: recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	h.Clock.Set(day("2019-06-01"))
	extra := h.add(t, store.Source{Name: "ims-again", URL: h.Fixture.URL + "/ims/privacy?copy=1", Supplier: "1EdTech Consortium"})
	h.Checker.Check(ctx, extra)
	h.Clock.Set(day("2022-06-01"))
	h.Checker.Check(ctx, extra)
	now := day("2022-06-02")
	d := web.NewDeliverer(web.DelivererOptions{DB: h.DB, Backoff: []time.Duration{time.Second, time.Second}, Now: func() time.Time { return now },
		AllowPrivate: true})
	for range 5 {
		d.Deliver(ctx)
		now = now.Add(2 * time.Second)
	}
	c := mustChangeAfter(t, h, extra)
	dl, err := h.DB.Delivery(ctx, hook.ID, c.ID)
	if err != nil || dl.State != store.DeliveryFailed || dl.Attempts != 3 || dl.Error == "" {
		t.Errorf("given-up delivery: %+v %v", dl, err)
	}
	if hk, _ := h.DB.Webhook(ctx, hook.ID); hk.Cursor != c.ID {
		t.Errorf("cursor %d, want %d", hk.Cursor, c.ID)
	}
	if n := len(rc.deliveries()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func mustChangeAfter(t *testing.T, h *history, src store.Source) store.Change {
	t.Helper()
	cs, err := h.DB.Changes(t.Context(), store.ChangeFilter{SourceID: src.ID})
	if err != nil || len(cs) != 1 {
		t.Fatalf("changes of %s: %v %v", src.Name, cs, err)
	}
	return cs[0]
}

func openAgain(h *history) (*store.DB, error) {
	db, err := store.Open(h.Path, store.Options{Now: h.Clock.Now})
	if err == nil {
		h.DB = db
	}
	return db, err
}
