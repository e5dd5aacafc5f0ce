package watch

import (
	"context"
	"fmt"
	"strings"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
)

// A page that puts a token, a counter or the time into its text shows a
// new text on every fetch: each is pending, none is seen twice, and no
// change is ever confirmed, while every fetch reads the page well. decide
// counts such fetches in a row (State.Unsettled) and, from
// Policy.UnstableAfter on, marks the source's tracking unstable with the
// clauses that differ between the last two texts, so that an operator
// can drop them with a remove selector.

// maxShown bounds the clauses an unstable source's reason quotes, and
// maxQuote the length of each.
const (
	maxShown = 2
	maxQuote = 160
)

// lastText reads the document of the last new text seen, or else of the
// current version: what the next new text is compared with. nil when
// there is none or it cannot be read (the reason then names no clause).
func (c *Checker) lastText(ctx context.Context, st store.State, v *store.Version) *extract.Document {
	var hash string
	switch {
	case st.Pending != nil && st.Pending.DocSHA256 != "":
		hash = st.Pending.DocSHA256
	case v != nil:
		hash = v.DocSHA256
	default:
		return nil
	}
	doc, err := Document(ctx, c.Store, hash)
	if err != nil {
		c.logger().WarnContext(ctx, "cannot read the last text seen", "source", st.SourceID, "doc", hash, "err", err)
		return nil
	}
	return doc
}

// changingClauses are the clauses of next whose text before does not
// hold (each clause text counted as often as it occurs), in next's
// order; when next only lost clauses, the ones it lost.
func changingClauses(before, next *extract.Document) []string {
	if before == nil || next == nil {
		return nil
	}
	left := map[string]int{}
	for _, cl := range before.Clauses {
		left[cl.Text]++
	}
	var added []string
	for _, cl := range next.Clauses {
		if left[cl.Text] > 0 {
			left[cl.Text]--
			continue
		}
		added = append(added, cl.Text)
	}
	if len(added) > 0 {
		return added
	}
	var lost []string
	for _, cl := range before.Clauses {
		if left[cl.Text] > 0 {
			left[cl.Text]--
			lost = append(lost, cl.Text)
		}
	}
	return lost
}

// unstableReason says why a source is unstable: n fetches in a row saw
// a text other than the one before, and these clauses differ.
func unstableReason(n int, clauses []string) string {
	why := fmt.Sprintf("the text differs on every fetch (%d fetches in a row, no text seen twice), so no change can be confirmed", n)
	if len(clauses) == 0 {
		return why
	}
	quoted := make([]string, 0, maxShown)
	for _, cl := range clauses[:min(len(clauses), maxShown)] {
		quoted = append(quoted, fmt.Sprintf("%q", shorten(cl, maxQuote)))
	}
	switch {
	case len(clauses) == 1:
		why += "; the clause that differs: " + quoted[0]
	case len(clauses) <= maxShown:
		why += "; the clauses that differ: " + strings.Join(quoted, ", ")
	default:
		why += fmt.Sprintf("; %d clauses differ, among them %s", len(clauses), strings.Join(quoted, ", "))
	}
	return why + " (a remove selector for it lets the rest be tracked)"
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// joinNotice adds a notice to one already set.
func joinNotice(notice, more string) string {
	if notice == "" {
		return more
	}
	return notice + "; " + more
}
