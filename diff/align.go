package diff

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// match is one aligned unit: old clauses paired with new clauses. kind is
// "" for an unchanged clause (same text, in order).
type match struct {
	kind     Kind
	old, new []int
}

// align pairs the clauses of two documents (DESIGN: anchor, backbone,
// best match):
//
//  1. the backbone: the longest common subsequence of clause identities
//     (word keys, so punctuation and case edits still anchor);
//  2. clauses with the same identity out of order: moved;
//  3. the rest paired greedily by word-multiset similarity (Dice), best
//     first, when at least rules' similarity.pair;
//  4. splits and merges: unpaired clauses next to a pair, or runs of them,
//     whose words are contained in the other side's clause;
//  5. a pair is "moved" when it crosses the backbone, i.e. the two clauses
//     sit between different backbone anchors.
//
// The result lists every clause of both documents once, in new-document
// order with removed clauses placed after the clause before them.
func align(olds, news []*clause, rules *Rules, bud *budget) []match {
	pairOld := make([]int, len(olds)) // old index -> match index or -1
	pairNew := make([]int, len(news))
	for i := range pairOld {
		pairOld[i] = -1
	}
	for i := range pairNew {
		pairNew[i] = -1
	}
	var ms []match
	add := func(kind Kind, o, n []int) {
		for _, i := range o {
			pairOld[i] = len(ms)
		}
		for _, j := range n {
			pairNew[j] = len(ms)
		}
		ms = append(ms, match{kind: kind, old: o, new: n})
	}

	// 1. Backbone.
	oldSigs := make([]string, len(olds))
	for i, c := range olds {
		oldSigs[i] = c.sig
	}
	newSigs := make([]string, len(news))
	for j, c := range news {
		newSigs[j] = c.sig
	}
	for _, e := range diffSym(oldSigs, newSigs, false, maxBackboneCells, bud) {
		if !e.equal {
			continue
		}
		for k := 0; k < e.aHi-e.aLo; k++ {
			add(Modified, []int{e.aLo + k}, []int{e.bLo + k})
		}
	}
	backbone := len(ms)
	// Gap numbers: how many backbone anchors precede each clause.
	gapOld := gaps(pairOld, backbone)
	gapNew := gaps(pairNew, backbone)

	// 2. Same identity out of order.
	bySig := map[string][]int{}
	for j, c := range news {
		if pairNew[j] < 0 && c.n > 0 {
			bySig[c.sig] = append(bySig[c.sig], j)
		}
	}
	for i, c := range olds {
		if pairOld[i] >= 0 || c.n == 0 {
			continue
		}
		js := bySig[c.sig]
		for len(js) > 0 && pairNew[js[0]] >= 0 {
			js = js[1:]
		}
		if len(js) > 0 {
			add(Modified, []int{i}, []int{js[0]})
			bySig[c.sig] = js[1:]
		}
	}

	// 3. Best-match pairing of the rest.
	var uo, un []int
	for i := range olds {
		if pairOld[i] < 0 && olds[i].n > 0 {
			uo = append(uo, i)
		}
	}
	for j := range news {
		if pairNew[j] < 0 && news[j].n > 0 {
			un = append(un, j)
		}
	}
	type cand struct {
		i, j  int
		score float64
		dist  float64
	}
	var cands []cand
	pick := newCandidateIndex(uo, un, olds, news)
	words := newWordTable(olds, news)
	pair := rules.file.Similarity.Pair
	// Scoring pairs is paid for word by word; when the budget is spent,
	// the clauses not yet scored stay unpaired (added and removed).
scoring:
	for _, i := range uo {
		if !bud.pay(int64(len(olds[i].words) + 1)) {
			break
		}
		words.load(olds[i])
		for _, j := range pick.candidates(olds[i]) {
			if !bud.pay(1) {
				break scoring
			}
			dates := olds[i].date && news[j].date
			if !dates && diceBound(olds[i].n, news[j].n) < pair {
				continue // too different in length to reach pair
			}
			if !bud.pay(int64(len(news[j].words))) {
				break scoring
			}
			s := words.dice(olds[i], news[j])
			if dates {
				s = max(s, 0.99) // "Updated: May 6, 2019" and "Updated: June 1, 2023" are one clause
			}
			if s >= pair {
				d := math.Abs(float64(i)/float64(max(len(olds), 1)) - float64(j)/float64(max(len(news), 1)))
				if gapOld[i] == gapNew[j] {
					d -= 1 // prefer pairs between the same anchors
				}
				cands = append(cands, cand{i, j, s, d})
			}
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.dist, b.dist); c != 0 {
			return c
		}
		if c := cmp.Compare(a.i+a.j, b.i+b.j); c != 0 {
			return c
		}
		if c := cmp.Compare(abs(a.i-a.j), abs(b.i-b.j)); c != 0 {
			return c
		}
		// Last, an order that does not depend on which document is "old",
		// so that diff(A, B) mirrors diff(B, A).
		return cmp.Compare(pairKey(olds[a.i].sig, news[a.j].sig), pairKey(olds[b.i].sig, news[b.j].sig))
	})
	for _, c := range cands {
		if pairOld[c.i] < 0 && pairNew[c.j] < 0 {
			add(Modified, []int{c.i}, []int{c.j})
		}
	}

	// 4. Splits and merges.
	part := rules.file.Similarity.Part
	for mi := range ms {
		m := &ms[mi]
		if mi < backbone || len(m.old) != 1 || len(m.new) != 1 {
			continue
		}
		if grown := grow(olds[m.old[0]], m.new, news, pairNew, part, bud); len(grown) > 1 {
			m.new = grown
			m.kind = Split
			for _, j := range grown {
				pairNew[j] = mi
			}
			continue
		}
		if grown := grow(news[m.new[0]], m.old, olds, pairOld, part, bud); len(grown) > 1 {
			m.old = grown
			m.kind = Merged
			for _, i := range grown {
				pairOld[i] = mi
			}
		}
	}
	runs := func(whole []*clause, parts []*clause, pairWhole, pairParts []int, kind Kind) {
		var uw, up []int
		for i, c := range whole {
			if pairWhole[i] < 0 && c.n > 0 {
				uw = append(uw, i)
			}
		}
		for j, c := range parts {
			if pairParts[j] < 0 && c.n > 0 {
				up = append(up, j)
			}
		}
		pick := newCandidateIndex(uw, up, whole, parts)
		for _, i := range uw {
			c := whole[i]
			if pairWhole[i] >= 0 {
				continue
			}
			if !bud.pay(int64(len(c.words) + 1)) {
				return
			}
			words.load(c)
			for _, j := range pick.candidates(c) {
				if !bud.pay(int64(len(parts[j].words) + 1)) {
					return
				}
				if pairParts[j] >= 0 || !words.contained(parts[j], c, part) {
					continue
				}
				run := grow(c, []int{j}, parts, pairParts, part, bud)
				if len(run) < 2 {
					continue
				}
				if bag, n := joinBags(parts, run); diceBags(c.bag, c.n, bag, n) < rules.file.Similarity.Pair {
					continue
				}
				if kind == Split {
					add(Split, []int{i}, run)
				} else {
					add(Merged, run, []int{i})
				}
				break
			}
		}
	}
	runs(olds, news, pairOld, pairNew, Split)
	runs(news, olds, pairNew, pairOld, Merged)

	// 5. Classify position, and what is left is added or removed.
	for mi := backbone; mi < len(ms); mi++ {
		m := &ms[mi]
		if gapOld[m.old[0]] != gapNew[m.new[0]] {
			if m.kind == Modified {
				m.kind = Moved
			}
		}
	}
	for mi := 0; mi < backbone; mi++ {
		m := &ms[mi]
		if olds[m.old[0]].c.Text == news[m.new[0]].c.Text {
			m.kind = ""
		}
	}
	for i := range olds {
		if pairOld[i] < 0 {
			add(Removed, []int{i}, nil)
		}
	}
	for j := range news {
		if pairNew[j] < 0 {
			add(Added, nil, []int{j})
		}
	}
	return ms
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pairKey is the two identities in a fixed order.
func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "\x00" + b
}

