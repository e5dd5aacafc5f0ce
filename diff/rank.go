package diff

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Direction says which way a substantive change moves the provider's
// practice.
type Direction string

// The directions, in ranking order.
const (
	// Identity: the clause states a changed identity fact of the gist —
	// who the controller or contracting party is, how to reach the
	// privacy contact or DPO, which law governs.
	Identity Direction = "identity"
	// Widens: the provider may do more — new data, recipients or purposes,
	// longer retention, a right or a promise removed, a negation lost, a
	// firm promise made soft.
	Widens Direction = "widens"
	// Changes: a material change with no direction a rule can read: a
	// changed contact address, a number outside retention and age.
	Changes Direction = "changes"
	// Narrows: the provider may do less.
	Narrows Direction = "narrows"
	// AddedAbout and RemovedAbout: a whole clause added or removed about a
	// category, naming nothing new to or gone from the policy.
	AddedAbout   Direction = "added"
	RemovedAbout Direction = "removed"
)

func directionRank(d Direction) int {
	switch d {
	case Identity:
		return 0
	case Widens:
		return 1
	case Changes:
		return 2
	case Narrows:
		return 3
	default:
		return 4
	}
}

// RankItem is one substantive change in reading order, with why it ranks
// where it does. It carries its section and a short excerpt so that a page
// showing only part of Changes can still show the top of the ranking.
type RankItem struct {
	// Change is the index of the change in Result.Changes.
	Change    int       `json:"change"`
	Direction Direction `json:"direction"`
	Why       string    `json:"why"`
	Kind      Kind      `json:"kind"`
	// Section is the clause's heading path, joined by " › ".
	Section string `json:"section,omitempty"`
	// Excerpt is the changed text, shortened: wdiff-style marks for a
	// changed clause, the text itself for an added or removed one.
	Excerpt string `json:"excerpt"`
	// Also are the indexes in Result.Changes of further substantive
	// changes folded under this one: they report nothing the ranking
	// has not reported higher up (the same new term in other clauses,
	// more rows of the same table, the same identity fact).
	Also []int `json:"also,omitempty"`
}

// Line renders the item as one line: "widens · Section: why", and how
// many changes are folded under it.
func (it RankItem) Line() string {
	s := string(it.Direction)
	if it.Section != "" {
		s += " · " + it.Section
	}
	s += ": " + it.Why
	if n := len(it.Also); n > 0 {
		s += fmt.Sprintf(" (and %s saying the same)", plural(n, "more change"))
	}
	return s
}

// RankLimit is how many ranked changes a Result keeps in Rank; the rest
// are counted by section (Sections).
const RankLimit = 20

// signal is what one reason says about direction.
type signal struct {
	dir Direction
	why string
	// weight orders changes within a direction: the sum of their
	// signals' weights.
	weight int
	// keys are the facts the signal reports, when another change may
	// report the same (a term new to a clause, an identity fact, a row of
	// a table): a change whose facts all stand higher in the ranking is
	// folded under them (fold.go). A signal of medium weight or more
	// without keys is the change's own and keeps it apart.
	keys []string
}

// Signal weights: a change of who is responsible, a lost negation or a
// longer retention outweighs a list that grew by an item.
const (
	weak   = 1
	medium = 2
	strong = 3
)

// Reason patterns the ranker reads. They follow the reason texts of
// classify.go; a reason no pattern knows gives no signal. To rank a new
// finding, add its pattern here (or give findings a direction field and
// read it in signals).
var (
	reNegation = regexp.MustCompile(`^negation (removed|added)`)
	rePromise  = regexp.MustCompile(`^promise changed \(([^)]*) → ([^)]*)\)`)
	reNumber   = regexp.MustCompile(`^number changed: "(.*)" → "(.*)"$`)
	reTerm     = regexp.MustCompile(`^(adds|drops|names|named) ([^:]+): (.*)$`)
	reList     = regexp.MustCompile(`^(widens|narrows) a list`)
	reContact  = regexp.MustCompile(`^contact address changed`)
	reRow      = regexp.MustCompile(`^(adds|removes) a row of a list of ([^:]+): `)
	reDigits   = regexp.MustCompile(`\d+(?:[.,]\d+)?`)
)

// protective says whether a category's terms protect the user (a right,
// a security measure, a notice promise): their arrival narrows what the
// provider may do, their departure widens it. The terms of every other
// category (data, recipients, purposes, places) widen when they arrive.
func protective(category string) bool {
	switch category {
	case "rights", "security", "policy-change":
		return true
	}
	return false
}

