package diff

import "slices"

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
	return j.categoriesIn(f.lex, start, end)
}

func (f flatSide) sentEnd(k int) bool {
	r := f.refs[k]
	return r.cl.toks[r.hi-1].sentEnd || k+1 == len(f.refs) || f.refs[k+1].cl != r.cl
}

// categoriesIn returns the categories with a keyword starting in
// keys[lo:hi], in report order.
func (j judge) categoriesIn(keys []string, lo, hi int) []string {
	var out []string
	for _, c := range j.rules.categories {
		if j.hasKeyword(c, keys, lo, hi) {
			out = append(out, c.name)
		}
	}
	return out
}

// clauseCategories are the categories of a whole side, else of its
// section headings.
func (j judge) clauseCategories(f flatSide) []string {
	if cats := j.categoriesIn(f.lex, 0, len(f.lex)); len(cats) > 0 {
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

// hasKeyword reports whether a keyword of c starts in keys[lo:hi] (and
// ends by hi), outside the category's false friends.
func (j judge) hasKeyword(c categoryRule, keys []string, lo, hi int) bool {
	return c.keywords.hasOutside(j.rules.falseFriends[c.name], keys, lo, hi)
}

// pathHasCategory reports whether a heading above a clause is about cat.
func (j judge) pathHasCategory(path []string, cat string) bool {
	for _, c := range j.pathCategories(path) {
		if c == cat {
			return true
		}
	}
	return false
}
