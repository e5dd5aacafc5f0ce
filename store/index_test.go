package store

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var indexSeed = flag.Uint64("index-seed", 0, "seed for TestIndexMatchesScan (0: a few fixed seeds)")

// scanChangePage is ChangePage as it was before the change index: it
// decodes every change newest first and resolves a supplier by reading
// every source. The index must give exactly what it gives.
func scanChangePage(tx *bbolt.Tx, q ChangeQuery) ([]Change, uint64, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var sources map[uint64]bool
	if q.Sources != nil {
		sources = make(map[uint64]bool, len(q.Sources))
		for _, id := range q.Sources {
			sources[id] = true
		}
	}
	if q.Supplier != "" {
		of := map[uint64]bool{}
		err := tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
			var s Source
			if err := decode(v, &s); err != nil {
				return err
			}
			if s.Supplier == q.Supplier && (sources == nil || sources[s.ID]) {
				of[s.ID] = true
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
		sources = of
	}
	var out []Change
	var next uint64
	c := tx.Bucket(bucketChanges).Cursor()
	var k, v []byte
	if q.Before == 0 {
		k, v = c.Last()
	} else {
		c.Seek(u64(q.Before))
		k, v = c.Prev()
	}
	for ; k != nil; k, v = c.Prev() {
		var ch Change
		if err := decode(v, &ch); err != nil {
			return nil, 0, err
		}
		switch {
		case sources != nil && !sources[ch.SourceID],
			q.Revet && !ch.Revet,
			q.Triage != nil && !slices.Contains(q.Triage, ch.Triage.State),
			!q.Reextracted && ch.Reextracted:
			continue
		}
		if len(out) == q.Limit {
			next = out[len(out)-1].ID
			break
		}
		out = append(out, ch)
	}
	return out, next, nil
}

// history writes a random history into a real database: sources of a
// few suppliers, changes (some re-vet, some between re-extracted
// versions), triage decisions and suppliers reassigned.
type history struct {
	t    *testing.T
	db   *DB
	rnd  *rand.Rand
	srcs []Source
	at   time.Time
}

var (
	testSuppliers = []string{"Acme", "Beta Ltd", "Cobalt", ""}
	testStates    = []TriageState{TriageNew, TriageReviewed, TriageRevet, TriageDismissed}
)

func (h *history) addSources(n int) {
	for i := range n {
		s, err := h.db.AddSource(h.t.Context(), Source{Name: fmt.Sprintf("src-%d", len(h.srcs)), URL: fmt.Sprintf("https://s%d.example/p", len(h.srcs)),
			Supplier: testSuppliers[i%len(testSuppliers)]})
		if err != nil {
			h.t.Fatal(err)
		}
		h.srcs = append(h.srcs, s)
	}
}

// record stores a fetch of src that starts a new version, with a change
// once the source has a version.
func (h *history) record(src Source) {
	ctx := h.t.Context()
	st, err := h.db.State(ctx, src.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	h.at = h.at.Add(time.Hour)
	text := fmt.Sprintf("text %d", h.rnd.Uint64())
	r := Record{Fetch: Fetch{SourceID: src.ID, Start: h.at, End: h.at.Add(time.Second), Outcome: OutcomeNew, TextSHA256: text},
		State: st, Start: &Version{TextSHA256: text, Extractor: "test"}}
	if st.Current != 0 {
		r.Fetch.Outcome = OutcomeChanged
		r.Change = &Change{Revet: h.rnd.IntN(3) == 0, Summary: text}
	}
	if _, _, err := h.db.Record(ctx, r); err != nil {
		h.t.Fatal(err)
	}
}

// reextract replaces src's generation by one of n versions.
func (h *history) reextract(src Source, n int) {
	st, err := h.db.State(h.t.Context(), src.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var g Generation
	for i := range n {
		g.Versions = append(g.Versions, Version{Seq: uint64(i + 1), TextSHA256: fmt.Sprint("re ", i), FirstSeen: h.at, LastSeen: h.at})
		if i > 0 {
			g.Changes = append(g.Changes, Change{From: uint64(i), To: uint64(i + 1), Revet: h.rnd.IntN(2) == 0, Detected: h.at})
		}
	}
	if _, err := h.db.ReplaceGeneration(h.t.Context(), src.ID, st.Rev, g); err != nil {
		h.t.Fatal(err)
	}
}

func (h *history) lastChange() uint64 {
	page, _, err := h.db.ChangePage(h.t.Context(), ChangeQuery{Limit: 1, Reextracted: true})
	if err != nil || len(page) == 0 {
		return 0
	}
	return page[0].ID
}

// step does one random thing.
func (h *history) step() {
	ctx := h.t.Context()
	switch n := h.rnd.IntN(20); {
	case n < 13:
		h.record(h.srcs[h.rnd.IntN(len(h.srcs))])
	case n < 17:
		if last := h.lastChange(); last > 0 {
			st := testStates[h.rnd.IntN(len(testStates))]
			if err := h.db.SetTriage(ctx, 1+h.rnd.Uint64N(last), Triage{State: st, By: "test"}); err != nil {
				h.t.Fatal(err)
			}
		}
	case n < 19:
		i := h.rnd.IntN(len(h.srcs))
		s, err := h.db.SourceByID(ctx, h.srcs[i].ID)
		if err != nil {
			h.t.Fatal(err)
		}
		s.Supplier = append(testSuppliers, "Delta")[h.rnd.IntN(len(testSuppliers)+1)]
		if err := h.db.UpdateSource(ctx, s); err != nil {
			h.t.Fatal(err)
		}
		h.srcs[i] = s
	default:
		h.reextract(h.srcs[h.rnd.IntN(len(h.srcs))], 2+h.rnd.IntN(4))
	}
}

// query draws a random ChangeQuery.
func (h *history) query() ChangeQuery {
	var q ChangeQuery
	r := h.rnd
	if r.IntN(2) == 0 {
		q.Sources = []uint64{}
		for range r.IntN(5) {
			q.Sources = append(q.Sources, 1+r.Uint64N(uint64(len(h.srcs)+1))) // one past the last: no such source
		}
	}
	if r.IntN(2) == 0 {
		q.Supplier = append(testSuppliers[:3:3], "Delta", "Nobody")[r.IntN(5)]
	}
	q.Revet = r.IntN(2) == 0
	if r.IntN(2) == 0 {
		q.Triage = []TriageState{}
		for range r.IntN(4) {
			q.Triage = append(q.Triage, append(testStates, "")[r.IntN(len(testStates)+1)])
		}
	}
	q.Reextracted = r.IntN(3) == 0
	if r.IntN(4) == 0 {
		q.Before = r.Uint64N(h.lastChange() + 3)
	}
	q.Limit = r.IntN(12)
	return q
}

// compare pages through q with the index and with the scan and fails on
// the first difference, in a page or in its cursor.
func (h *history) compare(q ChangeQuery) {
	h.t.Helper()
	for page := 0; ; page++ {
		got, gotNext, err := h.db.ChangePage(h.t.Context(), q)
		if err != nil {
			h.t.Fatalf("%+v: %v", q, err)
		}
		var want []Change
		var wantNext uint64
		if err := h.db.view(h.t.Context(), func(tx *bbolt.Tx) (err error) {
			want, wantNext, err = scanChangePage(tx, q)
			return err
		}); err != nil {
			h.t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || gotNext != wantNext {
			h.t.Fatalf("%+v, page %d: index gives %v next %d, scan %v next %d", q, page, ids(got), gotNext, ids(want), wantNext)
		}
		if gotNext == 0 {
			return
		}
		q.Before = gotNext
	}
}

func ids(cs []Change) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// compareChanges checks Changes by source against a filter of every
// change.
func (h *history) compareChanges() {
	h.t.Helper()
	ctx := h.t.Context()
	all, err := h.db.Changes(ctx, ChangeFilter{Reextracted: true})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, s := range h.srcs {
		f := ChangeFilter{SourceID: s.ID, Revet: h.rnd.IntN(2) == 0, Reextracted: h.rnd.IntN(2) == 0}
		got, err := h.db.Changes(ctx, f)
		if err != nil {
			h.t.Fatal(err)
		}
		want := slices.DeleteFunc(slices.Clone(all), func(c Change) bool {
			return c.SourceID != s.ID || (f.Revet && !c.Revet) || (!f.Reextracted && c.Reextracted)
		})
		if len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) { // nil and empty alike
			h.t.Fatalf("Changes(%+v): got %v, want %v", f, ids(got), ids(want))
		}
	}
}

// TestIndexMatchesScan writes random histories to a real bbolt file and,
// every few steps, pages through random queries both through the index
// and by the full scan ChangePage used to do: same changes, same order,
// same cursors, after triage decisions and suppliers reassigned too.
func TestIndexMatchesScan(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if *indexSeed != 0 {
		seeds = []uint64{*indexSeed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "index.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			h := &history{t: t, db: db, rnd: rand.New(rand.NewPCG(seed, 21)), at: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			h.addSources(9)
			for round := range 6 {
				for range 60 {
					h.step()
				}
				if round == 3 {
					h.addSources(3)
				}
				for range 40 {
					h.compare(h.query())
				}
				h.compareChanges()
			}
			if err := db.Check(t.Context()); err != nil {
				t.Errorf("check: %v", err)
			}
		})
	}
}

// TestIndexMigration opens a database written without the indexes (at
// schema 7, with a change from before triage states were stored) and
// finds them built, the same queries answered as by a scan, and the
// migration idempotent.
func TestIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, db: db, rnd: rand.New(rand.NewPCG(5, 21)), at: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.addSources(6)
	for range 150 {
		h.step()
	}
	// Back to what a schema-7 build wrote: no index buckets, and one
	// change with no triage state.
	err = db.update(t.Context(), func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketChangeIndex, bucketSupplierIndex} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		var c Change
		if err := getJSON(tx.Bucket(bucketChanges), u64(2), &c); err != nil {
			return err
		}
		c.Triage = Triage{}
		if err := putJSON(tx.Bucket(bucketChanges), u64(2), c); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, u64(7))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h.db = db
	if v, err := db.Schema(t.Context()); err != nil || v != SchemaVersion {
		t.Fatalf("schema after open: %d, %v; want %d", v, err, SchemaVersion)
	}
	if err := db.Check(t.Context()); err != nil {
		t.Fatalf("check after migration: %v", err)
	}
	h.compare(ChangeQuery{Triage: []TriageState{""}})
	h.compare(ChangeQuery{Triage: []TriageState{TriageNew, ""}, Supplier: "Acme", Limit: 3})
	for range 100 {
		h.compare(h.query())
	}
	h.compareChanges()

	before := dumpIndexes(t, db)
	if err := db.update(t.Context(), buildIndexes); err != nil {
		t.Fatal(err)
	}
	if after := dumpIndexes(t, db); after != before {
		t.Errorf("building the indexes again changed them:\n%s\nto\n%s", before, after)
	}
}

