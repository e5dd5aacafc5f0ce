package diff

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/clausewatch/clausewatch/extract"
)

// TestNumberWords pins how numbers written as words before a unit of time
// are read, in the four languages, and what is left alone: articles that
// do not count, numbers before words that are not units, "some day".
func TestNumberWords(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // the keys, space-joined
	}{
		// English.
		{"kept for two years", "kept for 2 years"},
		{"within twenty-one days", "within 21 days"},
		{"within twenty one business days", "within 21 business days"},
		{"for seventeen years", "for 17 years"},
		{"one hundred days", "100 days"},
		{"two of our partners", "two of our partners"},
		// French.
		{"pendant deux ans", "pendant 2 ans"},
		{"dans un délai de trente jours", "dans un délai de 30 jours"},
		{"vingt et un jours", "21 jours"},
		{"vingt-et-un jours", "21 jours"},
		{"vingt-deux mois", "22 mois"},
		{"moins de vingt-quatre ans", "moins de 24 ans"},
		{"dix-huit ans", "18 ans"},
		{"soixante-dix jours", "70 jours"},
		{"soixante et onze jours", "71 jours"},
		{"soixante-dix-neuf jours", "79 jours"},
		{"quatre-vingts jours", "80 jours"},
		{"quatre-vingt-un jours", "81 jours"},
		{"quatre-vingt-dix jours", "90 jours"},
		{"quatre-vingt-dix-neuf ans", "99 ans"},
		{"nonante jours", "90 jours"},
		{"cent ans", "100 ans"},
		{"pendant un an", "pendant 1 an"},
		{"conservées une année", "conservées 1 année"},
		{"d'un mois", "de 1 mois"},
		{"si un jour vous partez", "si un jour vous partez"},
		{"pendant un jour", "pendant 1 jour"},
		{"un utilisateur", "un utilisateur"},
		{"une adresse", "une adresse"},
		{"deux partenaires", "deux partenaires"},
		{"quatre vingt", "quatre vingt"},
		// German.
		{"nach zwei Jahren gelöscht", "nach 2 jahren gelöscht"},
		{"binnen vierzehn Tagen", "binnen 14 tagen"},
		{"einundzwanzig Tage", "21 tage"},
		{"neunundneunzig Tage", "99 tage"},
		{"dreißig Tage", "30 tage"},
		{"dreissig Tage", "30 tage"},
		{"fünf Jahre", "5 jahre"},
		{"fuenf Jahre", "5 jahre"},
		{"zwölf Monate", "12 monate"},
		{"einhundert Tage", "100 tage"},
		{"innerhalb einer Frist von einem Monat", "innerhalb einer frist von 1 monat"},
		{"innerhalb eines Jahres", "innerhalb 1 jahres"},
		{"eine Woche", "1 woche"},
		{"eines Tages werden wir", "eines tages werden wir"},
		{"innerhalb eines Tages", "innerhalb 1 tages"},
		{"ein Nutzer", "ein nutzer"},
		{"zwei Nutzer", "zwei nutzer"},
		{"einsundzwanzig Tage", "einsundzwanzig tage"},
		// Spanish.
		{"durante dos años", "durante 2 años"},
		{"veintiún días", "21 días"},
		{"veintiuno días", "21 días"},
		{"dieciséis años", "16 años"},
		{"dieciseis años", "16 años"},
		{"treinta y un días", "31 días"},
		{"noventa y nueve años", "99 años"},
		{"cien años", "100 años"},
		{"un año", "1 año"},
		{"una semana", "1 semana"},
		{"un día le escribiremos", "un día le escribiremos"},
		{"durante un día", "durante 1 día"},
		{"un usuario", "un usuario"},
		{"treinta y tres", "treinta y tres"},
		// A language's numbers count before its own units only.
		{"once days", "once days"},
		{"elf years", "elf years"},
		{"two ans", "two ans"},
		// The number again in digits is part of it; a different one is not.
		{"seven (7) days", "7 days"},
		{"vingt-quatre (24) heures", "24 heures"},
		{"quatorze (14) jours", "14 jours"},
		{"thirty (60) days", "thirty 60 days"},
		// Digits are left as they are; a number word in an address is not read.
		{"30 jours", "30 jours"},
	} {
		got := strings.Join(keys(tokenize(tc.text, nil)), " ")
		if got != tc.want {
			t.Errorf("%q: keys %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestNumberWordSpans checks that a number read from several words is one
// token spanning them, so that a reason quotes the words as written.
func TestNumberWordSpans(t *testing.T) {
	text := "Les données sont conservées vingt et un jours."
	toks := tokenize(text, nil)
	i := slices.IndexFunc(toks, func(t token) bool { return t.key == "21" })
	if i < 0 {
		t.Fatalf("no 21 in %q", keys(toks))
	}
	if got := text[toks[i].start:toks[i].end]; got != "vingt et un" {
		t.Errorf("span %q, want %q", got, "vingt et un")
	}
	if !toks[len(toks)-1].sentEnd {
		t.Errorf("the sentence end is lost")
	}
}

// FuzzNumberWords checks the tokenizer with number words on any text:
// spans in order and inside the text, and every number it read from words
// between 0 and 100.
func FuzzNumberWords(f *testing.F) {
	for _, s := range []string{"vingt et un jours", "quatre-vingt-dix-neuf ans", "einundzwanzig Tage", "treinta y un días",
		"twenty-one days", "un jour", "eines Tages", "dix", "quatre vingt", "et", "soixante et", "۴"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		toks := tokenize(text, nil)
		last := 0
		for _, tok := range toks {
			if tok.start < last || tok.end < tok.start || tok.end > len(text) || tok.key == "" {
				t.Fatalf("token %+v out of order or out of %q", tok, text)
			}
			last = tok.start
			word := strings.ToLower(text[tok.start:tok.end])
			if isNumber(tok.key) && !strings.ContainsFunc(word, unicode.IsDigit) { // read from words, not digits of any script
				v, err := strconv.Atoi(tok.key)
				if err != nil || v < 0 || v > 100 {
					t.Fatalf("%q read as %q", word, tok.key)
				}
			}
		}
	})
}

// TestUnitAtClauseHead: a number at the head of a clause before a unit of
// time in any language is a period, not a heading's label ("14 Tage nach
// Eingang …"), while a numbered title stays a label.
func TestUnitAtClauseHead(t *testing.T) {
	for _, tc := range []struct {
		text  string
		label bool
	}{
		{"14 Tage nach Eingang werden die Daten gelöscht.", false},
		{"30 Days after closing, we delete your data.", false},
		{"6 Meses después de la baja se suprimen los datos.", false},
		{"3 Jours après la clôture, nous supprimons vos données.", false},
		{"8 Datenschutz und Sicherheit", true},
	} {
		toks := tokenize(tc.text, nil)
		if got := toks[0].role == roleLabel; got != tc.label {
			t.Errorf("%q: label %v, want %v", tc.text, got, tc.label)
		}
	}
}

// BenchmarkTokenize tokenizes every clause of a French, a German and an
// English corpus page (skipped without the corpus): what number words
// add to tokenizing (decision record 0039).
func BenchmarkTokenize(b *testing.B) {
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	for _, p := range []string{"badoo/terms-of-service/2026-05-08T003048Z.html", "finya/terms-of-service/2026-01-01T003110Z.html", "github/privacy-policy/2024-02-22T003002Z.html"} {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			b.Skipf("corpus page not found: %v", err)
		}
		d, err := extract.Bytes(data, extract.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.SplitN(p, "/", 2)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, c := range d.Clauses {
					tokenize(c.Text, nil)
				}
			}
		})
	}
}
