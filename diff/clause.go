package diff

import (
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/extract"
)

// A clause as the comparison reads it: its tokens, its comparison
// sequence and the identity and word counts alignment scores with.

// clause is a clause prepared for comparison.
type clause struct {
	c    extract.Clause
	toks []token
	// canon is the comparison sequence: the token keys, with each rename's
	// forms folded to one placeholder after pass 1. canon[i].lo:hi is the
	// range of toks it stands for.
	canon []ctok
	sig   string         // canon keys joined: the clause's identity
	pad   string         // sig with a space either side, for whole-word search
	bag   map[string]int // canon keys counted, for similarity
	n     int            // number of canon keys
	date  bool           // the clause is the policy's date line
	words []wordCount    // bag with the words numbered, for a wordTable
}

type ctok struct {
	key    string
	lo, hi int
}

// prepare tokenizes and indexes the clauses of one document. seen holds
// the first clause prepared with each text in this comparison (the two
// versions share most clauses): tokenize and index depend only on the
// text and the rules, and no step changes a clause's tokens, or the
// identity and word counts index made, after it (canonicalize makes new
// ones), so a clause with a text seen before shares them and gets its own
// copy of the comparison sequence, which canonicalize rewrites in place.
func prepare(cs []extract.Clause, rules *Rules, seen map[string]*clause) []*clause {
	out := make([]*clause, len(cs))
	for i, c := range cs {
		if first, ok := seen[c.Text]; ok {
			cl := *first
			cl.c, cl.canon = c, slices.Clone(first.canon)
			out[i] = &cl
			continue
		}
		cl := &clause{c: c, toks: tokenize(c.Text, rules.spelling)}
		cl.canon = make([]ctok, len(cl.toks))
		for k, t := range cl.toks {
			cl.canon[k] = ctok{key: t.key, lo: k, hi: k + 1}
		}
		cl.index()
		seen[c.Text] = cl
		out[i] = cl
	}
	return out
}

// index recomputes sig and bag from canon.
func (cl *clause) index() {
	ks := cl.keys()
	cl.sig = strings.Join(ks, " ")
	cl.pad = " " + cl.sig + " "
	cl.bag = make(map[string]int, len(ks))
	for _, k := range ks {
		cl.bag[k]++
	}
	cl.n = len(ks)
	cl.date = isDateLine(ks)
}

func (cl *clause) keys() []string {
	out := make([]string, len(cl.canon))
	for i, t := range cl.canon {
		out[i] = t.key
	}
	return out
}
