package diff

import (
	"fmt"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// TestWordTable: the dense-table figures align uses are those of dice and
// contained, for every pair of clauses of two small documents (lengths
// from one word to many, shared and unshared words, repeats, date lines).
func TestWordTable(t *testing.T) {
	texts := []string{
		"Privacy", "Privacy policy", "Last updated: May 6, 2019", "Updated: June 1, 2023",
		"We share your data with partners.", "We may share your personal data with our partners and affiliates.",
		"data data data data", "Partners", "Your rights", "your rights and choices",
		"We keep your data for as long as your account is open, and then for 30 days.",
	}
	var a, b []extract.Clause
	for i, s := range texts {
		c := extract.Clause{Kind: extract.Paragraph, Path: []string{}, Text: s, Display: s}
		if i%2 == 0 {
			a = append(a, c)
		} else {
			b = append(b, c)
		}
		a = append(a, extract.Clause{Kind: extract.Paragraph, Path: []string{}, Text: s + " " + fmt.Sprint(i), Display: s})
	}
	rules := DefaultRules()
	seen := map[string]*clause{}
	olds, news := prepare(a, rules, seen), prepare(b, rules, seen)
	wt := newWordTable(olds, news)
	for _, share := range []float64{0.5, 0.65, 1} {
		for _, x := range append(olds, news...) {
			wt.load(x)
			for _, y := range append(olds, news...) {
				if got, want := wt.dice(x, y), dice(x, y); got != want {
					t.Errorf("dice(%q, %q) = %v, want %v", x.c.Text, y.c.Text, got, want)
				}
				if got, want := wt.contained(y, x, share), contained(y, x, nil, share); got != want {
					t.Errorf("contained(%q in %q, %v) = %v, want %v", y.c.Text, x.c.Text, share, got, want)
				}
				if d := dice(x, y); d > diceBound(x.n, y.n) {
					t.Errorf("dice(%q, %q) = %v over its bound %v", x.c.Text, y.c.Text, d, diceBound(x.n, y.n))
				}
			}
		}
	}
}
