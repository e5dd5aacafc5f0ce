package diff

import (
	"slices"
	"strconv"
	"strings"
)

// Numbers written as words (docs/decisions/0039). A number written out
// before a unit of time ("two years", "deux ans", "zwei Jahre", "dos
// años", "vingt et un jours", "einundzwanzig Tage", "veintiún días") is
// read as its digits, one token, so that writing it either way is not a
// changed number and "deux ans" → "trois ans" is one. Each language's
// words count only before its own units, and the words for "one" that
// are also articles (un, une, ein, eines, una) only where they count a
// period: the idioms for "some day" (un jour, eines Tages, un día) are
// left alone unless a word before them asks for a length ("pendant un
// jour", "innerhalb eines Tages", "durante un día").

// numberLang is how one language writes the numbers 0–100.
type numberLang struct {
	// parse reads a number starting at keys[i]: its value and how many
	// tokens it took, or n = 0.
	parse func(keys []string, i int) (v, n int)
	// units are the words for a period that may follow the number.
	units map[string]bool
	// someday are the article-number and unit pairs that also say "one
	// day" without counting; leads are the words before them that make
	// them a count.
	someday map[[2]string]bool
	leads   map[string]bool
}

// numberLangs are the languages whose numbers the tokenizer reads. The
// tokenizer does not know a clause's language; a language's numbers
// count only before its units, so they do not meet.
var numberLangs = []numberLang{
	{parse: parseEnglishNumber, units: periodUnits},
	{parse: parseFrenchNumber, units: setOf("jour", "jours", "semaine", "semaines", "mois", "an", "ans", "année", "années",
		"heure", "heures", "minute", "minutes", "trimestre", "trimestres", "semestre", "semestres"),
		someday: map[[2]string]bool{{"un", "jour"}: true},
		leads:   setOf("pendant", "durant", "dans", "de", "après", "avant", "sous", "pour", "en", "plus", "moins", "que", "à", "au", "delà", "excéder", "dépasser", "depuis", "jusque", "sur")},
	{parse: parseGermanNumber, units: setOf("tag", "tage", "tagen", "tages", "werktag", "werktage", "werktagen", "werktages",
		"kalendertag", "kalendertage", "kalendertagen", "woche", "wochen", "monat", "monate", "monaten", "monats",
		"kalendermonat", "kalendermonate", "kalendermonaten", "jahr", "jahre", "jahren", "jahres", "kalenderjahr", "kalenderjahre", "kalenderjahren",
		"stunde", "stunden", "minute", "minuten"),
		someday: map[[2]string]bool{{"eines", "tages"}: true},
		leads:   setOf("innerhalb", "binnen", "nach", "vor", "für", "seit", "länger", "laenger", "mehr", "weniger", "als", "bis", "zu", "von", "mindestens", "höchstens", "hoechstens", "maximal", "während", "waehrend", "ablauf", "frist", "dauer")},
	{parse: parseSpanishNumber, units: setOf("día", "días", "dia", "dias", "semana", "semanas", "mes", "meses", "año", "años",
		"hora", "horas", "minuto", "minutos", "trimestre", "trimestres", "semestre", "semestres"),
		someday: map[[2]string]bool{{"un", "día"}: true, {"un", "dia"}: true},
		leads:   setOf("durante", "en", "de", "tras", "después", "despues", "antes", "hasta", "por", "más", "mas", "menos", "que", "plazo", "dentro", "máximo", "maximo", "mínimo", "minimo", "superior", "inferior")},
}

// periodUnit reports whether w is a word for a period in any language
// whose numbers are read.
func periodUnit(w string) bool {
	return allPeriodUnits[w]
}

