package diff_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// labelTargets are the acceptance figures of issue 18 for the labelled
// pairs: the verdict equals the label on at least minAccuracy of them and
// every material pair is sent to re-vetting.
const minAccuracy = 0.95

// label is one row of ../shared/corpus/labels.tsv: a real consecutive
// change labelled by a careful vetting reviewer.
type label struct {
	doc, old, new string
	material      bool
	categories    string
	side, anchor  string
	note          string
}

// labelsPath finds labels.tsv beside the corpus (CLAUSEWATCH_CORPUS names
// the otarchive directory, as in TestCorpusSweep).
func labelsPath() (corpus, labels string) {
	corpus = os.Getenv("CLAUSEWATCH_CORPUS")
	if corpus == "" {
		corpus = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	return corpus, filepath.Join(filepath.Dir(filepath.Clean(corpus)), "labels.tsv")
}

func readLabels(t *testing.T, path string) []label {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("labels not found at %s (set CLAUSEWATCH_CORPUS, or check out shared/ beside the repo): %v", path, err)
	}
	defer f.Close()
	var out []label
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue // the header
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 {
			t.Fatalf("%s:%d: %d columns, want 8", path, line, len(cols))
		}
		out = append(out, label{doc: cols[0], old: cols[1], new: cols[2], material: cols[3] == "true",
			categories: cols[4], side: cols[5], anchor: cols[6], note: cols[7]})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return out
}

// TestLabels measures the verdict against the labelled real changes of
// the shared corpus (issue 18): accuracy, the confusion matrix, every pair
// where tool and label disagree, for each material pair whether its anchor
// phrase lies inside a substantive change and at which rank, and the
// reading burden (substantive items per re-vet pair).
func TestLabels(t *testing.T) {
	corpus, path := labelsPath()
	labels := readLabels(t, path)
	rules := diff.DefaultRules()
	var tp, fp, tn, fn int
	var burden, anchorRanks, ranked []int
	var missedAnchors []string
	for _, l := range labels {
		oldDoc, errA := extractFile(filepath.Join(corpus, l.doc, l.old+".html"))
		newDoc, errB := extractFile(filepath.Join(corpus, l.doc, l.new+".html"))
		if errA != nil || errB != nil {
			t.Errorf("%s %s → %s: cannot extract: %v %v", l.doc, l.old, l.new, errA, errB)
			continue
		}
		r := diff.Compare(oldDoc, newDoc, rules)
		subs := changesOf(r, diff.Substantive)
		if r.Revet {
			burden = append(burden, len(subs))
		}
		switch {
		case l.material && r.Revet:
			tp++
		case l.material:
			fn++
		case r.Revet:
			fp++
		default:
			tn++
		}
		if r.Revet != l.material {
			t.Logf("DISAGREE %s %s → %s: label material=%v, tool revet=%v (%d substantive)\n    label: %s%s",
				l.doc, l.old, l.new, l.material, r.Revet, len(subs), l.note, topReasons(subs, 5))
		}
		if l.material && r.Revet {
			rank := rankOf(r, l.side, l.anchor)
			ranked = append(ranked, len(r.Ranking()))
			anchorRanks = append(anchorRanks, rank)
			if rank == 0 {
				missedAnchors = append(missedAnchors, fmt.Sprintf("%s %s → %s: anchor %q (%s side) not inside a substantive change (%d substantive)",
					l.doc, l.old, l.new, l.anchor, l.side, len(subs)))
			} else {
				t.Logf("anchor %s %s → %s: rank %d of %d substantive (in document order: %d)", l.doc, l.old, l.new, rank, len(subs), docOrder(subs, l.side, l.anchor))
			}
		}
	}
	n := tp + fp + tn + fn
	if n == 0 {
		t.Skip("no labelled pairs")
	}
	acc := float64(tp+tn) / float64(n)
	t.Logf("labelled pairs: %d  accuracy: %.1f%% (%d/%d)", n, 100*acc, tp+tn, n)
	t.Logf("confusion: material∧revet=%d  material∧¬revet=%d  ¬material∧revet=%d  ¬material∧¬revet=%d", tp, fn, fp, tn)
	for _, m := range missedAnchors {
		t.Logf("anchor missed: %s", m)
	}
	top5 := 0
	for _, k := range anchorRanks {
		if k > 0 && k <= 5 {
			top5++
		}
	}
	t.Logf("anchors inside a substantive change: %d of %d caught material pairs (in the top 5: %d)", len(anchorRanks)-len(missedAnchors), len(anchorRanks), top5)
	t.Logf("reading burden, labelled re-vet pairs: %s", spread(burden))
	t.Logf("ranked entries after folding, material pairs: %s", spread(ranked))
	if acc < minAccuracy {
		t.Errorf("accuracy %.1f%% is below the %.0f%% target", 100*acc, 100*minAccuracy)
	}
	if fn > 0 {
		t.Errorf("%d material pairs not sent to re-vetting", fn)
	}
	if testing.Short() {
		return
	}
	all := corpusBurden(t)
	t.Logf("reading burden, every corpus pair that re-vets: %s", spread(all))
}

