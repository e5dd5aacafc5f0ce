package store

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// logFill is the fetch log bucket's pages and the bytes in use in them.
type logFill struct {
	keys, leafPages, pages int
	inuse, alloc           int
}

func (f logFill) ratio() float64 { return float64(f.inuse) / float64(f.alloc) }

func bucketFill(t *testing.T, db *DB, name []byte) logFill {
	t.Helper()
	var f logFill
	db.bolt.View(func(tx *bbolt.Tx) error {
		s := tx.Bucket(name).Stats()
		f = logFill{keys: s.KeyN, leafPages: s.LeafPageN, pages: s.LeafPageN + s.BranchPageN + s.LeafOverflowN + s.BranchOverflowN,
			inuse: s.LeafInuse + s.BranchInuse, alloc: s.LeafAlloc + s.BranchAlloc}
		return nil
	})
	return f
}

// TestMoveFill: the fetch log a move from schema 9 writes is packed as
// full as the one recording writes (appended in ID order, FillPercent
// 1.0): records are moved in ID order across sources, not source by
// source (decision record 0054). Fetches of 40 sources taking turns,
// as a daemon's rounds make them, moved in batches of 256; the figures
// are logged (-v).
func TestMoveFill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fill.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.bolt.NoSync = true
	h := newFetchHistory(t, db, 40)
	for range 3000 {
		h.record()
	}
	native, nativeIndex := bucketFill(t, db, bucketFetchLog), bucketFill(t, db, bucketFetchIndex)
	if err := db.bolt.Update(downgradeToSchema9); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path, Options{moveBatch: 256}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	moved, movedIndex := bucketFill(t, db, bucketFetchLog), bucketFill(t, db, bucketFetchIndex)
	t.Logf("fetch log recorded: %d keys in %d pages (%d leaves), %.1f%% of their bytes in use", native.keys, native.pages, native.leafPages, 100*native.ratio())
	t.Logf("fetch log moved:    %d keys in %d pages (%d leaves), %.1f%% of their bytes in use", moved.keys, moved.pages, moved.leafPages, 100*moved.ratio())
	t.Logf("fetch index recorded: %d keys in %d pages, %.1f%% in use; moved: %d keys in %d pages, %.1f%% in use",
		nativeIndex.keys, nativeIndex.pages, 100*nativeIndex.ratio(), movedIndex.keys, movedIndex.pages, 100*movedIndex.ratio())
	if moved.keys != native.keys {
		t.Fatalf("%d records moved, %d recorded", moved.keys, native.keys)
	}
	if moved.ratio() < 0.9*native.ratio() {
		t.Errorf("the moved log is %.1f%% full, the recorded one %.1f%%: want at least 90%% of that", 100*moved.ratio(), 100*native.ratio())
	}
	h.db = db
	h.compare()
}
