package store

import (
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var benchChanges = flag.Int("index-changes", 10000, "changes in the database for BenchmarkChangePage")

// BenchmarkChangePage reads the first page of the feed's queries through
// the change index and by the full scan ChangePage used to do, in the
// same process over the same file: -index-changes changes (10,000) over
// 50 sources of 17 suppliers, a third of them re-vet, laid out as
// web's BenchmarkLoad lays them out. The changes are written straight
// into the buckets (no versions or fetches): only reading is measured.
//
//	go test ./store -run '^$' -bench ChangePage
func BenchmarkChangePage(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var srcs []Source
	for i := range 50 {
		srcs = append(srcs, Source{Name: fmt.Sprintf("policy-%02d", i), URL: fmt.Sprintf("https://s%02d.example/privacy", i), Supplier: fmt.Sprintf("Supplier %d", i%17)})
	}
	if srcs, err = db.AddSources(b.Context(), srcs); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < *benchChanges; {
		err := db.update(b.Context(), func(tx *bbolt.Tx) error {
			changes := tx.Bucket(bucketChanges)
			for n := 0; n < 1000 && done < *benchChanges; n, done = n+1, done+1 {
				id, _ := changes.NextSequence()
				c := Change{V: 1, ID: id, SourceID: srcs[done%len(srcs)].ID, Generation: 1, From: 1, To: 2, Revet: done%3 == 0,
					Detected: t0.Add(time.Duration(done) * time.Hour), Recorded: t0.Add(time.Duration(done) * time.Hour),
					Summary: "Re-vet: 1 substantive change (sharing); 4 editorial, 2 cosmetic.",
					Reasons: []string{`widens a list about who it is shared with: adds "vetting reports"`}, Categories: []string{"sharing"},
					DiffSHA256: Hash([]byte(fmt.Sprint(done))), Triage: Triage{State: TriageNew}}
				if err := putJSON(changes, u64(id), c); err != nil {
					return err
				}
				if err := indexChange(tx, nil, &c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	db.view(b.Context(), func(tx *bbolt.Tx) error {
		inuse := func(name []byte) int {
			st := tx.Bucket(name).Stats()
			return st.BranchInuse + st.LeafInuse
		}
		b.Logf("%d changes: changes bucket %d B in use, change_index %d B, supplier_index %d B",
			*benchChanges, inuse(bucketChanges), inuse(bucketChangeIndex), inuse(bucketSupplierIndex))
		return nil
	})
	queries := []struct {
		name string
		q    ChangeQuery
	}{
		{"all", ChangeQuery{}},
		{"revet+supplier", ChangeQuery{Revet: true, Supplier: "Supplier 3"}},
		{"source", ChangeQuery{Sources: []uint64{srcs[7].ID}}},
		{"triage=reviewed", ChangeQuery{Triage: []TriageState{TriageReviewed}}},
	}
	for _, c := range queries {
		for _, how := range []string{"scan", "index"} {
			b.Run(c.name+"/"+how, func(b *testing.B) {
				for b.Loop() {
					var err error
					if how == "scan" {
						err = db.view(b.Context(), func(tx *bbolt.Tx) error {
							_, _, err := scanChangePage(tx, c.q)
							return err
						})
					} else {
						_, _, err = db.ChangePage(b.Context(), c.q)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
