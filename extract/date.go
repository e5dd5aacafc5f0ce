package extract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// updatedCue matches the words a policy uses before its own date, in
// English, French, German and Spanish. It opens at the start, a space or
// an ASCII word boundary: \b alone never fires before a capital with an
// accent ("Última actualización").
var updatedCue = regexp.MustCompile(`(?i)(?:^|\s|\b)(last\s+(?:updated?|modified|revised|changed|reviewed|amended)|updated|modified|revised|effective(?:\s+(?:date|as\s+of|from|on))?|posted|published|date\s+of\s+last\s+(?:revision|update|change)|version\s+(?:date|of)|in\s+force\s+(?:from|since)|derni[eè]re\s+mise\s+[aà]\s+jour|mis[ea]?\s+[aà]\s+jour|en\s+vigueur|stand|zuletzt\s+(?:aktualisiert|ge[aä]ndert)|g[uü]ltig\s+ab|[uú]ltima\s+actualizaci[oó]n|vigente\s+desde)\b`)

// cueMatches returns updatedCue.FindAllStringIndex(s, n), found without
// running the regexp over all of s: it would otherwise try each of its
// alternatives at every position of every clause it is shown. A match
// holds only letters and the white space \s stands for, so the other
// ASCII characters (punctuation, digits) cut s into stretches no match
// crosses. The regexp runs only on a stretch that holds a word every
// match holds one of (see cueWordAt), with the character on either side
// included, which is all the context \b looks at.
func cueMatches(s string, n int) [][]int {
	var out [][]int
	start, cue := 0, false // the current stretch, and whether it holds a cue word
	for i := 0; i <= len(s) && (n < 0 || len(out) < n); i++ {
		if i < len(s) && !cueBreak(s[i]) {
			cue = cue || cueWordAt(s, i)
			continue
		}
		if cue {
			lo, hi := max(start-1, 0), min(i+1, len(s))
			for _, m := range updatedCue.FindAllStringIndex(s[lo:hi], n-len(out)) {
				out = append(out, []int{lo + m[0], lo + m[1]})
			}
		}
		start, cue = i+1, false
	}
	return out
}

// cueWordAt reports whether s[i:] starts a word that every match of
// updatedCue holds one of, in any ASCII case: each alternative's own
// word, or the word after its "last", "date of last", "in", "mise à" or
// "última". The regexp's (?i) also folds two non-ASCII letters into
// ASCII ones, the long s "ſ" (U+017F) and the Kelvin sign "K" (U+212A),
// so either counts as a cue word too.
func cueWordAt(s string, i int) bool {
	c := s[i]
	if c >= utf8.RuneSelf {
		return strings.HasPrefix(s[i:], "\u017F") || strings.HasPrefix(s[i:], "\u212A")
	}
	if i > 0 && asciiWord(s[i-1]) {
		return false // not a word start, where \b or \s puts every cue word
	}
	w := s[i:]
	switch c | 0x20 {
	case 'a':
		return hasFoldPrefix(w, "amended") || hasFoldPrefix(w, "actualizaci")
	case 'c':
		return hasFoldPrefix(w, "change")
	case 'e':
		return hasFoldPrefix(w, "effective")
	case 'f':
		return hasFoldPrefix(w, "force")
	case 'g': // g[uü]ltig
		w = w[1:]
		if strings.HasPrefix(w, "\u00fc") || strings.HasPrefix(w, "\u00dc") {
			w = w[len("\u00fc"):]
		} else if w != "" && w[0]|0x20 == 'u' {
			w = w[1:]
		}
		return hasFoldPrefix(w, "ltig")
	case 'j':
		return hasFoldPrefix(w, "jour")
	case 'm':
		return hasFoldPrefix(w, "modified")
	case 'p':
		return hasFoldPrefix(w, "posted") || hasFoldPrefix(w, "published")
	case 'r':
		return hasFoldPrefix(w, "revised") || hasFoldPrefix(w, "reviewed") || hasFoldPrefix(w, "revision")
	case 's':
		return hasFoldPrefix(w, "stand")
	case 'u':
		return hasFoldPrefix(w, "update")
	case 'v':
		return hasFoldPrefix(w, "version") || hasFoldPrefix(w, "vigueur") || hasFoldPrefix(w, "vigente")
	case 'z':
		return hasFoldPrefix(w, "zuletzt")
	}
	return false
}

// cueBreak reports whether b is an ASCII character no match of updatedCue
// holds: anything but a letter and \s's white space (\v is not one).
func cueBreak(b byte) bool {
	if b >= utf8.RuneSelf || b|0x20 >= 'a' && b|0x20 <= 'z' {
		return false
	}
	return b != ' ' && b != '\t' && b != '\n' && b != '\f' && b != '\r'
}

// hasFoldPrefix reports whether s starts with the lower-case ASCII word w,
// in any ASCII case.
func hasFoldPrefix(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		if s[j]|0x20 != w[j] {
			return false
		}
	}
	return true
}

// asciiWord reports whether b is a word byte as \b sees it: [0-9A-Za-z_].
func asciiWord(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
}

