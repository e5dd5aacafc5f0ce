package web_test

import (
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// recordChange records one change on a new copy of the IMS page, after
// the webhooks already made.
func recordChange(t *testing.T, h *history) store.Change {
	t.Helper()
	ctx := t.Context()
	h.Clock.Set(day("2019-06-01"))
	extra := h.add(t, store.Source{Name: "ims-again", URL: h.Fixture.URL + "/ims/privacy?copy=1", Supplier: "1EdTech Consortium"})
	h.Checker.Check(ctx, extra)
	h.Clock.Set(day("2022-06-01"))
	h.Checker.Check(ctx, extra)
	return mustChangeAfter(t, h, extra)
}

// TestWebhookGuard: by default a webhook on loopback is not posted to
// (the SSRF guard checks the address at dial time, as for sources), the
// delivery log says the guard blocked it, and it reads the same for an
// open port and a closed one.
func TestWebhookGuard(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	rc := &receiver{}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()
	// Stored directly, as a hook made before the guard existed would be.
	open, err := h.DB.AddWebhook(ctx, store.Webhook{URL: recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := h.DB.AddWebhook(ctx, store.Webhook{URL: closedURL})
	if err != nil {
		t.Fatal(err)
	}
	c := recordChange(t, h)
	now := day("2022-06-02")
	d := web.NewDeliverer(web.DelivererOptions{DB: h.DB, Backoff: []time.Duration{time.Second}, Now: func() time.Time { return now }})
	for range 3 {
		d.Deliver(ctx)
		now = now.Add(2 * time.Second)
	}
	if n := len(rc.deliveries()); n != 0 {
		t.Errorf("the loopback receiver got %d requests, want 0", n)
	}
	var logged []string
	for _, hk := range []store.Webhook{open, closed} {
		dl, err := h.DB.Delivery(ctx, hk.ID, c.ID)
		if err != nil {
			t.Fatalf("delivery of hook %d: %v", hk.ID, err)
		}
		if dl.State != store.DeliveryFailed || !strings.Contains(dl.Error, "blocked by SSRF guard") {
			t.Errorf("hook %s: got %+v, want failed, blocked by SSRF guard", hk.URL, dl)
		}
		logged = append(logged, strings.ReplaceAll(dl.Error, hk.URL, "URL"))
	}
	if logged[0] != logged[1] {
		t.Errorf("delivery log, open port: %q; closed port: %q; want the same", logged[0], logged[1])
	}
}

// TestWebhookAPIRefusesPrivateURL: without the operator's override a
// webhook on a loopback, private or metadata address is refused with
// 400, and nothing is stored.
func TestWebhookAPIRefusesPrivateURL(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost:9/hook", "http://[::1]/hook",
		"http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data/", "http://[fec0::1]/hook", "http://2130706433/"} {
		resp, body := do(t, "POST", srv.URL+"/api/webhooks", tok, `{"url":"`+u+`"}`, nil)
		if resp.StatusCode != 400 || !strings.Contains(body, "SSRF guard") {
			t.Errorf("add webhook %s: got %d %s, want 400 naming the SSRF guard", u, resp.StatusCode, body)
		}
	}
	if hooks, err := h.DB.Webhooks(t.Context()); err != nil || len(hooks) != 0 {
		t.Errorf("stored webhooks: %+v %v, want none", hooks, err)
	}
}

// flipResolver answers first with a public address, then with loopback:
// a receiver's name that passes when the hook is added and is pointed
// inside the network afterwards (DNS rebinding).
type flipResolver struct {
	mu     sync.Mutex
	inside bool
}

func (f *flipResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inside {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}

// TestWebhookGuardAtDialTime: a name that resolved to a public address
// when the hook was added, and to loopback when it is delivered, is not
// posted to.
func TestWebhookGuardAtDialTime(t *testing.T) {
	h := newHistory(t)
	rc := &receiver{}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	port := recv.Listener.Addr().(*net.TCPAddr).Port
	res := &flipResolver{}
	now := day("2022-06-02")
	d := web.NewDeliverer(web.DelivererOptions{DB: h.DB, Resolver: res, Backoff: []time.Duration{time.Second},
		Now: func() time.Time { return now }})
	srv := serve(t, web.Options{DB: h.DB, Webhooks: d, Now: h.Clock.Now})
	hookURL := "http://hooks.example.com:" + strconv.Itoa(port) + "/hook"
	resp, body := do(t, "POST", srv.URL+"/api/webhooks", token(t, h.DB, "alice"), `{"url":"`+hookURL+`"}`, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("add webhook resolving to a public address: got %d %s, want 201", resp.StatusCode, body)
	}
	c := recordChange(t, h)
	res.mu.Lock()
	res.inside = true
	res.mu.Unlock()
	d.Deliver(t.Context())
	if n := len(rc.deliveries()); n != 0 {
		t.Errorf("the receiver behind the rebound name got %d requests, want 0", n)
	}
	ds, err := h.DB.Deliveries(t.Context(), 1, 0)
	if err != nil || len(ds) != 1 || ds[0].Change != c.ID || !strings.Contains(ds[0].Error, "blocked by SSRF guard") {
		t.Errorf("deliveries: %+v %v, want one blocked by the SSRF guard", ds, err)
	}
}
