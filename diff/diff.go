package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/extract"
)

// Version identifies the comparison and classification code (not the
// rules, which carry their own version). Stored diff results say which
// version made them; an evidence bundle's diff is recomputed only by the
// version that made it. Bump it whenever the same inputs give another
// result. diff/2: responsible parties, folded ranking (RankItem.Also),
// rank-first terms, negation idioms and prefixes, the document language
// and per-language rules. diff/3: number words in French, German and
// Spanish (and the English ones missing), a period in words ranked, and
// the work budget (a comparison that spends it shows whole replacements).
// diff/4: a rename inside a substantive or editorial change is a rename
// span (OpRename) in the inline diff, not a deletion and an insertion.
const Version = "diff/4"

// Kind says how a clause changed position or shape.
type Kind string

// The kinds of change.
const (
	Added    Kind = "added"
	Removed  Kind = "removed"
	Modified Kind = "modified" // same place, different text
	Moved    Kind = "moved"    // a different place among the unchanged clauses, text the same or changed
	Split    Kind = "split"    // one old clause became several consecutive new ones
	Merged   Kind = "merged"   // several consecutive old clauses became one
)

// Class says how much a change matters.
type Class string

// The classes, from most to least significant.
const (
	// Substantive changes can change what the policy permits or promises;
	// any one of them means re-vetting.
	Substantive Class = "substantive"
	// Editorial changes reword without a change of meaning a rule can see.
	Editorial Class = "editorial"
	// Rename changes are explained entirely by a rename (see Rename).
	RenameOnly Class = "rename"
	// Cosmetic changes are punctuation, case, quotes, white space,
	// hyphenation, spelling variants, typo fixes or the policy's date line.
	Cosmetic Class = "cosmetic"
)

func classRank(c Class) int {
	switch c {
	case Substantive:
		return 0
	case Editorial:
		return 1
	case RenameOnly:
		return 2
	default:
		return 3
	}
}

// Side is one side of a change: the clause (or, for split and merged, the
// consecutive clauses) as it reads in one version.
type Side struct {
	// Index is the position of the (first) clause in its document.
	Index int `json:"index"`
	// Path is the heading trail above the clause.
	Path []string `json:"path"`
	// Text is the clause text; for split and merged changes, the parts
	// joined by a line break.
	Text string `json:"text"`
	// Parts holds the clauses of a split or merged side, in order.
	Parts []string `json:"parts,omitempty"`
}

// Span is one piece of an inline diff: Op is "=" (in both), "-" (only in
// the old text), "+" (only in the new text) or "~" (a rename: Text in the
// new text where From stood in the old; OpRename). Renames are spans only
// in substantive and editorial changes, where they are not the change; a
// rename-only change shows its rename as a deletion and an insertion.
type Span struct {
	Op   string `json:"op"`
	Text string `json:"text"`
	// From is the old text of a rename span.
	From string `json:"from,omitempty"`
}

// Change is one clause-level difference.
type Change struct {
	Kind       Kind     `json:"kind"`
	Class      Class    `json:"class"`
	Categories []string `json:"categories"`
	Reasons    []string `json:"reasons"`
	Old        *Side    `json:"old"`
	New        *Side    `json:"new"`
	// Inline is the word-level diff of Old.Text to New.Text, for changes
	// that have both sides.
	Inline []Span `json:"inline,omitempty"`
	// Lang is the language the clause was judged in, when it is not the
	// document's (a clause in another language on a mixed page).
	Lang string `json:"lang,omitempty"`
}

// Rename is a name or phrase replaced by another throughout the policy
// ("IMS Global" → "1EdTech"), reported once with the number of clauses it
// touched. Its variants are the forms the substitution took ("IMS",
// "IMS Global Learning", the e-mail domain "imsglobal").
type Rename struct {
	From       string    `json:"from"`
	To         string    `json:"to"`
	Count      int       `json:"count"`
	Variants   []Variant `json:"variants,omitempty"`
	Categories []string  `json:"categories"`
	Reasons    []string  `json:"reasons"`
}

// Variant is one form of a rename and the number of clauses it occurs in.
type Variant struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// Counts tallies the clauses of a comparison.
type Counts struct {
	Unchanged   int `json:"unchanged"`
	Substantive int `json:"substantive"`
	Editorial   int `json:"editorial"`
	Rename      int `json:"rename"`
	Cosmetic    int `json:"cosmetic"`
}

// DocInfo identifies one compared document.
type DocInfo struct {
	Title   string `json:"title"`
	Updated string `json:"updated"`
	Clauses int    `json:"clauses"`
	// Lang is the document's language (extract.Document.Lang).
	Lang string `json:"lang,omitempty"`
}

