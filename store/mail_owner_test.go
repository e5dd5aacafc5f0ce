package store

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// TestMailOwnerLegacy: a subscription stored before owners (no "owner"
// in its record, as schema 9 wrote it) reads as the admins' — listed
// under "" and deletable only as theirs — with no migration and no
// schema bump.
func TestMailOwnerLegacy(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "m.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := t.Context()
	legacy := []byte(`{"v":1,"id":7,"user":"ann","email":"a@example.org","floor":"revet","mode":"immediate","created":"2026-01-02T00:00:00Z","cursor":0}`)
	err = d.update(ctx, func(tx *bbolt.Tx) error {
		subs, _, _, _, err := mailBuckets(tx, true)
		if err != nil {
			return err
		}
		return subs.Put(u64(7), legacy)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mine, err := d.SubscriptionsOf(ctx, "ann"); err != nil || len(mine) != 0 {
		t.Errorf("the maker of an old subscription does not own it: %+v, %v", mine, err)
	}
	admins, err := d.SubscriptionsOf(ctx, "")
	if err != nil || len(admins) != 1 || admins[0].ID != 7 || admins[0].Owner != "" || admins[0].User != "ann" {
		t.Fatalf("the admins' subscriptions: %+v, %v", admins, err)
	}
	if err := d.DeleteOwnSubscription(ctx, 7, "ann"); err == nil {
		t.Error("ann deleted an admins' subscription")
	}
	if err := d.DeleteOwnSubscription(ctx, 7, ""); err != nil {
		t.Errorf("the admins delete theirs: %v", err)
	}
}