// rankOf returns the 1-based position, in the report's ranking
// (Result.Ranking), of the first substantive change whose side (old or
// new) holds the anchor phrase; 0 when no substantive change holds it.
func rankOf(r *diff.Result, side, anchor string) int {
	want := normAnchor(anchor)
	// The report's ranking (widening first), on the labelled side.
	// A change folded under a ranked one (RankItem.Also) is found at
	// that one's rank: the reader sees it there.
	for k, it := range r.Ranking() {
		for _, i := range it.Changes() {
			if i < 0 || i >= len(r.Changes) || r.Changes[i].Class != diff.Substantive {
				continue
			}
			c := r.Changes[i]
			s := c.New
			if side == "old" {
				s = c.Old
			}
			if s != nil && strings.Contains(normAnchor(s.Text), want) {
				return k + 1
			}
		}
	}
	return 0
}

// docOrder returns the 1-based position, among the substantive changes in
// document order (the clause list without the ranking), of the first one
// whose side holds the anchor phrase: where a reader finds it without the
// ranking.
func docOrder(subs []diff.Change, side, anchor string) int {
	want := normAnchor(anchor)
	for k, c := range subs {
		s := c.New
		if side == "old" {
			s = c.Old
		}
		if s != nil && strings.Contains(normAnchor(s.Text), want) {
			return k + 1
		}
	}
	return 0
}

// normAnchor folds case, white space and the markdown escapes of the
// labels so that an anchor copied from OTA's markdown matches clause text.
func normAnchor(s string) string {
	s = strings.ReplaceAll(s, `\`, "")
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`, "\u00a0", " ").Replace(s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func topReasons(subs []diff.Change, n int) string {
	var b strings.Builder
	for i, c := range subs {
		if i == n {
			fmt.Fprintf(&b, "\n    … and %d more substantive", len(subs)-n)
			break
		}
		fmt.Fprintf(&b, "\n    tool: %s [%s] %s", c.Kind, strings.Join(c.Categories, ","), strings.Join(c.Reasons, " | "))
	}
	return b.String()
}

// corpusBurden returns the substantive items of every consecutive corpus
// pair that re-vets.
func corpusBurden(t *testing.T) []int {
	var out []int
	rules := diff.DefaultRules()
	for _, p := range corpusPairs(t) {
		r := diff.Compare(p.old, p.new, rules)
		if r.Revet {
			out = append(out, r.Counts.Substantive)
		}
	}
	return out
}

// spread prints the median, 90th percentile and maximum of xs.
func spread(xs []int) string {
	if len(xs) == 0 {
		return "no pairs"
	}
	s := slices.Sorted(slices.Values(xs))
	at := func(q float64) int { return s[min(len(s)-1, int(q*float64(len(s)-1)+0.5))] }
	return fmt.Sprintf("%d pairs, substantive items median %d, p90 %d, max %d", len(s), at(0.5), at(0.9), s[len(s)-1])
}
