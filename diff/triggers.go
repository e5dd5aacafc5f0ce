package diff

import (
	"fmt"
	"slices"
	"strings"
)

// negation fires when the number of negations differs: "will not share"
// → "may share", "do not collect" → "collect".
func (j judge) negation(o, n flatSide, es []edit) []finding {
	no := j.rules.countNegations(o.lex) + j.rules.affixNegations(o.lex, n.lex)
	nn := j.rules.countNegations(n.lex) + j.rules.affixNegations(n.lex, o.lex)
	if no == nn {
		return nil
	}
	what := "negation removed"
	if nn > no {
		what = "negation added"
	}
	for _, e := range es {
		inDel := j.rules.hasNegation(o.lex, e.aLo, e.aHi)
		inIns := j.rules.hasNegation(n.lex, e.bLo, e.bHi)
		if inDel || inIns {
			f := finding{
				reason:      fmt.Sprintf("%s: %q → %q", what, o.context(e.aLo, e.aHi, 2), n.context(e.bLo, e.bHi, 2)),
				categories:  j.nearOrClause(o, n, e),
				substantive: true,
			}
			// A negation in a rule for users or a term of the contract
			// ("you are responsible for ensuring it does not violate
			// the law") is not a promise of the provider.
			side, lo, hi := n, e.bLo, e.bHi
			if inDel {
				side, lo, hi = o, e.aLo, e.aHi
			}
			if t := j.spanTier(side, lo, hi); t != tierProvider {
				f.reason += " (" + t.String() + ")"
				f.substantive = false
			}
			return []finding{f}
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
		od := modalSet(j.rules, o.lex, e.aLo, e.aHi)
		nd := modalSet(j.rules, n.lex, e.bLo, e.bHi)
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
		if monthAt(keys, i) {
			continue // "May 21" is a date, not a promise
		}
		if id := r.modals.firstAt(keys, i, hi); id >= 0 {
			p := r.modals.list[id]
			found = append(found, p.text)
			i += len(p.pieces) - 1
		}
	}
	return strings.Join(found, " ")
}

// numbers fires when a number changes: "30 days" → "90 days", "age of 13"
// → "age of 16". Numbering (enumeration labels, cross-references) and the
// digits of phone numbers and postal addresses are not numbers of the
// policy's practice (roles.go).
func (j judge) numbers(o, n flatSide, es []edit) []finding {
	if slices.Equal(o.numberList(), n.numberList()) {
		return nil
	}
	var out []finding
	for _, e := range es {
		if !o.anyNumber(e.aLo, e.aHi) && !n.anyNumber(e.bLo, e.bHi) {
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

// plainNumber reports whether key k is a number in running text.
func (f flatSide) plainNumber(k int) bool {
	return isNumber(f.keys[k]) && f.roleAt(k, func(t token) bool { return t.role == roleText })
}

func (f flatSide) anyNumber(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if f.plainNumber(k) {
			return true
		}
	}
	return false
}

func (f flatSide) numberList() []string {
	var out []string
	for k := range f.keys {
		if f.plainNumber(k) {
			out = append(out, f.keys[k])
		}
	}
	slices.Sort(out)
	return out
}

// terms fires when a lexicon term arrives in or leaves the clause.
func (j judge) terms(o, n flatSide) []finding {
	var out []finding
	for _, t := range j.rules.terms {
		not := j.rules.falseFriends[t.category]
		so, sn := t.words.matchedSet(not, o.lex), t.words.matchedSet(not, n.lex)
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
		if !f.listy(lo, hi, j.rules.grammar.conjunctions) || f.wholeSentences(lo, hi) {
			continue // whole sentences are judged by sentencesAdded
		}
		items = f.text(lo, hi)
		// The list's categories are those near the edit; when none is,
		// those of its whole sentence: "we do not use … to train models
		// when you use A, B or C" — an item far from the keyword still
		// widens or narrows the promise.
		sLo, _ := f.sentenceAt(lo)
		_, sHi := f.sentenceAt(hi - 1)
		var cats []string
		for _, c := range j.window(f, lo, hi) {
			if j.rules.listCategories[c] {
				cats = append(cats, c)
			}
		}
		if len(cats) == 0 {
			for _, c := range j.categoriesIn(f.lex, sLo, sHi) {
				if j.rules.listCategories[c] {
					cats = append(cats, c)
				}
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
		// Direction: a longer list widens the practice, a shorter one
		// narrows it, except in a promise not to do something ("we do
		// not use … to train models when you use A, B or C"), where a
		// shorter list widens what the provider may do.
		negated := j.rules.hasNegation(f.lex, sLo, sHi)
		dir := "widen"
		if (verb == "narrows") != negated {
			dir = "narrow"
		}
		out = append(out, finding{
			reason:      fmt.Sprintf("%s a list about %s: %s %q", verb, strings.Join(labels, ", "), what, items),
			categories:  cats,
			substantive: true,
			direction:   dir,
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
// comma, "and", "or" (conj) or "/", or a comma or conjunction borders it.
func (f flatSide) listy(lo, hi int, conj map[string]bool) bool {
	for k := lo; k < hi; k++ {
		if conj[f.keys[k]] {
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
	if lo > 0 && conj[f.keys[lo-1]] {
		return true
	}
	return hi < len(f.keys) && conj[f.keys[hi]]
}

// contact fires when the privacy contact changes: an e-mail address or a
// link to another site, other than by a rename, in a clause that names a
// contact point (the DPO, the privacy team, a representative: the terms of
// category contact) or whose address is a privacy mailbox ("privacy@",
// "dpo@"). A support or legal address, a postal line or a link moved
// within the same site is not the privacy contact.
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
	if slices.Equal(siteSet(oa), siteSet(na)) && !anyMail(oa, na) {
		return []finding{{reason: fmt.Sprintf("link moved within the same site: %s → %s", quoteList(oa), quoteList(na))}}
	}
	f := finding{
		reason:     fmt.Sprintf("contact address changed: %s → %s", quoteList(oa), quoteList(na)),
		categories: []string{"contact"},
	}
	if j.privacyContact(o, oa) || j.privacyContact(n, na) {
		f.substantive = true
	} else {
		f.reason += " (not the privacy contact)"
	}
	return []finding{f}
}

// privacyContact reports whether a side is the privacy contact: it names
// a contact point, or one of its e-mail addresses is a privacy mailbox.
func (j judge) privacyContact(f flatSide, addrs []string) bool {
	for _, a := range addrs {
		if at := strings.IndexByte(a, '@'); at > 0 && j.rules.mailboxes[strings.TrimPrefix(a[:at], "mailto:")] {
			return true
		}
	}
	for _, t := range j.rules.terms {
		if t.category == "contact" && len(t.words.matchedSet(nil, f.lex)) > 0 {
			return true
		}
	}
	return false
}

func anyMail(as ...[]string) bool {
	for _, xs := range as {
		for _, a := range xs {
			if strings.Contains(a, "@") {
				return true
			}
		}
	}
	return false
}

// siteSet returns the registrable domains (the last two labels of the
// host: "docs.github.com" → "github.com") of the addresses, sorted and
// without repeats.
func siteSet(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		host := a
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		labels := strings.Split(strings.TrimPrefix(host, "www."), ".")
		if len(labels) > 2 {
			labels = labels[len(labels)-2:]
		}
		d := strings.Join(labels, ".")
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

func quoteList(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// wholeSentences reports whether f[lo:hi] is one or more whole sentences.
func (f flatSide) wholeSentences(lo, hi int) bool {
	if lo >= hi {
		return false
	}
	return (lo == 0 || f.sentEnd(lo-1)) && f.sentEnd(hi-1)
}

// sentencesAdded fires when whole sentences are added to or removed from a
// clause, judged as an added or removed clause is: substantive when they
// state a practice of the provider about a privacy category.
func (j judge) sentencesAdded(o, n flatSide, es []edit) []finding {
	var out []finding
	for _, e := range es {
		f, lo, hi, verb := n, e.bLo, e.bHi, "added"
		if e.bLo == e.bHi {
			f, lo, hi, verb = o, e.aLo, e.aHi, "removed"
		} else if e.aLo != e.aHi {
			continue
		}
		if !f.wholeSentences(lo, hi) || !j.practice(f.lex, lo, hi) || !j.aboutData(f.lex, lo, hi) {
			continue
		}
		if j.sentenceTier(f.lex, lo, hi, f.refs[lo].cl, nil) != tierProvider {
			continue
		}
		cats := j.categoriesIn(f.lex, lo, hi)
		if len(cats) == 0 {
			continue
		}
		var labels []string
		for _, c := range cats {
			labels = append(labels, j.rules.label(c))
		}
		out = append(out, finding{
			reason:      fmt.Sprintf("sentence %s about %s: %q", verb, strings.Join(labels, ", "), f.text(lo, hi)),
			categories:  cats,
			substantive: true,
		})
	}
	return out
}

// listRow fires when a row or item of a list of recipients or trackers
// (list_headings) changes a name, a number or a word: "Rollbar: for
// logging errors" → "Sentry: for logging errors" is a new recipient.
func (j judge) listRow(o, n flatSide, olds, news []*clause, m match, es []edit) []finding {
	cat := j.listCategory(news, m.new[0])
	if cat == "" {
		cat = j.listCategory(olds, m.old[0])
	}
	if cat == "" {
		return nil
	}
	for _, e := range es {
		if (e.bHi > e.bLo && n.nameLike(e.bLo, e.bHi)) || (e.aHi > e.aLo && o.nameLike(e.aLo, e.aHi)) {
			return []finding{{
				reason:      fmt.Sprintf("a row of a list of %s changed: %q → %q", j.rules.label(cat), quoteOr(o.text(e.aLo, e.aHi)), quoteOr(n.text(e.bLo, e.bHi))),
				categories:  []string{cat},
				substantive: true,
			}}
		}
	}
	return nil
}
