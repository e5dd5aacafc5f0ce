package diff

import (
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/extract"
)

// dateLineWords open a date line in English besides the extractor's own
// date cues (extract.DateCue), which cover English, French, German and
// Spanish.
var dateLineWords = map[string]bool{"date": true, "version": true, "dated": true}

// isDateLine reports whether a clause is the policy's own date statement:
// a short clause opening with a date cue, in any language the extractor
// reads ("Updated: May 6, 2019", "Dernière mise à jour : 12 mars 2024",
// "Stand: 1. Januar 2024").
func isDateLine(keys []string) bool {
	if len(keys) == 0 || len(keys) > 12 {
		return false
	}
	head := keys[:min(len(keys), 6)]
	for i := 0; i < len(head) && i < 4; i++ {
		if dateLineWords[head[i]] {
			return true
		}
	}
	return extract.DateCue(strings.Join(head, " "))
}

// dateWord reports whether a key is part of a written date: a number, a
// month name in any language the extractor reads, or an ordinal ("1st",
// "1er").
func dateWord(k string) bool {
	return isNumber(k) || extract.MonthName(k) || isOrdinal(k) || k == "st" || k == "nd" || k == "rd" || k == "th" || k == "er"
}

// onlyDates reports whether every edit changes only date words.
func onlyDates(o, n flatSide, es []edit) bool {
	for _, e := range es {
		for _, k := range append(slices.Clone(o.keys[e.aLo:e.aHi]), n.keys[e.bLo:e.bHi]...) {
			if !dateWord(k) {
				return false
			}
		}
	}
	return true
}

// dateLineEdit reports whether two date lines differ only in their date
// and in words no rule reads ("Effective: January 2, 2025" → "Effective:
// June 26, 2026 (previous version)").
func (j judge) dateLineEdit(o, n flatSide, es []edit) bool {
	if !isDateLine(o.keys) || !isDateLine(n.keys) {
		return false
	}
	for _, e := range es {
		for _, k := range append(slices.Clone(o.lex[e.aLo:e.aHi]), n.lex[e.bLo:e.bHi]...) {
			if !dateWord(k) && (j.rules.lexical(k) || len(j.categoriesIn([]string{k}, 0, 1)) > 0) {
				return false
			}
		}
	}
	return true
}

func isOrdinal(k string) bool {
	for _, suf := range []string{"st", "nd", "rd", "th", "er"} {
		if strings.HasSuffix(k, suf) && isNumber(strings.TrimSuffix(k, suf)) {
			return true
		}
	}
	return false
}

// datedEntry reports whether text opens with a date and a colon, as the
// entries of a change log do ("April 16, 2026: Replaced …").
func datedEntry(text string) bool {
	colon := strings.IndexByte(text, ':')
	if colon < 6 || colon > 30 {
		return false
	}
	return extract.ParseDate(text[:colon]) != ""
}

// monthAt reports whether keys[i] is a month name written in a date: next
// to a number ("May 21", "21 May"). A modal "may" is not.
func monthAt(keys []string, i int) bool {
	if !extract.MonthName(keys[i]) {
		return false
	}
	return (i+1 < len(keys) && isNumber(keys[i+1])) || (i > 0 && isNumber(keys[i-1]))
}
