package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// fetchHistory records fetches of a few sources, some started before
// fetches recorded ahead of them (a backdated clock), so time order and
// ID order differ, and keeps what Record returned to compare reads with.
type fetchHistory struct {
	t       *testing.T
	db      *DB
	rnd     *rand.Rand
	srcs    []Source
	fetches map[uint64][]Fetch
	at      time.Time
}

func newFetchHistory(t *testing.T, db *DB, sources int) *fetchHistory {
	h := &fetchHistory{t: t, db: db, rnd: rand.New(rand.NewPCG(49, 10)), fetches: map[uint64][]Fetch{},
		at: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	for i := range sources {
		s, err := db.AddSource(t.Context(), Source{Name: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("https://s%d.example/p", i)})
		if err != nil {
			t.Fatal(err)
		}
		h.srcs = append(h.srcs, s)
	}
	return h
}

// record stores one fetch of a random source: its first version, then
// unchanged fetches, one in five started up to an hour before the clock.
func (h *fetchHistory) record() {
	ctx := h.t.Context()
	src := h.srcs[h.rnd.IntN(len(h.srcs))]
	st, err := h.db.State(ctx, src.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	h.at = h.at.Add(time.Minute)
	start := h.at
	if fs := h.fetches[src.ID]; len(fs) > 0 && h.rnd.IntN(5) == 0 {
		start = start.Add(-time.Hour) // but not before the version was first seen
		if first := fs[0].Start.Add(time.Second); start.Before(first) {
			start = first
		}
	}
	r := Record{Fetch: Fetch{SourceID: src.ID, Start: start, End: start.Add(time.Second), Status: 200, TextSHA256: "t"}, State: st,
		Body: []byte("<p>t</p>")}
	if st.Current == 0 {
		r.Fetch.Outcome, r.Start = OutcomeNew, &Version{TextSHA256: "t", Extractor: "test"}
	} else {
		r.Fetch.Outcome, r.Seen = OutcomeUnchanged, true
	}
	f, _, err := h.db.Record(ctx, r)
	if err != nil {
		h.t.Fatal(err)
	}
	h.fetches[src.ID] = append(h.fetches[src.ID], f)
}

// want is src's fetches in [from, to), in the order Fetches returns them.
func (h *fetchHistory) want(src uint64, from, to time.Time) []Fetch {
	var out []Fetch
	for _, f := range h.fetches[src] {
		if (from.IsZero() || !f.Start.Before(from)) && (to.IsZero() || f.Start.Before(to)) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Fetch) int { return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID)) })
	return out
}

// compare reads every source's fetches every way the store offers and
// compares them with what was recorded.
func (h *fetchHistory) compare() {
	h.t.Helper()
	ctx := h.t.Context()
	from, to := h.at.Add(-90*time.Minute), h.at.Add(-20*time.Minute)
	for _, src := range h.srcs {
		for _, q := range []struct {
			from, to time.Time
			limit    int
		}{{}, {limit: 1}, {limit: 3}, {from: from}, {to: to}, {from: from, to: to}, {from: from, to: to, limit: 2}, {from: from, limit: 1}} {
			want := h.want(src.ID, q.from, q.to)
			if q.limit > 0 && len(want) > q.limit {
				want = want[len(want)-q.limit:]
			}
			got, err := h.db.Fetches(ctx, src.ID, q.from, q.to, q.limit)
			if err != nil || fetchJSON(h.t, got) != fetchJSON(h.t, want) {
				h.t.Fatalf("source %d, %+v: got %d fetches %s, %v; want %d %s", src.ID, q, len(got), fetchIDs(got), err, len(want), fetchIDs(want))
			}
		}
		for _, f := range h.fetches[src.ID] {
			got, err := h.db.FetchAt(ctx, src.ID, f.Start, f.ID)
			if err != nil || fetchJSON(h.t, []Fetch{got}) != fetchJSON(h.t, []Fetch{f}) {
				h.t.Fatalf("FetchAt %d: %+v, %v", f.ID, got, err)
			}
			if _, err := h.db.FetchAt(ctx, src.ID+100, f.Start, f.ID); !errors.Is(err, ErrNotFound) {
				h.t.Fatalf("FetchAt %d of another source: %v, want ErrNotFound", f.ID, err)
			}
		}
	}
}

func fetchJSON(t *testing.T, fs []Fetch) string {
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fetchIDs(fs []Fetch) string {
	var s []string
	for _, f := range fs {
		s = append(s, fmt.Sprint(f.ID))
	}
	return strings.Join(s, ",")
}

// TestFetchIndexTail: whether the index was written after every commit,
// every few fetches or never, every read — windows, limits, the latest
// fetch, FetchAt — answers as recorded, the tail never passes its bound,
// and Check finds the log, index and latest fetches consistent.
func TestFetchIndexTail(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts FetchIndexOptions
		// bound is the most the tail may hold after a commit.
		bound uint64
	}{
		{"written after every commit", FetchIndexOptions{MaxTail: 1}, 0},
		{"written every 7 fetches", FetchIndexOptions{MaxTail: 7}, 6},
		{"written every round of 4 sources", FetchIndexOptions{Rounds: 1}, 3},
		{"never written", FetchIndexOptions{MaxTail: 1 << 30, Rounds: 1 << 20}, 1 << 30},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "f.db"), Options{FetchIndex: tt.opts})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			h := newFetchHistory(t, db, 4)
			for i := range 60 {
				h.record()
				var tail uint64
				db.bolt.View(func(tx *bbolt.Tx) error {
					tail = tx.Bucket(bucketFetchLog).Sequence() - indexedUpTo(tx)
					return nil
				})
				if tail > tt.bound {
					t.Fatalf("after fetch %d the tail holds %d fetches, more than %d", i+1, tail, tt.bound)
				}
				if i%9 == 0 {
					h.compare()
				}
			}
			h.compare()
			if err := db.Check(t.Context()); err != nil {
				t.Errorf("check: %v", err)
			}
			if rep, err := db.CheckLog(t.Context()); err != nil || !rep.OK() || rep.Fetches != 60 {
				t.Errorf("log check: %+v, %v", rep, err)
			}
		})
	}
}

