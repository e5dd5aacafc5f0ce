package diff

import (
	"slices"
	"strings"
)

// lexicon is one word list of the rules, compiled for search: its
// patterns in file order and an index of them by their first word, built
// once when the rules are compiled. At each position of a text only the
// patterns whose first word can match there are tried, instead of every
// pattern of the list (the judge reads each clause with a dozen lists of
// up to a few hundred entries). The answers are exactly those of the plain
// functions of patterns.go over list, which the tests check on random
// input (FuzzLexicon).
//
// A first word is matched exactly ("share"), by prefix ("shar*"), by
// suffix ("*sharing") or anywhere in the word ("*standort*"). Exact words
// are found by one look-up; prefixes and suffixes by one look-up for each
// length a prefix (suffix) of the list has; the few "*word*" entries are
// tried everywhere.
type lexicon struct {
	list []pattern

	exact  map[string][]int32 // first word → patterns, ascending
	prefix map[string][]int32 // "word*" first word → patterns
	suffix map[string][]int32 // "*word" first word → patterns
	// prefixLens and suffixLens are the lengths (bytes) of the words in
	// prefix and suffix, ascending.
	prefixLens, suffixLens []int
	inside                 []int32 // "*word*" first words (and empty entries)
	maxPieces              int
	// heads and tails filter the look-ups: a bit for the first (last)
	// two bytes of every exact or prefix (suffix) first word, so that a
	// word no entry can start with costs two reads and no hashing. A
	// prefix (suffix) shorter than two bytes turns its filter off.
	heads, tails     bitset
	anyHead, anyTail bool
}

// bitset is a set of 1,024 two-byte values, folded (a filter: a bit set
// may stand for another value with the same fold).
type bitset [16]uint64

func fold2(a, b byte) uint { return (uint(a)*31 + uint(b)) & 1023 }

func (s *bitset) add(v uint)      { s[v>>6] |= 1 << (v & 63) }
func (s *bitset) has(v uint) bool { return s[v>>6]&(1<<(v&63)) != 0 }

// head and tail are the fold of the first and last two bytes of k (for a
// one-byte k, of the byte and 0).
func head(k string) uint {
	if len(k) < 2 {
		return fold2(k[0], 0)
	}
	return fold2(k[0], k[1])
}

func tail(k string) uint {
	if len(k) < 2 {
		return fold2(k[0], 0)
	}
	return fold2(k[len(k)-2], k[len(k)-1])
}

// newLexicon indexes ps (which it keeps; the caller must not change it).
func newLexicon(ps []pattern) lexicon {
	l := lexicon{list: ps}
	add := func(m *map[string][]int32, lens *[]int, w string, i int32) {
		if *m == nil {
			*m = map[string][]int32{}
		}
		(*m)[w] = append((*m)[w], i)
		if lens != nil && !slices.Contains(*lens, len(w)) {
			*lens = append(*lens, len(w))
		}
	}
	for i, p := range ps {
		l.maxPieces = max(l.maxPieces, len(p.pieces))
		if len(p.pieces) == 0 {
			// No compiled entry is empty (compilePattern refuses it),
			// but one would match anywhere: try it everywhere.
			l.inside = append(l.inside, int32(i))
			continue
		}
		pc := p.pieces[0]
		switch {
		case pc.prefix && pc.suffix:
			l.inside = append(l.inside, int32(i))
		case pc.prefix:
			add(&l.prefix, &l.prefixLens, pc.word, int32(i))
			l.markHead(pc.word, true)
		case pc.suffix:
			add(&l.suffix, &l.suffixLens, pc.word, int32(i))
			if len(pc.word) < 2 {
				l.anyTail = true
			} else {
				l.tails.add(tail(pc.word))
			}
		default:
			add(&l.exact, nil, pc.word, int32(i))
			l.markHead(pc.word, false)
		}
	}
	slices.Sort(l.prefixLens)
	slices.Sort(l.suffixLens)
	return l
}

// markHead enters a first word in the heads filter. An exact word of one
// byte has its own fold; a prefix of under two bytes starts too many
// words for the filter.
func (l *lexicon) markHead(w string, prefix bool) {
	switch {
	case len(w) == 0 || (prefix && len(w) < 2):
		l.anyHead = true
	default:
		l.heads.add(head(w))
	}
}

// patterns returns the list (nil for no lexicon).
func (l *lexicon) patterns() []pattern {
	if l == nil {
		return nil
	}
	return l.list
}

// firstAt returns the index in list of the first pattern that matches
// keys at i and ends by hi, or -1.
func (l *lexicon) firstAt(keys []string, i, hi int) int {
	best := -1
	try := func(ids []int32) {
		for _, id := range ids {
			if best >= 0 && int(id) >= best {
				return
			}
			if p := &l.list[id]; i+len(p.pieces) <= hi && p.matchAt(keys, i) {
				best = int(id)
				return
			}
		}
	}
	l.candidates(keys, i, try)
	return best
}

