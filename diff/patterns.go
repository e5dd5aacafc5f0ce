package diff

import (
	"fmt"
	"strings"
)

// pattern is one lexicon entry: a sequence of words, each matched exactly,
// by prefix (trailing *) or by suffix (leading *).
type pattern struct {
	text   string
	pieces []piece
}

type piece struct {
	word           string
	prefix, suffix bool
}

func compilePatterns(field string, words []string) ([]pattern, error) {
	out := make([]pattern, 0, len(words))
	for _, w := range words {
		p, err := compilePattern(w)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func compilePattern(w string) (pattern, error) {
	p := pattern{text: w}
	for _, f := range strings.Fields(strings.ToLower(w)) {
		// "word*" matches by prefix, "*word" by suffix, "*word*" anywhere
		// in the word (a German compound: "*standort*").
		pc := piece{}
		if len(f) > 1 && strings.HasSuffix(f, "*") {
			pc.prefix = true
			f = strings.TrimSuffix(f, "*")
		}
		if strings.HasPrefix(f, "*") {
			pc.suffix = true
			f = strings.TrimPrefix(f, "*")
		}
		// A hyphenated or dotted entry is several words to the tokenizer.
		toks := tokenize(f, nil)
		if len(toks) == 0 {
			return p, fmt.Errorf("%q has no word in it", w)
		}
		for i, t := range toks {
			q := piece{word: t.key}
			if i == 0 {
				q.suffix = pc.suffix
			}
			if i == len(toks)-1 {
				q.prefix = pc.prefix
			}
			p.pieces = append(p.pieces, q)
		}
	}
	if len(p.pieces) == 0 {
		return p, fmt.Errorf("empty entry")
	}
	return p, nil
}

// matchAt reports whether p matches keys starting at i.
func (p pattern) matchAt(keys []string, i int) bool {
	if i+len(p.pieces) > len(keys) {
		return false
	}
	for j, pc := range p.pieces {
		k := keys[i+j]
		switch {
		case pc.prefix && pc.suffix:
			if !strings.Contains(k, pc.word) {
				return false
			}
		case pc.prefix:
			if !strings.HasPrefix(k, pc.word) {
				return false
			}
		case pc.suffix:
			if !strings.HasSuffix(k, pc.word) {
				return false
			}
		default:
			if k != pc.word {
				return false
			}
		}
	}
	return true
}

// findAny returns the first position in keys[lo:hi] where any of ps
// matches (the match may not run past hi), and the pattern that matched.
func findAny(ps []pattern, keys []string, lo, hi int) (pos int, p pattern, ok bool) {
	for i := lo; i < hi; i++ {
		for _, p := range ps {
			if i+len(p.pieces) <= hi && p.matchAt(keys, i) {
				return i, p, true
			}
		}
	}
	return 0, pattern{}, false
}

// countAny counts the positions in keys where any of ps matches.
func countAny(ps []pattern, keys []string) int {
	n := 0
	for i := range keys {
		for _, p := range ps {
			if p.matchAt(keys, i) {
				n++
				break
			}
		}
	}
	return n
}

// matchedSet maps each pattern of ps that matches somewhere in keys to the
// words of its first match, leaving out matches inside a phrase of not
// (the category's false friends).
func matchedSet(ps, not []pattern, keys []string) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		for i := range keys {
			if p.matchAt(keys, i) && !covered(not, keys, i) {
				out[p.text] = strings.Join(keys[i:i+len(p.pieces)], " ")
				break
			}
		}
	}
	return out
}

// covered reports whether keys[i] lies inside a match of one of ps.
func covered(ps []pattern, keys []string, i int) bool {
	for _, p := range ps {
		for s := max(0, i-len(p.pieces)+1); s <= i; s++ {
			if p.matchAt(keys, s) {
				return true
			}
		}
	}
	return false
}

// startsAt reports whether one of ps matches keys at i.
func startsAt(ps []pattern, keys []string, i int) bool {
	for _, p := range ps {
		if p.matchAt(keys, i) {
			return true
		}
	}
	return false
}
