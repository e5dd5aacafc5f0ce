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
	// oldSigs and newSigs hold the clause identities of each version, so
	// that a clause removed while a copy of it stays is not news.
	oldSigs, newSigs map[string]bool
	// oldText and newText are each version's keys (docText), to tell
	// whether a party named in one version is named anywhere in the other;
	// partyLookups bounds how many such searches one comparison makes.
	oldText, newText string
	partyLookups     *int
	// kept holds the clauses both versions have, by opening words.
	kept map[string][]*clause
	// base holds the rules of every language (rules is the one a change
	// is judged with); docLang is the documents' language and langOf the
	// language of each changed clause read so far (lang.go).
	base    *Rules
	docLang string
	langOf  map[*clause]string
	// budget is the comparison's work left for sequence diffs (budget.go).
	budget *budget
	// memo holds the words of the texts read so far (memo.go).
	memo *memo
}

// staleCopy reports whether an added or removed clause is a near copy
// (nearCopy similarity) of a clause that both versions keep: a stale
// duplicate of a section the page still has, not a change to it.
func (j judge) staleCopy(c *clause) bool {
	const nearCopy = 0.8
	for _, k := range j.kept[opening(c)] {
		if k != c && dice(c, k) >= nearCopy {
			return true
		}
	}
	return false
}

// finding is one thing a rule noticed about a change.
type finding struct {
	reason      string
	categories  []string
	substantive bool
	// direction says which way a list finding moves the provider's
	// practice: "widen" (more data, recipients, purposes or places, or a
	// promise not to do something that now covers less) or "narrow"; ""
	// when the rule cannot tell. The report ranks widening above
	// narrowing (issue 18).
	direction string
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
			class, found = j.pair(o, n, olds, news, m)
		}
		ch.Inline = j.inlineOf(ch, class, o, n, olds, news, m)
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

// single judges an added or removed clause. It is substantive when it
// states a practice of the provider about a privacy category ("we
// share…", "… may be retained"), when it is a row or item of a list of
// recipients or trackers, or when it is a list item whose lead-in or
// heading states such a practice; not when it is a rule for users, a term
// of the contract, a change-log entry, or a copy of a clause that the
// other version still has.
func (j judge) single(cls []*clause, i int, verb string) (Class, []finding) {
	c := cls[i]
	keys := c.keys()
	if isDateLine(keys) {
		return Cosmetic, []finding{{reason: "date line " + verb}}
	}
	if c.c.Kind == extract.Heading {
		return Editorial, []finding{{reason: "heading " + verb}}
	}
	f := flatten(cls, []int{i})
	other := j.newSigs
	if verb == "added" {
		other = j.oldSigs
	}
	if other[c.sig] {
		return Editorial, []finding{{reason: "clause " + verb + "; the same text stands elsewhere in the other version"}}
	}
	if j.staleCopy(c) {
		return Editorial, []finding{{reason: "clause " + verb + "; a near copy of a clause both versions keep"}}
	}
	if j.inChangelog(c) {
		// Symmetric, as every verdict is: an entry dropped that declared
		// such a change is judged as one added.
		if cat := j.declaredListChange(f); cat != "" {
			return Substantive, []finding{{reason: fmt.Sprintf("change-log entry %s; it declares a change to a list of %s", verb, j.rules.label(cat)), categories: []string{cat}, substantive: true}}
		}
		return Editorial, []finding{{reason: "change-log entry " + verb + "; the change it describes is judged where it is made", categories: j.categoriesIn(f.lex, 0, len(f.lex))}}
	}
	if cat := j.listCategory(cls, i); cat != "" && len(keys) > 0 {
		what := "adds"
		if verb == "removed" {
			what = "removes"
		}
		return Substantive, []finding{{reason: fmt.Sprintf("%s a row of a list of %s: %q", what, j.rules.label(cat), c.c.Text), categories: []string{cat}, substantive: true}}
	}
	// A clause naming a contact point with an address, or in a contact
	// section, is the privacy contact: its arrival or departure changes
	// whom users write to.
	contact := j.privacyContact(f, sideAddresses(f)) && (len(sideAddresses(f)) > 0 || j.pathHasCategory(c.c.Path, "contact"))
	cats, low := j.practiceCategories(f, cls, i)
	if contact && (len(cats) == 0 || len(keys) < 3) {
		return Substantive, []finding{{reason: fmt.Sprintf("privacy contact %s", verb), categories: []string{"contact"}, substantive: true}}
	}
	if contact {
		cats = union(cats, []string{"contact"})
	}
	otherText := j.newText
	if verb == "added" {
		otherText = j.oldText
	}
	party, named := j.partyGone(f, otherText, verb)
	if named && (len(cats) == 0 || len(keys) < 3) {
		return Substantive, []finding{party}
	}
	if len(cats) == 0 || len(keys) < 3 {
		why := "clause " + verb + "; it states no practice of the provider about a privacy category"
		if low != tierProvider {
			why = "clause " + verb + "; " + low.String()
		}
		return Editorial, []finding{{reason: why, categories: j.categoriesIn(f.lex, 0, len(f.lex))}}
	}
	var labels []string
	for _, k := range cats {
		labels = append(labels, j.rules.label(k))
	}
	fs := []finding{{reason: fmt.Sprintf("clause %s about %s", verb, strings.Join(labels, ", ")), categories: cats, substantive: true}}
	if named {
		fs = append(fs, party)
	}
	for _, t := range j.rules.terms {
		set := t.words.matchedSet(j.rules.falseFriends[t.category], f.lex)
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
func (j judge) pair(o, n flatSide, olds, news []*clause, m match) (Class, []finding) {
	firstOld, firstNew := olds[m.old[0]], news[m.new[0]]
	es := changes(diffSym(o.keys, n.keys, false, maxSeqCells, j.budget))
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
	if (isDateLine(o.keys) && isDateLine(n.keys) && onlyDates(o, n, meaningful)) || j.dateLineEdit(o, n, meaningful) {
		return Cosmetic, []finding{{reason: fmt.Sprintf("the policy's date line changed: %q → %q", o.text(0, len(o.keys)), n.text(0, len(n.keys)))}}
	}

	var fs []finding
	fs = append(fs, j.listRow(o, n, olds, news, m, meaningful)...)
	fs = append(fs, j.negation(o, n, meaningful)...)
	fs = append(fs, j.modals(o, n, meaningful)...)
	fs = append(fs, j.numbers(o, n, meaningful)...)
	fs = append(fs, j.terms(o, n)...)
	fs = append(fs, j.lists(o, n, meaningful)...)
	fs = append(fs, j.sentencesAdded(o, n, meaningful)...)
	fs = append(fs, j.contact(o, n)...)
	fs = append(fs, j.parties(o, n, meaningful)...)
	if slices.ContainsFunc(fs, func(f finding) bool { return f.substantive }) {
		// A change-log entry, a rule for users or a term of the contract
		// is a lower tier: its findings are shown, not acted on.
		why := ""
		if j.inChangelog(firstOld) && j.inChangelog(firstNew) {
			why = "a change-log entry; the change it describes is judged where it is made"
		} else if t := j.editTier(o, n, meaningful); t != tierProvider {
			why = t.String()
		}
		if why == "" {
			return Substantive, dedupeFindings(fs)
		}
		for i := range fs {
			fs[i].substantive = false
		}
		fs = append([]finding{{reason: "lower tier: " + why}}, fs...)
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
