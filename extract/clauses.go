package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// copyrightLine matches a site's copyright notice ("© 2001-2023 Example
// Inc. All Rights Reserved."), which is page furniture even when it sits
// inside the content.
var copyrightLine = regexp.MustCompile(`(?i)^(?:©|copyright\s*(?:©|\(c\))?\s*(?:\d{4}|[-–, \d]{4,})|\(c\)\s*\d{4})`)

// finishClauses normalises raw clauses, drops furniture that survived
// content selection, and assigns heading paths.
//
// Heading levels: a real heading (h1–h6, role=heading) keeps its level. A
// heading recognised only by its look (a bold paragraph, a title-cased line)
// takes the level below the nearest real heading above it, or the level of
// the look-alike heading right before it, so that "h1 + bold paragraphs"
// gives the same paths as "h1 + h2".
//
// The result holds at most MaxClauses clauses and MaxText bytes of text
// (a clause that crosses MaxText is cut at a character boundary); when raw
// goes beyond, or cut says the walk that made raw stopped early, the last
// clause is the TruncationNote and truncated is true.
func finishClauses(raw []rawClause, cut bool) (out []Clause, truncated bool) {
	type frame struct {
		level  int
		text   string
		pseudo bool
	}
	var stack []frame
	out = make([]Clause, 0, min(len(raw), MaxClauses+1))
	lastReal := 1
	section := sectionLevel(raw)
	size := 0 // bytes of Display so far
	for _, rc := range raw {
		if truncated || len(out) == MaxClauses || size >= MaxText {
			truncated = true
			break
		}
		display := strings.TrimSpace(rc.display)
		if rc.kind == Item {
			display = stripListMarker(display)
		}
		if size+len(display) > MaxText {
			display = clip(display, MaxText-size)
			truncated = true
		}
		text := Normalize(display)
		if text == "" || !hasWordChar(text) {
			continue
		}
		if rc.kind != Heading && utf8.RuneCountInString(text) < 250 && copyrightLine.MatchString(text) {
			continue
		}
		if n := len(out); n > 0 && rc.kind == Heading && out[n-1].Kind == Heading && out[n-1].Text == text {
			continue // the same heading twice in a row (desktop and mobile copies)
		}
		c := Clause{Kind: rc.kind, Text: text, Display: display}
		if rc.kind == Heading {
			level := rc.level
			pseudo := level == 0
			if pseudo {
				level = max(lastReal+1, section)
				if len(stack) > 0 && stack[len(stack)-1].pseudo {
					level = stack[len(stack)-1].level
				}
				if level > 7 {
					level = 7
				}
			} else {
				lastReal = level
			}
			for len(stack) > 0 && stack[len(stack)-1].level >= level {
				stack = stack[:len(stack)-1]
			}
			c.Level = level
			c.Path = pathOf(stack, func(f frame) string { return f.text })
			stack = append(stack, frame{level: level, text: text, pseudo: pseudo})
		} else {
			c.Path = pathOf(stack, func(f frame) string { return f.text })
		}
		out = append(out, c)
		size += len(display)
	}
	if truncated || cut {
		note := TruncationNote(len(out))
		out = append(out, Clause{Kind: Paragraph, Path: []string{}, Text: note, Display: note})
	}
	return out, truncated || cut
}

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func pathOf[T any](stack []T, text func(T) string) []string {
	p := make([]string, len(stack))
	for i, f := range stack {
		p[i] = text(f)
	}
	return p
}

// sectionLevel returns the most frequent level of real headings below the
// top level (h2–h6), or 0 when there are none. Sites that mix bold
// paragraphs and real headings use both for the same sections.
func sectionLevel(raw []rawClause) int {
	var count [8]int
	for _, rc := range raw {
		if rc.kind == Heading && rc.level >= 2 && rc.level <= 6 {
			count[rc.level]++
		}
	}
	best := 0
	for l := 2; l <= 6; l++ {
		if count[l] > count[best] {
			best = l
		}
	}
	return best
}

// titleCased reports whether a short line reads like a title: most of its
// significant words start with a capital letter. Used for flat text, where
// headings have no markup.
func titleCased(s string) bool {
	if !headingLike(s) || strings.HasSuffix(s, ":") && len(strings.Fields(s)) > 6 {
		return false
	}
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 10 {
		return false
	}
	caps, significant := 0, 0
	for i, w := range words {
		w = strings.TrimLeft(w, "(\"'")
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		if i > 0 && minorWords[strings.ToLower(w)] {
			continue
		}
		significant++
		if unicode.IsUpper(r) || unicode.IsDigit(r) {
			caps++
		}
	}
	first, _ := utf8.DecodeRuneInString(words[0])
	return significant > 0 && (unicode.IsUpper(first) || unicode.IsDigit(first)) && caps*4 >= significant*3
}

// minorWords are not capitalised in English title case.
var minorWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "but": true, "nor": true,
	"of": true, "to": true, "in": true, "on": true, "at": true, "by": true, "for": true,
	"with": true, "from": true, "as": true, "into": true, "about": true, "via": true,
	"per": true, "vs": true, "is": true, "are": true, "we": true, "you": true, "your": true,
	"our": true, "do": true, "does": true, "this": true, "that": true, "if": true, "it": true,
}
