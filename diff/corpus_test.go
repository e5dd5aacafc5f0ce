package diff_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// TestCorpusSweep compares every consecutive pair of versions in the
// shared corpus. Where Open Terms Archive's own per-site extraction of the
// two versions is byte-identical (a page that changed only in markup,
// scripts or chrome), our diff must not ask for re-vetting, and must find
// no change at all in nearly every such pair; and no pair may come within
// three times of the work budget. It logs the figures CI records.
func TestCorpusSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus sweep skipped in -short mode")
	}
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if len(files) == 0 {
		t.Skipf("corpus not found at %s (set CLAUSEWATCH_CORPUS, or check out shared/ beside the repo)", dir)
	}
	sort.Strings(files)
	rules := diff.DefaultRules()
	var pairs, same, revet, refIdentical, refIdenticalSame int
	var refIdenticalDiffer []string
	var most int64 // the most work units one pair counted
	var mostPair string
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
		pairs++
		r := diff.Compare(da, db, rules)
		if r.BudgetSpent {
			t.Errorf("%s: the work budget was spent (%d units)", b, r.WorkUnits)
		}
		if r.WorkUnits > most {
			most, mostPair = r.WorkUnits, b
		}
		if r.Same() {
			same++
		}
		if r.Revet {
			revet++
		}
		ma, errA := os.ReadFile(strings.TrimSuffix(a, ".html") + ".md")
		mb, errB := os.ReadFile(strings.TrimSuffix(b, ".html") + ".md")
		if errA != nil || errB != nil || !bytes.Equal(bytes.TrimSpace(ma), bytes.TrimSpace(mb)) {
			continue
		}
		refIdentical++
		if r.Same() {
			refIdenticalSame++
		} else {
			refIdenticalDiffer = append(refIdenticalDiffer, b)
		}
		if r.Revet {
			t.Errorf("%s: re-vet for a pair whose reference text is identical: %s", b, describe(r))
		}
	}
	t.Logf("pairs compared: %d  no change: %d  re-vet: %d", pairs, same, revet)
	// No real comparison comes near the work budget (budget.go): the
	// bound only ever changes a hostile pair's result.
	t.Logf("most work of a pair: %d units (%.1f%% of the budget) in %s", most, 100*float64(most)/diff.CompareBudget, mostPair)
	if most > diff.CompareBudget/3 {
		t.Errorf("a corpus pair counts %d units, over a third of the budget (%d)", most, diff.CompareBudget)
	}
	t.Logf("reference-identical pairs: %d  diff found no change: %d", refIdentical, refIdenticalSame)
	for _, f := range refIdenticalDiffer {
		t.Logf("  changes found (none re-vet) in %s", f)
	}
	if refIdentical > 0 && float64(refIdenticalSame) < 0.95*float64(refIdentical) {
		t.Errorf("only %d of %d reference-identical pairs diff as unchanged", refIdenticalSame, refIdentical)
	}
}

// sourceOptions are the per-source selectors a deployment would configure
// (as in the extract corpus test): one page holds all of Buffer's legal
// documents, and OTA selects the privacy sections likewise.
var sourceOptions = map[string]extract.Options{
	"buffer/privacy-policy": {Select: []string{`section[aria-labelledby="privacy-policy"], section[aria-labelledby="crpn"], section[aria-labelledby="gdpr"], section[aria-labelledby="dpf"], section[aria-labelledby="data-retention"]`}},
}

// extractFile reads a corpus page with its source's options. The corpus
// tests (sweep, labels) read the same pages: each is extracted once per
// test binary (Compare never changes a Document).
func extractFile(p string) (*extract.Document, error) {
	extracted.mu.Lock()
	defer extracted.mu.Unlock()
	if r, ok := extracted.docs[p]; ok {
		return r.doc, r.err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	source := filepath.Base(filepath.Dir(filepath.Dir(p))) + "/" + filepath.Base(filepath.Dir(p))
	d, err := extract.Bytes(data, sourceOptions[source])
	extracted.docs[p] = extractResult{d, err}
	return d, err
}

type extractResult struct {
	doc *extract.Document
	err error
}

// extracted is extractFile's memo: test-only state, so the corpus is
// read once however many corpus tests run.
var extracted = struct {
	mu   sync.Mutex
	docs map[string]extractResult
}{docs: map[string]extractResult{}}
