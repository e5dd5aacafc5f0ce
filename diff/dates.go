package diff

import (
	"slices"
	"strings"
)

// isDateLine reports whether a clause is the policy's own date statement:
// a short clause opening with a date cue.
func isDateLine(keys []string) bool {
	if len(keys) == 0 || len(keys) > 12 {
		return false
	}
	for i := 0; i < len(keys) && i < 4; i++ {
		switch keys[i] {
		case "updated", "effective", "posted", "revised", "modified", "date", "version", "published":
			return true
		}
	}
	return false
}

var monthNames = map[string]bool{
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
	"july": true, "august": true, "september": true, "october": true, "november": true, "december": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"st": true, "nd": true, "rd": true, "th": true,
}

// onlyDates reports whether every edit changes only date words.
func onlyDates(o, n flatSide, es []edit) bool {
	for _, e := range es {
		for _, k := range append(slices.Clone(o.keys[e.aLo:e.aHi]), n.keys[e.bLo:e.bHi]...) {
			if !isNumber(k) && !monthNames[k] && !isOrdinal(k) {
				return false
			}
		}
	}
	return true
}

func isOrdinal(k string) bool {
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if strings.HasSuffix(k, suf) && isNumber(strings.TrimSuffix(k, suf)) {
			return true
		}
	}
	return false
}
