package store_test

import (
	"path/filepath"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/storetest"
)

// TestConformance holds the bbolt backend to the store's contract: a
// real file in a temp dir for each case.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, o storetest.Options) store.Store {
		db, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, nil)
}

// TestConformanceIndexEveryCommit runs the suite with the fetch index
// written after every commit (decision record 0049): the default leaves
// most of the suite's few fetches in the unindexed tail, this reads them
// all through the index.
func TestConformanceIndexEveryCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, o storetest.Options) store.Store {
		db, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{Now: o.Now, FetchIndex: store.FetchIndexOptions{MaxTail: 1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, nil)
}
