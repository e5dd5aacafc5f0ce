package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// Text from outside — policy pages, names set over the API, evidence
// bundles — is escaped before it is printed for a terminal, where an
// escape sequence could set the window title, clear the screen or write
// the clipboard (ECMA-48 control functions, OSC 52), a newline could fake
// a row, and a bidi override could reorder what is shown (Unicode
// UAX #9; CVE-2021-42574). JSON output needs none of this: encoding/json
// escapes control characters, and the HTML reports go through
// html/template.

// termSafe escapes s for one line of a terminal: C0 controls (newline
// and tab too), DEL, C1 controls, bidi controls, line and paragraph
// separators and bytes that are not UTF-8 become visible escapes (\x1b,
// \n, \u202e, \xff).
func termSafe(s string) string { return escapeTerm(s, false) }

// termSafeText is termSafe for multi-line text, whose newlines and tabs
// are its layout.
func termSafeText(s string) string { return escapeTerm(s, true) }

func escapeTerm(s string, layout bool) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unsafeRune(r, layout) }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafeRune(r, layout):
			b.WriteString(s[i : i+n])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports whether r must not reach a terminal as it is; with
// layout, newline and tab may.
func unsafeRune(r rune, layout bool) bool {
	switch {
	case layout && (r == '\n' || r == '\t'):
		return false
	case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f: // C0, DEL, C1
		return true
	case 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069, // embeddings, overrides, isolates
		r == 0x200e, r == 0x200f, r == 0x061c, // direction marks
		r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// termSafeDoc is a copy of doc with every text escaped for a terminal,
// for the text reports of show, extract and diff. Its clause Text (what
// diff compares) is already free of control characters (extract drops
// them), so a diff of escaped documents finds what a diff of the
// originals does.
func termSafeDoc(doc *extract.Document) *extract.Document {
	out := *doc
	out.Title, out.Updated, out.UpdatedText = termSafe(doc.Title), termSafe(doc.Updated), termSafe(doc.UpdatedText)
	out.Clauses = make([]extract.Clause, len(doc.Clauses))
	for i, c := range doc.Clauses {
		c.Text, c.Display = termSafeText(c.Text), termSafeText(c.Display)
		if c.Path != nil {
			path := make([]string, len(c.Path))
			for j, p := range c.Path {
				path[j] = termSafe(p)
			}
			c.Path = path
		}
		out.Clauses[i] = c
	}
	return &out
}

// writeReportText writes a renewal report as text for a terminal: its
// one-line fields (names, URLs, dates, verdicts, notes) escaped with
// termSafe, so that no newline in a name fakes a line, then the whole
// with termSafeText.
func writeReportText(w io.Writer, rep *vetting.Report) error {
	r := *rep
	one := func(ps ...*string) {
		for _, p := range ps {
			*p = termSafe(*p)
		}
	}
	one(&r.Supplier.Name, &r.Supplier.Awarded, &r.Supplier.Rubric, &r.Supplier.LastReview, &r.Baseline, &r.BaselineNote, &r.Zone, &r.Verdict)
	r.Sources = slices.Clone(rep.Sources)
	for i := range r.Sources {
		s := &r.Sources[i]
		kind := string(s.Kind)
		one(&s.Source, &s.URL, &kind, &s.DateFlag)
		s.Kind = store.Kind(kind)
		s.Notes = slices.Clone(s.Notes)
		for j := range s.Notes {
			one(&s.Notes[j])
		}
		s.Changes = slices.Clone(s.Changes)
		for j := range s.Changes {
			c := &s.Changes[j]
			one(&c.Summary, &c.StatedBefore, &c.StatedAfter, &c.DateFlag)
		}
	}
	r.Deadlines = slices.Clone(rep.Deadlines)
	for i := range r.Deadlines {
		it := &r.Deadlines[i]
		one(&it.State, &it.Title, &it.Detail)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, termSafeText(b.String()))
	return err
}
