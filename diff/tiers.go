package diff

import (
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/extract"
)

// tier is who a sentence is about (docs/decisions/0021-actor-tiers.md).
// Only the provider tier can make a change substantive: a rule for what
// users may not do, or a term of the contract (fees, refunds, liability,
// arbitration), does not change how the provider handles data unless the
// same sentence states a practice of the provider.
type tier int

const (
	tierProvider tier = iota // what the provider does with data, or anything not marked otherwise
	tierUser                 // a rule of conduct for users: "you shall not…", "… is prohibited"
	tierContract             // a term of the contract: billing, refunds, liability, arbitration
)

func (t tier) String() string {
	switch t {
	case tierUser:
		return "a rule for users (conduct), not the provider's handling of data"
	case tierContract:
		return "a term of the contract (billing, liability, disputes), not the provider's handling of data"
	}
	return "the provider's practice"
}

// sentences returns the sentence ranges [lo, hi) of f.
func (f flatSide) sentences() [][2]int {
	var out [][2]int
	lo := 0
	for k := range f.keys {
		if f.sentEnd(k) {
			out = append(out, [2]int{lo, k + 1})
			lo = k + 1
		}
	}
	if lo < len(f.keys) {
		out = append(out, [2]int{lo, len(f.keys)})
	}
	return out
}

// sentenceAt returns the sentence range holding key k (for k == len, the
// last sentence).
func (f flatSide) sentenceAt(k int) (int, int) {
	for _, s := range f.sentences() {
		if k < s[1] {
			return s[0], s[1]
		}
	}
	return max(0, len(f.keys)-1), len(f.keys)
}

// providerActs reports whether lex[lo:hi] states a practice with the
// provider as its actor: a practice verb with a provider word ("we
// collect", "nous partageons") or after a passive auxiliary ("is shared",
// "may be retained"). Such a sentence is the provider's tier even among
// rules for users.
func (j judge) providerActs(lex []string, lo, hi int) bool {
	t := &j.rules.tiers
	if _, _, ok := t.practices.findAny(lex, lo, hi); !ok {
		return false
	}
	if _, _, ok := t.provider.findAny(lex, lo, hi); ok {
		return true
	}
	for i := lo; i < hi; i++ {
		if !t.passive.startsAt(lex, i) {
			continue
		}
		// "is shared", "be not shared", "are also collected": the verb
		// right after the auxiliary, or after one adverb.
		k := i + 1
		if k < hi && j.rules.grammar.passiveAdverbs[lex[k]] {
			k++
		}
		for end := min(hi, k+j.rules.grammar.passiveReach); k < end; k++ {
			if t.practices.startsAt(lex, k) {
				return true
			}
		}
	}
	return false
}

// practice reports whether lex[lo:hi] states a practice about data: the
// provider acts (providerActs), or a practice verb has someone other than
// the reader as its actor ("our partners use", "registered users may have
// their details shared"). A sentence addressed to "you" with no provider
// actor ("if you wish to use the service commercially, contact us") is
// not a statement of practice.
func (j judge) practice(lex []string, lo, hi int) bool {
	if j.providerActs(lex, lo, hi) {
		return true
	}
	for k := lo; k < hi; k++ {
		if j.rules.tiers.practices.startsAt(lex, k) && !j.readerBefore(lex[max(lo, k-3):k]) {
			return true // a practice verb whose actor is not the reader
		}
	}
	return false
}

// readerBefore reports whether ks hold a word for the reader ("you").
func (j judge) readerBefore(ks []string) bool {
	for _, k := range ks {
		if slices.Contains(j.rules.grammar.reader, k) {
			return true
		}
	}
	return false
}

// passiveAdverbs are the English words that may stand between a passive
// auxiliary and its verb; a language's rules add their own.
var passiveAdverbs = map[string]bool{"not": true, "also": true, "only": true, "never": true, "generally": true, "automatically": true, "then": true, "further": true, "securely": true, "publicly": true}

