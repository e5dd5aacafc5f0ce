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
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"go.etcd.io/bbolt"
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
	if _, _, err := db.CreateToken(ctx, "reader"); err != nil {
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
		{"CreateToken", func() error { _, _, err := db.CreateToken(ctx, "after"); return err }},
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
	path := filepath.Join(tb.TempDir(), "c.db")
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
		path := writeDB(t, damaged, key)
		if openAndRead(t, path, ids, i%20 == 0, fmt.Sprintf("byte %d (page %d) ^ %#x", pos, pos/ps, b)) {
			opened++
		} else {
			refused++
		}
	}
	t.Logf("200 flips: %d opened (reads returned data or errors), %d refused at Open", opened, refused)
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
		openAndRead(t, writeDB(t, damaged, key), ids, true, "fuzzed file")
	})
}

// layout reads where a bbolt file keeps things: the root page of each
// top-level bucket, and the freelist page.
func layout(t *testing.T, data, key []byte) (roots map[string]uint64, freelist uint64) {
	t.Helper()
	path := writeDB(t, data, key)
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	roots = map[string]uint64{}
	err = b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			roots[string(name)] = uint64(bk.Root())
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := pagesOf(data)
	m0, m1 := data[16:], data[ps+16:]
	freelist = binary.NativeEndian.Uint64(m0[32:])
	if binary.NativeEndian.Uint64(m1[48:]) > binary.NativeEndian.Uint64(m0[48:]) {
		freelist = binary.NativeEndian.Uint64(m1[32:])
	}
	return roots, freelist
}

// TestOpenRefusesDamagedTree: a page tree that reaches a page twice (a
// cycle bbolt would loop on, or two parents, whose writes would free a
// page still in use) or a freelist that lists a page in use is refused
// at Open; so is a file with no valid meta page. One damaged meta page
// is bbolt's crash recovery (it uses the other) and opens.
func TestOpenRefusesDamagedTree(t *testing.T) {
	data, key, ids := seed(t)
	ps, _ := pagesOf(data)
	roots, freelist := layout(t, data, key)
	ne := binary.NativeEndian
	branch := ""
	for name, root := range roots {
		if root != 0 && ne.Uint16(data[int(root)*ps+8:]) == 0x01 {
			branch = name
			break
		}
	}
	if branch == "" || ne.Uint16(data[int(freelist)*ps+10:]) == 0 {
		t.Fatalf("the seed database has no branch page or no free pages (roots %v)", roots)
	}
	setU64 := func(d []byte, off int, v uint64) { ne.PutUint64(d[off:], v) }
	child0 := func(root uint64) int { return int(root)*ps + 16 + 8 } // element 0's page id
	tests := []struct {
		name   string
		damage func(d []byte)
		want   string // in the error; "" to open
	}{
		{"a branch page points at itself", func(d []byte) { setU64(d, child0(roots[branch]), roots[branch]) }, "reached twice"},
		{"a branch page points into another bucket", func(d []byte) { setU64(d, child0(roots[branch]), roots["sources"]) }, "reached twice"},
		{"the freelist lists a page in use", func(d []byte) { setU64(d, int(freelist)*ps+16, roots["sources"]) }, "in use"},
		{"both meta pages damaged", func(d []byte) { d[16] ^= 1; d[ps+16] ^= 1 }, "no valid meta page"},
		{"one meta page damaged", func(d []byte) { d[ps+16+56] ^= 1 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			damaged := append([]byte(nil), data...)
			tt.damage(damaged)
			path := writeDB(t, damaged, key)
			db, err := store.Open(path, store.Options{})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer db.Close()
				if p, _ := readAll(t.Context(), db, ids, true); len(p) > 0 {
					t.Errorf("reads panicked: %v", p)
				}
				if err := db.Check(t.Context()); err != nil {
					t.Errorf("check: %v", err)
				}
				return
			}
			if err == nil {
				db.Close() // reading it could loop forever
				t.Fatalf("Open succeeded; want an error saying %q", tt.want)
			}
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: got %q, want ErrCorrupt naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}

// TestCorruptPageServesTheRest damages one element of the sources
// bucket's page: reading sources fails with an error naming the file and
// the bucket, Check reports it, and the other buckets go on being read
// and written.
func TestCorruptPageServesTheRest(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	data, key, ids := seed(t)
	ps, _ := pagesOf(data)
	roots, _ := layout(t, data, key)
	damaged := append([]byte(nil), data...)
	root := int(roots["sources"])
	if flags := binary.NativeEndian.Uint16(damaged[root*ps+8:]); flags != 0x02 {
		t.Fatalf("the sources bucket's root is not a leaf page (flags %#x)", flags)
	}
	binary.NativeEndian.PutUint32(damaged[root*ps+16+4:], 0x7fff0000) // element 0's key position
	path := writeDB(t, damaged, key)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	ctx := t.Context()
	want := fmt.Sprintf("database %s is corrupt (bucket %q)", path, "sources")
	for name, call := range map[string]func() error{
		"Sources": func() error { _, err := db.Sources(ctx); return err },
		"Check":   func() error { return db.Check(ctx) },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", name, r)
				}
			}()
			if err := call(); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got %v, want ErrCorrupt saying %q", name, err, want)
			}
		}()
	}
	if _, err := db.Changes(ctx, store.ChangeFilter{}); err != nil {
		t.Errorf("changes, in an undamaged bucket: %v", err)
	}
	if _, err := db.Fetches(ctx, ids[0], time.Time{}, time.Time{}, 0); err != nil {
		t.Errorf("fetches, in an undamaged bucket: %v", err)
	}
	if _, _, err := db.CreateToken(ctx, "writer"); err != nil {
		t.Errorf("a write to an undamaged bucket: %v", err)
	}
}

// TestTruncatedWhileOpen cuts the file to its meta pages under an open
// database: reads and writes fault on the missing pages. Each call
// returns an error saying the file was truncated; a write whose rollback
// faulted too (bbolt then still holds its writer lock) makes later
// writes and Close fail at once instead of waiting forever.
func TestTruncatedWhileOpen(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	data, key, ids := seed(t)
	ps, _ := pagesOf(data)
	path := writeDB(t, data, key)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(2*ps)); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	calls := []struct {
		name string
		fn   func() error
	}{
		{"Sources", func() error { _, err := db.Sources(ctx); return err }},
		{"SetDue", func() error { return db.SetDue(ctx, store.Due{SourceID: ids[0], At: time.Now()}) }},
		{"SetDue again", func() error { return db.SetDue(ctx, store.Due{SourceID: ids[0], At: time.Now()}) }},
		{"Versions", func() error { _, err := db.Versions(ctx, ids[0]); return err }},
		{"Check", func() error { return db.Check(ctx) }},
		{"Close", db.Close},
	}
	for _, c := range calls {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", c.name, r)
				}
			}()
			if err := c.fn(); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: got %v, want ErrCorrupt naming %s", c.name, err, path)
			} else if c.name == "Sources" && !strings.Contains(err.Error(), "truncated") {
				t.Errorf("%s: got %v, want it to say the file was truncated", c.name, err)
			}
		}()
	}
}