// allPeriodUnits are the units of every language in numberLangs.
var allPeriodUnits = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range numberLangs {
		for w := range l.units {
			m[w] = true
		}
	}
	return m
}()

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// numberWords reads each number written as words before a unit of its
// language as one token keyed by its digits, with the digits when they
// follow in parentheses; it returns the tokens.
func numberWords(toks []token) []token {
	// Most clauses name no period: one look-up a word settles them.
	if len(toks) < 2 || !slices.ContainsFunc(toks[1:], func(t token) bool { return periodUnit(t.key) }) {
		return toks
	}
	ks := keys(toks)
	out := toks[:0:0]
	changed := false
	for i := 0; i < len(toks); i++ {
		v, n := 0, 0
		if !toks[i].inAddress {
			v, n = numberBeforeUnit(ks, i)
		}
		if n == 0 {
			if changed {
				out = append(out, toks[i])
			}
			continue
		}
		if !changed {
			out = append(make([]token, 0, len(toks)), toks[:i]...)
			changed = true
		}
		t := toks[i]
		t.key, t.end, t.sentEnd = strconv.Itoa(v), toks[i+n-1].end, toks[i+n-1].sentEnd
		out = append(out, t)
		i += n - 1
	}
	if !changed {
		return toks
	}
	return out
}

// numberBeforeUnit reads a number in words at keys[i] that a unit of the
// same language follows, in the first language that reads one.
func numberBeforeUnit(ks []string, i int) (v, n int) {
	// A number in words is at most five words and its digits again
	// ("quatre vingt dix neuf 99"): a unit must follow within six.
	if isNumber(ks[i]) || !slices.ContainsFunc(ks[i+1:min(len(ks), i+7)], periodUnit) {
		return 0, 0
	}
	for _, l := range numberLangs {
		v, n := l.parse(ks, i)
		if n == 0 || i+n >= len(ks) {
			continue
		}
		// The same number again in digits, "thirty (30) days",
		// "vingt-quatre (24) heures", is part of it.
		if ks[i+n] == strconv.Itoa(v) && i+n+1 < len(ks) {
			n++
		}
		if !l.units[ks[i+n]] {
			continue
		}
		if n == 1 && l.someday[[2]string{ks[i], ks[i+1]}] && (i == 0 || !l.leads[ks[i-1]]) {
			continue
		}
		return v, n
	}
	return 0, 0
}

// numberInText returns the first number a text states in words before a
// unit of time ("pendant deux ans après"), or -1: the ranking reads a
// changed period from a reason's quoted words with it when they hold no
// digits.
func numberInText(s string) float64 {
	for _, t := range tokenize(s, nil) {
		if isNumber(t.key) {
			if f, err := strconv.ParseFloat(t.key, 64); err == nil {
				return f
			}
		}
	}
	return -1
}

// at returns keys[i], or "" past the end.
func at(keys []string, i int) string {
	if i < len(keys) {
		return keys[i]
	}
	return ""
}

var englishNumbers = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19,
}

