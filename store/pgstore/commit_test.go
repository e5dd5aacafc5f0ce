package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestGroupCommit: eight records reach the writer together (a batch
// fills at MaxBatch 8; the long MaxDelay is only a safety net), two of
// them of one source decided on the same state. The batch commits in one
// transaction: seven records and one checkpoint (each record starts a
// version, so each would have kept its own), the stale record refused
// alone with ErrConflict, the log whole.
func TestGroupCommit(t *testing.T) {
	for _, keyed := range []bool{true, false} {
		t.Run(fmt.Sprintf("key=%v", keyed), func(t *testing.T) {
			ctx := t.Context()
			dsn := pgtest.DB(t)
			keyFile := filepath.Join(t.TempDir(), "k")
			signer, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: keyFile})
			if err != nil {
				t.Fatal(err)
			}
			defer signer.Close()
			opts := pgstore.Options{Commit: store.CommitOptions{MaxBatch: 8, MaxDelay: 5 * time.Minute}}
			if keyed {
				opts.KeyFile = keyFile
			}
			db, err := pgstore.Open(ctx, dsn, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var recs []store.Record
			for i := range 7 {
				s, err := db.AddSource(ctx, store.Source{Name: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("https://s%d.example/", i)})
				if err != nil {
					t.Fatal(err)
				}
				st, err := db.State(ctx, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				r := store.Record{State: st, Body: fmt.Appendf(nil, "page %d", i), Start: &store.Version{TextSHA256: store.Hash([]byte{byte(i)})},
					Fetch: store.Fetch{SourceID: s.ID, Start: time.Unix(int64(i), 0).UTC(), URL: s.URL, Status: 200, Outcome: store.OutcomeNew}}
				recs = append(recs, r)
			}
			stale := recs[0]
			stale.Body = []byte("another page")
			recs = append(recs, stale)
			errs := make([]error, len(recs))
			var wg sync.WaitGroup
			for i, r := range recs {
				wg.Go(func() { _, _, errs[i] = db.Record(ctx, r) })
			}
			wg.Wait()
			conflicts := 0
			for _, err := range errs {
				switch {
				case errors.Is(err, store.ErrConflict):
					conflicts++
				case err != nil:
					t.Errorf("record: %v", err)
				}
			}
			if conflicts != 1 {
				t.Errorf("%d records refused as stale, want 1: %v", conflicts, errs)
			}
			if size, err := db.LogSize(ctx); size != 7 || err != nil {
				t.Errorf("log size %d, %v: want 7", size, err)
			}
			if !keyed {
				if _, err := signer.SignCheckpoint(ctx); err != nil {
					t.Fatal(err)
				}
			}
			kept, err := db.Checkpoints(ctx)
			if err != nil || len(kept) != 1 || kept[0].Size != 7 {
				t.Errorf("kept checkpoints %d, %v: want one, of size 7, for the batch", len(kept), err)
			}
			rep, err := signer.CheckLog(ctx)
			if err != nil || !rep.OK() || rep.Latest == nil || rep.Latest.Size != 7 {
				t.Errorf("log check: %+v, %v", rep, err)
			}
			if err := db.Check(ctx); err != nil {
				t.Errorf("check: %v", err)
			}
			// A body lost behind the store's back: Check finds it in
			// the compact records.
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(ctx, "DELETE FROM blobs WHERE hash = sha256('page 3')"); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(ctx); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "1 fetches whose body is missing") {
				t.Errorf("check with a body deleted: %v", err)
			}
		})
	}
}
