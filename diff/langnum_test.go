package diff_test

import (
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// The pages below hold numbers written as words in their own clauses:
// Badoo "faire appel … dans un délai de six mois", "vingt-quatre (24)
// heures"; adopteunmec "au plus tôt trois mois et au plus tard un mois",
// "dans un délai de trente jours"; Finya "binnen vierzehn Tagen", "innerhalb
// einer Frist von einem Monat".

// TestNumberWordsSameNumber: a number written as a word and the same
// number in digits are the same number, both ways, in each language: no
// re-vet and no "number changed".
func TestNumberWordsSameNumber(t *testing.T) {
	cases := []struct {
		name, page, lang string
		setup, edits     []replacement
	}{
		{name: "six mois → 6 mois", page: badooFR, lang: "fr",
			edits: []replacement{{"dans un délai de six mois", "dans un délai de 6 mois"}}},
		{name: "vingt-quatre (24) heures → 24 heures", page: badooFR, lang: "fr",
			edits: []replacement{{"vingt-quatre (24) heures", "24 heures"}}},
		{name: "trois mois, un mois → 3 mois, 1 mois", page: adopteFR, lang: "fr",
			edits: []replacement{{"au plus tôt trois mois et au plus tard un mois avant", "au plus tôt 3 mois et au plus tard 1 mois avant"}}},
		{name: "trente jours → 30 jours", page: adopteFR, lang: "fr",
			edits: []replacement{{"dans un délai de trente jours", "dans un délai de 30 jours"}}},
		{name: "deux ans → 2 ans (retention)", page: badooFR, lang: "fr", setup: frRetention,
			edits: []replacement{{"pendant deux ans après", "pendant 2 ans après"}}},
		{name: "vingt et un jours → 21 jours (retention)", page: badooFR, lang: "fr", setup: frRetention,
			edits: []replacement{{"pendant deux ans après", "pendant vingt et un jours après"}, {"pendant vingt et un jours après", "pendant 21 jours après"}}},
		{name: "binnen vierzehn Tagen → 14 Tagen", page: finyaDE, lang: "de",
			edits: []replacement{{"binnen vierzehn Tagen ohne Angabe", "binnen 14 Tagen ohne Angabe"}}},
		{name: "einem Monat → 1 Monat", page: finyaDE, lang: "de",
			edits: []replacement{{"innerhalb einer Frist von einem Monat", "innerhalb einer Frist von 1 Monat"}}},
		{name: "zwei Jahre → 2 Jahre (retention)", page: finyaDE, lang: "de", setup: deRetention,
			edits: []replacement{{"nach zwei Jahren unwiderruflich", "nach 2 Jahren unwiderruflich"}}},
		{name: "einundzwanzig Tagen → 21 Tagen", page: finyaDE, lang: "de", setup: deRetention,
			edits: []replacement{{"nach zwei Jahren", "nach einundzwanzig Tagen"}, {"nach einundzwanzig Tagen", "nach 21 Tagen"}}},
		{name: "dos años → 2 años (retention)", page: cestalia, lang: "es", setup: esRetention,
			edits: []replacement{{"durante dos años", "durante 2 años"}}},
		{name: "veintiún días → 21 días", page: cestalia, lang: "es", setup: esRetention,
			edits: []replacement{{"durante dos años", "durante veintiún días"}, {"durante veintiún días", "durante 21 días"}}},
		{name: "14 años → catorce años (children)", page: cestalia, lang: "es",
			edits: []replacement{{"menores de 14 años", "menores de catorce años"}}},
	}
	rules := diff.DefaultRules()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := applyEdits(t, readLangPage(t, tc.page), tc.setup)
			// The first edit makes the version written in words when the
			// setup has a different number; the last one writes it in digits.
			words := applyEdits(t, orig, tc.edits[:len(tc.edits)-1])
			digits := applyEdits(t, words, tc.edits[len(tc.edits)-1:])
			a, b := doc(t, []byte(words)), doc(t, []byte(digits))
			for _, r := range []*diff.Result{diff.Compare(a, b, rules), diff.Compare(b, a, rules)} {
				if r.Lang != tc.lang {
					t.Errorf("judged in %q, want %q", r.Lang, tc.lang)
				}
				if r.Revet {
					t.Errorf("re-vet for the same number; %s", describe(r))
				}
				for _, c := range r.Changes {
					for _, why := range c.Reasons {
						if strings.HasPrefix(why, "number changed") {
							t.Errorf("%s; %s", why, describe(r))
						}
					}
				}
			}
		})
	}
}

// Sentences the suites add to the real pages for a retention period: the
// French and German pages state none in words, and the Spanish one in
// digits.
var (
	frRetention = []replacement{{"<p>Nous traitons les informations conformément", "<p>Nous conservons vos données personnelles pendant deux ans après la clôture de votre compte.</p>\n<p>Nous traitons les informations conformément"}}
	deRetention = []replacement{{"eingestellten Daten unwiderruflich", "eingestellten Daten nach zwei Jahren unwiderruflich"}}
	esRetention = []replacement{{"durante 6 años", "durante dos años"}}
)

