package diff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/extract"
)

// judge classifies aligned matches into reported Changes.
type judge struct {
	rules   *Rules
	renames []*renameGroup
}

// finding is one thing a rule noticed about a change.
type finding struct {
	reason      string
	categories  []string
	substantive bool
}

func (j judge) change(m match, olds, news []*clause) Change {
	ch := Change{Kind: m.kind, Categories: []string{}, Reasons: []string{}}
	if len(m.old) > 0 {
		ch.Old = side(olds, m.old)
	}
	if len(m.new) > 0 {
		ch.New = side(news, m.new)
	}
	var (
		class Class
		found []finding
	)
	switch {
	case ch.Old == nil:
		class, found = j.single(news, m.new[0], "added")
	case ch.New == nil:
		class, found = j.single(olds, m.old[0], "removed")
	default:
		o, n := flatten(olds, m.old), flatten(news, m.new)
		if ch.Old.Text == ch.New.Text {
			class = Cosmetic // only the position or the split changed
		} else {
			class, found = j.pair(o, n, olds[m.old[0]], news[m.new[0]])
		}
		ch.Inline = inline(ch.Old.Text, ch.New.Text)
		switch m.kind {
		case Split:
			found = append([]finding{{reason: splitReason("split into", len(m.new), news[m.new[0]])}}, found...)
		case Merged:
			found = append([]finding{{reason: splitReason("merged from", len(m.old), olds[m.old[0]])}}, found...)
		case Moved:
			found = append([]finding{{reason: movedReason(ch.Old.Path, ch.New.Path)}}, found...)
			if class == Cosmetic && ch.Old.Text == ch.New.Text {
				class = Editorial
			}
		}
	}
	ch.Class = class
	cats := map[string]bool{}
	for _, f := range found {
		ch.Reasons = append(ch.Reasons, f.reason)
		for _, c := range f.categories {
			cats[c] = true
		}
	}
	for _, c := range categoryOrder {
		if cats[c] {
			ch.Categories = append(ch.Categories, c)
		}
	}
	return ch
}

func side(cls []*clause, idx []int) *Side {
	s := &Side{Index: idx[0], Path: cls[idx[0]].c.Path}
	if s.Path == nil {
		s.Path = []string{}
	}
	var texts []string
	for _, i := range idx {
		texts = append(texts, cls[i].c.Text)
	}
	s.Text = strings.Join(texts, "\n")
	if len(idx) > 1 {
		s.Parts = texts
	}
	return s
}

// splitReason describes a split ("split into") or merge ("merged from"),
// naming the common case of a heading and its paragraph.
func splitReason(verb string, n int, first *clause) string {
	s := fmt.Sprintf("%s %d clauses", verb, n)
	switch {
	case first.c.Kind != extract.Heading:
		return s
	case verb == "merged from":
		return s + " (a heading was run into its text)"
	default:
		return s + " (the heading now stands apart from its text)"
	}
}

func movedReason(from, to []string) string {
	f, t := strings.Join(from, " › "), strings.Join(to, " › ")
	if f == t {
		if f == "" {
			return "moved"
		}
		return fmt.Sprintf("moved within %q", f)
	}
	return fmt.Sprintf("moved from %q to %q", orTop(f), orTop(t))
}

func orTop(s string) string {
	if s == "" {
		return "(top)"
	}
	return s
}

// single judges an added or removed clause: substantive when it is running
// text about a privacy category.
func (j judge) single(cls []*clause, i int, verb string) (Class, []finding) {
	c := cls[i]
	keys := c.keys()
	if isDateLine(keys) {
		return Cosmetic, []finding{{reason: "date line " + verb}}
	}
	if c.c.Kind == extract.Heading {
		return Editorial, []finding{{reason: "heading " + verb}}
	}
	cats := j.categoriesIn(keys, 0, len(keys))
	if len(cats) == 0 {
		cats = j.pathCategories(c.c.Path)
	}
	if len(cats) == 0 || len(keys) < 3 {
		return Editorial, []finding{{reason: "clause " + verb + "; no privacy category found in it", categories: cats}}
	}
	var labels []string
	for _, k := range cats {
		labels = append(labels, j.rules.label(k))
	}
	fs := []finding{{reason: fmt.Sprintf("clause %s about %s", verb, strings.Join(labels, ", ")), categories: cats, substantive: true}}
	for _, t := range j.rules.terms {
		set := matchedSet(t.words, keys)
		if len(set) == 0 {
			continue
		}
		what := "names"
		if verb == "removed" {
			what = "named"
		}
		fs = append(fs, finding{reason: fmt.Sprintf("%s %s: %s", what, t.kind, quoteSet(set)), categories: []string{t.category}, substantive: true})
	}
	return Substantive, fs
}