// ranker ranks the substantive changes of a result.
type ranker struct {
	rules        *Rules
	kindCategory map[string]string
	// fresh and gone are the gist's terms new to or gone from the whole
	// policy, by kind.
	fresh, gone map[string][]string
	// facts are the gist's changed identity facts.
	facts map[string]Fact
	// oldNeg and newNeg are each version's negated phrases (negPhrases),
	// to tell a negation lost from one that moved to another clause.
	oldNeg, newNeg map[string]bool
	// memo holds the facts of the clauses read so far (memo.go).
	memo *memo
}

func newRanker(rules *Rules, g *Gist) ranker {
	rk := ranker{rules: rules, kindCategory: map[string]string{}, fresh: map[string][]string{}, gone: map[string][]string{}, facts: map[string]Fact{}}
	for _, t := range rules.terms {
		rk.kindCategory[t.kind] = t.category
	}
	if g != nil {
		for _, f := range g.Facts {
			if f.Changed {
				rk.facts[f.Kind] = f
			}
		}
		for _, t := range g.Terms {
			rk.fresh[t.Kind] = append(rk.fresh[t.Kind], t.Added...)
			rk.gone[t.Kind] = append(rk.gone[t.Kind], t.Removed...)
		}
	}
	return rk
}

// signals reads the direction of each reason of a change.
func (rk ranker) signals(c Change) []signal {
	var out []signal
	for _, r := range c.Reasons {
		if s, ok := rk.signal(c, r); ok {
			out = append(out, s)
		}
	}
	out = append(out, rk.identity(c)...)
	if s, ok := retentionLimitDropped(c); ok {
		out = append(out, s)
	}
	if s, ok := rk.statesFirst(c); ok {
		out = append(out, s)
	}
	return out
}

// retentionPeriod is a stated period: "30 days", "thirty days", "12 months".
// A number may be written twice ("thirty (30) days"); an age ("13 years of
// age", "16 years old") is not a period.
var retentionPeriod = regexp.MustCompile(`(?i)\b(\d+|one|two|three|six|twelve|thirty|sixty|ninety)(?:\s*\(\d+\))?\s+(?:calendar\s+|business\s+)?(days?|weeks?|months?|years?)\b(?:\s+(of\s+age|old))?`)

// retentionLimitDropped reads a removed clause about retention that stated
// a period: the limit is gone, which widens what the provider may keep.
func retentionLimitDropped(c Change) (signal, bool) {
	if c.New != nil || c.Old == nil || !slices.Contains(c.Categories, "retention") {
		return signal{}, false
	}
	for _, m := range retentionPeriod.FindAllStringSubmatch(c.Old.Text, -1) {
		if m[3] == "" {
			return signal{Widens, "retention limit removed: " + strconv.Quote(m[0]), strong, nil}, true
		}
	}
	return signal{}, false
}

// identity finds the changed identity facts a change states: a value the
// new side states that the old policy did not, or the reverse.
func (rk ranker) identity(c Change) []signal {
	if len(rk.facts) == 0 {
		return nil
	}
	var out []signal
	look := func(s *Side, newSide bool) {
		if s == nil {
			return
		}
		heading := ""
		if n := len(s.Path); n > 0 {
			heading = s.Path[n-1]
		}
		rk.memo.clauseFacts(s.Text, heading, func(kind, v string) {
			f, ok := rk.facts[kind]
			if !ok {
				return
			}
			mine, other, verb := f.New, f.Old, " now "
			if !newSide {
				mine, other, verb = f.Old, f.New, " was "
			}
			if containsFold(mine, v) && !containsFold(other, v) {
				why := kind + verb + v
				if !slices.ContainsFunc(out, func(s signal) bool { return s.why == why }) {
					w := strong
					if kind == "privacy contact" {
						w = medium
					}
					out = append(out, signal{Identity, why, w, []string{"identity " + why}})
				}
			}
		})
	}
	look(c.New, true)
	look(c.Old, false)
	return out
}