// gaps numbers every position by the count of backbone anchors before it.
func gaps(pair []int, backbone int) []int {
	out := make([]int, len(pair))
	g := 0
	for i, p := range pair {
		if p >= 0 && p < backbone {
			g++
			out[i] = -g // an anchor is its own gap
			continue
		}
		out[i] = g
	}
	return out
}

// fullScoring is the largest number of clause pairs scored one by one.
// Beyond it (two long, heavily rewritten documents) only pairs that share
// a word rare on both sides are scored, which keeps alignment near-linear.
const fullScoring = 250_000

// candidateIndex finds the unpaired new clauses worth scoring against an
// old one. Which pairs are candidates does not depend on which document is
// "old", so that diff(A, B) mirrors diff(B, A).
type candidateIndex struct {
	all      []int
	postings map[string][]int // rare word -> new clauses holding it, when indexed
}

func newCandidateIndex(uo, un []int, olds, news []*clause) *candidateIndex {
	ci := &candidateIndex{all: un}
	if len(uo)*len(un) <= fullScoring {
		return ci
	}
	dfOld, dfNew := map[string]int{}, map[string]int{}
	for _, i := range uo {
		for k := range olds[i].bag {
			dfOld[k]++
		}
	}
	for _, j := range un {
		for k := range news[j].bag {
			dfNew[k]++
		}
	}
	common := max(8, (len(uo)+len(un))/100)
	ci.postings = map[string][]int{}
	for _, j := range un {
		for k := range news[j].bag {
			if dfNew[k] <= common && dfOld[k] <= common {
				ci.postings[k] = append(ci.postings[k], j)
			}
		}
	}
	return ci
}

func (ci *candidateIndex) candidates(c *clause) []int {
	if ci.postings == nil {
		return ci.all
	}
	seen := map[int]bool{}
	var out []int
	for k := range c.bag {
		for _, j := range ci.postings[k] {
			if !seen[j] {
				seen[j] = true
				out = append(out, j)
			}
		}
	}
	slices.Sort(out)
	return out
}