// pair judges two versions of a clause (or of a split or merged run).
func (j judge) pair(o, n flatSide, firstOld, firstNew *clause) (Class, []finding) {
	es := changes(diffSym(o.keys, n.keys, false, maxSeqCells))
	var meaningful []edit
	var cosmetic []finding
	for _, e := range es {
		if why, ok := j.cosmeticEdit(o, n, e); ok {
			cosmetic = append(cosmetic, finding{reason: why})
			continue
		}
		meaningful = append(meaningful, e)
	}
	if len(meaningful) == 0 {
		if rn := j.renamesIn(o, n); len(rn) > 0 {
			fs := []finding{{reason: "only the rename " + strings.Join(rn, ", ") + " and cosmetic edits"}}
			if len(cosmetic) == 0 {
				fs[0].reason = "only the rename " + strings.Join(rn, ", ")
			}
			if j.addressChanged(o, n) {
				fs[0].categories = []string{"contact"}
			}
			return RenameOnly, fs
		}
		if len(cosmetic) == 0 {
			cosmetic = []finding{{reason: surfaceReason(firstOld.c.Text, firstNew.c.Text, o, n)}}
		}
		return Cosmetic, dedupeFindings(cosmetic)
	}
	if isDateLine(o.keys) && isDateLine(n.keys) && onlyDates(o, n, meaningful) {
		return Cosmetic, []finding{{reason: fmt.Sprintf("the policy's date line changed: %q → %q", o.text(0, len(o.keys)), n.text(0, len(n.keys)))}}
	}

	var fs []finding
	fs = append(fs, j.negation(o, n, meaningful)...)
	fs = append(fs, j.modals(o, n, meaningful)...)
	fs = append(fs, j.numbers(o, n, meaningful)...)
	fs = append(fs, j.terms(o, n)...)
	fs = append(fs, j.lists(o, n, meaningful)...)
	fs = append(fs, j.contact(o, n)...)
	for _, f := range fs {
		if f.substantive {
			return Substantive, dedupeFindings(fs)
		}
	}
	// Editorial: say what was reworded, and which categories it touches.
	e := largest(meaningful)
	f := finding{reason: fmt.Sprintf("reworded: %q → %q", quoteOr(o.text(e.aLo, e.aHi)), quoteOr(n.text(e.bLo, e.bHi)))}
	if len(meaningful) > 1 {
		f.reason += fmt.Sprintf(" (and %d more small edits)", len(meaningful)-1)
	}
	for _, e := range meaningful {
		f.categories = append(f.categories, j.near(o, n, e)...)
	}
	fs = append([]finding{f}, fs...)
	return Editorial, dedupeFindings(fs)
}

func quoteOr(s string) string {
	if s == "" {
		return "∅"
	}
	return s
}

func largest(es []edit) edit {
	best := es[0]
	for _, e := range es[1:] {
		if (e.aHi-e.aLo)+(e.bHi-e.bLo) > (best.aHi-best.aLo)+(best.bHi-best.bLo) {
			best = e
		}
	}
	return best
}