// Result is the comparison of two versions of a policy.
type Result struct {
	// Revet is true when any change is substantive.
	Revet bool `json:"revet"`
	// Summary is one line for a feed or a terminal.
	Summary string `json:"summary"`
	// Rewrite is true when under a third of the old version's clauses
	// survive (unchanged, or changed but not substantively): the reports
	// say "rewritten — review as a new document" and lead with the gist.
	Rewrite bool `json:"rewrite,omitempty"`
	// Gist, Rank and Sections are the reading aids of a re-vet (or a
	// rewrite): the identity facts and policy-wide terms old → new, the
	// substantive changes best first (at most RankLimit), and the other
	// changes counted by section. See report.go.
	Gist     *Gist      `json:"gist,omitempty"`
	Rank     []RankItem `json:"rank,omitempty"`
	Sections []Section  `json:"sections,omitempty"`
	Renames  []Rename   `json:"renames"`
	// Changes lists every changed clause, substantive first, then
	// editorial, rename and cosmetic, each group in document order.
	// Unchanged clauses are not listed.
	Changes []Change `json:"changes"`
	Counts  Counts   `json:"counts"`
	Old     DocInfo  `json:"old_document"`
	New     DocInfo  `json:"new_document"`
	// Version and RulesVersion say what produced the result.
	Version      string `json:"version"`
	RulesVersion int    `json:"rules_version"`
	// Lang is the language the comparison was judged in (ISO 639-1), ""
	// when neither document's language is known (the base rules, English,
	// then judge it). NotJudged lists the languages with changes that no
	// rules read: those changes re-vet (NotJudgedReason).
	Lang      string   `json:"lang,omitempty"`
	NotJudged []string `json:"not_judged,omitempty"`
	// Truncated is true when a document had more clauses than Compare
	// reads (MaxClauses): only the first MaxClauses of each were
	// compared, and the summary says so. Old and New keep the full
	// counts.
	Truncated bool `json:"truncated,omitempty"`
	// BudgetSpent is true when the comparison spent its work budget
	// (CompareBudget, budget.go): the pairs diffed after that are shown
	// as whole replacements and the clauses not yet paired as added and
	// removed, and the summary says so (BudgetSpentNote).
	BudgetSpent bool `json:"budget_spent,omitempty"`
	// WorkUnits is the work the comparison counted (budget.go); it is
	// not part of the stored result.
	WorkUnits int64 `json:"-"`

	// ranked is the full ranking, of which Rank is the top (RankOf).
	ranked []RankItem
}

// MaxClauses is the most clauses of each document Compare reads: every
// clause of any document extract makes (extract.MaxClauses and its
// truncation note). A larger document comes from elsewhere; comparing it
// whole would cost time and memory in proportion (a 150,000-clause pair
// took 46 s and 1.4 GB), so the clauses past the cap are left out.
const MaxClauses = extract.MaxClauses + 1

// Same reports whether the two documents had the same clause text.
func (r *Result) Same() bool { return len(r.Changes) == 0 }

// Compare aligns the clauses of two versions of a policy and classifies
// every difference. It is deterministic: the same documents and rules give
// byte-identical results. A nil rules means DefaultRules.
func Compare(oldDoc, newDoc *extract.Document, rules *Rules) *Result {
	if rules == nil {
		rules = DefaultRules()
	}
	if oldDoc == nil {
		oldDoc = &extract.Document{}
	}
	if newDoc == nil {
		newDoc = &extract.Document{}
	}
	oldClauses, newClauses := oldDoc.Clauses, newDoc.Clauses
	truncated := len(oldClauses) > MaxClauses || len(newClauses) > MaxClauses
	oldClauses = oldClauses[:min(len(oldClauses), MaxClauses)]
	newClauses = newClauses[:min(len(newClauses), MaxClauses)]
	// The document's language picks the rules (lang.go); a language
	// without rules is read with the base rules up to the verdict, which
	// is then "not judged".
	base, lang := rules, docLangOf(oldDoc, newDoc)
	if lr, ok := base.forLang(lang); ok {
		rules = lr
	}
	m := newMemo(rules)
	olds := prepare(oldClauses, rules, m.clauses)
	news := prepare(newClauses, rules, m.clauses)

	// Pass 1 aligns on plain word keys and looks for renames; pass 2
	// aligns again with every rename's forms folded to one token, so that
	// clauses differing only by the rename line up as well as any.
	bud := newBudget(CompareBudget)
	matches := align(olds, news, rules, bud)
	renames := findRenames(olds, news, matches, rules, bud)
	if len(renames) > 0 {
		canonicalize(olds, renames)
		canonicalize(news, renames)
		matches = align(olds, news, rules, bud)
	}

	res := &Result{
		Renames:      []Rename{},
		Changes:      []Change{},
		Old:          DocInfo{Title: oldDoc.Title, Updated: oldDoc.Updated, Clauses: len(oldDoc.Clauses), Lang: oldDoc.Lang},
		New:          DocInfo{Title: newDoc.Title, Updated: newDoc.Updated, Clauses: len(newDoc.Clauses), Lang: newDoc.Lang},
		Lang:         lang,
		Version:      Version,
		RulesVersion: rules.file.Version,
		Truncated:    truncated,
	}
	for _, rn := range renames {
		res.Renames = append(res.Renames, rn.public())
	}
	j := judge{rules: rules, renames: renames, oldSigs: sigSet(olds), newSigs: sigSet(news), oldText: docText(olds), newText: docText(news), partyLookups: new(int), budget: bud, memo: m}
	j.kept = keptByOpening(news, j.oldSigs)
	j.base, j.docLang, j.langOf = base, lang, map[*clause]string{}
	for _, m := range matches {
		if m.kind == "" {
			res.Counts.Unchanged++
			continue
		}
		ch, unjudged := j.judgeMatch(m, olds, news)
		if unjudged != "" && !slices.Contains(res.NotJudged, unjudged) {
			res.NotJudged = append(res.NotJudged, unjudged)
		}
		switch ch.Class {
		case Substantive:
			res.Counts.Substantive++
			res.Revet = true
		case Editorial:
			res.Counts.Editorial++
		case RenameOnly:
			res.Counts.Rename++
		default:
			res.Counts.Cosmetic++
		}
		res.Changes = append(res.Changes, ch)
	}
	slices.SortStableFunc(res.Changes, func(a, b Change) int {
		if c := cmp.Compare(classRank(a.Class), classRank(b.Class)); c != 0 {
			return c
		}
		return cmp.Compare(position(a), position(b))
	})
	res.BudgetSpent, res.WorkUnits = bud.spent, bud.used
	res.Summary = summarize(res, rules)
	report(res, olds, news, rules, j.memo)
	return res
}

