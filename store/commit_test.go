package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// TestGroupCommit writes records from many goroutines at once and checks
// how they were committed. The writer is told to wait (up to a minute,
// a bound that is never reached) until the batch holds every record, so
// what lands in one transaction does not depend on the machine's speed.
// One transaction shows as one signed checkpoint kept for the whole
// batch (each record starts a version, so each transaction's checkpoint
// is kept); a record that fails inside the batch is left out, all or
// nothing, and the others are committed.
func TestGroupCommit(t *testing.T) {
	const n = 12
	tests := []struct {
		name   string
		commit store.CommitOptions
		// invalid and twice are the records, by index, that are written
		// for a source without a version as "seen" (refused inside the
		// transaction), and written twice from the same state (one of
		// the two must lose with ErrConflict).
		invalid, twice int
		wantKept       int
		// async hands the records in from one goroutine without waiting
		// (RecordAsync); flush then ends the writer's wait for more.
		async, flush bool
	}{
		{"one batch", store.CommitOptions{MaxBatch: n, MaxDelay: time.Minute}, -1, -1, 1, false, false},
		{"bad records left out", store.CommitOptions{MaxBatch: n + 1, MaxDelay: time.Minute}, 3, 7, 1, false, false},
		{"per-record commit", store.CommitOptions{MaxBatch: 1}, -1, -1, n, false, false},
		// The delay would hold the batch for an hour: it commits once it
		// holds a record of every writer.
		{"every writer in", store.CommitOptions{MaxBatch: 64, MaxDelay: time.Hour, Writers: n}, -1, -1, 1, false, false},
		// One goroutine fills the batch: it does not wait for its records.
		{"handed in, bad records left out", store.CommitOptions{MaxBatch: n + 1, MaxDelay: time.Minute}, 3, 7, 1, true, false},
		// The delay would hold the batch for an hour: FlushRecords ends it.
		{"handed in, flushed", store.CommitOptions{MaxBatch: 64, MaxDelay: time.Hour}, -1, -1, 1, true, true},
		{"handed in, per-record commit", store.CommitOptions{MaxBatch: 1}, 3, -1, n - 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(filepath.Join(t.TempDir(), "group.db"), store.Options{Commit: tt.commit})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := db.Check(context.Background()); err != nil {
					t.Errorf("consistency check: %v", err)
				}
				if rep, err := db.CheckLog(context.Background()); err != nil || !rep.OK() {
					t.Errorf("log check: %v %v", rep.Problems, err)
				}
				db.Close()
			})
			at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			var recs []store.Record
			for i := range n {
				src := addSource(t, db, fmt.Sprintf("s%02d", i))
				st, err := db.State(t.Context(), src.ID)
				if err != nil {
					t.Fatal(err)
				}
				r := store.Record{Fetch: store.Fetch{SourceID: src.ID, URL: src.URL, Start: at, End: at.Add(time.Second), Outcome: store.OutcomeNew, TextSHA256: "t"},
					State: st, Start: &store.Version{TextSHA256: "t"}, Body: fmt.Appendf(nil, "<p>%d</p>", i)}
				if i == tt.invalid {
					r.Fetch.Outcome, r.Start, r.Seen = store.OutcomeUnchanged, nil, true
				}
				recs = append(recs, r)
				if i == tt.twice {
					recs = append(recs, r)
				}
			}
			errs := make([]error, len(recs))
			fetches := make([]store.Fetch, len(recs))
			var wg sync.WaitGroup
			for i, r := range recs {
				if !tt.async {
					wg.Go(func() { fetches[i], _, errs[i] = db.Record(t.Context(), r) })
					continue
				}
				wg.Add(1)
				err := db.RecordAsync(t.Context(), r, func(f store.Fetch, _ *store.Change, err error) {
					fetches[i], errs[i] = f, err
					wg.Done()
				})
				if err != nil { // not queued: done is not called
					errs[i] = err
					wg.Done()
				}
			}
			if tt.flush {
				db.FlushRecords()
			}
			wg.Wait()

			ok, ids := 0, map[uint64]bool{}
			for i, err := range errs {
				switch {
				case i == tt.invalid:
					if !errors.Is(err, store.ErrInvalid) {
						t.Errorf("record %d (seen without a version): got %v, want %v", i, err, store.ErrInvalid)
					}
				case tt.twice >= 0 && (i == tt.twice || i == tt.twice+1):
					if err != nil && !errors.Is(err, store.ErrConflict) {
						t.Errorf("record %d (written twice): got %v, want nil or %v", i, err, store.ErrConflict)
					}
				case err != nil:
					t.Errorf("record %d: %v", i, err)
				}
				if err == nil {
					ok++
					ids[fetches[i].ID] = true
				}
			}
			if tt.twice >= 0 && (errs[tt.twice] == nil) == (errs[tt.twice+1] == nil) {
				t.Errorf("the record written twice: got %v and %v, want exactly one %v", errs[tt.twice], errs[tt.twice+1], store.ErrConflict)
			}
			if len(ids) != ok || ids[0] {
				t.Errorf("fetch IDs %v for %d records committed", ids, ok)
			}
			if size, _ := db.LogSize(t.Context()); size != int64(ok) {
				t.Errorf("log size %d, want %d", size, ok)
			}
			kept, err := db.Checkpoints(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var last int64
			if len(kept) > 0 {
				last = kept[len(kept)-1].Size
			}
			if len(kept) != tt.wantKept || last != int64(ok) {
				t.Errorf("got %d kept checkpoints, the last of size %d; want %d, the last of size %d", len(kept), last, tt.wantKept, ok)
			}
			if tt.invalid >= 0 {
				st, _ := db.State(t.Context(), recs[tt.invalid].Fetch.SourceID)
				fs, _ := db.Fetches(t.Context(), st.SourceID, time.Time{}, time.Time{}, 0)
				if st.Rev != 0 || len(fs) != 0 {
					t.Errorf("the refused record left state rev %d and %d fetches, want 0 and 0", st.Rev, len(fs))
				}
			}
		})
	}
}

// TestRecordBodyHash records the same body with and without the hash the
// caller computed: the fetch names the body by its hash either way, and
// the body is stored under it.
func TestRecordBodyHash(t *testing.T) {
	body := []byte("<p>the same page</p>")
	tests := []struct {
		name string
		hint string
	}{
		{"hashed by Record", ""},
		{"hash passed on", store.Hash(body)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(filepath.Join(t.TempDir(), "hash.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			src := addSource(t, db, "s")
			st, err := db.State(t.Context(), src.ID)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			f, _, err := db.Record(t.Context(), store.Record{Fetch: store.Fetch{SourceID: src.ID, URL: src.URL, Start: at, End: at, Outcome: store.OutcomeNew, TextSHA256: "t"},
				State: st, Start: &store.Version{TextSHA256: "t"}, Body: body, BodySHA256: tt.hint})
			if err != nil {
				t.Fatal(err)
			}
			if f.BodySHA256 != store.Hash(body) || f.BodySize != len(body) {
				t.Errorf("fetch names body %s (%d bytes), want %s (%d)", f.BodySHA256, f.BodySize, store.Hash(body), len(body))
			}
			got, err := db.Blob(t.Context(), f.BodySHA256)
			if err != nil || string(got) != string(body) {
				t.Errorf("stored body %q, %v", got, err)
			}
		})
	}
}