// sentenceTier returns the tier of lex[lo:hi] in clause cl, whose list
// lead-in (for a list item) is leadIn.
func (j judge) sentenceTier(lex []string, lo, hi int, cl *clause, leadIn []string) tier {
	t := &j.rules.tiers
	if j.providerActs(lex, lo, hi) {
		return tierProvider
	}
	if _, _, ok := t.conduct.findAny(lex, lo, hi); ok {
		return tierUser
	}
	if cl != nil && j.pathMatches(cl.c.Path, &t.conductHeadings) {
		return tierUser
	}
	if _, _, ok := t.conduct.findAny(leadIn, 0, len(leadIn)); ok {
		return tierUser
	}
	if _, _, ok := t.contract.findAny(lex, lo, hi); ok {
		return tierContract
	}
	return tierProvider
}

// pathMatches reports whether any heading of path holds one of ps.
func (j judge) pathMatches(path []string, ps *lexicon) bool {
	for _, h := range path {
		ks := j.memo.lexKeys(h, j.rules)
		if _, _, ok := ps.findAny(ks, 0, len(ks)); ok {
			return true
		}
	}
	return false
}

// lexKeys tokenizes a heading or lead-in the way flatSide.lex reads a
// clause.
func lexKeys(text string, r *Rules) []string {
	return unmaskedKeys(tokenize(text, r.spelling))
}

// unmaskedKeys returns the keys of toks, "" for a masked token.
func unmaskedKeys(toks []token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		if !t.masked() {
			out[i] = t.key
		}
	}
	return out
}

// leadIn returns the words of the paragraph that introduces a list item
// (the clause before the run of items it belongs to), or nil.
func leadIn(cls []*clause, i int, r *Rules, m *memo) []string {
	if cls[i].c.Kind != extract.Item && cls[i].c.Kind != extract.Row {
		return nil
	}
	for k := i - 1; k >= 0 && i-k <= 60; k-- {
		switch cls[k].c.Kind {
		case extract.Item, extract.Row:
			continue
		case extract.Paragraph:
			return m.lexKeys(cls[k].c.Text, r)
		}
		return nil
	}
	return nil
}

// inChangelog reports whether a clause sits under a change-log heading, or
// is an entry that opens with a date and a colon ("April 16, 2026:
// Replaced …"): it describes a change made elsewhere in the document,
// which is judged where it is made.
func (j judge) inChangelog(cl *clause) bool {
	if j.pathMatches(cl.c.Path, &j.rules.changelog) {
		return true
	}
	ks := j.memo.lexKeys(cl.c.Text, j.rules)
	return datedEntry(cl.c.Text) || j.rules.changelogOpenings.startsAt(ks, 0)
}

// declaredListChange returns "sharing" when a change-log entry declares,
// with a changelog_list_verbs word, a change to a list of recipients
// (list_headings.sharing: "Replaced X with Y in the list of
// sub-processors"), else "". Tracker lists are left out: their headings
// ("cookies") are words every cookie banner entry uses.
func (j judge) declaredListChange(f flatSide) string {
	if _, _, ok := j.rules.changelogVerbs.findAny(f.lex, 0, len(f.lex)); !ok {
		return ""
	}
	if _, _, ok := j.rules.listHeadings["sharing"].findAny(f.lex, 0, len(f.lex)); ok {
		return "sharing"
	}
	return ""
}

// aboutData reports whether lex[lo:hi] names data: a data word (tiers.data)
// or a lexicon term.
func (j judge) aboutData(lex []string, lo, hi int) bool {
	if _, _, ok := j.rules.tiers.data.findAny(lex, lo, hi); ok {
		return true
	}
	for _, t := range j.rules.terms {
		if _, _, ok := t.words.findAny(lex, lo, hi); ok {
			return true
		}
	}
	return false
}

// listCategory returns the category of the list or table a row or item
// belongs to, by its nearest heading or lead-in ("List of
// sub-processors", "Cookies we use"), or "".
func (j judge) listCategory(cls []*clause, i int) string {
	cl := cls[i]
	if cl.c.Kind != extract.Row && !(cl.c.Kind == extract.Item && namedEntry(cl.c.Text)) {
		return ""
	}
	var ctx [][]string
	if n := len(cl.c.Path); n > 0 {
		ctx = append(ctx, j.memo.lexKeys(cl.c.Path[n-1], j.rules))
	}
	if li := leadIn(cls, i, j.rules, j.memo); li != nil {
		ctx = append(ctx, li)
	}
	for _, name := range categoryOrder {
		ps := j.rules.listHeadings[name]
		for _, ks := range ctx {
			if _, _, ok := ps.findAny(ks, 0, len(ks)); ok {
				return name
			}
		}
	}
	return ""
}

