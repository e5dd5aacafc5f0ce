package diff_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

var corpusDigests = flag.Bool("corpus-digests", false, "compare every corpus pair's diff output with testdata/corpus-digests.txt (TestCorpusDigests; with -update, rewrite it)")

// TestCorpusDigests proves that a change to the comparison code leaves
// every corpus result byte for byte as it was: each consecutive pair of
// corpus versions is compared both ways and rendered as JSON, text (all
// changes) and HTML, and the SHA-256 of each rendering is checked against
// testdata/corpus-digests.txt. Each line also holds the digest of the two
// extracted documents, so that a change of the extractor (new input, not
// new output) is told apart from a change of the diff. Behind
// -corpus-digests: it runs every pair, some minutes on a busy machine.
func TestCorpusDigests(t *testing.T) {
	if !*corpusDigests {
		t.Skip("corpus digests: run with -corpus-digests")
	}
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if len(files) == 0 {
		t.Skipf("corpus not found at %s", dir)
	}
	sort.Strings(files)
	rules := diff.DefaultRules()
	var got bytes.Buffer
	for i := 1; i < len(files); i++ {
		a, b := files[i-1], files[i]
		if filepath.Dir(a) != filepath.Dir(b) {
			continue
		}
		da, errA := extractFile(a)
		db, errB := extractFile(b)
		if errA != nil || errB != nil {
			continue
		}
		name, _ := filepath.Rel(dir, b)
		fmt.Fprintf(&got, "%s in=%s", filepath.ToSlash(name), digestJSON(t, [2]*extract.Document{da, db}))
		for _, r := range []*diff.Result{diff.Compare(da, db, rules), diff.Compare(db, da, rules)} {
			fmt.Fprintf(&got, " %s", digestResult(t, r))
		}
		got.WriteByte('\n')
	}
	path := filepath.Join("testdata", "corpus-digests.txt")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -corpus-digests -update to create it)", err)
	}
	compareDigests(t, want, got.Bytes())
}

// compareDigests reports every pair whose line differs, saying whether the
// input (the extracted documents) or only the output changed.
func compareDigests(t *testing.T, want, got []byte) {
	t.Helper()
	lines := func(b []byte) map[string][]string {
		out := map[string][]string{}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 1 {
				out[f[0]] = f[1:]
			}
		}
		return out
	}
	w, g := lines(want), lines(got)
	if len(w) != len(g) {
		t.Errorf("%d pairs, the digests have %d", len(g), len(w))
	}
	for name, gf := range g {
		wf, ok := w[name]
		switch {
		case !ok:
			t.Errorf("%s: not in the digests", name)
		case wf[0] != gf[0]:
			t.Errorf("%s: the extracted documents changed (not the diff); rerun with -update once the extractor change is known", name)
		case strings.Join(wf, " ") != strings.Join(gf, " "):
			t.Errorf("%s: diff output changed:\nwant %s\ngot  %s", name, strings.Join(wf, " "), strings.Join(gf, " "))
		}
	}
}

func digestResult(t *testing.T, r *diff.Result) string {
	t.Helper()
	var js, txt, page bytes.Buffer
	if err := diff.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if err := diff.WriteText(&txt, r, diff.TextOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if err := diff.WriteHTML(&page, r, diff.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("json=%s txt=%s html=%s", short(js.Bytes()), short(txt.Bytes()), short(page.Bytes()))
}

func digestJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return short(b)
}

func short(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%x", s[:12])
}
