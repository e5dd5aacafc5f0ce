package diff

import (
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// lexiconsOf returns every word list of r, named.
func lexiconsOf(r *Rules) map[string]*lexicon {
	out := map[string]*lexicon{
		"negations": &r.negations, "filler": &r.filler, "idioms": &r.idioms,
		"firm": &r.firm, "soft": &r.soft, "modals": &r.modals,
		"changelog": &r.changelog, "changelog_openings": &r.changelogOpenings,
		"changelog_verbs": &r.changelogVerbs, "rank_first": &r.rankFirst,
		"tiers.provider": &r.tiers.provider, "tiers.practices": &r.tiers.practices,
		"tiers.passive": &r.tiers.passive, "tiers.conduct": &r.tiers.conduct,
		"tiers.conduct_headings": &r.tiers.conductHeadings, "tiers.contract": &r.tiers.contract,
		"tiers.data": &r.tiers.data,
	}
	for i := range r.categories {
		out["categories."+r.categories[i].name] = &r.categories[i].keywords
	}
	for i := range r.terms {
		out["terms."+r.terms[i].kind] = &r.terms[i].words
	}
	for k, l := range r.falseFriends {
		out["false_friends."+k] = l
	}
	for k, l := range r.listHeadings {
		out["list_headings."+k] = l
	}
	return out
}

// vocabulary is the words a random text for l is drawn from: every
// pattern word, cut and extended at both ends (so prefixes, suffixes and
// "*word*" entries match and nearly match), some other words and the
// empty key of a masked word.
func vocabulary(ls ...*lexicon) []string {
	set := map[string]bool{"": true, "the": true, "we": true, "data": true, "a": true, "é": true, "ß": true}
	for _, l := range ls {
		for _, p := range l.patterns() {
			for _, pc := range p.pieces {
				w := pc.word
				set[w] = true
				set[w+"s"] = true
				set["un"+w] = true
				set["x"+w+"y"] = true
				if len(w) > 1 {
					set[w[:len(w)-1]] = true
					set[w[1:]] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// checkLexicon compares every search of l with the plain functions of
// patterns.go over l.list on keys, at every position and range.
func checkLexicon(t *testing.T, name string, l, not *lexicon, keys []string) {
	t.Helper()
	ps := l.patterns()
	for lo := 0; lo <= len(keys); lo++ {
		for hi := lo; hi <= len(keys); hi++ {
			gi, gp, gok := l.findAny(keys, lo, hi)
			wi, wp, wok := findAny(ps, keys, lo, hi)
			if gi != wi || gok != wok || !reflect.DeepEqual(gp, wp) {
				t.Fatalf("%s: findAny(%q, %d, %d) = %d %q %v, plain %d %q %v", name, keys, lo, hi, gi, gp.text, gok, wi, wp.text, wok)
			}
			if got, want := l.has(keys, lo, hi), wok; got != want {
				t.Fatalf("%s: has(%q, %d, %d) = %v, plain %v", name, keys, lo, hi, got, want)
			}
			if got, want := l.hasOutside(not, keys, lo, hi), plainOutside(ps, not.patterns(), keys, lo, hi); got != want {
				t.Fatalf("%s: hasOutside(%q, %d, %d) = %v, plain %v", name, keys, lo, hi, got, want)
			}
		}
	}
	for i := range keys {
		if got, want := l.startsAt(keys, i), startsAt(ps, keys, i); got != want {
			t.Fatalf("%s: startsAt(%q, %d) = %v, plain %v", name, keys, i, got, want)
		}
		if got, want := l.covered(keys, i), covered(ps, keys, i); got != want {
			t.Fatalf("%s: covered(%q, %d) = %v, plain %v", name, keys, i, got, want)
		}
		for hi := i; hi <= len(keys); hi++ {
			want := -1
			for k, p := range ps {
				if i+len(p.pieces) <= hi && p.matchAt(keys, i) {
					want = k
					break
				}
			}
			if got := l.firstAt(keys, i, hi); got != want {
				t.Fatalf("%s: firstAt(%q, %d, %d) = %d, plain %d", name, keys, i, hi, got, want)
			}
		}
	}
	if got, want := l.countAny(keys), countAny(ps, keys); got != want {
		t.Fatalf("%s: countAny(%q) = %d, plain %d", name, keys, got, want)
	}
	if got, want := l.matchedSet(not, keys), matchedSet(ps, not.patterns(), keys); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: matchedSet(%q) = %v, plain %v", name, keys, got, want)
	}
}

// plainOutside is the loop hasKeyword had before the index.
func plainOutside(ps, not []pattern, keys []string, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		for _, p := range ps {
			if i+len(p.pieces) <= hi && p.matchAt(keys, i) && !covered(not, keys, i) {
				return true
			}
		}
	}
	return false
}

// TestLexiconMatchesPlain checks every word list of the rules of every
// language against the plain search, on random texts drawn from words
// that match, nearly match and do not match the list.
func TestLexiconMatchesPlain(t *testing.T) {
	base := DefaultRules()
	all := map[string]*Rules{"en": base}
	for _, lang := range base.Languages() {
		if r, ok := base.forLang(lang); ok {
			all[lang] = r
		}
	}
	rnd := rand.New(rand.NewSource(21))
	for _, lang := range slices.Sorted(maps.Keys(all)) {
		r := all[lang]
		ls := lexiconsOf(r)
		for _, name := range slices.Sorted(maps.Keys(ls)) {
			l := ls[name]
			// The category's false friends where they exist, else the
			// negation idioms: a second list to be "not" inside.
			not := &r.idioms
			if cat, ok := strings.CutPrefix(name, "categories."); ok && r.falseFriends[cat] != nil {
				not = r.falseFriends[cat]
			}
			vocab := vocabulary(l, not)
			for range 40 {
				keys := make([]string, rnd.Intn(12))
				for i := range keys {
					keys[i] = vocab[rnd.Intn(len(vocab))]
				}
				checkLexicon(t, lang+" "+name, l, not, keys)
			}
		}
	}
}

// FuzzLexicon compiles any word list and compares the indexed search with
// the plain one on any text.
func FuzzLexicon(f *testing.F) {
	f.Add("share\nsell*\n*sharing\n*standort*\nthird part*\ndo not sell", "we do not sell or share data with third parties; Standortdaten", "not*")
	f.Add("a*\n*s\né\ne-mail", "a b s é e mail emails", "")
	f.Fuzz(func(t *testing.T, entries, text, notEntries string) {
		if len(entries) > 4096 || len(text) > 4096 || len(notEntries) > 1024 {
			return
		}
		compile := func(s string) *lexicon {
			var ps []pattern
			for _, e := range strings.Split(s, "\n") {
				if p, err := compilePattern(e); err == nil {
					ps = append(ps, p)
				}
			}
			l := newLexicon(ps)
			return &l
		}
		l, not := compile(entries), compile(notEntries)
		var keys []string
		for _, tk := range tokenize(text, nil) {
			k := tk.key
			if tk.masked() {
				k = ""
			}
			keys = append(keys, k)
		}
		keys = keys[:min(len(keys), 24)]
		checkLexicon(t, "fuzz", l, not, keys)
	})
}
