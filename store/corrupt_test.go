package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// populate fills a new database at path through the store's API: sources
// with fetches, versions, changes and blobs (some big enough for overflow
// pages), due records and a token, then closes it. It returns the
// sources' IDs.
func populate(tb testing.TB, path string) []uint64 {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(17, 6))
	words := strings.Fields("we collect share retain delete personal data cookies partners consent rights request access school student parent district vendor")
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []uint64
	for i := range 12 {
		s, err := db.AddSource(ctx, store.Source{Name: fmt.Sprintf("source-%02d", i), URL: fmt.Sprintf("https://s%02d.example/privacy", i), Supplier: "Supplier", Origin: "cli"})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, s.ID)
		for j := range 8 {
			st, err := db.State(ctx, s.ID)
			if err != nil {
				tb.Fatal(err)
			}
			at := t0.Add(time.Duration(i*24+j) * time.Hour)
			body := fmt.Sprintf("<p>source %d version %d</p>%s", i, j/2, text(200+i*60))
			r := store.Record{State: st, Body: []byte(body), Doc: []byte(`{"doc":` + fmt.Sprint(j/2) + `}`),
				Fetch: store.Fetch{SourceID: s.ID, Start: at, End: at.Add(time.Second), Outcome: store.OutcomeUnchanged},
				Due:   &store.Due{SourceID: s.ID, Schedule: "@daily", Slot: at.Add(24 * time.Hour), At: at.Add(24 * time.Hour)}}
			switch {
			case j == 0:
				r.Fetch.Outcome = store.OutcomeNew
				r.Start = &store.Version{TextSHA256: fmt.Sprintf("t%d-%d", i, j)}
			case j%2 == 0:
				r.Fetch.Outcome = store.OutcomeChanged
				r.Start = &store.Version{TextSHA256: fmt.Sprintf("t%d-%d", i, j)}
				r.Change = &store.Change{Revet: j%4 == 0, Summary: "clauses changed"}
				r.Diff = []byte(`{"summary":"` + text(30) + `"}`)
			default:
				r.Seen = true
			}
			if _, _, err := db.Record(ctx, r); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if _, _, err := db.CreateToken(ctx, "reader", store.RoleAdmin); err != nil {
		tb.Fatal(err)
	}
	return ids
}