// dumpIndexes prints both index buckets, key and value, in order.
func dumpIndexes(t *testing.T, db *DB) string {
	var b strings.Builder
	err := db.view(t.Context(), func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketChangeIndex, bucketSupplierIndex} {
			fmt.Fprintf(&b, "%s\n", name)
			tx.Bucket(name).ForEach(func(k, v []byte) error {
				fmt.Fprintf(&b, "%x %x\n", k, v)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCheckFindsStaleIndex damages the indexes by hand, each way they
// can disagree with the records, and expects Check to name each, and a
// query that meets a stale entry to refuse it rather than answer wrong.
func TestCheckFindsStaleIndex(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "stale.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	h := &history{t: t, db: db, rnd: rand.New(rand.NewPCG(7, 21)), at: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.addSources(2)
	for range 6 {
		h.record(h.srcs[0])
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("clean: %v", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		ci, si := tx.Bucket(bucketChangeIndex), tx.Bucket(bucketSupplierIndex)
		var c Change
		if err := getJSON(tx.Bucket(bucketChanges), u64(3), &c); err != nil {
			return err
		}
		stale := c
		stale.Triage.State = TriageDismissed // as if SetTriage had not moved it
		for _, k := range changeKeys(&c) {
			if bytes.HasPrefix(k, sourcePrefix(c.SourceID)) {
				ci.Put(k, postingOf(&stale).encode())
			}
		}
		ci.Delete(append(triagePrefix(c.Triage.State), u64(4)...))
		ci.Put(append(revetPrefix(), u64(99)...), posting{source: c.SourceID, flags: flagRevet, triage: TriageNew}.encode())
		return si.Put(append(supplierPrefix("Nobody"), u64(1)...), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Check(ctx)
	for _, want := range []string{
		"change index: store: corrupt record: entry 73000000000000000100000000000000" + "03 is",
		"change index: store: corrupt record: entry 7403" + fmt.Sprintf("%x", "new") + "0000000000000004 missing",
		"change index: store: corrupt record: entry 720000000000000063 has no record",
		"supplier index: store: corrupt record: entry 064e6f626f64790000000000000001 has no record",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check: %v\nwant it to say %q", err, want)
		}
	}
	_, _, err = db.ChangePage(ctx, ChangeQuery{Sources: []uint64{h.srcs[0].ID}})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "out of date for change 3") {
		t.Errorf("a page through the stale entry: %v, want ErrCorrupt naming change 3", err)
	}
	_, _, err = db.ChangePage(ctx, ChangeQuery{Revet: true})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "change 99, which does not exist") {
		t.Errorf("a page through an entry of no change: %v, want ErrCorrupt naming change 99", err)
	}
}
