package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var vettingCases = []Case{
	{"Vetting/Suppliers", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		addSource(t, db, "alpha", "Acme")
		addSource(t, db, "beta", "Bolt")
		_, err := db.PutSupplier(ctx, store.Supplier{Name: "Acme", Awarded: "2024-13-01"})
		wantErr(t, "bad date", err, store.ErrInvalid)
		_, err = db.PutSupplier(ctx, store.Supplier{Name: "Acme", Zone: "Mars/Olympus"})
		wantErr(t, "bad zone", err, store.ErrInvalid)
		_, err = db.PutSupplier(ctx, store.Supplier{Name: "Acme", Products: []store.Product{{Name: "App", Sources: []string{"beta"}}}})
		wantErr(t, "another supplier's source", err, store.ErrInvalid)
		_, err = db.PutSupplier(ctx, store.Supplier{Name: "Acme", Products: []store.Product{{Name: "App", Sources: []string{"nope"}}}})
		wantErr(t, "unknown source", err, store.ErrNotFound)
		s, err := db.PutSupplier(ctx, store.Supplier{Name: " Acme ", Awarded: "2024-01-02", Zone: "Europe/Paris", Products: []store.Product{{Name: "App", Sources: []string{"alpha"}}}})
		if err != nil || s.Name != "Acme" || !s.Updated.Equal(clock.Now()) {
			t.Fatalf("supplier %+v, %v", s, err)
		}
		secret, err := db.CreateSupplierToken(ctx, "Acme")
		if err != nil || !strings.HasPrefix(secret, "cws_") {
			t.Fatalf("supplier token %q, %v", secret, err)
		}
		_, err = db.CreateSupplierToken(ctx, "Nobody")
		wantErr(t, "token for unknown supplier", err, store.ErrNotFound)
		s.Note = "edited"
		_, err = db.PutSupplier(ctx, s)
		must(t, "edit", err)
		got, err := db.SupplierForToken(ctx, secret)
		if err != nil || got.Name != "Acme" || got.Note != "edited" || got.TokenHash == "" {
			t.Errorf("SupplierForToken after an edit (the token is kept) = %+v, %v", got, err)
		}
		for _, bad := range []string{"cws_nope", "cw_" + secret[4:], ""} {
			_, err := db.SupplierForToken(ctx, bad)
			wantErr(t, "SupplierForToken("+bad+")", err, store.ErrNotFound)
		}
		_, err = db.PutSupplier(ctx, store.Supplier{Name: "Bolt"})
		must(t, "Bolt", err)
		all, err := db.Suppliers(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "Acme" || all[1].Name != "Bolt" {
			t.Errorf("Suppliers by name: %+v, %v", all, err)
		}
		_, err = db.Supplier(ctx, "Cargo")
		wantErr(t, "unknown supplier", err, store.ErrNotFound)
	}},
	{"Vetting/Notifications", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "alpha", "Acme").ID
		_, err := db.AddNotification(ctx, store.Notification{Supplier: "Acme", Date: "2024-02-01"})
		wantErr(t, "supplier without a record", err, store.ErrNotFound)
		for _, sup := range []string{"Acme", "Bolt"} {
			_, err := db.PutSupplier(ctx, store.Supplier{Name: sup})
			must(t, "supplier", err)
		}
		_, err = db.AddNotification(ctx, store.Notification{Supplier: "Acme"})
		wantErr(t, "no date", err, store.ErrInvalid)
		_, err = db.AddNotification(ctx, store.Notification{Supplier: "Acme", Date: "2024-02-01", Tickets: []store.Ticket{{Kind: store.TicketReword, Text: "x"}}})
		wantErr(t, "reword without a clause", err, store.ErrInvalid)
		_, err = db.AddNotification(ctx, store.Notification{Supplier: "Acme", Date: "2024-02-01", Tickets: []store.Ticket{{Kind: "bogus", Text: "x"}}})
		wantErr(t, "bad kind", err, store.ErrInvalid)
		n, err := db.AddNotification(ctx, store.Notification{Supplier: "Acme", Date: "2024-02-01", At: t0, Must: "2024-03-01",
			Tickets: []store.Ticket{{Kind: store.TicketAppear, Text: "a retention clause"}, {Kind: store.TicketReword, Source: src, Clause: "c1", Text: "reword it"}}})
		if err != nil || n.ID == 0 || n.Tickets[1].N != 2 {
			t.Fatalf("notification %+v, %v", n, err)
		}
		_, err = db.AddNotification(ctx, store.Notification{Supplier: "Bolt", Date: "2024-02-02"})
		must(t, "second", err)
		proof := &store.Proof{Source: src, Version: 1, Fetch: 1, Seen: t0, Why: "found", Checked: t0}
		up, err := db.UpdateNotification(ctx, n.ID, func(x *store.Notification) error { x.Tickets[0].Met = proof; return nil })
		if err != nil || up.Tickets[0].Met == nil {
			t.Errorf("meeting a ticket: %+v, %v", up, err)
		}
		_, err = db.UpdateNotification(ctx, n.ID, func(x *store.Notification) error { x.Must = "2025-01-01"; return nil })
		wantErr(t, "editing the facts", err, store.ErrInvalid)
		_, err = db.UpdateNotification(ctx, n.ID, func(x *store.Notification) error { x.Tickets[1].Text = "other"; return nil })
		wantErr(t, "editing a ticket", err, store.ErrInvalid)
		boom := errors.New("boom")
		_, err = db.UpdateNotification(ctx, n.ID, func(x *store.Notification) error { x.Withdrawn = true; return boom })
		wantErr(t, "fn's error", err, boom)
		got, err := db.Notification(ctx, n.ID)
		if err != nil || got.Withdrawn || got.Tickets[0].Met == nil || got.Tickets[0].Met.Why != "found" {
			t.Errorf("stored notification %+v, %v", got, err)
		}
		_, err = db.Notification(ctx, 99)
		wantErr(t, "unknown notification", err, store.ErrNotFound)
		acme, _ := db.Notifications(ctx, "Acme")
		all, _ := db.Notifications(ctx, "")
		if len(acme) != 1 || len(all) != 2 || all[0].ID != n.ID {
			t.Errorf("notifications: Acme %d, all %d", len(acme), len(all))
		}
	}},
	{"Vetting/Rubrics", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		_, err := db.AddRubric(ctx, store.Rubric{Version: "2", Released: "2024-06-01"})
		must(t, "rubric 2", err)
		_, err = db.AddRubric(ctx, store.Rubric{Version: "1", Released: "2023-06-01", Note: "first"})
		must(t, "rubric 1", err)
		_, err = db.AddRubric(ctx, store.Rubric{Version: "2", Released: "2024-07-01"})
		wantErr(t, "same version", err, store.ErrExists)
		_, err = db.AddRubric(ctx, store.Rubric{Version: "3", Released: "2024-06-01"})
		wantErr(t, "same day", err, store.ErrExists)
		_, err = db.AddRubric(ctx, store.Rubric{Version: "4"})
		wantErr(t, "no date", err, store.ErrInvalid)
		rs, err := db.Rubrics(ctx)
		if err != nil || len(rs) != 2 || rs[0].Version != "1" || rs[1].Version != "2" {
			t.Errorf("Rubrics by release date: %+v, %v", rs, err)
		}
	}},
	{"Vetting/Baselines", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "").ID
		b := addSource(t, db, "beta", "").ID
		_, err := db.PinBaseline(ctx, store.Baseline{Source: a, Name: "award", Version: 1})
		wantErr(t, "no such version", err, store.ErrNotFound)
		record(t, db, a, fetch{at: t0, body: "a", text: "a", start: true})
		record(t, db, b, fetch{at: t0, body: "b", text: "b", start: true})
		clock.Advance(time.Hour)
		p, err := db.PinBaseline(ctx, store.Baseline{Source: a, Name: " award ", Version: 1, By: "ana"})
		if err != nil || p.Name != "award" || !p.Pinned.Equal(clock.Now()) {
			t.Fatalf("pinned %+v, %v", p, err)
		}
		_, err = db.PinBaseline(ctx, store.Baseline{Source: a, Name: "", Version: 1})
		wantErr(t, "no name", err, store.ErrInvalid)
		for _, bl := range []store.Baseline{{Source: a, Name: "review", Version: 1}, {Source: b, Name: "award", Version: 1}} {
			_, err := db.PinBaseline(ctx, bl)
			must(t, "pin", err)
		}
		ofA, _ := db.Baselines(ctx, a)
		all, _ := db.Baselines(ctx, 0)
		if len(ofA) != 2 || ofA[0].Name != "award" || ofA[1].Name != "review" || len(all) != 3 || all[2].Source != b {
			t.Errorf("baselines of a %+v, all %+v", ofA, all)
		}
		must(t, "delete", db.DeleteBaseline(ctx, a, "award"))
		wantErr(t, "delete again", db.DeleteBaseline(ctx, a, "award"), store.ErrNotFound)
		if ofA, _ := db.Baselines(ctx, a); len(ofA) != 1 {
			t.Errorf("after delete: %+v", ofA)
		}
	}},
}