// readAll calls every read method of db, and two writes unless it is
// read-only, and returns the calls that panicked (a panic, or a memory fault turned into one by
// SetPanicOnFault in the caller's goroutine). Errors are fine: a damaged
// file may refuse any of them.
func readAll(ctx context.Context, db *store.DB, ids []uint64, write bool) (panicked []string, errs int) {
	src := ids[len(ids)/2]
	var hash string
	var fetches []store.Fetch
	calls := []struct {
		name string
		fn   func() error
	}{
		{"Instance", func() error { _, err := db.Instance(ctx); return err }},
		{"Schema", func() error { _, err := db.Schema(ctx); return err }},
		{"Size", func() error { _, err := db.Size(ctx); return err }},
		{"Sources", func() error { _, err := db.Sources(ctx); return err }},
		{"Source", func() error { _, err := db.Source(ctx, "source-03"); return err }},
		{"SourcesByID", func() error { _, err := db.SourcesByID(ctx, ids); return err }},
		{"State", func() error { _, err := db.State(ctx, src); return err }},
		{"Versions", func() error { _, err := db.Versions(ctx, src); return err }},
		{"GenerationVersions", func() error { _, err := db.GenerationVersions(ctx, src, 1); return err }},
		{"VersionAt", func() error { _, err := db.VersionAt(ctx, src, time.Now()); return err }},
		{"Fetches", func() error {
			var err error
			fetches, err = db.Fetches(ctx, src, time.Time{}, time.Time{}, 0)
			for _, f := range fetches {
				hash = f.BodySHA256
			}
			return err
		}},
		{"FetchAt", func() error {
			if len(fetches) == 0 {
				return nil
			}
			_, err := db.FetchAt(ctx, src, fetches[0].Start, fetches[0].ID)
			return err
		}},
		{"Blob", func() error {
			if hash == "" {
				return nil
			}
			_, err := db.Blob(ctx, hash)
			return err
		}},
		{"BlobStats", func() error { _, _, err := db.BlobStats(ctx); return err }},
		{"Changes", func() error { _, err := db.Changes(ctx, store.ChangeFilter{}); return err }},
		{"Change", func() error { _, err := db.Change(ctx, 3); return err }},
		{"ChangePage", func() error { _, _, err := db.ChangePage(ctx, store.ChangeQuery{Limit: 5}); return err }},
		{"ChangePage by supplier", func() error {
			_, _, err := db.ChangePage(ctx, store.ChangeQuery{Supplier: "Supplier", Revet: true, Limit: 5})
			return err
		}},
		{"ChangePage by triage", func() error {
			_, _, err := db.ChangePage(ctx, store.ChangeQuery{Triage: []store.TriageState{store.TriageReviewed}})
			return err
		}},
		{"Changes of a source", func() error { _, err := db.Changes(ctx, store.ChangeFilter{SourceID: src}); return err }},
		{"ChangesAfter", func() error { _, err := db.ChangesAfter(ctx, 0, 100); return err }},
		{"Census", func() error { _, err := db.Census(ctx, time.Now()); return err }},
		{"Dues", func() error { _, err := db.Dues(ctx); return err }},
		{"DueBy", func() error { _, err := db.DueBy(ctx, time.Now(), 100); return err }},
		{"Tokens", func() error { _, err := db.Tokens(ctx); return err }},
		{"Webhooks", func() error { _, err := db.Webhooks(ctx); return err }},
		{"Suppliers", func() error { _, err := db.Suppliers(ctx); return err }},
		{"Notifications", func() error { _, err := db.Notifications(ctx, ""); return err }},
		{"Rubrics", func() error { _, err := db.Rubrics(ctx); return err }},
		{"Baselines", func() error { _, err := db.Baselines(ctx, src); return err }},
		{"LogSize", func() error { _, err := db.LogSize(ctx); return err }},
		{"LatestCheckpoint", func() error { _, err := db.LatestCheckpoint(ctx); return err }},
		{"Checkpoints", func() error { _, err := db.Checkpoints(ctx); return err }},
		{"CheckLog", func() error { _, err := db.CheckLog(ctx); return err }},
		{"Check", func() error { return db.Check(ctx) }},
		{"Backup", func() error { _, err := db.Backup(ctx, io.Discard); return err }},
	}
	writes := []struct {
		name string
		fn   func() error
	}{
		{"SetDue", func() error { return db.SetDue(ctx, store.Due{SourceID: src, Schedule: "@daily", At: time.Now()}) }},
		{"CreateToken", func() error { _, _, err := db.CreateToken(ctx, "after", store.RoleAdmin); return err }},
	}
	if write {
		calls = append(calls, writes...)
	}
	for _, c := range calls {
		func() {
			defer func() {
				if r := recover(); r != nil {
					panicked = append(panicked, fmt.Sprintf("%s: %v", c.name, r))
				}
			}()
			if c.fn() != nil {
				errs++
			}
		}()
	}
	return panicked, errs
}

// seedDB is one populated database shared by the corruption tests (they
// each work on their own copy).
var seedDB struct {
	once      sync.Once
	data, key []byte
	ids       []uint64
	err       error
}

func seed(tb testing.TB) ([]byte, []byte, []uint64) {
	tb.Helper()
	seedDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "corrupt-seed")
		if err != nil {
			seedDB.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "seed.db")
		seedDB.ids = populate(tb, path)
		if seedDB.data, seedDB.err = os.ReadFile(path); seedDB.err == nil {
			seedDB.key, seedDB.err = os.ReadFile(path + ".key")
		}
	})
	if seedDB.err != nil {
		tb.Fatal(seedDB.err)
	}
	return seedDB.data, seedDB.key, seedDB.ids
}

// writeDB writes data and its key to a new file in a temp dir.
func writeDB(tb testing.TB, data, key []byte) string {
	tb.Helper()
	return writeDBIn(tb, tb.TempDir(), data, key)
}

// writeDBIn is writeDB in dir.
func writeDBIn(tb testing.TB, dir string, data, key []byte) string {
	tb.Helper()
	path := filepath.Join(dir, "c.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path+".key", key, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// openAndRead opens path (read-write when write, as the daemon does) and
// calls every read method, and two writes when write; it reports panics
// and memory faults (which would crash the daemon) as test errors. It
// returns whether Open succeeded.
func openAndRead(t testing.TB, path string, ids []uint64, write bool, what string) (opened bool) {
	t.Helper()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var db *store.DB
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: Open panicked: %v", what, r)
				err = errors.New("panicked")
			}
		}()
		db, err = store.Open(path, store.Options{ReadOnly: !write})
	}()
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Open error %q does not name the file %s", what, err, path)
		}
		return false
	}
	defer db.Close()
	panicked, _ := readAll(context.Background(), db, ids, write)
	for _, p := range panicked {
		t.Errorf("%s: %s", what, p)
	}
	return true
}

