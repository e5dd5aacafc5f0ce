package diff_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// TestBudgetCorpusHeadroom: no real comparison comes near the work
// budget. Every corpus pair, both ways, counts under a third of
// CompareBudget, so the bound only ever changes a hostile pair's result.
func TestBudgetCorpusHeadroom(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus pairs skipped in -short mode")
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
	var most int64
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
		for _, r := range []*diff.Result{diff.Compare(da, db, rules), diff.Compare(db, da, rules)} {
			if r.BudgetSpent {
				t.Errorf("%s: the budget was spent (%d units)", b, r.WorkUnits)
			}
			if r.WorkUnits > most {
				most, mostPair = r.WorkUnits, b
			}
		}
	}
	t.Logf("most work of a corpus pair: %d units (%.1f%% of the budget) in %s", most, 100*float64(most)/diff.CompareBudget, mostPair)
	if most > diff.CompareBudget/3 {
		t.Errorf("a corpus pair counts %d units, over a third of the budget (%d)", most, diff.CompareBudget)
	}
}

// TestHostileBudget compares the hostile pairs (hostile_test.go): the
// work counted stays within the budget (and the overdraw of the one search
// that found it could not finish, at most the tokens of the pair), the
// pairs that reach the budget say so, and the result is the same, byte for
// byte, on every run. It asserts on work units, never on time.
func TestHostileBudget(t *testing.T) {
	rules := diff.DefaultRules()
	spends := map[string]bool{"salad-8x1500": true, "uneven": true}
	for _, p := range hostilePairs() {
		t.Run(p.name, func(t *testing.T) {
			var first []byte
			for run := range 3 {
				r := diff.Compare(p.old, p.new, rules)
				var tokens int64
				for _, d := range [][]string{clauseTexts(p.old), clauseTexts(p.new)} {
					tokens += int64(len(strings.Join(d, " ")))
				}
				if r.WorkUnits > diff.CompareBudget+tokens {
					t.Errorf("counted %d units, more than the budget %d and the pair's %d bytes", r.WorkUnits, diff.CompareBudget, tokens)
				}
				if r.BudgetSpent != spends[p.name] {
					t.Errorf("BudgetSpent = %v after %d units, want %v", r.BudgetSpent, r.WorkUnits, spends[p.name])
				}
				if got := strings.Contains(r.Summary, diff.BudgetSpentNote); got != r.BudgetSpent {
					t.Errorf("summary %q: note present %v, budget spent %v", r.Summary, got, r.BudgetSpent)
				}
				var js bytes.Buffer
				if err := diff.WriteJSON(&js, r); err != nil {
					t.Fatal(err)
				}
				if run == 0 {
					first = js.Bytes()
					t.Logf("%d units, budget spent %v, %d changes", r.WorkUnits, r.BudgetSpent, len(r.Changes))
				} else if !bytes.Equal(first, js.Bytes()) {
					t.Errorf("run %d gave another result", run+1)
				}
			}
		})
	}
}
