package diff

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The shortcuts of decision 0056 must give what the plain code gave. Each
// check below compares one with the plain version it replaced (kept here
// as the reference) or, for a prefilter, asserts that the prefilter never
// refuses a text the full test accepts.

var prefilterSeeds = []string{
	"",
	"Contact our Data Protection Officer at dpo@example.com.",
	"Our DPO (privacy (at) example (dot) com) answers within 30 days.",
	"Le délégué à la protection des données : dpd@exemple.fr",
	"DÉLÉGUÉ À LA PROTECTION DES DONNÉES",
	"Unser Datenschutzbeauftragter ist erreichbar unter datenſchutz@beispiel.de.",
	"DATENSCHUTZBEAUFTRAGTE: Frau K. Müller",
	"Delegado de Protección de Datos: dpo@ejemplo.es",
	"Visit https://example.com/privacy, www.example.org or HTTP://EXAMPLE.NET.",
	"href=https://example.com/x and mailto:someone@example.com;",
	"(see <www.example.com>) and \"https://a.b/c\".",
	"No address here, just words: data, cookies and the U.S.",
	"We transfer data to the United States, the EU, the U.K. and Switzerland.",
	"Données transférées aux États-Unis et en Suisse... vers l'Inde.",
	"Daten werden in die Vereinigten Staaten und in die Schweiz übermittelt.",
	"People's Republic of China, Hong Kong and Washington State.",
	"...US... .EU 'UK' -USA- U.S.A.. Korea.",
	"ſtates Kelvin K and İstanbul",
	"a@b.c @handle user@ x@y",
	"http://localhost:8080/x and x=https://intranet/y, mailto:a@b",
	"\xff\xfeUS\xffEU",
}

// addressSpansPlain is addressSpans before the addressMarks shortcut.
func addressSpansPlain(text string) [][2]int {
	var spans [][2]int
	fields := 0
	for fields < len(text) {
		for fields < len(text) && text[fields] == ' ' {
			fields++
		}
		end := strings.IndexByte(text[fields:], ' ')
		if end < 0 {
			end = len(text)
		} else {
			end += fields
		}
		f := text[fields:end]
		trimmed := strings.TrimRight(f, ".,;:)]\"'")
		trimmed = strings.TrimLeft(trimmed, "([\"'<")
		off := strings.Index(f, trimmed)
		if !isAddress(trimmed) {
			if i := schemeAt(trimmed); i > 0 {
				off += i
				trimmed = trimmed[i:]
			}
		}
		if isAddress(trimmed) {
			spans = append(spans, [2]int{fields + off, fields + off + len(trimmed)})
		}
		fields = end
	}
	return spans
}

// placesPlain is placeSet.find before it scanned words in place.
func placesPlain(ps placeSet, text string) []string {
	var out []string
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '.' && r != '\'' && r != '-'
	})
	for _, w := range words {
		for _, cand := range []string{w, strings.TrimRight(w, ".")} {
			for _, f := range ps.first[cand] {
				if !strings.Contains(f, " ") || strings.Contains(text, f) {
					out = append(out, ps.names[f])
				}
			}
		}
	}
	return out
}

// isFillerPlain is Rules.isFiller before it used the list's index.
func isFillerPlain(r *Rules, ks []string) bool {
	for i := range ks {
		found := false
		for _, p := range r.filler.list {
			if len(p.pieces) == 1 && p.matchAt(ks, i) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// checkPrefilters runs every comparison on one text, with the rules of
// each language (base's).
func checkPrefilters(t *testing.T, base *Rules, s string) {
	t.Helper()
	if got, want := addressSpans(s), addressSpansPlain(s); !slices.Equal(got, want) {
		t.Errorf("addressSpans(%q) = %v, want %v", s, got, want)
	}
	var got []string
	places.find(s, func(name string) { got = append(got, name) })
	if want := placesPlain(places, s); !slices.Equal(got, want) {
		t.Errorf("places in %q: %v, want %v", s, got, want)
	}
	if dpoCue.MatchString(s) && !mayNameDPO(strings.ToLower(s)) {
		t.Errorf("%q matches dpoCue but mayNameDPO refuses it", s)
	}
	for _, lang := range []string{"", "fr", "de", "es"} {
		r, ok := base.forLang(lang)
		if !ok {
			r = base
		}
		ks := keys(tokenize(s, r.spelling))
		for i := range ks {
			if got, want := r.isFiller(ks[i:i+1]), isFillerPlain(r, ks[i:i+1]); got != want {
				t.Errorf("%s: isFiller(%q) = %v, want %v", lang, ks[i], got, want)
			}
		}
		if got, want := r.isFiller(ks), isFillerPlain(r, ks); got != want {
			t.Errorf("%s: isFiller(%q) = %v, want %v", lang, ks, got, want)
		}
	}
}

func TestPrefilters(t *testing.T) {
	base := DefaultRules()
	for _, s := range prefilterSeeds {
		checkPrefilters(t, base, s)
	}
	// Every place form, and every filler word of every language, as a
	// text.
	for f := range places.names {
		checkPrefilters(t, base, "in "+f+". "+strings.ToUpper(f)+" "+f+"...")
	}
	for _, lang := range []string{"", "fr", "de", "es"} {
		if r, ok := base.forLang(lang); ok {
			for _, p := range r.filler.list {
				checkPrefilters(t, base, p.text+" "+strings.ToUpper(p.text))
			}
		}
	}
}

// TestDPOWords: each alternative of dpoCue holds one of dpoWords, and
// none of dpoWords has a letter (?i) folds with a rune strings.ToLower
// leaves alone.
func TestDPOWords(t *testing.T) {
	alts := strings.Split(strings.TrimPrefix(dpoCue.String(), "(?i)"), "|")
	for _, a := range alts {
		lit := strings.ToLower(regexp.MustCompile(`\\[bs]\+?|\(\?:e\)\?`).ReplaceAllString(a, " "))
		if !slices.ContainsFunc(dpoWords, func(w string) bool { return strings.Contains(lit, w) }) {
			t.Errorf("dpoCue alternative %q holds none of %q", a, dpoWords)
		}
	}
	for _, w := range dpoWords {
		if strings.ContainsAny(w, "sk") {
			t.Errorf("dpoWords: %q has an s or a k", w)
		}
	}
}

func FuzzPrefilters(f *testing.F) {
	for _, s := range prefilterSeeds {
		f.Add(s)
	}
	base := DefaultRules()
	f.Fuzz(func(t *testing.T, s string) {
		checkPrefilters(t, base, s)
	})
}
