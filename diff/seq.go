package diff

import (
	"slices"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// maxSeqCells bounds the work of one sequence diff: when the product of
// the two lengths is larger, the pair is reported as one replacement
// instead of being diffed. Myers' algorithm is O((N+M)·D), so this keeps
// the worst case near a few tens of milliseconds while every real clause
// (a few hundred words) is far below it. The bound, not a clock, keeps the
// output the same on every run and every machine.
const maxSeqCells = 4_000_000

// maxBackboneCells bounds the clause-level diff of two documents: every
// pair of documents Compare reads (at most MaxClauses clauses a side) is
// diffed, never reported as one replacement. Myers' time is O((N+M)·D)
// and its memory O(N+M): 10,002 clauses that all differ take some 50
// million steps of the search and a few hundred kilobytes.
const maxBackboneCells = MaxClauses * MaxClauses

// edit is one step of an edit script between sequences a and b: a[aLo:aHi]
// is replaced by b[bLo:bHi]. Equal steps have the same length on both
// sides; a pure insertion has aLo == aHi, a pure deletion bLo == bHi.
type edit struct {
	equal              bool
	aLo, aHi, bLo, bHi int
}

// diffSym is diffSeq made symmetric: it always diffs the two sequences in
// one canonical order and swaps the result back, so that diff(a, b) is
// exactly the mirror of diff(b, a). Myers' algorithm can choose between
// equally short scripts differently in the two directions; the reports
// must not.
func diffSym(a, b []string, semantic bool, cells int, bud *budget) []edit {
	if slices.Compare(a, b) <= 0 {
		return diffSeq(a, b, semantic, cells, bud)
	}
	es := diffSeq(b, a, semantic, cells, bud)
	for i, e := range es {
		es[i] = edit{equal: e.equal, aLo: e.bLo, aHi: e.bHi, bLo: e.aLo, bHi: e.aHi}
	}
	return es
}

// diffSeq diffs two sequences of words (or other tokens) with go-diff's
// Myers implementation, each distinct token mapped to one private-use rune
// so that the character diff is a word diff. With semantic, go-diff's
// semantic cleanup merges edits separated by trivial equalities, which
// reads better; without it the script is minimal. Runs of non-equal steps
// are merged into one replacement. When len(a)·len(b) is over cells, the
// two are one replacement; so are they when the comparison's budget does
// not pay for the search (budget.go), counted before go-diff runs.
func diffSeq(a, b []string, semantic bool, cells int, bud *budget) []edit {
	if bud == nil {
		bud = newBudget(CompareBudget) // a diff outside Compare: its own budget
	}
	if len(a)*len(b) > cells || bud.spent {
		return wholeReplace(a, b)
	}
	ids := make(map[string]rune, len(a)+len(b))
	next := rune(0xE000)
	toRunes := func(s []string) ([]rune, bool) {
		out := make([]rune, len(s))
		for i, t := range s {
			r, ok := ids[t]
			if !ok {
				r = next
				ids[t] = r
				next++
				if next == 0xF900 {
					next = 0xF0000
				}
				if next > utf8.MaxRune {
					return nil, false
				}
			}
			out[i] = r
		}
		return out, true
	}
	ra, ok1 := toRunes(a)
	rb, ok2 := toRunes(b)
	if !ok1 || !ok2 {
		return wholeReplace(a, b)
	}
	// Count the search first, with the budget left as its cap: half for
	// the count, half for go-diff's own run of it.
	work, ok := myersWork(ra, rb, bud.left/2)
	if !ok {
		bud.charge(work)
		bud.spent = true
		return wholeReplace(a, b)
	}
	if !bud.pay(2 * work) {
		return wholeReplace(a, b)
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // no clock: the same answer every time (bounded by cells)
	diffs := dmp.DiffMainRunes(ra, rb, false)
	if semantic {
		diffs = dmp.DiffCleanupSemantic(diffs)
	}
	var out []edit
	i, j := 0, 0
	for _, d := range diffs {
		n := utf8.RuneCountInString(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			out = append(out, edit{equal: true, aLo: i, aHi: i + n, bLo: j, bHi: j + n})
			i += n
			j += n
		case diffmatchpatch.DiffDelete:
			out = appendChange(out, edit{aLo: i, aHi: i + n, bLo: j, bHi: j})
			i += n
		case diffmatchpatch.DiffInsert:
			out = appendChange(out, edit{aLo: i, aHi: i, bLo: j, bHi: j + n})
			j += n
		}
	}
	return out
}

// appendChange adds a non-equal step, merging it into a preceding one.
func appendChange(out []edit, e edit) []edit {
	if k := len(out) - 1; k >= 0 && !out[k].equal {
		out[k].aHi = e.aHi
		out[k].bHi = e.bHi
		return out
	}
	return append(out, e)
}

func wholeReplace(a, b []string) []edit {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	return []edit{{aLo: 0, aHi: len(a), bLo: 0, bHi: len(b)}}
}

// changes returns the non-equal steps of an edit script.
func changes(es []edit) []edit {
	var out []edit
	for _, e := range es {
		if !e.equal {
			out = append(out, e)
		}
	}
	return out
}
