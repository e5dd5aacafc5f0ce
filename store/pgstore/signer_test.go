package pgstore_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"golang.org/x/mod/sumdb/tlog"
)

// TestKeylessWriter: a handle opened without the key records (group
// commit, a new version among them) and signs nothing; another handle,
// with the key, runs the signer, which signs a checkpoint covering those
// records when notified, keeping it for good as the new version asked.
// Then a record logged after that: the key's handle gives a checkpoint
// covering it at once (as evidence needs), its inclusion proof checks
// against that signed root, and log check passes on both handles.
func TestKeylessWriter(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DB(t)
	keyFile := filepath.Join(t.TempDir(), "k")
	keyed, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer keyed.Close()
	worker, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	s, err := worker.AddSource(ctx, store.Source{Name: "a", URL: "https://a.example/"})
	if err != nil {
		t.Fatal(err)
	}
	record := func(i int) store.Fetch {
		st, err := worker.State(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := store.Record{State: st, Body: []byte("page"), Seen: i > 0,
			Fetch: store.Fetch{SourceID: s.ID, Start: time.Unix(int64(i)*3600, 0).UTC(), URL: s.URL, Status: 200, Outcome: store.OutcomeUnchanged}}
		if i == 0 {
			r.Start = &store.Version{TextSHA256: store.Hash([]byte("t"))}
		}
		f, _, err := worker.Record(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	record(0)
	if _, err := worker.LatestCheckpoint(ctx); err == nil {
		t.Fatal("a checkpoint exists, but only a keyless handle recorded")
	}
	// Started now, the signer signs what it finds, then what each
	// notification tells it of.
	signerCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { keyed.RunSigner(signerCtx, time.Hour, slog.New(slog.DiscardHandler)) })
	defer wg.Wait()
	defer stop()
	for i := 1; i < 3; i++ {
		record(i)
	}
	// The hour-long interval leaves the notifications, or the signer's
	// first look, to sign: poll the keyless handle with a safety net.
	end := time.Now().Add(2 * time.Minute)
	for {
		c, err := worker.LatestCheckpoint(ctx)
		if err == nil && c.Size == 3 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no checkpoint of size 3 after 2 minutes: %+v, %v", c.Checkpoint, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if kept, err := worker.Checkpoints(ctx); err != nil || len(kept) != 1 || kept[0].Size < 1 {
		t.Errorf("kept checkpoints %v, %v: want one, the first to cover fetch 1 (it started a version)", kept, err)
	}
	f := record(3)
	latest, err := keyed.LatestCheckpoint(ctx)
	if err != nil || latest.Size < int64(f.ID) {
		t.Fatalf("latest checkpoint on the key's handle %+v, %v: want one covering fetch %d", latest.Checkpoint, err, f.ID)
	}
	vkey, err := keyed.PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.OpenCheckpoint(latest.Note, vkey)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := keyed.ProveRecord(ctx, c.Size, int64(f.ID)-1)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Hash, int64(f.ID)-1, tlog.RecordHash(store.LogLeaf(f))); err != nil {
		t.Errorf("fetch %d against the signed root: %v", f.ID, err)
	}
	for name, db := range map[string]*pgstore.DB{"keyless": worker, "keyed": keyed} {
		if rep, err := db.CheckLog(ctx); err != nil || !rep.OK() || rep.Size != 4 {
			t.Errorf("%s log check: %+v, %v", name, rep, err)
		}
	}
}