// TestOpenEmptyBesideKey: a 0-byte database whose key file exists was
// lost or truncated: Open refuses it, names both files and leaves the
// file as it is. Without a key an empty file is a new database.
func TestOpenEmptyBesideKey(t *testing.T) {
	tests := []struct {
		name    string
		key     bool
		opts    store.Options
		wantErr bool
	}{
		{"empty beside its key", true, store.Options{}, true},
		{"empty beside its key, read-only", true, store.Options{ReadOnly: true}, true},
		{"empty, no key: a new database", false, store.Options{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cw.db")
			if tt.key { // a real database and key, then the database is lost
				db, err := store.Open(path, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			key, _ := os.ReadFile(path + ".key")
			db, err := store.Open(path, tt.opts)
			if err == nil {
				db.Close()
			}
			if !tt.wantErr {
				if err != nil {
					t.Errorf("Open: got %v, want a new database", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Open: got a database, want an error naming %s and its key", path)
			}
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path+" is corrupt: it is empty") || !strings.Contains(err.Error(), "its key "+path+".key exists") {
				t.Errorf("Open: got %q, want ErrCorrupt naming %s and %s.key", err, path, path)
			}
			if info, err := os.Stat(path); err != nil || info.Size() != 0 {
				t.Errorf("the empty file was rewritten: %v, %v", info.Size(), err)
			}
			if again, _ := os.ReadFile(path + ".key"); string(again) != string(key) {
				t.Errorf("the key file changed")
			}
		})
	}
}

// TestOpenTruncated: a file cut short (below the pages its meta page
// claims, mid-page, or below the two meta pages) is refused with an error
// naming it, where bbolt would fault on the missing pages.
func TestOpenTruncated(t *testing.T) {
	data, key, ids := seed(t)
	ps, used := pagesOf(data)
	tests := []struct {
		name string
		size int
		ok   bool
	}{
		{"half the used pages", used / 2 / ps * ps, false},
		{"the last used page", used - ps, false},
		{"three pages", 3 * ps, false},
		{"meta pages only", 2 * ps, false},
		{"one page", ps, false},
		{"100 bytes", 100, false},
		{"mid-page", len(data) - ps/2, false},
		{"the unused tail", used, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeDB(t, data[:tt.size], key)
			for _, ro := range []bool{false, true} {
				func() {
					defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("read-only %v: Open panicked: %v", ro, r)
						}
					}()
					db, err := store.Open(path, store.Options{ReadOnly: ro})
					if tt.ok {
						if err != nil {
							t.Fatalf("read-only %v: Open of the used pages only: %v", ro, err)
						}
						if p, _ := readAll(t.Context(), db, ids, !ro); len(p) > 0 || db.Check(t.Context()) != nil {
							t.Errorf("read-only %v: %v, check %v", ro, p, db.Check(t.Context()))
						}
						db.Close()
						return
					}
					if err == nil {
						readAll(t.Context(), db, ids, !ro)
						db.Close()
						t.Fatalf("read-only %v: Open of a file cut to %d of %d bytes succeeded", ro, tt.size, used)
					}
					if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path) {
						t.Errorf("read-only %v: got %q, want ErrCorrupt naming %s", ro, err, path)
					}
				}()
			}
			if info, _ := os.Stat(path); info.Size() != int64(tt.size) && !tt.ok {
				t.Errorf("the file changed size: %d, was %d", info.Size(), tt.size)
			}
		})
	}
}

// pagesOf reads a bbolt file's page size and the bytes its pages in use
// take (the high-water mark of the meta page with the higher
// transaction id; the file may be longer).
func pagesOf(data []byte) (pageSize, used int) {
	ps := int(binary.NativeEndian.Uint32(data[24:]))
	meta := func(p int) (txid, hwm uint64) {
		m := data[p*ps+16:]
		return binary.NativeEndian.Uint64(m[48:]), binary.NativeEndian.Uint64(m[40:])
	}
	t0, h0 := meta(0)
	t1, h1 := meta(1)
	if t1 > t0 {
		h0 = h1
	}
	return ps, int(h0) * ps
}

// TestCorruptBitFlips damages a populated database one byte at a time —
// 200 positions from a fixed seed, half in page and element headers,
// half anywhere in the data pages — and calls every read method: each
// may fail, none may panic or fault. One damaged file in twenty is opened
// read-write, as the daemon opens it, and written to as well (fewer,
// because each commit waits for the disk).
//
// One damaged file in a few thousand once made a blob read inflate a
// damaged zstd frame to a gigabyte, and the kernel killed the test
// binary; reads now stop at the blob bound (TestBlobReadBounded). 8,000
// files (-test.count 40) with a watchdog on the heap at 512 MiB passed.
func TestCorruptBitFlips(t *testing.T) {
	data, key, ids := seed(t)
	ps, used := pagesOf(data)
	rng := rand.New(rand.NewPCG(2024, 17))
	var refused, opened int
	for i := range 200 {
		pos := 2*ps + rng.IntN(used-2*ps)
		if i%2 == 0 { // a page header or the first element headers
			pos = pos/ps*ps + rng.IntN(64)
		}
		b := byte(1 + rng.IntN(255))
		damaged := append([]byte(nil), data...)
		damaged[pos] ^= b
		if openAndReadWatched(t, damaged, key, ids, i%20 == 0, fmt.Sprintf("byte %d (page %d) ^ %#x", pos, pos/ps, b)) {
			opened++
		} else {
			refused++
		}
	}
	t.Logf("200 flips: %d opened (reads returned data or errors), %d refused at Open", opened, refused)
}

