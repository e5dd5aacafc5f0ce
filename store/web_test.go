package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// changes records n changes alternating over srcs; every third needs
// re-vetting.
func changes(t *testing.T, db *store.DB, srcs []store.Source, n int) {
	t.Helper()
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n+len(srcs); i++ {
		src := srcs[i%len(srcs)]
		text := fmt.Sprintf("t%d", (i/len(srcs))%2)
		r := store.Record{Fetch: store.Fetch{Outcome: store.OutcomeNew, TextSHA256: text}, Start: &store.Version{TextSHA256: text, Extractor: "x"}}
		if i >= len(srcs) {
			r.Fetch.Outcome = store.OutcomeChanged
			r.Change = &store.Change{Revet: i%3 == 0, Summary: fmt.Sprint("change ", i)}
			r.Diff = []byte(`{}`)
		}
		record(t, db, src.ID, t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("<p>%s %d</p>", text, i), r)
	}
}

func TestChangePage(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	a, b := addSource(t, db, "alpha"), addSource(t, db, "beta")
	changes(t, db, []store.Source{a, b}, 25)
	if err := db.SetTriage(ctx, 3, store.Triage{State: store.TriageDismissed}); err != nil {
		t.Fatal(err)
	}
	all, err := db.Changes(ctx, store.ChangeFilter{})
	if err != nil || len(all) != 25 {
		t.Fatalf("changes: %d %v", len(all), err)
	}
	cases := []struct {
		name string
		q    store.ChangeQuery
		keep func(store.Change) bool
	}{
		{"all", store.ChangeQuery{Limit: 7}, func(store.Change) bool { return true }},
		{"revet", store.ChangeQuery{Revet: true, Limit: 3}, func(c store.Change) bool { return c.Revet }},
		{"source", store.ChangeQuery{Sources: []uint64{b.ID}, Limit: 4}, func(c store.Change) bool { return c.SourceID == b.ID }},
		{"no sources", store.ChangeQuery{Sources: []uint64{}}, func(store.Change) bool { return false }},
		{"triage", store.ChangeQuery{Triage: []store.TriageState{store.TriageDismissed}}, func(c store.Change) bool { return c.Triage.State == store.TriageDismissed }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []uint64
			for _, ch := range slices.Backward(all) {
				if c.keep(ch) {
					want = append(want, ch.ID)
				}
			}
			var got []uint64
			q := c.q
			for pages := 0; ; pages++ {
				page, next, err := db.ChangePage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				lim := q.Limit
				if lim == 0 {
					lim = 50
				}
				if len(page) > lim || (next != 0 && len(page) != lim) {
					t.Fatalf("page of %d with next %d (limit %d)", len(page), next, lim)
				}
				for _, ch := range page {
					got = append(got, ch.ID)
				}
				if next == 0 || pages > 30 {
					break
				}
				q.Before = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	after, err := db.ChangesAfter(ctx, 20, 0)
	if err != nil || len(after) != 5 || after[0].ID != 21 {
		t.Errorf("changes after 20: %d %v", len(after), err)
	}
	n, err := db.Census(ctx, time.Now())
	if err != nil || n.Sources != 2 || n.Changes != 25 {
		t.Errorf("census: %+v %v", n, err)
	}
}

func TestTokensAndSessions(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	secret, tok, err := db.CreateToken(ctx, "alice", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateToken(ctx, "alice", store.RoleAdmin); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, _, err := db.CreateToken(ctx, " ", store.RoleAdmin); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty name: %v", err)
	}
	if got, err := db.TokenFor(ctx, secret); err != nil || got.Name != "alice" {
		t.Errorf("token for secret: %+v %v", got, err)
	}
	toks, _ := db.Tokens(ctx)
	for _, tk := range toks {
		if tk.Hash == secret || tk.Hash != tok.Hash {
			t.Errorf("stored token %+v", tk)
		}
	}
	for _, bad := range []string{"", "cw_", secret + "x", "nope"} {
		if _, err := db.TokenFor(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token for %q: %v", bad, err)
		}
	}
	sid, sess, err := db.CreateSession(ctx, tok, time.Hour)
	if err != nil || sess.CSRF == "" || sess.Hash == sid {
		t.Fatalf("session: %+v %v", sess, err)
	}
	if got, err := db.SessionFor(ctx, sid); err != nil || got.User != "alice" {
		t.Errorf("session for secret: %+v %v", got, err)
	}
	expired, _, _ := db.CreateSession(ctx, tok, -time.Second)
	if _, err := db.SessionFor(ctx, expired); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if err := db.RevokeToken(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionFor(ctx, sid); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after revoke: %v", err)
	}
	if err := db.RevokeToken(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke twice: %v", err)
	}
}

func TestWebhookRecords(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	a := addSource(t, db, "alpha")
	changes(t, db, []store.Source{a}, 2)
	h, err := db.AddWebhook(ctx, store.Webhook{URL: "https://hooks.example/x"})
	if err != nil || h.Cursor != 2 || h.Format != store.HookJSON || h.Secret == "" {
		t.Fatalf("add webhook: %+v %v", h, err)
	}
	changes(t, db, []store.Source{a}, 2) // changes 3 and 4, recorded after the hook
	dl := store.Delivery{Hook: h.ID, Change: 3, State: store.DeliveryPending, Attempts: 1}
	if err := db.RecordDelivery(ctx, dl); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Webhook(ctx, h.ID); got.Cursor != 2 {
		t.Errorf("a pending delivery moved the cursor to %d", got.Cursor)
	}
	dl.State = store.DeliveryDelivered
	if err := db.RecordDelivery(ctx, dl); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Webhook(ctx, h.ID); got.Cursor != 3 {
		t.Errorf("cursor after delivery %d, want 3", got.Cursor)
	}
	if err := db.SkipChange(ctx, h.ID, 4); err != nil {
		t.Fatal(err)
	}
	if ds, err := db.Deliveries(ctx, h.ID, 0); err != nil || len(ds) != 1 || ds[0].State != store.DeliveryDelivered {
		t.Errorf("deliveries: %+v %v", ds, err)
	}
	if err := db.DeleteWebhook(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delivery(ctx, h.ID, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delivery after the hook was deleted: %v", err)
	}
	for _, bad := range []store.Webhook{{URL: "ftp://x"}, {URL: "https://x", Format: "xml"}, {URL: "nohost"}} {
		if _, err := db.AddWebhook(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("add %+v: %v", bad, err)
		}
	}
}
