package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// renameGroup is a detected rename: several substitution variants that
// share a side ("IMS Global" → "1EdTech", "IMS" → "1EdTech", "imsglobal"
// → "1edtech" in e-mail addresses).
type renameGroup struct {
	placeholder string
	variants    []*variant
	pairs       map[int]bool // matches (pass 1) the rename was seen in
	phrases     [][]string   // every form on either side, longest first
	addrs       [][2]string  // addresses that changed with it (old, new)
}

// placeholderPrefix starts every rename's placeholder token: no word of
// a clause starts with a NUL.
const placeholderPrefix = "\x00rename"

type variant struct {
	del, ins         []string // keys
	from, to         string   // display form seen most often
	forms            map[[2]string]int
	pairs            map[int]bool
	inAddress        bool
	addrs            [][2]string
	compDel, compIns string
}

// public turns a group into the reported Rename.
func (g *renameGroup) public() Rename {
	top := g.variants[0]
	r := Rename{From: top.from, To: top.to, Count: len(g.pairs), Categories: []string{}, Reasons: []string{}}
	if len(g.variants) > 1 {
		for _, v := range g.variants {
			r.Variants = append(r.Variants, Variant{From: v.from, To: v.to, Count: len(v.pairs)})
		}
	}
	if len(g.addrs) > 0 {
		r.Categories = append(r.Categories, "contact")
		var ex []string
		for _, a := range g.addrs {
			ex = append(ex, a[0]+" → "+a[1])
		}
		r.Reasons = append(r.Reasons, "contact addresses change with the name: "+strings.Join(ex, ", "))
	}
	return r
}

// flatSide is the concatenated tokens of the clauses on one side of a
// match, with a pointer back to where each came from.
type flatSide struct {
	keys []string
	// lex is keys with the words no lexicon may read blanked: pieces of
	// addresses, domains and company names (token.masked). Category
	// keywords, terms, negations and modals are matched on lex.
	lex  []string
	refs []ref
}

type ref struct {
	cl     *clause
	lo, hi int // raw token range in cl.toks
}

func flatten(cls []*clause, idx []int) flatSide {
	n := 0
	for _, i := range idx {
		n += len(cls[i].canon)
	}
	f := flatSide{keys: make([]string, 0, n), lex: make([]string, 0, n), refs: make([]ref, 0, n)}
	for _, i := range idx {
		c := cls[i]
		for _, t := range c.canon {
			f.keys = append(f.keys, t.key)
			lx := t.key
			for r := t.lo; r < t.hi; r++ {
				if c.toks[r].masked() {
					lx = ""
				}
			}
			f.lex = append(f.lex, lx)
			f.refs = append(f.refs, ref{cl: c, lo: t.lo, hi: t.hi})
		}
	}
	return f
}

// roleAt reports whether every raw token behind key k has a role that ok
// accepts.
func (f flatSide) roleAt(k int, ok func(token) bool) bool {
	r := f.refs[k]
	for t := r.lo; t < r.hi; t++ {
		if !ok(r.cl.toks[t]) {
			return false
		}
	}
	return true
}

// text returns the display text of f[lo:hi], as the page wrote it.
func (f flatSide) text(lo, hi int) string {
	if lo >= hi {
		return ""
	}
	var parts []string
	for k := lo; k < hi; {
		c := f.refs[k].cl
		start := c.toks[f.refs[k].lo].start
		end := c.toks[f.refs[k].hi-1].end
		k++
		for k < hi && f.refs[k].cl == c {
			end = c.toks[f.refs[k].hi-1].end
			k++
		}
		parts = append(parts, c.c.Text[start:end])
	}
	return strings.Join(parts, " / ")
}

// nameLike reports whether f[lo:hi] looks like part of a name: a word with
// a capital letter or a digit as the page wrote it, or a piece of an
// address.
func (f flatSide) nameLike(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		r := f.refs[k]
		for t := r.lo; t < r.hi; t++ {
			tok := r.cl.toks[t]
			if tok.inAddress {
				return true
			}
			first, _ := utf8.DecodeRuneInString(r.cl.c.Text[tok.start:tok.end])
			if unicode.IsUpper(first) || unicode.IsDigit(first) {
				return true
			}
		}
	}
	return false
}

