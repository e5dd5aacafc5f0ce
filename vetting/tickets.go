package vetting

import (
	"fmt"
	"strings"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
)

// fold is the form ticket texts and clauses are matched in: normalised
// (quotes, dashes, white space) and lower-cased, so a ticket does not
// fail on a curly apostrophe or a capital letter.
func fold(s string) string { return strings.ToLower(extract.Normalize(s)) }

// containing returns the clauses of doc whose text contains text.
func containing(doc *extract.Document, text string) []extract.Clause {
	want := fold(text)
	var out []extract.Clause
	for _, c := range doc.Clauses {
		if strings.Contains(fold(c.Text), want) {
			out = append(out, c)
		}
	}
	return out
}

// holds reports whether ticket t's condition holds for docs, the versions
// in force of the ticket's sources (one doc for a ticket about one
// source), and says why in words. base is the document the ticket's
// clause was read from (reword and remove), or nil.
func holds(t store.Ticket, docs []*extract.Document, base *extract.Document, rules *diff.Rules) (bool, string) {
	switch t.Kind {
	case store.TicketAppear:
		for _, d := range docs {
			if cs := containing(d, t.Text); len(cs) > 0 {
				return true, fmt.Sprintf("%q appears: %s", t.Text, clip(cs[0].Display, 160))
			}
		}
		return false, fmt.Sprintf("%q does not appear yet", t.Text)
	case store.TicketDisappear:
		for _, d := range docs {
			if cs := containing(d, t.Text); len(cs) > 0 {
				return false, fmt.Sprintf("%q still appears: %s", t.Text, clip(cs[0].Display, 160))
			}
		}
		return true, fmt.Sprintf("%q no longer appears", t.Text)
	case store.TicketReword, store.TicketRemove:
		if len(docs) != 1 {
			return false, "the ticket's source has no version"
		}
		return clauseChanged(t, docs[0], base, rules)
	}
	return false, fmt.Sprintf("unknown ticket kind %q", t.Kind)
}

// clauseChanged decides a reword or remove ticket: it compares the version
// the clause was read from with doc and looks at what became of the
// clause. A comma fix or a rename does not reword a clause; a clause
// merged into another or split in parts is not removed.
func clauseChanged(t store.Ticket, doc, base *extract.Document, rules *diff.Rules) (bool, string) {
	want := fold(t.Clause)
	for _, c := range doc.Clauses {
		if fold(c.Text) == want {
			return false, "the clause is unchanged"
		}
	}
	if base == nil {
		// The version the clause came from is gone (rebuilt by
		// reextract): compare the clause alone.
		base = &extract.Document{Clauses: []extract.Clause{{Kind: extract.Paragraph, Text: t.Clause, Display: t.Clause}}}
	}
	res := diff.Compare(base, doc, rules)
	for _, ch := range res.Changes {
		if ch.Old == nil || !sideHas(ch.Old, want) {
			continue
		}
		if ch.Kind == diff.Removed {
			return true, "the clause was removed"
		}
		if t.Kind == store.TicketRemove {
			return false, fmt.Sprintf("the clause is still there (%s, %s)", ch.Kind, ch.Class)
		}
		switch ch.Class {
		case diff.Cosmetic, diff.RenameOnly:
			return false, fmt.Sprintf("only %s edits to the clause so far", ch.Class)
		}
		return true, fmt.Sprintf("the clause was reworded (%s, %s): %s", ch.Kind, ch.Class, clip(ch.New.Text, 160))
	}
	// The text differs but the comparison pairs the clause with itself:
	// only folded differences (case, quotes) remain.
	return false, "only cosmetic edits to the clause so far"
}

func sideHas(s *diff.Side, want string) bool {
	if fold(s.Text) == want {
		return true
	}
	for _, p := range s.Parts {
		if fold(p) == want {
			return true
		}
	}
	return false
}

// clip shortens s to about n bytes at a word boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.ToValidUTF8(s[:cut], "") + "…"
}
