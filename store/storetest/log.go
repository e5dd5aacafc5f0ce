package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"golang.org/x/mod/sumdb/tlog"
)

// rootOf computes the log's root from the fetches alone, as a sceptic
// would: leaf n is fetch n+1's LogLeaf.
func rootOf(t *testing.T, db store.Store, srcs []uint64, size int64) tlog.Hash {
	t.Helper()
	byID := map[uint64]store.Fetch{}
	for _, src := range srcs {
		fs, err := db.Fetches(t.Context(), src, time.Time{}, time.Time{}, 0)
		must(t, "fetches", err)
		for _, f := range fs {
			byID[f.ID] = f
		}
	}
	var hashes []tlog.Hash
	for i := range size {
		f, ok := byID[uint64(i)+1]
		if !ok {
			t.Fatalf("no fetch %d for log record %d", i+1, i)
		}
		more, err := tlog.StoredHashes(i, store.LogLeaf(f), memHashes(hashes))
		must(t, "stored hashes", err)
		hashes = append(hashes, more...)
	}
	root, err := tlog.TreeHash(size, memHashes(hashes))
	must(t, "root", err)
	return root
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d of %d", x, len(m))
		}
		out[i] = m[x]
	}
	return out, nil
}

var logCases = []Case{
	{"Log/CheckpointsAndProofs", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		_, err := db.LatestCheckpoint(ctx)
		wantErr(t, "checkpoint of an empty log", err, store.ErrNotFound)
		a, b := addSource(t, db, "alpha", "").ID, addSource(t, db, "beta", "").ID
		const n = 37 // more than two tiles of 16, with a partial one
		for i := range n {
			src := []uint64{a, b}[i%2]
			switch {
			case i < 2:
				record(t, db, src, fetch{at: t0.Add(time.Duration(i) * time.Minute), body: "x", text: "x", start: true})
			case i%5 == 0:
				record(t, db, src, fetch{at: t0.Add(time.Duration(i) * time.Minute)})
			default:
				record(t, db, src, fetch{at: t0.Add(time.Duration(i) * time.Minute), body: "x", text: "x", seen: true})
			}
			if i == 20 {
				clock.Advance(24 * time.Hour) // a new day keeps its first checkpoint
			}
		}
		size, err := db.LogSize(ctx)
		if err != nil || size != n {
			t.Fatalf("log size %d, %v", size, err)
		}
		vkey, err := db.PublicKey(ctx)
		must(t, "public key", err)
		latest, err := db.LatestCheckpoint(ctx)
		must(t, "latest", err)
		c, err := store.OpenCheckpoint(latest.Note, vkey)
		if err != nil || c.Size != n || c.Hash != rootOf(t, db, []uint64{a, b}, n) {
			t.Errorf("latest checkpoint %+v, %v: not signed by the key or not the root of the fetches", c, err)
		}
		kept, err := db.Checkpoints(ctx)
		must(t, "checkpoints", err)
		sizes := map[int64]bool{}
		for _, k := range kept {
			if _, err := store.OpenCheckpoint(k.Note, vkey); err != nil {
				t.Errorf("kept checkpoint %d: %v", k.Size, err)
			}
			sizes[k.Size] = true
		}
		// Sizes 1 and 2 started versions; 22 is the first of the next day.
		if !sizes[1] || !sizes[2] || !sizes[22] || sizes[10] {
			t.Errorf("kept checkpoint sizes %v", sizes)
		}
		for _, tt := range []struct{ size, rec int64 }{{n, 0}, {n, 16}, {n, n - 1}, {17, 16}, {2, 1}} {
			p, err := db.ProveRecord(ctx, tt.size, tt.rec)
			must(t, "prove record", err)
			root := rootOf(t, db, []uint64{a, b}, tt.size)
			fs, _ := db.Fetches(ctx, []uint64{a, b}[tt.rec%2], time.Time{}, time.Time{}, 0)
			var leaf []byte
			for _, f := range fs {
				if f.ID == uint64(tt.rec)+1 {
					leaf = store.LogLeaf(f)
				}
			}
			if err := tlog.CheckRecord(p, tt.size, root, tt.rec, tlog.RecordHash(leaf)); err != nil {
				t.Errorf("record %d in tree %d: %v", tt.rec, tt.size, err)
			}
		}
		for _, tt := range []struct{ size, old int64 }{{n, 1}, {n, 16}, {n, 33}, {20, 17}} {
			p, err := db.ProveTree(ctx, tt.size, tt.old)
			must(t, "prove tree", err)
			if err := tlog.CheckTree(p, tt.size, rootOf(t, db, []uint64{a, b}, tt.size), tt.old, rootOf(t, db, []uint64{a, b}, tt.old)); err != nil {
				t.Errorf("tree %d from %d: %v", tt.size, tt.old, err)
			}
		}
		_, err = db.ProveRecord(ctx, n+1, 0)
		wantErr(t, "proof past the log", err, store.ErrInvalid)
		_, err = db.ProveTree(ctx, n, 0)
		wantErr(t, "tree from 0", err, store.ErrInvalid)
		if i, err := db.LogIndex(ctx, 5); err != nil || i != 4 {
			t.Errorf("LogIndex(5) = %d, %v", i, err)
		}
		_, err = db.LogIndex(ctx, n+1)
		wantErr(t, "LogIndex past the log", err, store.ErrNotFound)
		rep, err := db.CheckLog(ctx)
		if err != nil || !rep.OK() || rep.Size != n || rep.Fetches != n || rep.Checkpoints != len(kept)+1 || rep.Latest == nil || rep.Latest.Size != n {
			t.Errorf("CheckLog = %+v, %v", rep, err)
		}
	}},
	{"Log/Evidence", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		addSource(t, db, "alpha", "")
		record(t, db, 1, fetch{at: t0})
		vkey, err := db.PublicKey(ctx)
		must(t, "key", err)
		text := []byte(store.EvidencePrefix + "the facts\n")
		signed, err := db.SignEvidence(text)
		must(t, "sign", err)
		if got, err := store.OpenEvidence(signed, vkey); err != nil || string(got) != string(text) {
			t.Errorf("OpenEvidence = %q, %v", got, err)
		}
		_, err = db.SignEvidence([]byte("not evidence\n"))
		wantErr(t, "text without the prefix", err, store.ErrInvalid)
		if db.KeyFile() == "" {
			t.Errorf("no key file named")
		}
	}},
	{"Log/ConcurrentWriters", func(t *testing.T, db store.Store, _ *Clock) {
		// Many checks recording at once, each on its own source: every
		// fetch joins the log once, in fetch order, under one root.
		ctx := t.Context()
		const writers, each = 8, 6
		var srcs []uint64
		for i := range writers {
			srcs = append(srcs, addSource(t, db, fmt.Sprintf("s%d", i), "").ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w, src := range srcs {
			wg.Go(func() {
				for i := range each {
					st, err := db.State(ctx, src)
					if err != nil {
						errs <- err
						return
					}
					r := store.Record{State: st, Fetch: store.Fetch{SourceID: src, Start: t0.Add(time.Duration(i) * time.Hour), URL: "https://x.example/", Outcome: store.OutcomeFailed, Error: fmt.Sprintf("w%d-%d", w, i)}}
					if _, _, err := db.Record(ctx, r); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("writer: %v", err)
		}
		size, _ := db.LogSize(ctx)
		latest, err := db.LatestCheckpoint(ctx)
		must(t, "latest", err)
		if size != writers*each || latest.Size != size || latest.Hash != rootOf(t, db, srcs, size) {
			t.Errorf("log size %d, checkpoint %d: want %d, root of the fetches", size, latest.Size, writers*each)
		}
	}},
	{"Admin/Identity", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		id, err := db.Instance(ctx)
		if err != nil || len(id) != 32 {
			t.Errorf("instance %q, %v", id, err)
		}
		if again, _ := db.Instance(ctx); again != id {
			t.Errorf("instance changed: %q then %q", id, again)
		}
		if v, err := db.Schema(ctx); err != nil || v < 1 {
			t.Errorf("schema %d, %v", v, err)
		}
		if n, err := db.Size(ctx); err != nil || n <= 0 {
			t.Errorf("size %d, %v", n, err)
		}
	}},
}
