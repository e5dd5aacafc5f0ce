package store_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/clausewatch/clausewatch/store"
)

// TestMailOutbox: a database that never had mail reads as empty, even
// read-only; a queued key is queued once, with the cursor, across a
// reopen; a finished message leaves the pending list; removing a
// subscription fails what it still had to send.
func TestMailOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mail.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	src := addSource(t, db, "alpha")
	changes(t, db, []store.Source{src}, 3)
	db.Close()

	// No mail buckets yet: reads answer empty, also read-only (where
	// nothing could create them).
	ro, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	subs, err1 := ro.Subscriptions(ctx)
	pending, err2 := ro.PendingMail(ctx)
	mails, err3 := ro.Mails(ctx, 0, 0)
	queued, err4 := ro.MailQueued(ctx, "change/1/1")
	if _, err := ro.Subscription(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("subscription 1 of an empty database: %v, want ErrNotFound", err)
	}
	if len(subs)+len(pending)+len(mails) != 0 || queued || errors.Join(err1, err2, err3, err4) != nil {
		t.Errorf("empty database: %v %v %v %v %v", subs, pending, mails, queued, errors.Join(err1, err2, err3, err4))
	}
	ro.Close()

	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []store.Subscription{
		{Email: "no-at-sign"}, {Email: "a@b.c\r\nBcc: x@y.z"}, {Email: "a@b.c", Floor: "most"},
		{Email: "a@b.c", Mode: "hourly"}, {Email: "a@b.c", Suppliers: []string{"Acme\nLtd"}},
	} {
		if _, err := db.AddSubscription(ctx, bad); !errors.Is(err, store.ErrInvalid) && !errors.As(err, new(*store.InputError)) {
			t.Errorf("AddSubscription(%+v): %v, want invalid", bad, err)
		}
	}
	sub, err := db.AddSubscription(ctx, store.Subscription{User: "alice", Email: "a@example.org", Suppliers: []string{"B", "A", "B"}})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Cursor != 3 || sub.Floor != store.FloorRevet || sub.Mode != store.MailImmediate || len(sub.Suppliers) != 2 {
		t.Errorf("new subscription %+v: want cursor at the last change (3), defaults, suppliers deduplicated", sub)
	}
	m := store.Mail{Kind: store.MailChange, Key: "change/1/4", To: sub.Email, Message: []byte("x")}
	for i := range 2 {
		got, err := db.QueueMail(ctx, sub.ID, 4, "", []store.Mail{m})
		if err != nil || len(got) != 1-i {
			t.Fatalf("queue #%d: %d queued %v, want %d", i+1, len(got), err, 1-i)
		}
	}
	db.Close()
	if db, err = store.Open(path, store.Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, _ := db.QueueMail(ctx, sub.ID, 4, "2026-03-09", []store.Mail{m}); len(got) != 0 {
		t.Errorf("queued again after a reopen")
	}
	if s, _ := db.Subscription(ctx, sub.ID); s.Cursor != 4 || s.LastDigest != "2026-03-09" {
		t.Errorf("subscription after queueing: %+v", s)
	}
	pending, err = db.PendingMail(ctx)
	if err != nil || len(pending) != 1 || pending[0].State != store.DeliveryPending || string(pending[0].Message) != "x" {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	sent := pending[0]
	sent.State, sent.Attempts = store.DeliveryDelivered, 1
	if err := db.RecordMail(ctx, sent); err != nil {
		t.Fatal(err)
	}
	if pending, _ = db.PendingMail(ctx); len(pending) != 0 {
		t.Errorf("delivered mail still pending")
	}
	m2 := store.Mail{Kind: store.MailChange, Key: "change/1/5", To: sub.Email, Message: []byte("y")}
	if _, err := db.QueueMail(ctx, sub.ID, 5, "", []store.Mail{m2}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSubscription(ctx, sub.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	all, err := db.Mails(ctx, sub.ID, 0)
	if err != nil || len(all) != 2 || all[0].State != store.DeliveryFailed || all[1].State != store.DeliveryDelivered || all[0].Message != nil {
		t.Errorf("mail after the subscription went: %+v %v", all, err)
	}
	if pending, _ = db.PendingMail(ctx); len(pending) != 0 {
		t.Errorf("a deleted subscription's mail is still pending")
	}
	if _, err := db.QueueMail(ctx, sub.ID, 6, "", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("queue for a deleted subscription: %v, want ErrNotFound", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("consistency: %v", err)
	}
}