func sigSet(cls []*clause) map[string]bool {
	out := make(map[string]bool, len(cls))
	for _, c := range cls {
		out[c.sig] = true
	}
	return out
}

// keptByOpening indexes the clauses both versions have, by their first
// words, so that a stale near-copy of one can be found cheaply.
func keptByOpening(news []*clause, oldSigs map[string]bool) map[string][]*clause {
	out := map[string][]*clause{}
	for _, c := range news {
		if oldSigs[c.sig] && c.n >= 8 {
			out[opening(c)] = append(out[opening(c)], c)
		}
	}
	return out
}

// opening is the first four words of a clause.
func opening(c *clause) string {
	ks := c.keys()
	return strings.Join(ks[:min(4, len(ks))], " ")
}

// position orders changes by where they are in the new document, removed
// clauses where they were in the old one.
func position(c Change) int {
	if c.New != nil {
		return 2*c.New.Index + 1
	}
	return 2 * c.Old.Index
}

// summarize writes the one-line summary.
func summarize(r *Result, rules *Rules) string {
	if len(r.Changes) == 0 && r.Truncated {
		return fmt.Sprintf("No change in the first %d clauses of the policy text (%d and %d in all; the rest was not compared).", MaxClauses, r.Old.Clauses, r.New.Clauses)
	}
	if len(r.Changes) == 0 {
		return "No change in the policy text."
	}
	var parts []string
	if r.Revet {
		var cats []string
		seen := map[string]bool{}
		for _, c := range r.Changes {
			if c.Class != Substantive {
				continue
			}
			for _, k := range c.Categories {
				if !seen[k] {
					seen[k] = true
				}
			}
		}
		for _, k := range categoryOrder {
			if seen[k] {
				cats = append(cats, k)
			}
		}
		s := fmt.Sprintf("Re-vet: %s", plural(r.Counts.Substantive, "substantive change"))
		if len(cats) > 0 {
			s += " (" + strings.Join(cats, ", ") + ")"
		}
		parts = append(parts, s)
		for _, l := range r.NotJudged {
			parts = append(parts, NotJudgedReason(l))
		}
	} else {
		parts = append(parts, "No re-vet needed")
	}
	for _, rn := range r.Renames {
		parts = append(parts, fmt.Sprintf("renamed %s → %s in %s", rn.From, rn.To, plural(rn.Count, "clause")))
	}
	var rest []string
	if r.Counts.Editorial > 0 {
		rest = append(rest, fmt.Sprintf("%d editorial", r.Counts.Editorial))
	}
	if r.Counts.Rename > 0 {
		rest = append(rest, fmt.Sprintf("%d rename-only", r.Counts.Rename))
	}
	if r.Counts.Cosmetic > 0 {
		rest = append(rest, fmt.Sprintf("%d cosmetic", r.Counts.Cosmetic))
	}
	if len(rest) > 0 {
		parts = append(parts, strings.Join(rest, ", "))
	}
	if r.Old.Updated != r.New.Updated && (r.Old.Updated != "" || r.New.Updated != "") {
		parts = append(parts, fmt.Sprintf("policy date %s → %s", orNone(r.Old.Updated), orNone(r.New.Updated)))
	}
	if r.BudgetSpent {
		parts = append(parts, BudgetSpentNote)
	}
	if r.Truncated {
		parts = append(parts, fmt.Sprintf("only the first %d clauses of each version were compared (%d and %d in all)", MaxClauses, r.Old.Clauses, r.New.Clauses))
	}
	return strings.Join(parts, "; ") + "."
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
