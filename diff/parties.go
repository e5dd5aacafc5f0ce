package diff

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parties: who publishes, operates or hosts the service (rules.yaml
// parties). A name after a party cue ("hosted by", "published by") is a
// party responsible for the data or holding it; replacing it changes who
// that is, which no rename rule may fold away unless the rename runs
// through the whole document (and is then folded before judging).

// partyCue is one cue before the name of a party, with the category a
// change of that party belongs to.
type partyCue struct {
	cue      pattern
	category string
}

// cueBefore reports whether the cue ends right before keys[at], allowing
// filler words (articles, "our") in between: "hosted by the X".
func (j judge) cueBefore(p pattern, keys []string, at int) bool {
	for k := at; k >= 0 && at-k <= 2; k-- {
		if k < at && !j.filler(keys[k]) {
			return false
		}
		if start := k - len(p.pieces); start >= 0 && p.matchAt(keys, start) {
			return true
		}
	}
	return false
}

func (j judge) filler(key string) bool {
	for _, p := range j.rules.filler.list {
		if len(p.pieces) == 1 && p.matchAt([]string{key}, 0) {
			return true
		}
	}
	return false
}

// parties finds the edits that replace the name after a party cue on both
// sides: "hosted by Scalingo" → "hosted by GitHub Pages".
func (j judge) parties(o, n flatSide, es []edit) []finding {
	var out []finding
	for _, e := range es {
		if e.aLo == e.aHi || e.bLo == e.bHi {
			continue
		}
		for _, pc := range j.rules.parties {
			if j.cueBefore(pc.cue, o.keys, e.aLo) && j.cueBefore(pc.cue, n.keys, e.bLo) {
				out = append(out, finding{
					reason:      fmt.Sprintf("party changed after %q: %q → %q", pc.cue.text, o.text(e.aLo, e.aHi), n.text(e.bLo, e.bHi)),
					categories:  []string{pc.category},
					substantive: true,
				})
				break
			}
		}
	}
	return out
}

// partyGone finds, in an added or removed clause, a party named after a
// cue that the other version never names: the publisher, operator or host
// the clause introduces or drops. The name must be a proper name (it
// opens with a capital letter); "content published by you" names nobody.
func (j judge) partyGone(f flatSide, other, verb string) (finding, bool) {
	for i := range f.keys {
		for _, pc := range j.rules.parties {
			if !pc.cue.matchAt(f.keys, i) {
				continue
			}
			lo, hi := j.partyName(f, i+len(pc.cue.pieces))
			if lo == hi || !j.lookupParty() || strings.Contains(other, " "+strings.Join(f.keys[lo:min(hi, lo+3)], " ")+" ") {
				continue
			}
			gone := "named only in the new version"
			if verb == "removed" {
				gone = "no longer named"
			}
			return finding{
				reason:      fmt.Sprintf("party %s %s: %q", pc.cue.text, gone, f.text(lo, hi)),
				categories:  []string{pc.category},
				substantive: true,
			}, true
		}
	}
	return finding{}, false
}

// maxPartyLookups bounds the searches of the other version partyGone makes
// in one comparison (each reads the whole document): a page of thousands
// of "hosted by X" clauses costs no more than this many.
const maxPartyLookups = 200

// lookupParty takes one search from the comparison's budget; false when
// none is left.
func (j judge) lookupParty() bool {
	if j.partyLookups == nil || *j.partyLookups >= maxPartyLookups {
		return false
	}
	*j.partyLookups++
	return true
}

// partyName returns the key range of the proper name that starts at or
// just after (past filler words) keys[at], up to its first word that is
// not part of a name, the end of its sentence or maxNameWords words; an
// empty range when no capitalised name is there.
func (j judge) partyName(f flatSide, at int) (lo, hi int) {
	for at < len(f.keys) && j.filler(f.keys[at]) && at < len(f.keys)-1 {
		at++
	}
	if at >= len(f.keys) {
		return 0, 0
	}
	r, _ := utf8.DecodeRuneInString(f.text(at, at+1))
	if !unicode.IsUpper(r) || notNames[f.keys[at]] {
		return 0, 0
	}
	hi = at
	for hi < len(f.keys) && hi-at < maxNameWords {
		if hi > at && !nameWord(f.text(hi, hi+1)) && !joinsName(f, hi) {
			break
		}
		ref := f.refs[hi]
		hi++
		if ref.cl.toks[ref.hi-1].sentEnd {
			break
		}
	}
	for hi > at+1 && (connectors[f.keys[hi-1]] || articles[f.keys[hi-1]]) {
		hi--
	}
	return at, hi
}

// joinsName reports whether keys[i] is a run of joining words ("of the",
// "for") followed by a name word: "Office of the Ambassador for Digital
// Affairs" is one name.
func joinsName(f flatSide, i int) bool {
	for ; i < len(f.keys); i++ {
		k := f.keys[i]
		if !connectors[k] && !articles[k] && k != "for" {
			return nameWord(f.text(i, i+1))
		}
	}
	return false
}

// docText is the comparison keys of a whole version, clause after clause,
// with a space either side, for whole-word search.
func docText(cls []*clause) string {
	var b strings.Builder
	b.WriteByte(' ')
	for _, c := range cls {
		b.WriteString(c.sig)
		b.WriteString(" | ")
	}
	return b.String()
}
