package diff

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
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
// pattern is looked for only in the clauses holding a word its first word
// matches, which keeps the scan near linear.
func docTerms(cls []*clause, rules *Rules, m *memo) termSet {
	ts := termSet{found: map[string]string{}, order: map[string][]string{}}
	ks := make([][]string, len(cls))
	// where lists, for each word, the clauses holding it (in order, once
	// each).
	where := map[string][]int{}
	for i, cl := range cls {
		for _, t := range cl.toks {
			if !t.masked() {
				ks[i] = append(ks[i], t.key)
				if w := where[t.key]; len(w) == 0 || w[len(w)-1] != i {
					where[t.key] = append(w, i)
				}
			}
		}
	}
	words := make([]string, 0, len(where))
	for w := range where {
		words = append(words, w)
	}
	slices.Sort(words)
	for _, t := range rules.terms {
		for _, p := range t.words.list {
			key := t.kind + "\x00" + p.text
			if _, ok := ts.found[key]; ok {
				continue
			}
			for _, i := range candidates(p, where, words) {
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

// candidates returns the clauses a pattern can match in, in order: those
// holding a word that its first word matches (where maps each word of
// the document to its clauses; sorted lists the words).
func candidates(p pattern, where map[string][]int, sorted []string) []int {
	if pc := p.pieces[0]; !pc.prefix && !pc.suffix {
		return where[pc.word]
	}
	one := pattern{pieces: p.pieces[:1]}
	var out []int
	for _, w := range sorted {
		if one.matchAt([]string{w}, 0) {
			out = append(out, where[w]...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// placeSet is the countries and regions a policy may name. Matching is
// by whole words and case-sensitive, so that "US" is a place and "us" a
// pronoun.
type placeSet struct {
	first map[string][]string // a form's first word → its forms
	names map[string]string   // form → the name shown
	order []string            // names in list order
	// upper is true when every form starts with a capital letter, so a
	// word that does not needs no look-up.
	upper bool
}

func placeList(entries ...string) placeSet {
	ps := placeSet{first: map[string][]string{}, names: map[string]string{}, upper: true}
	for _, e := range entries {
		forms := strings.Split(e, "|")
		ps.order = append(ps.order, forms[0])
		for _, f := range forms {
			if r, _ := utf8.DecodeRuneInString(f); !unicode.IsUpper(r) {
				ps.upper = false
			}
			ps.names[f] = forms[0]
			w := strings.Fields(f)[0]
			ps.first[w] = append(ps.first[w], f)
		}
	}
	return ps
}

// find calls found with the name of each place text names. Its words are
// the runs of letters, dots, apostrophes and hyphens; each is looked up as
// it is and without its trailing dots.
func (ps placeSet) find(text string, found func(name string)) {
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !placeRune(r) {
			i += size
			continue
		}
		j := i + size
		for j < len(text) {
			r2, n := utf8.DecodeRuneInString(text[j:])
			if !placeRune(r2) {
				break
			}
			j += n
		}
		if w := text[i:j]; !ps.upper || unicode.IsUpper(r) {
			ps.lookUp(text, w, found)
			ps.lookUp(text, strings.TrimRight(w, "."), found)
		}
		i = j
	}
}

func placeRune(r rune) bool { return unicode.IsLetter(r) || r == '.' || r == '\'' || r == '-' }

// lookUp calls found with the name of each form that starts with the word
// w and stands in text.
func (ps placeSet) lookUp(text, w string, found func(name string)) {
	for _, f := range ps.first[w] {
		if !strings.Contains(f, " ") || strings.Contains(text, f) {
			found(ps.names[f])
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