// openAndReadWatched is openAndRead on a file holding damaged, with a
// safety net for a read that never returns: one run of this test once
// went on for 11 minutes (2026-12-02, not seen again in 20,000 files).
// Past the net (generous: the reads of one file take well under a second)
// it keeps the damaged file for a rerun and fails with every goroutine's
// stack, rather than leaving the test binary to the global timeout.
func openAndReadWatched(t *testing.T, damaged, key []byte, ids []uint64, write bool, what string) bool {
	t.Helper()
	path := writeDB(t, damaged, key)
	done := make(chan bool, 1)
	go func() { done <- openAndRead(t, path, ids, write, what) }()
	select {
	case ok := <-done:
		return ok
	case <-time.After(3 * time.Minute):
		kept := filepath.Join(os.TempDir(), fmt.Sprintf("clausewatch-corrupt-%d.db", os.Getpid()))
		if err := os.WriteFile(kept, damaged, 0o600); err == nil {
			_ = os.WriteFile(kept+".key", key, 0o600)
		}
		buf := make([]byte, 4<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("%s: open and reads still running after 3 minutes (damaged file kept as %s); goroutines:\n%s", what, kept, buf[:n])
		return false
	}
}

// FuzzOpenCorrupt damages the populated database with the fuzzer's
// edits: each 5 bytes are a little-endian offset into the file and a
// byte to XOR there; a 4-byte tail, if any, is a length to cut the file
// to. Open and every read method must return, not crash.
func FuzzOpenCorrupt(f *testing.F) {
	data, key, ids := seed(f)
	ps := int(binary.NativeEndian.Uint32(data[24:]))
	edit := func(off uint32, x byte) []byte {
		return []byte{byte(off), byte(off >> 8), byte(off >> 16), byte(off >> 24), x}
	}
	f.Add([]byte{})
	f.Add(edit(uint32(2*ps+8), 0xff))                     // a page's flags
	f.Add(edit(uint32(3*ps+16+4), 0x80))                  // an element's position
	f.Add(edit(uint32(4*ps+16+8), 0x7f))                  // a key size or child page
	f.Add(edit(16, 0x01))                                 // meta 0's magic
	f.Add(append(edit(16, 1), edit(uint32(ps+16), 1)...)) // both metas
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0})              // no edit, then a cut to 0
	half := uint32(len(data) / 2)
	f.Add([]byte{byte(half), byte(half >> 8), byte(half >> 16), byte(half >> 24)})
	f.Fuzz(func(t *testing.T, edits []byte) {
		damaged := append([]byte(nil), data...)
		for ; len(edits) >= 5; edits = edits[5:] {
			off := int(binary.LittleEndian.Uint32(edits)) % len(damaged)
			damaged[off] ^= edits[4]
		}
		if len(edits) == 4 {
			damaged = damaged[:int(binary.LittleEndian.Uint32(edits))%(len(damaged)+1)]
		}
		openAndRead(t, writeDBIn(t, memDir(t), damaged, key), ids, true, "fuzzed file")
	})
}

// memDir is a temporary directory in memory (/dev/shm) where there is
// one, else on disk. The fuzzing worker fails an input that runs for 10
// seconds; on a busy disk (CI flushing a database it has just used) the
// file's fsyncs alone once took that long, so the fuzzed files keep off
// the disk: what is tested is how damaged bytes are read, not the disk.
func memDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "clausewatch-fuzz-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestOpenMissingBesideKey: a database file that is gone while its key
// is still there is not silently made anew (a new log under the old key);
// with no key, a missing file is a new database as before.
func TestOpenMissingBesideKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cw.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("a new database: %v", err)
	}
	db.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{})
	if err == nil {
		db.Close()
		t.Fatalf("Open: got a new database beside the old key, want an error")
	}
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "does not exist but its key "+path+".key does") {
		t.Errorf("Open: got %q, want ErrCorrupt naming the missing file and its key", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused database was created: %v", err)
	}
}
