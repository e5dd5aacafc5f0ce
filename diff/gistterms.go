package diff

import (
	"slices"
	"strings"
	"unicode"
)

// The gist's policy-wide term diff: the terms of each kind, and the places,
// one version names anywhere and the other nowhere (gist.go builds the
// gist from them and the identity facts).

// placeKind is the term kind of the places list.
const placeKind = "place"

type kindInfo struct{ kind, category string }

// termKinds lists the rules' term kinds once each, in rules order, then
// places.
func termKinds(rules *Rules) []kindInfo {
	var out []kindInfo
	for _, t := range rules.terms {
		if !slices.ContainsFunc(out, func(k kindInfo) bool { return k.kind == t.kind }) {
			out = append(out, kindInfo{t.kind, t.category})
		}
	}
	return append(out, kindInfo{placeKind, "transfer"})
}

// termSet is the lexicon terms a document names: found maps a term key
// (kind and pattern) to the words that matched first; order lists each
// kind's keys in rules order.
type termSet struct {
	found map[string]string
	order map[string][]string
}

// docTerms finds which lexicon terms a document names anywhere outside
// the words the judge masks too (addresses, domains, company names: "AI"
// in a company's name names no purpose; token.masked). A
// pattern is looked for clause by clause only when its first word occurs
// in the document at all, which keeps the scan near linear.
func docTerms(cls []*clause, rules *Rules, m *memo) termSet {
	ts := termSet{found: map[string]string{}, order: map[string][]string{}}
	ks := make([][]string, len(cls))
	uniq := map[string]bool{}
	// where lists, for each word, the clauses holding it (in order, once
	// each): a pattern whose first word is exact is tried on those only.
	where := map[string][]int{}
	for i, cl := range cls {
		for _, t := range cl.toks {
			if !t.masked() {
				ks[i] = append(ks[i], t.key)
				if w := where[t.key]; len(w) == 0 || w[len(w)-1] != i {
					where[t.key] = append(w, i)
				}
				uniq[t.key] = true
			}
		}
	}
	words := make([]string, 0, len(uniq))
	for w := range uniq {
		words = append(words, w)
	}
	slices.Sort(words)
	for _, t := range rules.terms {
		for _, p := range t.words.list {
			key := t.kind + "\x00" + p.text
			if _, ok := ts.found[key]; ok || !firstPieceOccurs(p, uniq, words) {
				continue
			}
			for _, i := range candidates(p, where, len(ks)) {
				if words, ok := firstMatch(&p, rules.falseFriends[t.category], ks[i]); ok {
					ts.found[key] = words
					ts.order[t.kind] = append(ts.order[t.kind], key)
					break
				}
			}
		}
	}
	named := map[string]bool{}
	for _, cl := range cls {
		for _, name := range m.placesIn(cl.c.Text) {
			named[name] = true
		}
	}
	for _, name := range places.order {
		if named[name] {
			key := placeKind + "\x00" + name
			ts.found[key] = name
			ts.order[placeKind] = append(ts.order[placeKind], key)
		}
	}
	return ts
}

// firstMatch returns the words of p's first match in keys that no entry
// of not covers: matchedSet([]pattern{p}, not.list, keys)[p.text], with
// not read through its index.
func firstMatch(p *pattern, not *lexicon, keys []string) (string, bool) {
	for i := range keys {
		if p.matchAt(keys, i) && !not.covered(keys, i) {
			return strings.Join(keys[i:i+len(p.pieces)], " "), true
		}
	}
	return "", false
}

