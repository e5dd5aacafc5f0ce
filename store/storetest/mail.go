package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var mailCases = []Case{
	{"Mail/SubscriptionsAndOutbox", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		_, err := db.AddSubscription(ctx, store.Subscription{Email: "no address"})
		wantErr(t, "bad address", err, store.ErrInvalid)
		_, err = db.AddSubscription(ctx, store.Subscription{Email: "a@example.org", Floor: "some"})
		wantErr(t, "bad floor", err, store.ErrInvalid)
		src := addSource(t, db, "alpha", "").ID
		ids := changes(t, db, []uint64{src}, 2)
		s, err := db.AddSubscription(ctx, store.Subscription{User: "ann", Email: " a@example.org ", Suppliers: []string{"Z", "A", "Z"}})
		if err != nil || s.ID == 0 || s.Email != "a@example.org" || s.Floor != store.FloorRevet || s.Mode != store.MailImmediate ||
			len(s.Suppliers) != 2 || s.Suppliers[0] != "A" || s.Cursor != ids[1] || !s.Created.Equal(clock.Now()) {
			t.Fatalf("subscription %+v, %v (normalised, starting after the last change)", s, err)
		}
		s2, err := db.AddSubscription(ctx, store.Subscription{User: "bo", Email: "b@example.org", Mode: store.MailDigest, Floor: store.FloorAll})
		if err != nil || s2.ID == s.ID {
			t.Fatalf("second subscription %+v, %v", s2, err)
		}
		mails := []store.Mail{
			{Kind: store.MailChange, Key: "change/1/a", To: s.Email, Subject: "one", Message: []byte("body one")},
			{Kind: store.MailChange, Key: "", To: s.Email, Subject: "no key: left out"},
			{Kind: store.MailChange, Key: "change/1/b", To: s.Email, Subject: "two", Message: []byte("body two")},
		}
		q, err := db.QueueMail(ctx, s.ID, ids[1]+5, "", mails)
		if err != nil || len(q) != 2 || q[0].ID == 0 || q[0].Sub != s.ID || q[0].State != store.DeliveryPending || !q[0].Queued.Equal(clock.Now()) {
			t.Fatalf("QueueMail = %+v, %v", q, err)
		}
		again, err := db.QueueMail(ctx, s.ID, ids[0], "2026-12-01", mails[:1])
		if err != nil || len(again) != 0 {
			t.Errorf("a key queued twice: %+v, %v", again, err)
		}
		if got, _ := db.Subscription(ctx, s.ID); got.Cursor != ids[1]+5 || got.LastDigest != "2026-12-01" {
			t.Errorf("subscription after queueing: cursor %d (never backwards), digest %q", got.Cursor, got.LastDigest)
		}
		_, err = db.QueueMail(ctx, 99, 0, "", mails)
		wantErr(t, "queue for an unknown subscription", err, store.ErrNotFound)
		if ok, err := db.MailQueued(ctx, "change/1/b"); !ok || err != nil {
			t.Errorf("MailQueued(change/1/b) = %v, %v", ok, err)
		}
		if ok, _ := db.MailQueued(ctx, "change/1/zz"); ok {
			t.Error("MailQueued of a key never queued")
		}
		sent := q[0]
		sent.State, sent.Attempts, sent.Last = store.DeliveryDelivered, 1, clock.Now()
		must(t, "record sent", db.RecordMail(ctx, sent))
		retry := q[1]
		retry.Attempts, retry.Error, retry.Next = 1, "451 try later", clock.Now().Add(5*time.Minute)
		must(t, "record retry", db.RecordMail(ctx, retry))
		pending, err := db.PendingMail(ctx)
		if err != nil || len(pending) != 1 || pending[0].ID != retry.ID || pending[0].Error != "451 try later" || string(pending[0].Message) != "body two" {
			t.Fatalf("PendingMail = %+v, %v", pending, err)
		}
		wantErr(t, "record unknown mail", db.RecordMail(ctx, store.Mail{ID: 999, State: store.DeliveryFailed}), store.ErrNotFound)
		if _, err := db.QueueMail(ctx, s2.ID, 0, "", []store.Mail{{Kind: store.MailDigested, Key: "digest/2/x", To: s2.Email}}); err != nil {
			t.Fatal(err)
		}
		all, _ := db.Mails(ctx, 0, 0)
		if len(all) != 3 || all[0].Key != "digest/2/x" || all[2].ID != sent.ID || all[2].Message != nil {
			t.Errorf("Mails(all) newest first without bodies: %+v", all)
		}
		if one, _ := db.Mails(ctx, s.ID, 1); len(one) != 1 || one[0].ID != retry.ID {
			t.Errorf("Mails(sub, 1) = %+v", one)
		}
		must(t, "delete", db.DeleteSubscription(ctx, s.ID))
		wantErr(t, "delete again", db.DeleteSubscription(ctx, s.ID), store.ErrNotFound)
		_, err = db.Subscription(ctx, s.ID)
		wantErr(t, "deleted subscription", err, store.ErrNotFound)
		if p, _ := db.PendingMail(ctx); len(p) != 1 || p[0].Sub != s2.ID {
			t.Errorf("pending after deleting the subscription: %+v (its own mail fails, the other stays)", p)
		}
		kept, _ := db.Mails(ctx, s.ID, 0)
		if len(kept) != 2 || kept[0].State != store.DeliveryFailed || kept[0].Error != "subscription deleted" || kept[1].State != store.DeliveryDelivered {
			t.Errorf("a deleted subscription's mail stays on record: %+v", kept)
		}
		if subs, _ := db.Subscriptions(ctx); len(subs) != 1 || subs[0].ID != s2.ID {
			t.Errorf("Subscriptions = %+v", subs)
		}
	}},
	{"Mail/Owners", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		_, err := db.AddSubscription(ctx, store.Subscription{Owner: "ann\nBcc", Email: "a@example.org"})
		wantErr(t, "owner with a newline", err, store.ErrInvalid)
		ann, err := db.AddSubscription(ctx, store.Subscription{User: "ann", Owner: " ann ", Email: "a@example.org"})
		if err != nil || ann.Owner != "ann" {
			t.Fatalf("ann's subscription %+v, %v (owner trimmed)", ann, err)
		}
		bo, err := db.AddSubscription(ctx, store.Subscription{User: "bo", Owner: "bo", Email: "b@example.org"})
		must(t, "bo's subscription", err)
		admins, err := db.AddSubscription(ctx, store.Subscription{User: "root", Email: "ops@example.org"})
		must(t, "an owner-less subscription", err)
		ids := func(subs []store.Subscription) (out []uint64) {
			for _, s := range subs {
				out = append(out, s.ID)
			}
			return out
		}
		for _, tc := range []struct {
			owner string
			want  []uint64
		}{{"ann", []uint64{ann.ID}}, {"bo", []uint64{bo.ID}}, {"", []uint64{admins.ID}}, {"cy", nil}} {
			got, err := db.SubscriptionsOf(ctx, tc.owner)
			if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
				t.Errorf("SubscriptionsOf(%q) = %v, %v; want %v", tc.owner, ids(got), err, tc.want)
			}
		}
		if got, _ := db.Subscription(ctx, ann.ID); got.Owner != "ann" {
			t.Errorf("owner read back %q", got.Owner)
		}
		// Another's subscription, one that never existed, and the admins'
		// all answer "not found" to a user: trying IDs tells nothing.
		for _, tc := range []struct {
			id    uint64
			owner string
		}{{bo.ID, "ann"}, {admins.ID, "ann"}, {ann.ID, ""}, {ann.ID, "bo"}, {admins.ID + 100, "ann"}} {
			wantErr(t, fmt.Sprintf("%s deletes %d", tc.owner, tc.id), db.DeleteOwnSubscription(ctx, tc.id, tc.owner), store.ErrNotFound)
		}
		if all, _ := db.Subscriptions(ctx); len(all) != 3 {
			t.Fatalf("refused deletes removed something: %v", ids(all))
		}
		must(t, "ann deletes hers", db.DeleteOwnSubscription(ctx, ann.ID, "ann"))
		must(t, "the admins' own", db.DeleteOwnSubscription(ctx, admins.ID, ""))
		if all, _ := db.Subscriptions(ctx); fmt.Sprint(ids(all)) != fmt.Sprint([]uint64{bo.ID}) {
			t.Errorf("left after the deletes: %v, want bo's only", ids(all))
		}
	}},
	{"Mail/RevokeDropsSubscriptions", func(t *testing.T, db store.Store, clock *Clock) {
		// A revoked token's subscriptions go with it: nobody could see or
		// remove them any more, and a new token of the same name must not
		// inherit them. Other users' and the admins' stay.
		ctx := t.Context()
		for _, name := range []string{"ann", "bo"} {
			if _, _, err := db.CreateToken(ctx, name, store.RoleViewer); err != nil {
				t.Fatal(err)
			}
		}
		add := func(owner, email string) store.Subscription {
			s, err := db.AddSubscription(ctx, store.Subscription{User: owner, Owner: owner, Email: email})
			must(t, "subscribe "+email, err)
			return s
		}
		ann1, ann2, bo, admins := add("ann", "a1@example.org"), add("ann", "a2@example.org"), add("bo", "b@example.org"), add("", "ops@example.org")
		for _, s := range []store.Subscription{ann1, bo} {
			if _, err := db.QueueMail(ctx, s.ID, 0, "", []store.Mail{{Kind: store.MailChange, Key: fmt.Sprintf("change/9/%d", s.ID), To: s.Email}}); err != nil {
				t.Fatal(err)
			}
		}
		must(t, "revoke ann", db.RevokeToken(ctx, "ann"))
		all, err := db.Subscriptions(ctx)
		var left []uint64
		for _, s := range all {
			left = append(left, s.ID)
		}
		if err != nil || fmt.Sprint(left) != fmt.Sprint([]uint64{bo.ID, admins.ID}) {
			t.Errorf("subscriptions after revoking ann: %v, %v; want bo's and the admins'", left, err)
		}
		for _, id := range []uint64{ann1.ID, ann2.ID} {
			_, err := db.Subscription(ctx, id)
			wantErr(t, fmt.Sprintf("ann's subscription %d", id), err, store.ErrNotFound)
		}
		if p, _ := db.PendingMail(ctx); len(p) != 1 || p[0].Sub != bo.ID {
			t.Errorf("pending after the revoke: %+v (ann's mail fails, bo's stays)", p)
		}
		if kept, _ := db.Mails(ctx, ann1.ID, 0); len(kept) != 1 || kept[0].State != store.DeliveryFailed || kept[0].Error != "subscription deleted" {
			t.Errorf("ann's unsent mail stays on record, failed: %+v", kept)
		}
		if _, _, err := db.CreateToken(ctx, "ann", store.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if mine, _ := db.SubscriptionsOf(ctx, "ann"); len(mine) != 0 {
			t.Errorf("a new token named ann inherits %d subscriptions", len(mine))
		}
	}},
}
