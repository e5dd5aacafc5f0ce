package diff

import "strings"

// Section counts the changes of one part of the policy that the ranking
// does not list, for the folded "by section" view.
type Section struct {
	// Section is the heading path (its first two levels), joined by " › ";
	// "" is text before any heading.
	Section     string `json:"section"`
	Substantive int    `json:"substantive"`
	Editorial   int    `json:"editorial"`
	// Other counts rename-only and cosmetic changes.
	Other int `json:"other"`
}

// MaxSections bounds Sections; the changes of further sections are
// counted in a last entry named "(other sections)".
const MaxSections = 100

// rewriteShare and minRewriteClauses decide rewrite mode: fewer than
// 1/rewriteShare of the old clauses survive, in a document of at least
// minRewriteClauses clauses (a three-clause notice that changed is not a
// rewrite to read as a new document).
const (
	rewriteShare      = 3
	minRewriteClauses = 10
)

// report adds the reading aids to a result: the gist and ranking of a
// re-vet, the rest counted by section, and whether the policy was
// rewritten.
func report(r *Result, olds, news []*clause, rules *Rules, m *memo) {
	r.Rewrite = isRewrite(r, len(olds))
	if !r.Revet && !r.Rewrite {
		return
	}
	r.Gist = buildGist(olds, news, rules, m)
	rk := newRanker(rules, r.Gist)
	rk.memo = m
	rk.oldNeg, rk.newNeg = negPhrases(olds, rules), negPhrases(news, rules)
	r.ranked = rankChanges(r, rk)
	r.Rank = r.ranked[:min(len(r.ranked), RankLimit)]
	r.Sections = sections(r)
}

// isRewrite reports whether under a third of the old clauses survive:
// unchanged, or matched to a new clause as a cosmetic, rename-only or
// editorial change.
func isRewrite(r *Result, oldClauses int) bool {
	if oldClauses < minRewriteClauses {
		return false
	}
	survived := r.Counts.Unchanged
	for _, c := range r.Changes {
		if c.Class == Substantive || c.Old == nil || c.New == nil {
			continue
		}
		survived += max(1, len(c.Old.Parts))
	}
	return survived*rewriteShare < oldClauses
}

// sections counts, by section, the changes the ranking leaves out.
func sections(r *Result) []Section {
	inRank := map[int]bool{}
	for _, it := range r.Rank {
		for _, i := range it.Changes() {
			inRank[i] = true
		}
	}
	var out []Section
	at := map[string]int{}
	for i, c := range r.Changes {
		if inRank[i] {
			continue
		}
		name := sectionKey(c)
		k, ok := at[name]
		if !ok {
			if len(out) == MaxSections {
				name = "(other sections)"
			}
			if k, ok = at[name]; !ok {
				k = len(out)
				at[name] = k
				out = append(out, Section{Section: name})
			}
		}
		switch c.Class {
		case Substantive:
			out[k].Substantive++
		case Editorial:
			out[k].Editorial++
		default:
			out[k].Other++
		}
	}
	return out
}

// sectionKey is the first two levels of a change's heading path: the
// first is often the policy's title.
func sectionKey(c Change) string {
	s := c.New
	if s == nil {
		s = c.Old
	}
	p := s.Path
	return strings.Join(p[:min(len(p), 2)], " › ")
}