// candidates returns the clauses a pattern can match in: those holding its
// first word when that word is exact, else every clause, in order.
func candidates(p pattern, where map[string][]int, n int) []int {
	if pc := p.pieces[0]; !pc.prefix && !pc.suffix {
		return where[pc.word]
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// firstPieceOccurs reports whether some word of the document matches the
// first word of p.
func firstPieceOccurs(p pattern, uniq map[string]bool, sorted []string) bool {
	pc := p.pieces[0]
	if !pc.prefix && !pc.suffix {
		return uniq[pc.word]
	}
	one := pattern{pieces: p.pieces[:1]}
	for _, w := range sorted {
		if one.matchAt([]string{w}, 0) {
			return true
		}
	}
	return false
}

// placeSet is the countries and regions a policy may name. Matching is
// by whole words and case-sensitive, so that "US" is a place and "us" a
// pronoun.
type placeSet struct {
	first map[string][]string // a form's first word → its forms
	names map[string]string   // form → the name shown
	order []string            // names in list order
}

func placeList(entries ...string) placeSet {
	ps := placeSet{first: map[string][]string{}, names: map[string]string{}}
	for _, e := range entries {
		forms := strings.Split(e, "|")
		ps.order = append(ps.order, forms[0])
		for _, f := range forms {
			ps.names[f] = forms[0]
			w := strings.Fields(f)[0]
			ps.first[w] = append(ps.first[w], f)
		}
	}
	return ps
}

// find calls found with the name of each place text names.
func (ps placeSet) find(text string, found func(name string)) {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '.' && r != '\'' && r != '-'
	})
	for _, w := range words {
		for _, cand := range []string{w, strings.TrimRight(w, ".")} {
			for _, f := range ps.first[cand] {
				if !strings.Contains(f, " ") || strings.Contains(text, f) {
					found(ps.names[f])
				}
			}
		}
	}
}

// places are the countries and regions the gist reports; the first form
// of each entry is the one shown. The list covers the usual transfer
// destinations and establishments (GDPR chapter V adequacy decisions, the
// US states with privacy laws), in English, French, German and Spanish.
var places = placeList(
	"European Economic Area|EEA|Espace économique européen|Europäischen Wirtschaftsraum|Espacio Económico Europeo",
	"European Union|EU|Union européenne|Europäischen Union|Europäische Union|Unión Europea",
	"United Kingdom|UK|U.K.|Great Britain|Royaume-Uni|Vereinigten Königreich|Reino Unido",
	"United States|US|U.S.|USA|U.S.A.|États-Unis|Etats-Unis|USA|Vereinigten Staaten|Estados Unidos",
	"Switzerland|Suisse|Schweiz|Suiza",
	"Canada|Kanada",
	"China|Chine|People's Republic of China|PRC",
	"Hong Kong",
	"India|Inde|Indien",
	"Japan|Japon|Japón",
	"Singapore|Singapour|Singapur",
	"Ireland|Irlande|Irland|Irlanda",
	"Germany|Allemagne|Deutschland|Alemania",
	"France|Frankreich|Francia",
	"Netherlands|Pays-Bas|Niederlande|Países Bajos",
	"Luxembourg|Luxemburg|Luxemburgo",
	"Spain|Espagne|Spanien|España",
	"Italy|Italie|Italien|Italia",
	"Israel|Israël",
	"Russia|Russie|Russland|Rusia",
	"Australia|Australie|Australien",
	"Brazil|Brésil|Brasilien|Brasil",
	"South Korea|Korea|Corée du Sud|Südkorea|Corea del Sur",
	"Taiwan",
	"Ukraine|Ucrania",
	"Mexico|Mexique|Mexiko|México",
	"California|Californie|Kalifornien",
	"Virginia", "Colorado", "Connecticut", "Utah", "Texas", "Oregon", "Delaware", "Washington State",
	"Cyprus|Chypre|Zypern|Chipre",
	"Malta|Malte",
	"Poland|Pologne|Polen|Polonia",
	"Sweden|Suède|Schweden|Suecia",
	"Philippines|Philippinen|Filipinas",
	"Vietnam|Viêt Nam",
	"Turkey|Türkiye|Turquie|Türkei|Turquía",
	"United Arab Emirates|UAE|Émirats arabes unis",
)