// TestNumberWordsChanged: a number written as a word changed to another
// is a changed number, and re-vets where it is a period of retention or
// an age or a notice period.
func TestNumberWordsChanged(t *testing.T) {
	runLangSuite(t, "fr", []langCase{
		{name: "retention: deux ans → trois ans", page: badooFR, setup: frRetention, revet: true, category: "retention",
			edits: []replacement{{"pendant deux ans après", "pendant trois ans après"}}},
		{name: "retention: deux ans → vingt-quatre mois", page: badooFR, setup: frRetention, revet: true, category: "retention",
			edits: []replacement{{"pendant deux ans après", "pendant vingt-quatre mois après"}}},
		{name: "retention: deux ans → 3 ans", page: badooFR, setup: frRetention, revet: true, category: "retention",
			edits: []replacement{{"pendant deux ans après", "pendant 3 ans après"}}},
	})
	runLangSuite(t, "de", []langCase{
		{name: "retention: zwei Jahren → drei Jahren", page: finyaDE, setup: deRetention, revet: true, category: "retention",
			edits: []replacement{{"nach zwei Jahren unwiderruflich", "nach drei Jahren unwiderruflich"}}},
		{name: "retention: zwei Jahren → einem Jahr", page: finyaDE, setup: deRetention, revet: true, category: "retention",
			edits: []replacement{{"nach zwei Jahren unwiderruflich", "nach einem Jahr unwiderruflich"}}},
		{name: "notice period: einem Monat → zwei Wochen", page: finyaDE, revet: true, category: "policy-change",
			edits: []replacement{{"innerhalb einer Frist von einem Monat", "innerhalb einer Frist von zwei Wochen"}}},
	})
	runLangSuite(t, "es", []langCase{
		{name: "retention: dos años → tres años", page: cestalia, setup: esRetention, revet: true, category: "retention",
			edits: []replacement{{"durante dos años", "durante tres años"}}},
		{name: "retention: dos años → treinta y un días", page: cestalia, setup: esRetention, revet: true, category: "retention",
			edits: []replacement{{"durante dos años", "durante treinta y un días"}}},
	})
}

// TestNegationsAdded covers the negations 0039 added: French "ne …
// personne", German "keinesfalls", "niemandem", and the Spanish "nadie"
// and "tampoco" the rules already had.
func TestNegationsAdded(t *testing.T) {
	frNoOne := []replacement{{"<p>Nous traitons les informations conformément", "<p>Nous ne vendons vos données personnelles à personne.</p>\n<p>Nous traitons les informations conformément"}}
	deNever := []replacement{{"<h3>8. Datenschutz</h3>\n<p>Informationen", "<h3>8. Datenschutz</h3>\n<p>Wir geben Ihre Daten keinesfalls an Werbepartner weiter.</p>\n<p>Informationen"}}
	deNoOne := []replacement{{"<h3>8. Datenschutz</h3>\n<p>Informationen", "<h3>8. Datenschutz</h3>\n<p>Wir geben Ihre Daten niemandem weiter.</p>\n<p>Informationen"}}
	runLangSuite(t, "fr", []langCase{
		{name: "ne … à personne → ne … qu'à nos partenaires", page: badooFR, setup: frNoOne, revet: true, category: "sharing",
			edits: []replacement{{"Nous ne vendons vos données personnelles à personne.", "Nous ne vendons vos données personnelles qu'à nos partenaires."}}},
	})
	runLangSuite(t, "de", []langCase{
		{name: "keinesfalls an Werbepartner → an Werbepartner", page: finyaDE, setup: deNever, revet: true, category: "sharing",
			edits: []replacement{{"Ihre Daten keinesfalls an Werbepartner", "Ihre Daten an Werbepartner"}}},
		{name: "niemandem weiter → weiter", page: finyaDE, setup: deNoOne, revet: true, category: "sharing",
			edits: []replacement{{"Wir geben Ihre Daten niemandem weiter.", "Wir geben Ihre Daten weiter."}}},
	})
	runLangSuite(t, "es", []langCase{
		{name: "no … con nadie → con nuestros socios", page: cestalia, revet: true, category: "sharing",
			setup: []replacement{{"No vendemos sus datos personales a terceros.", "No vendemos sus datos personales a terceros. No compartimos sus datos con nadie."}},
			edits: []replacement{{"No compartimos sus datos con nadie.", "Compartimos sus datos con nuestros socios."}}},
		{name: "tampoco los vendemos → también los vendemos", page: cestalia, revet: true, category: "sharing",
			setup: []replacement{{"No vendemos sus datos personales a terceros.", "No cedemos sus datos personales a terceros. Tampoco los vendemos."}},
			edits: []replacement{{"Tampoco los vendemos.", "También los vendemos."}}},
	})
}

// TestNumberWordsRanked: the ranking reads a period written in words, so
// a longer retention period is "kept longer" and widens, a shorter one
// narrows.
func TestNumberWordsRanked(t *testing.T) {
	cases := []struct {
		name, page, from, to string
		setup                []replacement
	}{
		{"deux ans → trois ans", badooFR, "pendant deux ans après", "pendant trois ans après", frRetention},
		{"zwei Jahren → drei Jahren", finyaDE, "nach zwei Jahren unwiderruflich", "nach drei Jahren unwiderruflich", deRetention},
		{"dos años → tres años", cestalia, "durante dos años", "durante tres años", esRetention},
	}
	rules := diff.DefaultRules()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := applyEdits(t, readLangPage(t, tc.page), tc.setup)
			a, b := doc(t, []byte(orig)), doc(t, []byte(applyEdits(t, orig, []replacement{{tc.from, tc.to}})))
			for _, dir := range []struct {
				r    *diff.Result
				want diff.Direction
				why  string
			}{{diff.Compare(a, b, rules), diff.Widens, "kept longer"}, {diff.Compare(b, a, rules), diff.Narrows, "kept shorter"}} {
				found := false
				for _, it := range dir.r.Ranking() {
					found = found || it.Direction == dir.want && strings.HasPrefix(it.Why, dir.why)
				}
				if !found {
					t.Errorf("no %s %q in the ranking %+v", dir.want, dir.why, dir.r.Ranking())
				}
			}
		})
	}
}
