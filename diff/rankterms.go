package diff

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Terms in the ranking: which new statements a reviewer reads first
// (rules.yaml rank_first), and term arrivals that only deny a practice.

// sentenceKeys splits text into its sentences' lexicon keys (masked words
// blank), for reading one sentence at a time.
func (rk ranker) sentenceKeys(text string) [][]string {
	toks := tokenize(text, rk.rules.spelling)
	var out [][]string
	var cur []string
	for i, t := range toks {
		k := t.key
		if t.masked() {
			k = ""
		}
		cur = append(cur, k)
		if t.sentEnd || i == len(toks)-1 {
			out = append(out, cur)
			cur = nil
		}
	}
	return out
}

// statesFirst reads an added clause (or table row) that states a
// rank_first term in a sentence where the provider acts, without a
// negation: "we record your browsing history", "data may be shared with
// affiliates for marketing and advertising". "We do not sell your data"
// and "you may opt out of targeted advertising" state no such practice.
func (rk ranker) statesFirst(c Change) (signal, bool) {
	if c.Old != nil || c.New == nil || len(rk.rules.rankFirst.list) == 0 {
		return signal{}, false
	}
	var found []string
	j := judge{rules: rk.rules}
	for _, keys := range rk.sentenceKeys(c.New.Text) {
		if rk.rules.hasNegation(keys, 0, len(keys)) || !j.providerActs(keys, 0, len(keys)) {
			continue
		}
		for _, p := range rk.rules.rankFirst.list {
			at, _, ok := findAny([]pattern{p}, keys, 0, len(keys))
			if !ok {
				continue
			}
			if w := strings.Join(keys[at:at+len(p.pieces)], " "); !slices.Contains(found, w) {
				found = append(found, w)
			}
		}
	}
	if len(found) == 0 {
		return signal{}, false
	}
	slices.Sort(found)
	var ks []string
	for _, f := range found {
		ks = append(ks, "states "+f)
	}
	return signal{Widens, "states " + strings.Join(found, ", "), strong, ks}, true
}

// anyFirst reports whether keys hold a rank_first term.
func (rk ranker) anyFirst(keys []string) bool {
	_, _, ok := rk.rules.rankFirst.findAny(keys, 0, len(keys))
	return ok
}

// deniedOnly reports whether every sentence of text that names one of
// terms (a quoted list, as in a reason) also holds a negation: "OpenAI
// will not sell Customer Data" names "sell" only to deny it. A term
// arriving that way is a promise added, not a practice.
func (rk ranker) deniedOnly(text, terms string) bool {
	var pats []pattern
	for _, t := range strings.Split(terms, ", ") {
		if u, err := strconv.Unquote(t); err == nil {
			t = u
		}
		if p, err := compilePattern(t); err == nil && len(p.pieces) > 0 {
			pats = append(pats, p)
		}
	}
	named := false
	for _, keys := range rk.sentenceKeys(text) {
		if _, _, ok := findAny(pats, keys, 0, len(keys)); !ok {
			continue
		}
		if !rk.rules.hasNegation(keys, 0, len(keys)) {
			return false
		}
		named = true
	}
	return named
}

// reNegationQuote reads the two sides a negation reason quotes.
var reNegationQuote = regexp.MustCompile(`^negation (?:removed|added): ("(?:[^"\\]|\\.)*") → ("(?:[^"\\]|\\.)*")`)

// negationStands reports whether the negated phrase of a negation lost
// (or added) in one clause still stands (or already stood) elsewhere in
// the other version: "We will not discriminate against you for …" split
// off into "We will not discriminate against individuals who …". The
// phrase is the negation and the words after it up to two that are not
// filler ("not share your data"). Ranking only: the change stays
// substantive.
func (rk ranker) negationStands(reason string, lost bool) (string, bool) {
	m := reNegationQuote.FindStringSubmatch(reason)
	if m == nil {
		return "", false
	}
	quoted, other := m[1], rk.newNeg
	if !lost {
		quoted, other = m[2], rk.oldNeg
	}
	text, err := strconv.Unquote(quoted)
	if err != nil || len(other) == 0 {
		return "", false
	}
	keys := lexKeys(text, rk.rules)
	for i := range keys {
		if !rk.rules.negationAt(keys, i) {
			continue
		}
		phrase := []string{keys[i]}
		content := 0
		for k := i + 1; k < len(keys) && content < 2 && len(phrase) < 5; k++ {
			if keys[k] == "" {
				break
			}
			phrase = append(phrase, keys[k])
			if !rk.rules.isFiller([]string{keys[k]}) {
				content++
			}
		}
		if content == 2 && other[strings.Join(phrase, " ")] {
			return strings.Join(phrase, " "), true
		}
	}
	return "", false
}

// maxNegPhrase is the longest negated phrase negPhrases records: the
// negation and up to four words after it.
const maxNegPhrase = 5

// negPhrases records every negated phrase of a version — a negation and
// the one to four words after it, within a clause — so that
// negationStands looks a phrase up instead of searching the document.
func negPhrases(cls []*clause, rules *Rules) map[string]bool {
	out := map[string]bool{}
	for _, c := range cls {
		keys := c.keys()
		for i := range keys {
			if !rules.negationAt(keys, i) {
				continue
			}
			for n := 2; n <= maxNegPhrase && i+n <= len(keys); n++ {
				out[strings.Join(keys[i:i+n], " ")] = true
			}
		}
	}
	return out
}
