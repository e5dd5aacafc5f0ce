//go:build linux

package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// mappedRSS is the resident size of this process's mappings of path, from
// /proc/self/smaps.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") { // a mapping's header line
			in = len(fields) >= 6 && fields[len(fields)-1] == path
			continue
		}
		if in && fields[0] == "Rss:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// mappedFixture makes a database of a few megabytes (6,000 sources) and
// returns its path.
func mappedFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mapped.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srcs := make([]Source, 6000)
	for i := range srcs {
		srcs[i] = Source{Name: fmt.Sprintf("source-%05d-%s", i, strings.Repeat("n", 150)), URL: fmt.Sprintf("https://example.com/%d/%s", i, strings.Repeat("p", 300))}
	}
	if _, err := db.AddSources(context.Background(), srcs); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDropMapped: after reads have mapped the file's pages in, dropping
// them takes them out of the process's resident set, and reads after it
// see the same records.
func TestDropMapped(t *testing.T) {
	path := mappedFixture(t)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	before, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	read := mappedRSS(t, path)
	if read < 512<<10 {
		t.Fatalf("reading 6,000 sources mapped in only %d bytes of the file", read)
	}
	if err := db.view(ctx, func(tx *bbolt.Tx) error { releaseResident(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if left := mappedRSS(t, path); left > 64<<10 {
		t.Errorf("after the drop %d bytes of the file are still mapped in (%d before)", left, read)
	}
	after, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("the sources read after the drop differ from those before")
	}
}

// TestWalkDropsPages: the page walk at Open keeps at most about dropEvery
// pages of the file mapped in (each fault may map in 16 around it), where
// without drops it would hold every page of the tree.
func TestWalkDropsPages(t *testing.T) {
	path := mappedFixture(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	const bound = (8 + 1) * 16 * 4096
	if info.Size() < 4*bound {
		t.Fatalf("the fixture is %d bytes, too small to tell", info.Size())
	}
	for _, tt := range []struct {
		dropEvery int
		over      bool // the walk should leave more than bound mapped in
	}{{1 << 30, true}, {8, false}} {
		f, err := openPages(path)
		if err != nil {
			t.Fatal(err)
		}
		f.dropEvery = tt.dropEvery
		m, err := readMeta(f, f.size)
		if err != nil {
			t.Fatal(err)
		}
		if dm := newWalker(f, m.pageSize, m.hwm).walk(m.root); len(dm) > 0 {
			t.Fatalf("damage: %v", dm)
		}
		rss := mappedRSS(t, path)
		f.Close()
		if (rss > bound) != tt.over {
			t.Errorf("dropping every %d pages, the walk left %d bytes mapped in (bound %d)", tt.dropEvery, rss, bound)
		}
	}
}

// TestDropMappedWhileRecording: eight goroutines record 2,100 fetches
// between them, each with a body of its own, so the file grows (and
// bbolt remaps it) while putFetch drops the mapped pages every
// releaseFetches fetches; run with -race too. Every record is there afterwards and the
// database checks clean.
func TestDropMappedWhileRecording(t *testing.T) {
	ctx := t.Context()
	db, err := Open(filepath.Join(t.TempDir(), "drop.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.bolt.NoSync = true
	const workers, each = 8, 263 // 2,104 records: some 65 drops
	srcs := make([]Source, workers)
	for i := range srcs {
		srcs[i] = Source{Name: fmt.Sprintf("drop-%d", i), URL: fmt.Sprintf("https://drop.example/%d", i)}
	}
	if srcs, err = db.AddSources(ctx, srcs); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, workers)
	for w, src := range srcs {
		go func() {
			for i := range each {
				st, err := db.State(ctx, src.ID)
				if err != nil {
					errs <- err
					return
				}
				at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
				body := []byte(fmt.Sprintf("<p>page %d of worker %d</p>%s", i, w, strings.Repeat("x", 3000)))
				r := Record{State: st, Body: body, Fetch: Fetch{SourceID: src.ID, URL: src.URL, Start: at, End: at, Status: 200, Outcome: OutcomeSuspect, Reason: "test"}}
				if _, _, err := db.Record(ctx, r); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range srcs {
		fs, err := db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
		if err != nil || len(fs) != each {
			t.Fatalf("source %d: %d fetches, %v", src.ID, len(fs), err)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
