package watch_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/watch"
)

// TestRenderFloorCorpus measures the render floor (Policy.RenderBelow:
// a plain fetch with fewer words of policy text is rendered) on the real
// pages of ../shared/corpus: at most 1% of the real pages fall below it
// (p1 is 203 words), so render: auto seldom renders a page a plain fetch
// reads, while the marketing frame of a widget page (46 words) and an
// app's shell are rendered.
func TestRenderFloorCorpus(t *testing.T) {
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s (set CLAUSEWATCH_CORPUS): %v", dir, err)
	}
	var words []int
	var smallest string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := extract.Bytes(data, extract.Options{ContentType: "text/html"})
		if err != nil {
			return nil // error pages and the like: the suspect checks' business
		}
		n := 0
		for _, cl := range doc.Clauses {
			n += len(strings.Fields(cl.Text))
		}
		if len(words) == 0 || n < slices.Min(words) {
			smallest = path
		}
		words = append(words, n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(words)
	floor := (&watch.Checker{}).EffectivePolicy().RenderBelow
	t.Logf("%d corpus pages: words min %d (%s), p1 %d, p5 %d, median %d; render floor %d",
		len(words), words[0], smallest, words[len(words)/100], words[len(words)/20], words[len(words)/2], floor)
	var below int
	for _, n := range words {
		if n < floor {
			below++
		}
	}
	// Today: one page, Open Terms Archive's 58-word imprint (a legal
	// notice, not a policy), which auto renders once per new body and
	// then leaves alone (State.RenderUseless).
	if below > len(words)/100 {
		t.Errorf("%d of %d real corpus pages have fewer than %d words: auto would render them", below, len(words), floor)
	}
}