func (f flatSide) inAddress(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		r := f.refs[k]
		for t := r.lo; t < r.hi; t++ {
			if r.cl.toks[t].inAddress {
				return true
			}
		}
	}
	return false
}

// findRenames looks through the aligned pairs for substitutions of short
// name-like phrases that recur in at least rules' rename.min_clauses
// clauses, and groups the variants of one rename.
func findRenames(olds, news []*clause, ms []match, rules *Rules, bud *budget) []*renameGroup {
	maxWords := rules.file.Rename.MaxWords
	byKey := map[string]*variant{}
	var order []string
	for mi, m := range ms {
		if m.kind == "" || len(m.old) == 0 || len(m.new) == 0 {
			continue
		}
		o := flatten(olds, m.old)
		n := flatten(news, m.new)
		for _, e := range changes(diffSym(o.keys, n.keys, false, maxSeqCells, bud)) {
			dn, in := e.aHi-e.aLo, e.bHi-e.bLo
			if dn == 0 || in == 0 || dn > maxWords || in > maxWords {
				continue
			}
			del, ins := o.keys[e.aLo:e.aHi], n.keys[e.bLo:e.bHi]
			if !renamable(del, rules) || !renamable(ins, rules) {
				continue
			}
			if !o.nameLike(e.aLo, e.aHi) || !n.nameLike(e.bLo, e.bHi) {
				continue
			}
			cd, ci := strings.Join(del, ""), strings.Join(ins, "")
			if cd == ci {
				continue // written together or apart: cosmetic
			}
			key := strings.Join(del, " ") + "\x00" + strings.Join(ins, " ")
			v := byKey[key]
			if v == nil {
				v = &variant{del: del, ins: ins, forms: map[[2]string]int{}, pairs: map[int]bool{}, compDel: cd, compIns: ci}
				byKey[key] = v
				order = append(order, key)
			}
			v.pairs[mi] = true
			v.forms[[2]string{o.text(e.aLo, e.aHi), n.text(e.bLo, e.bHi)}]++
			if o.inAddress(e.aLo, e.aHi) || n.inAddress(e.bLo, e.bHi) {
				v.inAddress = true
				v.addrs = appendAddrChanges(v.addrs, o, n)
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	slices.Sort(order)
	vs := make([]*variant, len(order))
	for i, k := range order {
		vs[i] = byKey[k]
		vs[i].from, vs[i].to = topForm(vs[i].forms)
	}
	// Union variants that share one side and whose other sides are one a
	// prefix of the other ("ims" / "imsglobal" / "imsgloballearning").
	parent := make([]int, len(vs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for a := range vs {
		for b := a + 1; b < len(vs); b++ {
			va, vb := vs[a], vs[b]
			if (va.compIns == vb.compIns && prefixRelated(va.compDel, vb.compDel)) ||
				(va.compDel == vb.compDel && prefixRelated(va.compIns, vb.compIns)) {
				parent[find(a)] = find(b)
			}
		}
	}
	groups := map[int]*renameGroup{}
	var roots []int
	for i, v := range vs {
		r := find(i)
		g := groups[r]
		if g == nil {
			g = &renameGroup{pairs: map[int]bool{}}
			groups[r] = g
			roots = append(roots, r)
		}
		g.variants = append(g.variants, v)
		for p := range v.pairs {
			g.pairs[p] = true
		}
		g.addrs = append(g.addrs, v.addrs...)
	}
	var out []*renameGroup
	for _, r := range roots {
		g := groups[r]
		if len(g.pairs) < rules.file.Rename.MinClauses {
			continue
		}
		slices.SortStableFunc(g.variants, func(a, b *variant) int {
			if c := cmp.Compare(len(b.pairs), len(a.pairs)); c != 0 {
				return c
			}
			return cmp.Compare(a.from+"\x00"+a.to, b.from+"\x00"+b.to)
		})
		seen := map[string]bool{}
		for _, v := range g.variants {
			for _, ph := range [][]string{v.del, v.ins} {
				k := strings.Join(ph, " ")
				if !seen[k] {
					seen[k] = true
					g.phrases = append(g.phrases, ph)
				}
			}
		}
		slices.SortStableFunc(g.phrases, func(a, b []string) int {
			if c := cmp.Compare(len(b), len(a)); c != 0 {
				return c
			}
			return cmp.Compare(strings.Join(a, " "), strings.Join(b, " "))
		})
		g.addrs = dedupePairs(g.addrs)
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b *renameGroup) int {
		if c := cmp.Compare(len(b.pairs), len(a.pairs)); c != 0 {
			return c
		}
		return cmp.Compare(a.variants[0].from, b.variants[0].from)
	})
	for i, g := range out {
		g.placeholder = fmt.Sprintf("%s%d", placeholderPrefix, i+1)
	}
	return out
}

// renamable reports whether a phrase may be one side of a rename: not a
// number, and no word that a significance rule reads (negations, modals,
// lexicon terms) and not only filler words.
func renamable(ks []string, rules *Rules) bool {
	for _, k := range ks {
		if isNumber(k) || rules.lexical(k) {
			return false
		}
	}
	return !rules.isFiller(ks)
}

func prefixRelated(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 2 && strings.HasPrefix(b, a)
}

func topForm(forms map[[2]string]int) (string, string) {
	var best [2]string
	n := -1
	for f, c := range forms {
		if c > n || (c == n && f[0]+f[1] < best[0]+best[1]) {
			best, n = f, c
		}
	}
	return best[0], best[1]
}

// appendAddrChanges records the addresses that differ between two sides.
func appendAddrChanges(acc [][2]string, o, n flatSide) [][2]string {
	oa := sideAddresses(o)
	na := sideAddresses(n)
	for k := 0; k < len(oa) && k < len(na); k++ {
		if oa[k] != na[k] {
			acc = append(acc, [2]string{oa[k], na[k]})
		}
	}
	return acc
}

func sideAddresses(f flatSide) []string {
	var out []string
	var last *clause
	for _, r := range f.refs {
		if r.cl != last {
			last = r.cl
			out = append(out, addresses(r.cl.c.Text)...)
		}
	}
	return out
}

func dedupePairs(ps [][2]string) [][2]string {
	seen := map[[2]string]bool{}
	var out [][2]string
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return cmp.Compare(a[0]+a[1], b[0]+b[1]) })
	return out
}

// canonicalize folds every form of every rename in each clause to the
// rename's placeholder token, longest form first.
func canonicalize(cls []*clause, groups []*renameGroup) {
	type form struct {
		words []string
		ph    string
	}
	var forms []form
	for _, g := range groups {
		for _, p := range g.phrases {
			forms = append(forms, form{p, g.placeholder})
		}
	}
	slices.SortStableFunc(forms, func(a, b form) int { return cmp.Compare(len(b.words), len(a.words)) })
	for _, c := range cls {
		c.canon = c.canon[:0]
		for i := 0; i < len(c.toks); {
			hit := false
			for _, f := range forms {
				if i+len(f.words) > len(c.toks) {
					continue
				}
				ok := true
				for k, w := range f.words {
					if c.toks[i+k].key != w {
						ok = false
						break
					}
				}
				if ok {
					c.canon = append(c.canon, ctok{key: f.ph, lo: i, hi: i + len(f.words)})
					i += len(f.words)
					hit = true
					break
				}
			}
			if !hit {
				c.canon = append(c.canon, ctok{key: c.toks[i].key, lo: i, hi: i + 1})
				i++
			}
		}
		c.index()
	}
}

// canonAddress folds the rename forms in one address, so that an address
// changed only by the rename compares equal.
func canonAddress(a string, groups []*renameGroup, rules *Rules) string {
	c := &clause{toks: tokenize(a, rules.spelling)}
	canonicalize([]*clause{c}, groups)
	return c.sig
}
