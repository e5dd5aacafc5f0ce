package diff_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
)

// pagePair is two versions of one document.
type pagePair struct {
	name     string
	old, new *extract.Document
}

// fixturePairs returns the consecutive versions of every fixture page and
// fixture corpus document.
func fixturePairs(t testing.TB) []pagePair {
	t.Helper()
	var files []string
	err := fs.WalkDir(fixtures.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".html") && (strings.HasPrefix(p, "pages/") || strings.HasPrefix(p, "corpus/")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return consecutive(t, files, func(p string) ([]byte, error) { return fs.ReadFile(fixtures.FS(), p) })
}

// corpusPairs returns the consecutive versions of every document in the
// shared corpus, when it is checked out beside the repository.
func corpusPairs(t testing.TB) []pagePair {
	t.Helper()
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not found at %s (set CLAUSEWATCH_CORPUS, or check out shared/ beside the repo)", dir)
	}
	// The mirror test and the labels' reading burden walk the same pairs:
	// extract them once per test binary.
	pairsMemo.mu.Lock()
	defer pairsMemo.mu.Unlock()
	if ps, ok := pairsMemo.pairs[dir]; ok {
		return ps
	}
	ps := consecutive(t, files, os.ReadFile)
	pairsMemo.pairs[dir] = ps
	return ps
}

// pairsMemo is corpusPairs' memo (test-only state).
var pairsMemo = struct {
	mu    sync.Mutex
	pairs map[string][]pagePair
}{pairs: map[string][]pagePair{}}

func consecutive(t testing.TB, files []string, read func(string) ([]byte, error)) []pagePair {
	sort.Strings(files)
	var out []pagePair
	var prevDir string
	var prev *extract.Document
	for _, f := range files {
		data, err := read(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := extract.Bytes(data, extract.Options{})
		if err != nil {
			prev, prevDir = nil, "" // an unreadable snapshot (captcha page, empty): skip the pair
			continue
		}
		if prev != nil && filepath.Dir(f) == prevDir {
			out = append(out, pagePair{name: f, old: prev, new: d})
		}
		prev, prevDir = d, filepath.Dir(f)
	}
	return out
}

// TestIdentity: a document compared with itself has no changes.
func TestIdentity(t *testing.T) {
	for _, p := range fixturePairs(t) {
		for _, d := range []*extract.Document{p.old, p.new} {
			r := diff.Compare(d, d, nil)
			if !r.Same() || r.Revet || len(r.Renames) > 0 {
				t.Errorf("%s compared with itself: %s", p.name, describe(r))
			}
		}
	}
}

// TestMirrorFixtures and TestMirrorCorpus: diff(A, B) and diff(B, A)
// report the same changes with the sides swapped: added ↔ removed, split ↔
// merged, the same classes and categories, the same verdict.
func TestMirrorFixtures(t *testing.T) { checkMirror(t, fixturePairs(t)) }

func TestMirrorCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus sweep skipped in -short mode")
	}
	checkMirror(t, corpusPairs(t))
}

func checkMirror(t *testing.T, pairs []pagePair) {
	for _, p := range pairs {
		ab := diff.Compare(p.old, p.new, nil)
		ba := diff.Compare(p.new, p.old, nil)
		if ab.Revet != ba.Revet {
			t.Errorf("%s: revet %v one way, %v the other", p.name, ab.Revet, ba.Revet)
		}
		fa, fb := fingerprint(ab, false), fingerprint(ba, true)
		if !slices.Equal(fa, fb) {
			t.Errorf("%s: diff(A,B) and diff(B,A) do not mirror:\n%s", p.name, firstDifference(fa, fb))
		}
		if len(ab.Renames) != len(ba.Renames) {
			t.Errorf("%s: %d renames one way, %d the other", p.name, len(ab.Renames), len(ba.Renames))
		}
		for i := range ab.Renames {
			if i < len(ba.Renames) && (ab.Renames[i].Count != ba.Renames[i].Count) {
				t.Errorf("%s: rename %s→%s ×%d, mirrored %s→%s ×%d", p.name, ab.Renames[i].From, ab.Renames[i].To, ab.Renames[i].Count, ba.Renames[i].From, ba.Renames[i].To, ba.Renames[i].Count)
			}
		}
	}
}

// fingerprint lists each change as kind, class, categories and the two
// texts, sides swapped when mirrored, sorted.
func fingerprint(r *diff.Result, mirrored bool) []string {
	var out []string
	for _, c := range r.Changes {
		kind, o, n := c.Kind, c.Old, c.New
		if mirrored {
			kind, o, n = mirrorKind(kind), n, o
		}
		text := func(s *diff.Side) string {
			if s == nil {
				return "∅"
			}
			return s.Text
		}
		out = append(out, fmt.Sprintf("%s %s %v\n  old: %.120s\n  new: %.120s", kind, c.Class, c.Categories, text(o), text(n)))
	}
	sort.Strings(out)
	return out
}

func firstDifference(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return "A→B:  " + x + "\nB→A': " + y
		}
	}
	return ""
}

// TestDeterministic: the JSON result is byte-identical across runs (map
// iteration order must not leak into the output).
func TestDeterministic(t *testing.T) {
	for _, p := range fixturePairs(t) {
		var first []byte
		for run := 0; run < 5; run++ {
			var b bytes.Buffer
			if err := diff.WriteJSON(&b, diff.Compare(p.old, p.new, nil)); err != nil {
				t.Fatal(err)
			}
			if run == 0 {
				first = b.Bytes()
			} else if !bytes.Equal(first, b.Bytes()) {
				t.Fatalf("%s: run %d differs from run 0", p.name, run)
			}
		}
	}
}