// TestFetchIndexDamage: Check names an index entry that points nowhere,
// a fetch the index lost, and a latest fetch that is not the latest.
func TestFetchIndexDamage(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		damage     func(tx *bbolt.Tx, f Fetch) error
	}{
		{"index entry without a fetch", "names no fetch the log holds", func(tx *bbolt.Tx, f Fetch) error {
			return tx.Bucket(bucketFetchIndex).Put(indexKey(f.SourceID, fetchKey(f.Start.Add(time.Second), f.ID)), nil)
		}},
		{"fetch missing from the index", "missing from the fetch index", func(tx *bbolt.Tx, f Fetch) error {
			return tx.Bucket(bucketFetchIndex).Delete(indexKey(f.SourceID, fetchKey(f.Start, f.ID)))
		}},
		{"latest fetch wrong", "latest fetch is", func(tx *bbolt.Tx, f Fetch) error {
			return tx.Bucket(bucketFetchLast).Put(u64(f.SourceID), fetchKey(f.Start, f.ID))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "f.db"), Options{FetchIndex: FetchIndexOptions{MaxTail: 1}})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			h := newFetchHistory(t, db, 2)
			for range 12 {
				h.record()
			}
			src := h.srcs[0].ID
			if len(h.fetches[src]) < 2 {
				t.Fatal("the history has too few fetches of source 1")
			}
			if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tt.damage(tx, h.want(src, time.Time{}, time.Time{})[0]) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(t.Context()); err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check: %v; want ErrCorrupt saying %q", err, tt.want)
			}
		})
	}
}

// TestMoveToFetchLog turns a database back into schema 9's layout and
// opens it with the move interrupted twice (after some batches commit):
// a read-only open refuses the half-moved file, every record is in one
// place or the other, and the next open goes on where the last stopped.
// Once moved, every fetch reads back as before, with the same leaf hash
// at the same log record, and CheckLog and Check are clean.
func TestMoveToFetchLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newFetchHistory(t, db, 5)
	for range 90 {
		h.record()
	}
	leaves := map[uint64]tlog.Hash{}
	for _, fs := range h.fetches {
		for _, f := range fs {
			leaves[f.ID] = tlog.RecordHash(LogLeaf(f))
		}
	}
	if err := db.bolt.Update(downgradeToSchema9); err != nil {
		t.Fatal(err)
	}
	db.Close()

	stop := errors.New("interrupted")
	for _, after := range []int{3, 2} {
		_, err := Open(path, Options{moveBatch: 8, moveHook: func(batch int) error {
			if batch == after {
				return stop
			}
			return nil
		}})
		if !errors.Is(err, stop) {
			t.Fatalf("open interrupted after batch %d: %v", after, err)
		}
		if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "unfinished") {
			t.Errorf("read-only open of a half-moved file: %v", err)
		}
		moved, left := countMoved(t, path)
		if moved+left != len(leaves) || moved == 0 || left == 0 {
			t.Fatalf("after an interrupted move: %d records moved, %d left, want %d in all", moved, left, len(leaves))
		}
	}

	db, err = Open(path, Options{moveBatch: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h.db = db
	ctx := t.Context()
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Size != int64(len(leaves)) || rep.Fetches != len(leaves) {
		t.Fatalf("log check after the move: %+v, %v", rep, err)
	}
	for id, leaf := range leaves {
		var got tlog.Hash
		db.bolt.View(func(tx *bbolt.Tx) error {
			got, _ = tileHash(tiles(tx), 0, int64(id-1))
			return nil
		})
		if got != leaf {
			t.Errorf("fetch %d: log record %d holds %x, want %x", id, id-1, got, leaf)
		}
	}
	h.compare()
	if err := db.Check(ctx); err != nil {
		t.Errorf("check after the move: %v", err)
	}
	db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketFetches) != nil || tx.Bucket(bucketMeta).Get(keyFetchMove) != nil {
			t.Errorf("the old bucket or the move's mark is still there")
		}
		if w, seq := indexedUpTo(tx), tx.Bucket(bucketFetchLog).Sequence(); w != seq {
			t.Errorf("index watermark %d after the move, want %d", w, seq)
		}
		return nil
	})
	h.record() // and the moved database goes on
	h.compare()
}

// countMoved counts the records in the fetch log and those still in the
// per-source buckets of a half-moved file.
func countMoved(t *testing.T, path string) (moved, left int) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(func(tx *bbolt.Tx) error {
		moved = tx.Bucket(bucketFetchLog).Stats().KeyN
		if old := tx.Bucket(bucketFetches); old != nil {
			old.ForEachBucket(func(k []byte) error {
				left += old.Bucket(k).Stats().KeyN
				return nil
			})
		}
		if !bytes.Equal(tx.Bucket(bucketMeta).Get(keySchema), u64(SchemaVersion)) {
			t.Errorf("schema of the half-moved file: %x", tx.Bucket(bucketMeta).Get(keySchema))
		}
		return nil
	})
	return moved, left
}