// wordTable compares word multisets through a dense table of counts
// instead of maps. Steps 3 and 4 of align score every unpaired old clause
// against every unpaired new one (up to fullScoring pairs): load puts one
// clause's counts in the table, and each clause compared with it costs a
// look-up per distinct word, an array read. The figures are those of dice
// and contained, exactly.
type wordTable struct {
	count  []int32 // by word number: the loaded clause's count
	loaded *clause
}

// wordCount is one word of a clause (by number) and how often it occurs.
type wordCount struct{ id, n int32 }

// newWordTable numbers the words of both documents and sets each clause's
// words.
func newWordTable(olds, news []*clause) *wordTable {
	ids := map[string]int32{}
	for _, side := range [][]*clause{olds, news} {
		for _, c := range side {
			bag := make([]wordCount, 0, len(c.bag))
			for k, n := range c.bag {
				id, ok := ids[k]
				if !ok {
					id = int32(len(ids))
					ids[k] = id
				}
				bag = append(bag, wordCount{id, int32(n)})
			}
			c.words = bag
		}
	}
	return &wordTable{count: make([]int32, len(ids))}
}

// load puts c's counts in the table, in place of the clause before.
func (wt *wordTable) load(c *clause) {
	if wt.loaded != nil {
		for _, w := range wt.loaded.words {
			wt.count[w.id] = 0
		}
	}
	for _, w := range c.words {
		wt.count[w.id] = w.n
	}
	wt.loaded = c
}

// common returns the size of the multiset intersection of c's words and
// the loaded clause's.
func (wt *wordTable) common(c *clause) int {
	n := 0
	for _, w := range c.words {
		n += int(min(w.n, wt.count[w.id]))
	}
	return n
}

// dice is dice(loaded, b); loaded must be the clause loaded.
func (wt *wordTable) dice(loaded, b *clause) float64 {
	if loaded.n+b.n == 0 {
		return 0
	}
	return 2 * float64(wt.common(b)) / float64(loaded.n+b.n)
}

// contained is contained(p, whole, nil, share); whole must be the clause
// loaded.
func (wt *wordTable) contained(p, whole *clause, share float64) bool {
	if p.n == 0 || float64(min(p.n, whole.n)) < share*float64(p.n) {
		return false // whole has too few words to hold share of p's
	}
	if float64(wt.common(p)) < share*float64(p.n) {
		return false
	}
	if p.n < 4 {
		return strings.Contains(whole.pad, p.pad)
	}
	return true
}

// diceBound is the largest Dice coefficient two clauses of na and nb
// words can have: the shorter one's words all in the longer one.
func diceBound(na, nb int) float64 {
	if na+nb == 0 {
		return 0
	}
	return 2 * float64(min(na, nb)) / float64(na+nb)
}

// dice is the Dice coefficient of two clauses' word multisets.
func dice(a, b *clause) float64 {
	return diceBags(a.bag, a.n, b.bag, b.n)
}

func diceBags(a map[string]int, na int, b map[string]int, nb int) float64 {
	if na+nb == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	common := 0
	for k, x := range a {
		if y := b[k]; y > 0 {
			common += min(x, y)
		}
	}
	return 2 * float64(common) / float64(na+nb)
}

func joinBags(cs []*clause, idx []int) (map[string]int, int) {
	bag := map[string]int{}
	n := 0
	for _, i := range idx {
		for k, v := range cs[i].bag {
			bag[k] += v
		}
		n += cs[i].n
	}
	return bag, n
}

// contained reports whether part's words are (at least share `part` of
// them) in whole's words left over after used has taken its own. A part
// shorter than four words must also appear in whole as a contiguous run,
// so that a new one-word heading is not swallowed by any clause that
// happens to use the word.
func contained(p, whole *clause, used map[string]int, share float64) bool {
	if p.n == 0 {
		return false
	}
	in := 0
	for k, v := range p.bag {
		left := whole.bag[k] - used[k]
		if left > 0 {
			in += min(v, left)
		}
	}
	if float64(in) < share*float64(p.n) {
		return false
	}
	if p.n < 4 {
		return strings.Contains(whole.pad, p.pad)
	}
	return true
}

// grow extends a run of clauses (indices into parts, consecutive) on both
// sides with unpaired neighbours that are contained in whole.
func grow(whole *clause, run []int, parts []*clause, pair []int, share float64, bud *budget) []int {
	used := map[string]int{}
	for _, j := range run {
		for k, v := range parts[j].bag {
			used[k] += v
		}
	}
	take := func(j int) bool {
		if j < 0 || j >= len(parts) || pair[j] >= 0 || slices.Contains(run, j) {
			return false
		}
		if !bud.pay(int64(2*len(parts[j].bag) + 1)) {
			return false
		}
		if !contained(parts[j], whole, used, share) {
			return false
		}
		for k, v := range parts[j].bag {
			used[k] += v
		}
		return true
	}
	out := slices.Clone(run)
	for take(out[0] - 1) {
		out = append([]int{out[0] - 1}, out...)
	}
	for take(out[len(out)-1] + 1) {
		out = append(out, out[len(out)-1]+1)
	}
	return out
}