var months = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
	"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
	"juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
	"januar": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7,
	"oktober": 10, "dezember": 12,
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
	"agosto": 8, "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}

const monthWord = `([A-Za-zéèûäÄ]{3,10})\.?`

var (
	dateISO       = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	dateMDY       = regexp.MustCompile(monthWord + `\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	dateDMY       = regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?` + monthWord + `,?\s+(?:de\s+)?(\d{4})\b`)
	dateNumeric   = regexp.MustCompile(`\b(\d{1,2})([/.])(\d{1,2})[/.](\d{4}|\d{2})\b`)
	dateMonthOnly = regexp.MustCompile(monthWord + `,?\s+(\d{4})\b`)
)

// findUpdated looks for the policy's own date statement ("Last updated: May
// 6, 2019", "Effective date: 2023-01-01", "Posted: 03/17/2016") near the top
// of the text, then near the bottom. It returns the date as YYYY-MM-DD (or
// YYYY-MM when the page gives only a month) and the clause it was read from.
func findUpdated(clauses []Clause) (string, string) {
	n := len(clauses)
	var order []int
	for i := 0; i < n && i < 40; i++ {
		order = append(order, i)
	}
	for i := n - 15; i < n; i++ {
		if i >= 40 {
			order = append(order, i)
		}
	}
	for _, i := range order {
		text := clauses[i].Text
		if len(text) > 600 {
			text = text[:600]
		}
		for _, loc := range cueMatches(text, -1) {
			end := loc[1] + 60
			if end > len(text) {
				end = len(text)
			}
			if d := parseDate(text[loc[1]:end]); d != "" {
				return d, clauses[i].Display
			}
		}
	}
	return "", ""
}

// parseDate returns the first date in s as YYYY-MM-DD or YYYY-MM, or "".
func parseDate(s string) string {
	type cand struct {
		at   int
		date string
	}
	var best *cand
	consider := func(at int, date string) {
		if date != "" && (best == nil || at < best.at) {
			best = &cand{at, date}
		}
	}
	if m := dateISO.FindStringSubmatchIndex(s); m != nil {
		consider(m[0], ymd(s[m[2]:m[3]], s[m[4]:m[5]], s[m[6]:m[7]]))
	}
	if m := dateMDY.FindStringSubmatchIndex(s); m != nil {
		if mo, ok := months[strings.ToLower(s[m[2]:m[3]])]; ok {
			consider(m[0], ymd(s[m[6]:m[7]], strconv.Itoa(mo), s[m[4]:m[5]]))
		}
	}
	if m := dateDMY.FindStringSubmatchIndex(s); m != nil {
		if mo, ok := months[strings.ToLower(s[m[4]:m[5]])]; ok {
			consider(m[0], ymd(s[m[6]:m[7]], strconv.Itoa(mo), s[m[2]:m[3]]))
		}
	}
	if m := dateNumeric.FindStringSubmatchIndex(s); m != nil {
		a, sep, b, y := s[m[2]:m[3]], s[m[4]:m[5]], s[m[6]:m[7]], s[m[8]:m[9]]
		if len(y) == 2 {
			y = "20" + y
		}
		ai, _ := strconv.Atoi(a)
		if sep == "/" && ai <= 12 {
			consider(m[0], ymd(y, a, b)) // US month/day/year
		} else {
			consider(m[0], ymd(y, b, a)) // day.month.year, or day/month when day > 12
		}
	}
	if best == nil {
		if m := dateMonthOnly.FindStringSubmatchIndex(s); m != nil {
			if mo, ok := months[strings.ToLower(s[m[2]:m[3]])]; ok {
				if y, err := strconv.Atoi(s[m[4]:m[5]]); err == nil && y >= 1990 && y <= 2100 {
					return fmt.Sprintf("%04d-%02d", y, mo)
				}
			}
		}
		return ""
	}
	return best.date
}

// ymd formats a date, or returns "" when it is not a real calendar date in
// a plausible range.
func ymd(y, m, d string) string {
	yi, err1 := strconv.Atoi(y)
	mi, err2 := strconv.Atoi(m)
	di, err3 := strconv.Atoi(d)
	if err1 != nil || err2 != nil || err3 != nil || yi < 1990 || yi > 2100 || mi < 1 || mi > 12 || di < 1 || di > daysIn(yi, mi) {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", yi, mi, di)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// DateCue reports whether s holds a word a policy puts before its own
// date ("Last updated", "Effective", "Dernière mise à jour", "Stand",
// "Gültig ab", "Última actualización"). The diff reads the policy's date
// line with it, so both packages share one multilingual reader.
func DateCue(s string) bool { return len(cueMatches(s, 1)) > 0 }

// MonthName reports whether w names a month (or its abbreviation) in one
// of the languages the extractor reads, in any case.
func MonthName(w string) bool {
	_, ok := months[strings.ToLower(strings.TrimSuffix(w, "."))]
	return ok
}

// ParseDate returns the first date in s as YYYY-MM-DD (or YYYY-MM when s
// gives only a month), in any of the forms the extractor reads, or "".
func ParseDate(s string) string { return parseDate(s) }
