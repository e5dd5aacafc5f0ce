package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestMigrateSchema1 opens a database written by a schema-1 build (the
// first migration only, with a source in it) and finds it moved to the
// current schema with its source kept and an empty schedule.
func TestMigrateSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		if err := migrate(tx, migrations[:1]); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketSources), u64(1), Source{V: 1, ID: 1, Name: "old", URL: "https://old.example/p", Kind: Privacy}); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketState), u64(1), State{V: 1, SourceID: 1, Generation: 1, Health: HealthOK}); err != nil {
			return err
		}
		tx.Bucket(bucketNames).Put([]byte("old"), u64(1))
		return tx.Bucket(bucketURLs).Put([]byte("https://old.example/p"), u64(1))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if v, err := db.Schema(ctx); err != nil || v != SchemaVersion {
		t.Errorf("schema after open: %d, %v; want %d", v, err, SchemaVersion)
	}
	if s, err := db.Source(ctx, "old"); err != nil || s.ID != 1 {
		t.Errorf("source after migration: %+v, %v", s, err)
	}
	if dues, err := db.Dues(ctx); err != nil || len(dues) != 0 {
		t.Errorf("schedule after migration: %v, %v", dues, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check after migration: %v", err)
	}
}

// TestCheckSchedule breaks the schedule's invariants by hand and expects
// Check to name each.
func TestCheckSchedule(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	s, err := db.AddSource(ctx, Source{Name: "a", URL: "https://a.example/p", Supplier: "A"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	if err := db.SetDue(ctx, Due{SourceID: s.ID, Schedule: "@daily", Slot: at, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("clean: %v", err)
	}
	db.bolt.Update(func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketQueue)
		q.Delete(queueKey(at, s.ID))
		q.Put(queueKey(at.Add(time.Hour), 99), nil)
		return putJSON(tx.Bucket(bucketDue), u64(7), Due{V: 1, SourceID: 7, At: at})
	})
	err = db.Check(ctx)
	for _, want := range []string{"due time of source 1: store: corrupt record: not in the queue", "no matching due time", "due time of source 7: store: corrupt record: no such source"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check: %v; want it to say %q", err, want)
		}
	}
}
