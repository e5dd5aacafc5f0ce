package store_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"go.etcd.io/bbolt"
)

// Damage aimed at one structure of the seed database (corrupt_test.go):
// the page tree, the freelist, a bucket's page, the file's length.

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
	if _, _, err := db.CreateToken(ctx, "writer", store.RoleAdmin); err != nil {
		t.Errorf("a write to an undamaged bucket: %v", err)
	}
}

// TestCorruptIndexPageServesTheRest damages the change index's page (the
// indexes are ordinary buckets to decision record 0018's handling): the
// filtered queries that read it fail with an error naming the bucket,
// Check reports it, and the unfiltered feed and the changes themselves,
// which do not read it, go on being served.
func TestCorruptIndexPageServesTheRest(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	data, key, _ := seed(t)
	ps, _ := pagesOf(data)
	roots, _ := layout(t, data, key)
	damaged := append([]byte(nil), data...)
	root := int(roots["change_index"])
	if flags := binary.NativeEndian.Uint16(damaged[root*ps+8:]); flags != 0x02 {
		t.Fatalf("the change index's root is not a leaf page (flags %#x)", flags)
	}
	binary.NativeEndian.PutUint32(damaged[root*ps+16+4:], 0x7fff0000) // element 0's key position
	path := writeDB(t, damaged, key)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	ctx := t.Context()
	want := fmt.Sprintf("database %s is corrupt (bucket %q)", path, "change_index")
	for name, call := range map[string]func() error{
		"ChangePage re-vet only": func() error { // walks down to the damaged element
			_, _, err := db.ChangePage(ctx, store.ChangeQuery{Revet: true})
			return err
		},
		"Check": func() error { return db.Check(ctx) },
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
	if page, _, err := db.ChangePage(ctx, store.ChangeQuery{}); err != nil || len(page) == 0 {
		t.Errorf("the unfiltered feed: %d changes, %v", len(page), err)
	}
	if _, err := db.Change(ctx, 3); err != nil {
		t.Errorf("a change page: %v", err)
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