var englishTens = map[string]int{
	"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// parseEnglishNumber reads "two", "twenty one" ("twenty-one"), "one
// hundred", "hundred".
func parseEnglishNumber(ks []string, i int) (int, int) {
	k := ks[i]
	if t, ok := englishTens[k]; ok {
		if u, ok := englishNumbers[at(ks, i+1)]; ok && u >= 1 && u <= 9 {
			return t + u, 2
		}
		return t, 1
	}
	if k == "hundred" {
		return 100, 1
	}
	if v, ok := englishNumbers[k]; ok {
		if v == 1 && at(ks, i+1) == "hundred" {
			return 100, 2
		}
		return v, 1
	}
	return 0, 0
}

var frenchNumbers = map[string]int{
	"zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
	"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
}

var frenchTens = map[string]int{
	"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
	"septante": 70, "huitante": 80, "octante": 80, "nonante": 90,
}

// parseFrenchBelow20 reads 0–19: "sept", "seize", "dix-sept" (two
// tokens once the hyphen is gone).
func parseFrenchBelow20(ks []string, i int) (int, int) {
	v, ok := frenchNumbers[at(ks, i)]
	if !ok {
		return 0, 0
	}
	if v == 10 {
		if u, ok := frenchNumbers[at(ks, i+1)]; ok && u >= 7 && u <= 9 {
			return 10 + u, 2
		}
	}
	return v, 1
}

// parseFrenchNumber reads 0–100: "vingt et un", "vingt-deux",
// "soixante-dix", "soixante et onze", "quatre-vingts", "quatre-vingt-dix-
// neuf", "cent", and the Belgian and Swiss "septante", "nonante".
func parseFrenchNumber(ks []string, i int) (int, int) {
	k := ks[i]
	tens, n := 0, 0
	switch {
	case k == "quatre" && (at(ks, i+1) == "vingt" || at(ks, i+1) == "vingts"):
		tens, n = 80, 2
	case frenchTens[k] > 0:
		tens, n = frenchTens[k], 1
	case k == "cent":
		return 100, 1
	default:
		return parseFrenchBelow20(ks, i)
	}
	// "et un", "et une", "et onze" (soixante et onze).
	if at(ks, i+n) == "et" {
		if u, m := parseFrenchBelow20(ks, i+n+1); m == 1 && (u == 1 || u == 11 && tens == 60) {
			return tens + u, n + 2
		}
		return tens, n
	}
	u, m := parseFrenchBelow20(ks, i+n)
	switch {
	case m == 0 || u == 0:
		return tens, n
	case u < 10 || tens == 60 || tens == 80:
		return tens + u, n + m
	}
	return tens, n
}

var germanNumbers = map[string]int{
	"null": 0, "ein": 1, "eins": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eines": 1,
	"zwei": 2, "zwo": 2, "drei": 3, "vier": 4, "fünf": 5, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
	"zehn": 10, "elf": 11, "zwölf": 12, "zwoelf": 12, "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "fuenfzehn": 15,
	"sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19,
	"zwanzig": 20, "dreißig": 30, "dreissig": 30, "vierzig": 40, "fünfzig": 50, "fuenfzig": 50, "sechzig": 60,
	"siebzig": 70, "achtzig": 80, "neunzig": 90,
	"hundert": 100, "einhundert": 100,
}

// parseGermanNumber reads a German number, one word: "zwei",
// "einundzwanzig", "dreißig", "hundert"; ß and the umlauts may be written
// out ("dreissig", "fuenf").
func parseGermanNumber(ks []string, i int) (int, int) {
	k := ks[i]
	if v, ok := germanNumbers[k]; ok {
		return v, 1
	}
	// unit + "und" + tens: "einundzwanzig", "neunundneunzig".
	j := strings.Index(k, "und")
	if j <= 0 {
		return 0, 0
	}
	u, okU := germanNumbers[k[:j]]
	t, okT := germanNumbers[k[j+3:]]
	if !okU || !okT || u < 1 || u > 9 || t < 20 || t > 90 || t%10 != 0 || k[:j] == "eins" {
		return 0, 0
	}
	return t + u, 1
}

var spanishNumbers = map[string]int{
	"cero": 0, "uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
	"ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
	"dieciséis": 16, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
	"veinte": 20, "veintiuno": 21, "veintiún": 21, "veintiun": 21, "veintiuna": 21, "veintidós": 22, "veintidos": 22,
	"veintitrés": 23, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26, "veintiseis": 26,
	"veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
	"treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
	"cien": 100, "ciento": 100,
}

// parseSpanishNumber reads a Spanish number: "dos", "dieciséis" (or
// "dieciseis"), "veintiún", "treinta y uno", "cien".
func parseSpanishNumber(ks []string, i int) (int, int) {
	v, ok := spanishNumbers[ks[i]]
	if !ok {
		return 0, 0
	}
	if v >= 30 && v <= 90 && at(ks, i+1) == "y" {
		if u, ok := spanishNumbers[at(ks, i+2)]; ok && u >= 1 && u <= 9 {
			return v + u, 3
		}
	}
	return v, 1
}
