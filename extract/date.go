package extract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// updatedCue matches the words a policy uses before its own date, in
// English, French, German and Spanish. It opens at the start, a space or
// an ASCII word boundary: \b alone never fires before a capital with an
// accent ("Última actualización").
var updatedCue = regexp.MustCompile(`(?i)(?:^|\s|\b)(last\s+(?:updated|modified|revised|changed|reviewed|amended)|updated|modified|revised|effective(?:\s+(?:date|as\s+of|from|on))?|posted|published|date\s+of\s+last\s+(?:revision|update|change)|version\s+(?:date|of)|in\s+force\s+(?:from|since)|derni[eè]re\s+mise\s+[aà]\s+jour|mis[ea]?\s+[aà]\s+jour|en\s+vigueur|stand|zuletzt\s+(?:aktualisiert|ge[aä]ndert)|g[uü]ltig\s+ab|[uú]ltima\s+actualizaci[oó]n|vigente\s+desde)\b`)

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
		for _, loc := range updatedCue.FindAllStringIndex(text, -1) {
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
func DateCue(s string) bool { return updatedCue.MatchString(s) }

// MonthName reports whether w names a month (or its abbreviation) in one
// of the languages the extractor reads, in any case.
func MonthName(w string) bool {
	_, ok := months[strings.ToLower(strings.TrimSuffix(w, "."))]
	return ok
}

// ParseDate returns the first date in s as YYYY-MM-DD (or YYYY-MM when s
// gives only a month), in any of the forms the extractor reads, or "".
func ParseDate(s string) string { return parseDate(s) }
