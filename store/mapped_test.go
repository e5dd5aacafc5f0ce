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
	if err := db.dropMapped(ctx); err != nil {
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