func (rk ranker) signal(c Change, reason string) (signal, bool) {
	if m := reNegation.FindStringSubmatch(reason); m != nil {
		if strings.HasSuffix(reason, "("+tierUser.String()+")") || strings.HasSuffix(reason, "("+tierContract.String()+")") {
			return signal{}, false // not the provider's promise
		}
		lost := m[1] == "removed"
		if phrase, ok := rk.negationStands(reason, lost); ok {
			return signal{Changes, "negation still stated elsewhere: " + strconv.Quote(phrase), weak, nil}, true
		}
		// A negation lost widens, unless the clause is only about the
		// user's rights ("you cannot opt out" → "you can opt out").
		if slices.Equal(c.Categories, []string{"rights"}) {
			lost = !lost
		}
		if lost {
			return signal{Widens, "negation lost", strong, nil}, true
		}
		return signal{Narrows, "negation added", strong, nil}, true
	}
	if m := rePromise.FindStringSubmatch(reason); m != nil {
		if firmness(m[1]) > firmness(m[2]) {
			return signal{Widens, "promise weakened (" + m[1] + " → " + m[2] + ")", medium, nil}, true
		}
		return signal{Changes, "promise changed (" + m[1] + " → " + m[2] + ")", weak, nil}, true
	}
	if m := reNumber.FindStringSubmatch(reason); m != nil {
		return numberSignal(c, m[1], m[2]), true
	}
	if m := reList.FindStringSubmatch(reason); m != nil {
		return signal{Direction(m[1]), strings.SplitN(reason, ":", 2)[0], weak, nil}, true
	}
	if m := reRow.FindStringSubmatch(reason); m != nil {
		return rowSignal(c, m[1] == "adds", m[2]), true
	}
	if reContact.MatchString(reason) {
		return signal{Changes, "contact address changed", medium, nil}, true
	}
	if m := reTerm.FindStringSubmatch(reason); m != nil {
		return rk.termSignal(c, m[1], m[2], m[3])
	}
	return signal{}, false
}

// firmness orders modal sets: a firm word beats a soft one, none is in
// between ("may share" → "share" makes the statement firmer).
func firmness(set string) int {
	switch {
	case set == "none" || set == "":
		return 1
	case strings.Contains(set, "will") || strings.Contains(set, "shall") || strings.Contains(set, "must") || strings.Contains(set, "always") || strings.Contains(set, "only"):
		return 2
	default:
		return 0
	}
}

// numberSignal reads a changed number: a longer retention period widens,
// a higher age limit narrows (GDPR art. 8 ages of consent); other numbers
// change without a direction.
func numberSignal(c Change, from, to string) signal {
	a, b := firstNumber(from), firstNumber(to)
	why := fmt.Sprintf("number %q → %q", from, to)
	if a < 0 || b < 0 || a == b {
		return signal{Changes, why, weak, nil}
	}
	switch {
	case slices.Contains(c.Categories, "retention"):
		if b > a {
			return signal{Widens, "kept longer: " + why, strong, nil}
		}
		return signal{Narrows, "kept shorter: " + why, strong, nil}
	case slices.Contains(c.Categories, "children"):
		if b < a {
			return signal{Widens, "lower age: " + why, strong, nil}
		}
		return signal{Narrows, "higher age: " + why, strong, nil}
	}
	return signal{Changes, why, weak, nil}
}

func firstNumber(s string) float64 {
	m := reDigits.FindString(s)
	if m == "" {
		return numberInText(s)
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64)
	if err != nil {
		return -1
	}
	return f
}

// termSignal reads a term arriving in or leaving a clause ("adds
// recipient", "drops user right") or named by an added or removed clause
// ("names data type"). An added or removed clause gives a direction only
// when its term is new to, or gone from, the whole policy: otherwise the
// policy still says the same elsewhere.
func (rk ranker) termSignal(c Change, verb, kind, terms string) (signal, bool) {
	arrives := verb == "adds" || verb == "names"
	if verb == "names" || verb == "named" {
		pool := rk.fresh[kind]
		if verb == "named" {
			pool = rk.gone[kind]
		}
		var hit []string
		for _, t := range pool {
			if strings.Contains(terms, strconv.Quote(t)) {
				hit = append(hit, t)
			}
		}
		if len(hit) == 0 {
			return signal{}, false
		}
		terms = strings.Join(hit, ", ")
	}
	if arrives && !protective(rk.kindCategory[kind]) && c.New != nil && rk.deniedOnly(c.New.Text, terms) {
		return signal{Narrows, "promise not to: " + terms, medium, nil}, true
	}
	widens := arrives != protective(rk.kindCategory[kind])
	what := "new " + kind + ": "
	if !arrives {
		what = kind + " gone: "
	}
	keys := termKeys(what, terms)
	w := medium
	// A term arriving in a clause that stays ranks first; one named by
	// an added clause does when a sentence states it (statesFirst).
	if verb == "adds" && rk.anyFirst(lexKeys(terms, rk.rules)) {
		w = strong
	}
	if widens {
		return signal{Widens, what + terms, w, keys}, true
	}
	return signal{Narrows, what + terms, w, keys}, true
}