// candidates calls try with every bucket of patterns whose first word can
// match keys[i]: a superset of the patterns matching at i, each bucket in
// list order.
func (l *lexicon) candidates(keys []string, i int, try func([]int32)) {
	if l == nil || i >= len(keys) {
		return // no list, or past the end, where the callers never look
	}
	k := keys[i]
	if k == "" {
		l.emptyCandidates(try)
		return
	}
	if l.anyHead || l.heads.has(head(k)) {
		l.headCandidates(k, try)
	}
	if l.anyTail || (len(l.suffixLens) > 0 && l.tails.has(tail(k))) {
		l.tailCandidates(k, try)
	}
	if len(l.inside) > 0 {
		try(l.inside)
	}
}

// emptyCandidates are the buckets that can match an empty key (a masked
// word): only entries with an empty first word, which compilePattern
// never makes, or the "*word*" ones, which matchAt then refuses.
func (l *lexicon) emptyCandidates(try func([]int32)) {
	for _, m := range []map[string][]int32{l.exact, l.prefix, l.suffix} {
		if ids, ok := m[""]; ok {
			try(ids)
		}
	}
	if len(l.inside) > 0 {
		try(l.inside)
	}
}

// headCandidates tries the exact and prefix buckets of k.
func (l *lexicon) headCandidates(k string, try func([]int32)) {
	if ids, ok := l.exact[k]; ok {
		try(ids)
	}
	for _, n := range l.prefixLens {
		if n > len(k) {
			break
		}
		if ids, ok := l.prefix[k[:n]]; ok {
			try(ids)
		}
	}
}

// tailCandidates tries the suffix buckets of k.
func (l *lexicon) tailCandidates(k string, try func([]int32)) {
	for _, n := range l.suffixLens {
		if n > len(k) {
			break
		}
		if ids, ok := l.suffix[k[len(k)-n:]]; ok {
			try(ids)
		}
	}
}

// anyAt reports whether some pattern matches keys at i and ends by hi.
func (l *lexicon) anyAt(keys []string, i, hi int) bool {
	found := false
	l.candidates(keys, i, func(ids []int32) {
		for _, id := range ids {
			if found {
				return
			}
			if p := &l.list[id]; i+len(p.pieces) <= hi && p.matchAt(keys, i) {
				found = true
			}
		}
	})
	return found
}

// startsAt is startsAt(list, keys, i).
func (l *lexicon) startsAt(keys []string, i int) bool {
	return l.anyAt(keys, i, len(keys))
}

// findAny is findAny(list, keys, lo, hi).
func (l *lexicon) findAny(keys []string, lo, hi int) (int, pattern, bool) {
	for i := lo; i < hi; i++ {
		if id := l.firstAt(keys, i, hi); id >= 0 {
			return i, l.list[id], true
		}
	}
	return 0, pattern{}, false
}

// has reports whether some pattern matches in keys[lo:hi].
func (l *lexicon) has(keys []string, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		if l.anyAt(keys, i, hi) {
			return true
		}
	}
	return false
}

// countAny is countAny(list, keys).
func (l *lexicon) countAny(keys []string) int {
	n := 0
	for i := range keys {
		if l.startsAt(keys, i) {
			n++
		}
	}
	return n
}

// covered is covered(list, keys, i): keys[i] lies inside a match.
func (l *lexicon) covered(keys []string, i int) bool {
	if l == nil {
		return false
	}
	for s := max(0, i-l.maxPieces+1); s <= i; s++ {
		found := false
		l.candidates(keys, s, func(ids []int32) {
			for _, id := range ids {
				if found {
					return
				}
				if p := &l.list[id]; s+len(p.pieces) > i && p.matchAt(keys, s) {
					found = true
				}
			}
		})
		if found {
			return true
		}
	}
	return false
}

// hasOutside reports whether a pattern matches in keys[lo:hi] at a
// position not covered by not: the loop of hasKeyword.
func (l *lexicon) hasOutside(not *lexicon, keys []string, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		if l.anyAt(keys, i, hi) && !not.covered(keys, i) {
			return true
		}
	}
	return false
}

// matchedSet is matchedSet(list, not.list, keys): each pattern that
// matches somewhere outside not, mapped to the words of its first such
// match. Positions are read in order, so a pattern's first match is the
// one kept.
func (l *lexicon) matchedSet(not *lexicon, keys []string) map[string]string {
	out := map[string]string{}
	for i := range keys {
		checked, cov := false, false
		l.candidates(keys, i, func(ids []int32) {
			for _, id := range ids {
				p := &l.list[id]
				if _, done := out[p.text]; done || !p.matchAt(keys, i) {
					continue
				}
				if !checked {
					checked, cov = true, not.covered(keys, i)
				}
				if cov {
					return
				}
				out[p.text] = strings.Join(keys[i:i+len(p.pieces)], " ")
			}
		})
	}
	return out
}
