package diff

import (
	"fmt"
	"slices"
	"strings"
)

// cosmeticEdit reports whether an edit to the word keys changes nothing a
// reader would call a change of wording: words written together or apart
// or hyphenated differently, a repeated word removed or added, a one- or
// two-letter typo in a word no rule reads.
func (j judge) cosmeticEdit(o, n flatSide, e edit) (string, bool) {
	del, ins := o.keys[e.aLo:e.aHi], n.keys[e.bLo:e.bHi]
	if o.allStructural(e.aLo, e.aHi) && n.allStructural(e.bLo, e.bHi) {
		return fmt.Sprintf("numbering: %q → %q", quoteOr(o.text(e.aLo, e.aHi)), quoteOr(n.text(e.bLo, e.bHi))), true
	}
	if len(del) > 0 && len(ins) > 0 && strings.Join(del, "") == strings.Join(ins, "") && !anyNumber(del) {
		return fmt.Sprintf("written together or apart: %q → %q", o.text(e.aLo, e.aHi), n.text(e.bLo, e.bHi)), true
	}
	if len(del) == 1 && len(ins) == 0 && repeated(o.keys, e.aLo) {
		return fmt.Sprintf("repeated word removed: %q", del[0]), true
	}
	if len(ins) == 1 && len(del) == 0 && repeated(n.keys, e.bLo) {
		return fmt.Sprintf("word repeated: %q", ins[0]), true
	}
	if j.rules.letterVariant(del, ins) {
		return fmt.Sprintf("spelling: %q → %q", o.text(e.aLo, e.aHi), n.text(e.bLo, e.bHi)), true
	}
	if len(del) == 1 && len(ins) == 1 && typo(del[0], ins[0]) && !j.rules.lexical(del[0]) && !j.rules.lexical(ins[0]) {
		return fmt.Sprintf("spelling: %q → %q", o.text(e.aLo, e.aHi), n.text(e.bLo, e.bHi)), true
	}
	return "", false
}

func anyNumber(ks []string) bool {
	return slices.ContainsFunc(ks, isNumber)
}

// repeated reports whether keys[i] repeats the word next to it.
func repeated(keys []string, i int) bool {
	return (i > 0 && keys[i-1] == keys[i]) || (i+1 < len(keys) && keys[i+1] == keys[i])
}

// typo reports whether two words are one edit apart (two for long words):
// insertion, deletion, substitution or transposition of letters. Numbers
// and words shorter than four letters never count: "13"/"18" and
// "now"/"not" are different words.
func typo(a, b string) bool {
	if isNumber(a) || isNumber(b) || a[0] >= '0' && a[0] <= '9' {
		return false
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) < 4 || len(rb) < 4 {
		return false
	}
	limit := 1
	if len(ra) >= 8 && len(rb) >= 8 {
		limit = 2
	}
	return damerau(ra, rb, limit) <= limit
}

// damerau is the optimal-string-alignment distance, stopping early once it
// exceeds limit.
func damerau(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// surfaceReason names an edit that left every word the same.
func surfaceReason(a, b string, o, n flatSide) string {
	if strings.EqualFold(a, b) {
		return "letter case only"
	}
	if len(o.keys) != len(n.keys) {
		return "spelling variants, punctuation or spacing"
	}
	return "punctuation, quotes or spacing only"
}

// renamesIn lists the renames (as "From → To") whose placeholder occurs in
// either side and whose forms really differ between the sides.
func (j judge) renamesIn(o, n flatSide) []string {
	var out []string
	for _, g := range j.renames {
		if !slices.Contains(o.keys, g.placeholder) && !slices.Contains(n.keys, g.placeholder) {
			continue
		}
		if rawKeys(o, g.placeholder) == rawKeys(n, g.placeholder) {
			continue
		}
		out = append(out, g.variants[0].from+" → "+g.variants[0].to)
	}
	return out
}

// rawKeys returns the raw words behind every occurrence of a placeholder.
func rawKeys(f flatSide, ph string) string {
	var b strings.Builder
	for k, key := range f.keys {
		if key != ph {
			continue
		}
		r := f.refs[k]
		for t := r.lo; t < r.hi; t++ {
			b.WriteString(r.cl.toks[t].key)
			b.WriteByte(' ')
		}
		b.WriteByte('|')
	}
	return b.String()
}

func (j judge) addressChanged(o, n flatSide) bool {
	return !slices.Equal(sideAddresses(o), sideAddresses(n))
}

// allStructural reports whether every word of f[lo:hi] is numbering: an
// enumeration label or a cross-reference (roles.go).
func (f flatSide) allStructural(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if !f.roleAt(k, token.structural) {
			return false
		}
	}
	return true
}
