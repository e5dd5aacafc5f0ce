package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestFetchTail: at every cadence of index writes, and across a reopen
// that rebuilds it from the file, the in-memory tail is what reads use
// (no fallback to the scan), it finds for every source exactly the keys
// the scan finds, and it holds no more than the unindexed tail.
func TestFetchTail(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts FetchIndexOptions
	}{
		{"written after every commit", FetchIndexOptions{MaxTail: 1}},
		{"written every 7 fetches", FetchIndexOptions{MaxTail: 7}},
		{"written every round of 4 sources", FetchIndexOptions{Rounds: 1}},
		{"never written", FetchIndexOptions{MaxTail: 1 << 30, Rounds: 1 << 20}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.db")
			db, err := Open(path, Options{FetchIndex: tt.opts})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { db.Close() }()
			h := newFetchHistory(t, db, 4)
			for i := range 60 {
				if i == 30 {
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					if db, err = Open(path, Options{FetchIndex: tt.opts}); err != nil {
						t.Fatal(err)
					}
					h.db = db
				}
				var before uint64
				db.bolt.View(func(tx *bbolt.Tx) error { before = indexedUpTo(tx); return nil })
				h.record()
				compareTail(t, db, h.srcs, true)
				// What the index held before this fetch is dropped from
				// the tail by the time this fetch is added.
				if db.tail.from <= before {
					t.Fatalf("after fetch %d the tail covers IDs from %d, the index held them up to %d before", i+1, db.tail.from, before)
				}
			}
			h.compare()
		})
	}
}

// compareTail checks every source's keys through the tail against the
// scan; exact: and that the tail holds no ID twice (no transaction was
// rolled back).
func compareTail(t *testing.T, db *DB, srcs []Source, exact bool) {
	t.Helper()
	db.bolt.View(func(tx *bbolt.Tx) error {
		w, seq := indexedUpTo(tx), tx.Bucket(bucketFetchLog).Sequence()
		if n := db.tail.size(); exact && uint64(n) > seq+1-db.tail.from {
			t.Fatalf("the tail holds %d IDs, more than there are from %d to %d", n, db.tail.from, seq)
		}
		for _, src := range srcs {
			if _, ok := db.tail.lookup(src.ID, w, seq); !ok {
				t.Fatalf("source %d: the tail does not cover (%d, %d]", src.ID, w, seq)
			}
			got, want := sourceFetchKeys(tx, db.tail, src.ID, time.Time{}, time.Time{}), sourceFetchKeys(tx, nil, src.ID, time.Time{}, time.Time{})
			if !equalKeys(got, want) {
				t.Fatalf("source %d: %d keys through the tail, %d by the scan", src.ID, len(got), len(want))
			}
		}
		return nil
	})
}

func equalKeys(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestFetchTailRolledBack: a fetch added to the tail in a transaction
// that is rolled back leaves its ID in the tail under its source; the
// same ID, numbered again for another source's fetch, is that source's
// alone: reads check each ID's source in the log.
func TestFetchTailRolledBack(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "f.db"), Options{FetchIndex: FetchIndexOptions{MaxTail: 1 << 20, Rounds: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := newFetchHistory(t, db, 2)
	for range 6 {
		h.record()
	}
	const ghost = 99 // no such source: only the rolled-back fetch names it
	rollback := errors.New("rolled back")
	var reused uint64
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		id, err := tx.Bucket(bucketFetchLog).NextSequence()
		if err != nil {
			return err
		}
		reused = id
		f := Fetch{ID: id, SourceID: ghost, Start: h.at.Add(time.Minute), Status: 503, Outcome: OutcomeFailed, Error: "x"}
		if err := putFetch(tx, db.tail, f, nil); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("rolled-back put: %v", err)
	}
	h.record()
	db.bolt.View(func(tx *bbolt.Tx) error {
		w, seq := indexedUpTo(tx), tx.Bucket(bucketFetchLog).Sequence()
		if ids, ok := db.tail.lookup(ghost, w, seq); !ok || len(ids) != 1 || ids[0] != reused {
			t.Fatalf("the tail names %v (covered %v) for the rolled-back fetch, want [%d]", ids, ok, reused)
		}
		if keys := sourceFetchKeys(tx, db.tail, ghost, time.Time{}, time.Time{}); len(keys) != 0 {
			t.Fatalf("the rolled-back fetch's source has %d fetches, want none", len(keys))
		}
		return nil
	})
	compareTail(t, db, h.srcs, false)
	h.compare()
}