// practiceCategories returns the categories of the sentences of f that
// state a practice of the provider and are in its tier; for a list item
// with no such sentence, those of its lead-in or heading when that states
// a practice ("Information we collect:"), joined with the item's own.
func (j judge) practiceCategories(f flatSide, cls []*clause, i int) (cats []string, low tier) {
	cl := cls[i]
	li := leadIn(cls, i, j.rules, j.memo)
	low = tierProvider
	for _, s := range f.sentences() {
		tr := j.sentenceTier(f.lex, s[0], s[1], cl, li)
		if tr != tierProvider {
			low = tr
			continue
		}
		if j.practice(f.lex, s[0], s[1]) && j.aboutData(f.lex, s[0], s[1]) {
			cats = union(cats, j.categoriesIn(f.lex, s[0], s[1]))
		}
	}
	if len(cats) > 0 || (cl.c.Kind != extract.Item && cl.c.Kind != extract.Row) || low != tierProvider {
		return cats, low
	}
	// An item under a lead-in that states a practice ("We use the
	// information we collect to:") is an item of that practice.
	if li != nil && j.practice(li, 0, len(li)) {
		return union(j.categoriesIn(li, 0, len(li)), j.categoriesIn(f.lex, 0, len(f.lex))), low
	}
	// Under a heading that does, the item must name something itself.
	var ctx []string
	if n := len(cl.c.Path); n > 0 {
		if h := j.memo.lexKeys(cl.c.Path[n-1], j.rules); j.practice(h, 0, len(h)) {
			ctx = h
		}
	}
	own := j.categoriesIn(f.lex, 0, len(f.lex))
	for _, t := range j.rules.terms {
		if len(t.words.matchedSet(j.rules.falseFriends[t.category], f.lex)) > 0 {
			own = union(own, []string{t.category})
		}
	}
	if ctx == nil || len(own) == 0 {
		return nil, low // the item itself must name something a rule reads
	}
	return union(j.categoriesIn(ctx, 0, len(ctx)), own), low
}

// spanTier returns the tier of the sentences holding f's keys lo:hi.
func (j judge) spanTier(f flatSide, lo, hi int) tier {
	if len(f.keys) == 0 {
		return tierProvider
	}
	sLo, _ := f.sentenceAt(min(lo, len(f.keys)-1))
	_, sHi := f.sentenceAt(min(max(hi-1, lo), len(f.keys)-1))
	return j.sentenceTier(f.lex, sLo, sHi, f.refs[sLo].cl, nil)
}

// editTier returns the tier of the sentences the edits touch: the
// provider's when any edit touches a sentence where the provider acts,
// else the lower tier of a sentence with conduct or contract words, else
// the provider's.
func (j judge) editTier(o, n flatSide, es []edit) tier {
	low := tierProvider
	for _, e := range es {
		for _, side := range []struct {
			f      flatSide
			lo, hi int
		}{{o, e.aLo, e.aHi}, {n, e.bLo, e.bHi}} {
			if len(side.f.keys) == 0 {
				continue
			}
			lo, _ := side.f.sentenceAt(min(side.lo, len(side.f.keys)-1))
			_, hi := side.f.sentenceAt(min(max(side.hi-1, side.lo), len(side.f.keys)-1))
			if j.providerActs(side.f.lex, lo, hi) {
				return tierProvider
			}
			if st := j.sentenceTier(side.f.lex, lo, hi, side.f.refs[lo].cl, nil); st != tierProvider {
				low = st
			}
		}
	}
	return low
}

// isListRowKind reports whether a clause is a list item or a table row.
func isListRowKind(k extract.Kind) bool {
	return slices.Contains([]extract.Kind{extract.Item, extract.Row}, k)
}

// namedEntry reports whether a list item reads as an entry of a table
// written as a list: a name, then a colon, dash or bar and what it is
// ("Rollbar: for logging errors").
func namedEntry(text string) bool {
	head := text[:min(len(text), 40)]
	return strings.ContainsAny(head, ":|") || strings.Contains(head, " - ") || strings.Contains(head, " – ")
}
