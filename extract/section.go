package extract

import (
	"fmt"
	"strconv"
	"strings"
)

// A page can hold more than one document: a "legal centre" carries the
// terms, the privacy policy and the cookie policy one after the other.
// Options.Section picks one of them by its heading, after the generic
// extraction: the heading whose text matches, and everything below it up
// to the next heading of the same or a higher level (a lower or equal
// number), the way an outline folds. Matching folds case and white space
// (see sectionKey): a heading equal to the section wins; without one, the
// first heading that contains it does, so "Privacy Policy" also finds
// "2. Privacy Policy" or "Privacy Policy (EEA)".

// SectionError is returned when Options.Section names a heading the page
// does not have. It is an ErrNoSection.
type SectionError struct {
	// Section is the heading asked for.
	Section string
	// Headings are the page's headings, as shown, at most the first ten.
	Headings []string
	// More counts the headings left out of Headings.
	More int
}

func (e *SectionError) Error() string {
	if len(e.Headings) == 0 {
		return fmt.Sprintf("extract: section %q not found; the page has no headings", e.Section)
	}
	q := make([]string, len(e.Headings))
	for i, h := range e.Headings {
		q[i] = strconv.Quote(h)
	}
	more := ""
	if e.More > 0 {
		more = fmt.Sprintf(" and %d more", e.More)
	}
	return fmt.Sprintf("extract: section %q not found; headings are: %s%s", e.Section, strings.Join(q, ", "), more)
}

// Unwrap makes a SectionError an ErrNoSection.
func (e *SectionError) Unwrap() error { return ErrNoSection }

// sectionKey is the form headings and the section are compared in: the
// comparison form (Normalize), lower-cased.
func sectionKey(s string) string { return strings.ToLower(Normalize(s)) }

// findSection returns the index of the heading that section names, or -1.
func findSection(clauses []Clause, section string) int {
	key := sectionKey(section)
	if key == "" {
		return -1
	}
	contains := -1
	for i, c := range clauses {
		if c.Kind != Heading {
			continue
		}
		h := sectionKey(c.Text)
		if h == key {
			return i
		}
		if contains < 0 && strings.Contains(h, key) {
			contains = i
		}
	}
	return contains
}

// pickSection narrows doc to the section its heading names: the heading,
// the clauses below it and nothing after the next heading of the same or
// a higher level. Heading paths start at the section's heading; the title
// becomes the heading's text; the date is the section's own, or one stated
// above it at an enclosing level (a legal centre's "last updated" line
// that covers all its documents). It returns a SectionError when no
// heading matches.
func pickSection(doc *Document, section string) error {
	i := findSection(doc.Clauses, section)
	if i < 0 {
		return noSection(doc.Clauses, section)
	}
	all := doc.Clauses
	head := all[i]
	end := i + 1
	for end < len(all) && !(all[end].Kind == Heading && all[end].Level <= head.Level) {
		end++
	}
	depth := len(head.Path)
	out := make([]Clause, 0, end-i)
	for _, c := range all[i:end] {
		c.Path = c.Path[min(depth, len(c.Path)):]
		out = append(out, c)
	}
	// The truncation note, when the cut fell inside the section, stays
	// last; a section that ends before it is whole.
	if doc.Truncated && end < len(all) {
		doc.Truncated = false
	}
	doc.Clauses = out
	doc.Title = head.Display
	doc.Updated, doc.UpdatedText = findUpdated(out)
	if doc.Updated == "" {
		var above []Clause
		for _, c := range all[:i] {
			if c.Kind != Heading && isPrefix(c.Path, head.Path) {
				above = append(above, c)
			}
		}
		doc.Updated, doc.UpdatedText = findUpdated(above)
	}
	return nil
}

// isPrefix reports whether path p is a prefix of (or equal to) q.
func isPrefix(p, q []string) bool {
	if len(p) > len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// noSection builds the error for a section the clauses do not have.
func noSection(clauses []Clause, section string) error {
	e := &SectionError{Section: section}
	for _, c := range clauses {
		if c.Kind != Heading {
			continue
		}
		if len(e.Headings) < 10 {
			e.Headings = append(e.Headings, c.Display)
		} else {
			e.More++
		}
	}
	return e
}
