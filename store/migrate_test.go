package store

import (
	"errors"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// TestMigrateForward runs a made-up three-step history: a database at
// schema 1 gets steps 2 and 3 once, in order; a failing step leaves the
// database untouched.
func TestMigrateForward(t *testing.T) {
	b, err := bbolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var ran []int
	step := func(n int) migration {
		return func(tx *bbolt.Tx) error {
			ran = append(ran, n)
			if n == 1 {
				_, err := tx.CreateBucketIfNotExists(bucketMeta)
				return err
			}
			_, err := tx.CreateBucketIfNotExists([]byte{byte('0' + n)})
			return err
		}
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return migrate(tx, []migration{step(1)}) }); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return migrate(tx, []migration{step(1), step(2), step(3)}) }); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return migrate(tx, []migration{step(1), step(2), step(3)}) }); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3}; len(ran) != 3 || ran[0] != 1 || ran[1] != 2 || ran[2] != 3 {
		t.Errorf("ran %v, want %v", ran, want)
	}
	boom := errors.New("boom")
	failing := func(tx *bbolt.Tx) error {
		tx.CreateBucketIfNotExists([]byte("half-done"))
		return boom
	}
	err = b.Update(func(tx *bbolt.Tx) error { return migrate(tx, []migration{step(1), step(2), step(3), failing}) })
	if !errors.Is(err, boom) {
		t.Fatalf("failing step: %v", err)
	}
	b.View(func(tx *bbolt.Tx) error {
		if v, _ := schemaOf(tx); v != 3 || tx.Bucket([]byte("half-done")) != nil {
			t.Errorf("after a failed migration: schema %d, half-done bucket %v", v, tx.Bucket([]byte("half-done")) != nil)
		}
		return nil
	})
	if err := b.Update(func(tx *bbolt.Tx) error { return migrate(tx, []migration{step(1)}) }); !errors.Is(err, ErrSchema) {
		t.Errorf("older build on a newer file: %v", err)
	}
}
