package diff_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

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