// rankChanges orders the substantive changes: widening before
// direction-less changes before narrowing before clauses merely added or
// removed about a category; within a tier, more signals first, then
// document order.
func rankChanges(r *Result, rk ranker) []RankItem {
	var all []scored
	for i, c := range r.Changes {
		if c.Class != Substantive {
			continue
		}
		sigs := rk.signals(c)
		dir := AddedAbout
		switch {
		case c.Old == nil:
		case c.New == nil:
			dir = RemovedAbout
		default:
			dir = Changes
		}
		best := -1
		for k, s := range sigs {
			if best < 0 || directionRank(s.dir) < directionRank(sigs[best].dir) {
				best = k
			}
		}
		var whys []string
		if best >= 0 {
			dir = sigs[best].dir
			for _, s := range sigs {
				if s.dir == dir && !slices.Contains(whys, s.why) {
					whys = append(whys, s.why)
				}
			}
		}
		if len(whys) == 0 && len(c.Reasons) > 0 {
			whys = append(whys, c.Reasons[0])
		}
		n, top := 0, 0
		for _, s := range sigs {
			if s.dir == dir {
				n += s.weight
				top = max(top, s.weight)
			}
		}
		if best < 0 {
			n = addedWeight(c)
		}
		it := RankItem{Change: i, Direction: dir, Why: strings.Join(whys, "; "), Kind: c.Kind, Section: sectionOf(c), Excerpt: excerpt(c)}
		keys, own := foldKeys(sigs, dir)
		all = append(all, scored{item: it, tier: directionRank(dir), top: top, weight: n, keys: keys, own: own})
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if c := cmp.Compare(a.tier, b.tier); c != 0 {
			return c
		}
		if c := cmp.Compare(b.top, a.top); c != 0 {
			return c
		}
		return cmp.Compare(b.weight, a.weight)
	})
	all = fold(all)
	out := make([]RankItem, len(all))
	for i, s := range all {
		out[i] = s.item
	}
	return out
}

// addedWeight orders clauses merely added or removed about a category:
// added before removed (the new text is what applies), then by how many
// of the provider's practices they are about.
func addedWeight(c Change) int {
	w := 0
	for _, cat := range c.Categories {
		switch cat {
		case "collection", "use", "sharing", "retention", "children", "transfer", "tracking", "rights":
			w += 2
		default:
			w++
		}
	}
	if c.Old == nil {
		w += 2
	}
	return w
}

// sectionOf is the heading path of a change's clause (new side first).
func sectionOf(c Change) string {
	s := c.New
	if s == nil {
		s = c.Old
	}
	if s == nil {
		return ""
	}
	return strings.Join(s.Path, " › ")
}

// maxExcerpt bounds an excerpt, in characters.
const maxExcerpt = 280

// excerpt is a short view of what changed.
func excerpt(c Change) string {
	var s string
	switch {
	case c.Old == nil:
		s = "+ " + oneLine(c.New.Text)
	case c.New == nil:
		s = "- " + oneLine(c.Old.Text)
	default:
		s = inlineText(c.Inline, false)
	}
	return truncateRunes(s, maxExcerpt)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// RankOf returns the 1-based rank of the first ranked change whose old or
// new text contains anchor (compared without regard to case or runs of
// white space), or 0 when no ranked change does. A result from Compare
// ranks every substantive change; one decoded from JSON only its Rank.
// The labelled-pairs harness uses it to measure the reading burden: how
// far down a reader finds the clause that matters.
func (r *Result) RankOf(anchor string) int {
	items := r.Ranking()
	a := foldSpace(anchor)
	if a == "" {
		return 0
	}
	for k, it := range items {
		for _, i := range it.Changes() {
			if i < 0 || i >= len(r.Changes) {
				continue
			}
			c := r.Changes[i]
			for _, s := range []*Side{c.Old, c.New} {
				if s != nil && strings.Contains(foldSpace(s.Text), a) {
					return k + 1
				}
			}
		}
	}
	return 0
}

// Ranking returns every substantive change in rank order: the whole
// ranking for a result from Compare, Rank for one decoded from JSON.
func (r *Result) Ranking() []RankItem {
	if r.ranked != nil {
		return r.ranked
	}
	return r.Rank
}

func foldSpace(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