// cosmeticEdit reports whether an edit to the word keys changes nothing a
// reader would call a change of wording: words written together or apart
// or hyphenated differently, a repeated word removed or added, a one- or
// two-letter typo in a word no rule reads.
func (j judge) cosmeticEdit(o, n flatSide, e edit) (string, bool) {
	del, ins := o.keys[e.aLo:e.aHi], n.keys[e.bLo:e.bHi]
	if len(del) > 0 && len(ins) > 0 && strings.Join(del, "") == strings.Join(ins, "") && !anyNumber(del) {
		return fmt.Sprintf("written together or apart: %q → %q", o.text(e.aLo, e.aHi), n.text(e.bLo, e.bHi)), true
	}
	if len(del) == 1 && len(ins) == 0 && repeated(o.keys, e.aLo) {
		return fmt.Sprintf("repeated word removed: %q", del[0]), true
	}
	if len(ins) == 1 && len(del) == 0 && repeated(n.keys, e.bLo) {
		return fmt.Sprintf("word repeated: %q", ins[0]), true
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

// near returns the categories whose keywords occur near an edit.
func (j judge) near(o, n flatSide, e edit) []string {
	cats := j.window(o, e.aLo, e.aHi)
	for _, c := range j.window(n, e.bLo, e.bHi) {
		if !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	return cats
}

// window returns the categories whose keywords occur within the rules'
// window of words around f[lo:hi], inside the same sentence.
func (j judge) window(f flatSide, lo, hi int) []string {
	w := j.rules.file.Window
	start := lo
	for start > 0 && lo-start < w && !f.sentEnd(start-1) {
		start--
	}
	end := hi
	for end < len(f.keys) && end-hi < w {
		end++
		if f.sentEnd(end - 1) {
			break
		}
	}
	// An empty range at a sentence boundary still looks at the words on
	// its right.
	return j.categoriesIn(f.keys, start, end)
}

func (f flatSide) sentEnd(k int) bool {
	r := f.refs[k]
	return r.cl.toks[r.hi-1].sentEnd || (k+1 < len(f.refs) && f.refs[k+1].cl != r.cl)
}

// categoriesIn returns the categories with a keyword starting in
// keys[lo:hi], in report order.
func (j judge) categoriesIn(keys []string, lo, hi int) []string {
	var out []string
	for _, c := range j.rules.categories {
		if _, _, ok := findAny(c.keywords, keys, lo, hi); ok {
			out = append(out, c.name)
		}
	}
	return out
}

// clauseCategories are the categories of a whole side, else of its
// section headings.
func (j judge) clauseCategories(f flatSide) []string {
	if cats := j.categoriesIn(f.keys, 0, len(f.keys)); len(cats) > 0 {
		return cats
	}
	if len(f.refs) > 0 {
		return j.pathCategories(f.refs[0].cl.c.Path)
	}
	return nil
}

// pathCategories returns the categories named in a clause's headings.
func (j judge) pathCategories(path []string) []string {
	var ks []string
	for _, p := range path {
		ks = append(ks, keys(tokenize(p, j.rules.spelling))...)
	}
	return j.categoriesIn(ks, 0, len(ks))
}

// nearOrClause returns the categories near an edit, else those of the
// clause.
func (j judge) nearOrClause(o, n flatSide, e edit) []string {
	if cats := j.near(o, n, e); len(cats) > 0 {
		return cats
	}
	return union(j.clauseCategories(o), j.clauseCategories(n))
}

// union merges two category lists in report order.
func union(a, b []string) []string {
	var out []string
	for _, c := range categoryOrder {
		if slices.Contains(a, c) || slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}

// negation fires when the number of negations differs: "will not share"
// → "may share", "do not collect" → "collect".
func (j judge) negation(o, n flatSide, es []edit) []finding {
	no, nn := countAny(j.rules.negations, o.keys), countAny(j.rules.negations, n.keys)
	if no == nn {
		return nil
	}
	what := "negation removed"
	if nn > no {
		what = "negation added"
	}
	for _, e := range es {
		_, _, inDel := findAny(j.rules.negations, o.keys, e.aLo, e.aHi)
		_, _, inIns := findAny(j.rules.negations, n.keys, e.bLo, e.bHi)
		if inDel || inIns {
			return []finding{{
				reason:      fmt.Sprintf("%s: %q → %q", what, o.context(e.aLo, e.aHi, 2), n.context(e.bLo, e.bHi, 2)),
				categories:  j.nearOrClause(o, n, e),
				substantive: true,
			}}
		}
	}
	return []finding{{reason: what, categories: union(j.clauseCategories(o), j.clauseCategories(n)), substantive: true}}
}

// context returns f[lo:hi] with c words either side, for quoting.
func (f flatSide) context(lo, hi, c int) string {
	return f.text(max(0, lo-c), min(len(f.keys), hi+c))
}

// modals fires when a small edit (at most maxModalEdit words a side)
// swaps a firm promise for a soft one or back ("will" → "may", "must" →
// "may", "may" → "will", "may share" → "share"), in a clause about a
// privacy category. Larger rewrites are left to the other rules: a modal
// verb in a new sentence is not a changed promise.
func (j judge) modals(o, n flatSide, es []edit) []finding {
	const maxModalEdit = 4
	var out []finding
	for _, e := range es {
		if e.aHi-e.aLo > maxModalEdit || e.bHi-e.bLo > maxModalEdit {
			continue
		}
		od := modalSet(j.rules, o.keys, e.aLo, e.aHi)
		nd := modalSet(j.rules, n.keys, e.bLo, e.bHi)
		if od == nd {
			continue
		}
		cats := j.nearOrClause(o, n, e)
		f := finding{
			reason:     fmt.Sprintf("promise changed (%s → %s): %q → %q", orNone(od), orNone(nd), o.context(e.aLo, e.aHi, 2), n.context(e.bLo, e.bHi, 2)),
			categories: cats,
		}
		f.substantive = len(cats) > 0
		out = append(out, f)
	}
	return out
}

func modalSet(r *Rules, keys []string, lo, hi int) string {
	var found []string
	for i := lo; i < hi; i++ {
		for _, p := range r.modals {
			if i+len(p.pieces) <= hi && p.matchAt(keys, i) {
				found = append(found, p.text)
				i += len(p.pieces) - 1
				break
			}
		}
	}
	return strings.Join(found, " ")
}

// numbers fires when a number changes: "30 days" → "90 days", "age of 13"
// → "age of 16".
func (j judge) numbers(o, n flatSide, es []edit) []finding {
	if slices.Equal(numberList(o.keys), numberList(n.keys)) {
		return nil
	}
	var out []finding
	for _, e := range es {
		if !anyNumber(o.keys[e.aLo:e.aHi]) && !anyNumber(n.keys[e.bLo:e.bHi]) {
			continue
		}
		cats := j.nearOrClause(o, n, e)
		out = append(out, finding{
			reason:      fmt.Sprintf("number changed: %q → %q", o.context(e.aLo, e.aHi, 2), n.context(e.bLo, e.bHi, 2)),
			categories:  cats,
			substantive: len(cats) > 0,
		})
	}
	return out
}

func numberList(keys []string) []string {
	var out []string
	for _, k := range keys {
		if isNumber(k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// terms fires when a lexicon term arrives in or leaves the clause.
func (j judge) terms(o, n flatSide) []finding {
	var out []finding
	for _, t := range j.rules.terms {
		so, sn := matchedSet(t.words, o.keys), matchedSet(t.words, n.keys)
		added, removed := map[string]string{}, map[string]string{}
		for p, w := range sn {
			if _, ok := so[p]; !ok {
				added[p] = w
			}
		}
		for p, w := range so {
			if _, ok := sn[p]; !ok {
				removed[p] = w
			}
		}
		if len(added) > 0 {
			out = append(out, finding{reason: fmt.Sprintf("adds %s: %s", t.kind, quoteSet(added)), categories: []string{t.category}, substantive: true})
		}
		if len(removed) > 0 {
			out = append(out, finding{reason: fmt.Sprintf("drops %s: %s", t.kind, quoteSet(removed)), categories: []string{t.category}, substantive: true})
		}
	}
	return out
}

func quoteSet(set map[string]string) string {
	var ws []string
	seen := map[string]bool{}
	for _, w := range set {
		if !seen[w] {
			seen[w] = true
			ws = append(ws, w)
		}
	}
	slices.Sort(ws)
	for i, w := range ws {
		ws[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(ws, ", ")
}

// lists fires when a list in a clause about a list category gains or loses
// items: an inserted (or deleted) run of words that is not only filler and
// sits in a list — it holds a comma, "and" or "or", or a comma borders it.
func (j judge) lists(o, n flatSide, es []edit) []finding {
	var out []finding
	for _, e := range es {
		del, ins := o.keys[e.aLo:e.aHi], n.keys[e.bLo:e.bHi]
		dn, in := j.contentWords(del), j.contentWords(ins)
		var verb, items string
		var f flatSide
		var lo, hi int
		// A pure insertion (deletion) of items, or a replacement that adds
		// (drops) at least two more words than it takes: a one-word swap
		// such as a typo is not a list change.
		switch {
		case (len(del) == 0 && in >= 1) || in >= dn+2:
			verb, f, lo, hi = "widens", n, e.bLo, e.bHi
		case (len(ins) == 0 && dn >= 1) || dn >= in+2:
			verb, f, lo, hi = "narrows", o, e.aLo, e.aHi
		default:
			continue
		}
		if !f.listy(lo, hi) {
			continue
		}
		items = f.text(lo, hi)
		var cats []string
		for _, c := range j.window(f, lo, hi) {
			if j.rules.listCategories[c] {
				cats = append(cats, c)
			}
		}
		if len(cats) == 0 {
			continue
		}
		var labels []string
		for _, c := range cats {
			labels = append(labels, j.rules.label(c))
		}
		what := "adds"
		if verb == "narrows" {
			what = "removes"
		}
		out = append(out, finding{
			reason:      fmt.Sprintf("%s a list about %s: %s %q", verb, strings.Join(labels, ", "), what, items),
			categories:  cats,
			substantive: true,
		})
	}
	return out
}

// contentWords counts the words of ks that are not filler.
func (j judge) contentWords(ks []string) int {
	n := 0
	for i := range ks {
		if !j.rules.isFiller(ks[i : i+1]) {
			n++
		}
	}
	return n
}

// listy reports whether f[lo:hi] reads as items of a list: it contains a
// comma, "and", "or" or "/", or a comma or conjunction borders it.
func (f flatSide) listy(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if f.keys[k] == "and" || f.keys[k] == "or" {
			return true
		}
	}
	if lo >= hi {
		return false
	}
	first, last := f.refs[lo], f.refs[hi-1]
	c := first.cl
	start := c.toks[first.lo].start
	if last.cl == c {
		end := c.toks[last.hi-1].end
		if strings.ContainsAny(c.c.Text[start:end], ",;/") {
			return true
		}
	}
	// A comma just before or just after the run.
	before := strings.TrimRight(c.c.Text[:start], " ")
	if strings.HasSuffix(before, ",") {
		return true
	}
	lc := last.cl
	after := strings.TrimLeft(lc.c.Text[lc.toks[last.hi-1].end:], " ")
	if strings.HasPrefix(after, ",") {
		return true
	}
	if lo > 0 && (f.keys[lo-1] == "and" || f.keys[lo-1] == "or") {
		return true
	}
	return hi < len(f.keys) && (f.keys[hi] == "and" || f.keys[hi] == "or")
}

// contact fires when an e-mail address or URL changes, other than by a
// rename.
func (j judge) contact(o, n flatSide) []finding {
	oa, na := sideAddresses(o), sideAddresses(n)
	if slices.Equal(oa, na) {
		return nil
	}
	var oc, nc []string
	for _, a := range oa {
		oc = append(oc, canonAddress(a, j.renames, j.rules))
	}
	for _, a := range na {
		nc = append(nc, canonAddress(a, j.renames, j.rules))
	}
	if slices.Equal(oc, nc) {
		return nil
	}
	return []finding{{
		reason:      fmt.Sprintf("contact address changed: %s → %s", quoteList(oa), quoteList(na)),
		categories:  []string{"contact"},
		substantive: true,
	}}
}

func quoteList(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// isDateLine reports whether a clause is the policy's own date statement:
// a short clause opening with a date cue.
func isDateLine(keys []string) bool {
	if len(keys) == 0 || len(keys) > 12 {
		return false
	}
	for i := 0; i < len(keys) && i < 4; i++ {
		switch keys[i] {
		case "updated", "effective", "posted", "revised", "modified", "date", "version", "published":
			return true
		}
	}
	return false
}

var monthNames = map[string]bool{
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
	"july": true, "august": true, "september": true, "october": true, "november": true, "december": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"st": true, "nd": true, "rd": true, "th": true,
}

// onlyDates reports whether every edit changes only date words.
func onlyDates(o, n flatSide, es []edit) bool {
	for _, e := range es {
		for _, k := range append(slices.Clone(o.keys[e.aLo:e.aHi]), n.keys[e.bLo:e.bHi]...) {
			if !isNumber(k) && !monthNames[k] && !isOrdinal(k) {
				return false
			}
		}
	}
	return true
}

func isOrdinal(k string) bool {
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if strings.HasSuffix(k, suf) && isNumber(strings.TrimSuffix(k, suf)) {
			return true
		}
	}
	return false
}

func dedupeFindings(fs []finding) []finding {
	seen := map[string]bool{}
	var out []finding
	for _, f := range fs {
		if seen[f.reason] {
			continue
		}
		seen[f.reason] = true
		out = append(out, f)
	}
	return out
}
