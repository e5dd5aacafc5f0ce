package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// TextOptions control the terminal report.
type TextOptions struct {
	// All lists rename-only and cosmetic changes instead of counting them.
	All bool
	// Color marks deletions and insertions with ANSI colours instead of
	// [-…-] and {+…+}.
	Color bool
	// OldName and NewName label the two inputs (file names or URLs).
	OldName, NewName string
}

// WriteJSON writes the result as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// errWriter remembers the first write error so rendering code can stay
// linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiDim    = "\x1b[2m"
	ansiItalic = "\x1b[3m"
)

// WriteText writes the report for a terminal: the verdict, renames on one
// line each, substantive then editorial changes with their reasons and
// inline diffs, and rename-only and cosmetic changes as counts (or, with
// All, listed).
func WriteText(w io.Writer, r *Result, opt TextOptions) error {
	ew := &errWriter{w: w}
	style := func(code, s string) string {
		if !opt.Color || s == "" {
			return s
		}
		return code + s + ansiReset
	}
	if opt.OldName != "" || opt.NewName != "" {
		ew.printf("--- %s%s\n+++ %s%s\n", opt.OldName, docLabel(r.Old), opt.NewName, docLabel(r.New))
	}
	// The summary opens with the verdict ("Re-vet: …" or "No re-vet
	// needed"); it is the first thing a reader sees.
	if r.Revet {
		ew.printf("%s\n", style(ansiBold+ansiRed, r.Summary))
	} else {
		ew.printf("%s\n", style(ansiBold, r.Summary))
	}
	writeReadingAids(ew, r, style)
	if len(r.Renames) > 0 {
		ew.printf("\n%s\n", style(ansiBold, "Renamed"))
		for _, rn := range r.Renames {
			ew.printf("  %s → %s  in %s\n", rn.From, rn.To, plural(rn.Count, "clause"))
			if len(rn.Variants) > 1 {
				var vs []string
				for _, v := range rn.Variants[1:] {
					vs = append(vs, fmt.Sprintf("%s → %s (%d)", v.From, v.To, v.Count))
				}
				ew.printf("    also as: %s\n", strings.Join(vs, "; "))
			}
			for _, why := range rn.Reasons {
				ew.printf("    %s\n", why)
			}
		}
	}
	groups := []struct {
		class  Class
		title  string
		listed bool
	}{
		{Substantive, "Substantive", true},
		{Editorial, "Editorial", true},
		{RenameOnly, "Rename only", opt.All},
		{Cosmetic, "Cosmetic", opt.All},
	}
	for _, g := range groups {
		if r.Rewrite && !opt.All && (g.class == Substantive || g.class == Editorial) {
			// A rewrite is read as a new document: the gist and the
			// ranking stand in for hundreds of clause changes.
			if n := countClass(r, g.class); n > 0 {
				ew.printf("\n%s: %s (rewritten; use --all to list them)\n", style(ansiBold, g.title), plural(n, "clause"))
			}
			continue
		}
		var cs []Change
		for _, c := range r.Changes {
			if c.Class == g.class {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			continue
		}
		if !g.listed {
			ew.printf("\n%s: %s (use --all to list them)\n", style(ansiBold, g.title), plural(len(cs), "clause"))
			continue
		}
		ew.printf("\n%s (%d)\n", style(ansiBold, g.title), len(cs))
		for i, c := range cs {
			where := c.New
			if where == nil {
				where = c.Old
			}
			head := fmt.Sprintf("%d. %s", i+1, c.Kind)
			if len(c.Categories) > 0 {
				head += " · " + strings.Join(c.Categories, ", ")
			}
			if len(where.Path) > 0 {
				head += " · " + strings.Join(where.Path, " › ")
			}
			ew.printf("  %s\n", style(ansiBold, head))
			for _, why := range c.Reasons {
				ew.printf("     %s\n", why)
			}
			switch {
			case c.Old == nil:
				ew.printf("     %s\n", style(ansiGreen, "+ "+oneLine(c.New.Text)))
			case c.New == nil:
				ew.printf("     %s\n", style(ansiRed, "- "+oneLine(c.Old.Text)))
			default:
				ew.printf("     %s\n", inlineText(c.Inline, opt.Color))
				if note := renamedNote(c.Inline); note != "" {
					ew.printf("     %s\n", style(ansiDim, note))
				}
			}
		}
	}
	return ew.err
}

func countClass(r *Result, class Class) int {
	n := 0
	for _, c := range r.Changes {
		if c.Class == class {
			n++
		}
	}
	return n
}

// textRankShown is how many ranked changes the text report lists.
const textRankShown = 10

// writeReadingAids writes the rewrite banner, the gist, the top of the
// ranking and the other changes counted by section.
func writeReadingAids(ew *errWriter, r *Result, style func(code, s string) string) {
	if r.Rewrite {
		ew.printf("\n%s\n", style(ansiBold+ansiRed, RewriteNote(r)))
	}
	if lines := r.Gist.Lines(); len(lines) > 0 {
		ew.printf("\n%s\n", style(ansiBold, "Gist"))
		for _, l := range lines {
			ew.printf("  %s\n", l)
		}
	}
	if len(r.Rank) > 0 {
		ew.printf("\n%s\n", style(ansiBold, fmt.Sprintf("Ranked (%d of %d substantive)", min(len(r.Rank), textRankShown), r.Counts.Substantive)))
		for i, it := range r.Rank[:min(len(r.Rank), textRankShown)] {
			ew.printf("  %d. %s\n     %s\n", i+1, it.Line(), it.Excerpt)
			if also := alsoSections(r, it); also != "" {
				ew.printf("     also in: %s\n", also)
			}
		}
	}
	if len(r.Sections) > 0 {
		ew.printf("\n%s\n", style(ansiBold, "Other changes by section"))
		for _, s := range r.Sections {
			ew.printf("  %s: %s\n", orTop(s.Section), s.counts())
		}
	}
}

// maxAlsoSections bounds the sections listed for the changes folded under
// a ranked one.
const maxAlsoSections = 3

// alsoSections names the sections of the changes folded under a ranked
// one: "Sharing; Cookies (and 2 more)".
func alsoSections(r *Result, it RankItem) string {
	var names []string
	for _, i := range it.Also {
		if i < 0 || i >= len(r.Changes) {
			continue
		}
		if s := orTop(sectionOf(r.Changes[i])); !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	if len(names) > maxAlsoSections {
		return strings.Join(names[:maxAlsoSections], "; ") + fmt.Sprintf(" (and %d more)", len(names)-maxAlsoSections)
	}
	return strings.Join(names, "; ")
}

// RewriteNote is the rewrite banner: "rewritten — review as a new
// document", with the share of old clauses that survived.
func RewriteNote(r *Result) string {
	return fmt.Sprintf("Rewritten — review as a new document (%d of %d old clauses unchanged).", r.Counts.Unchanged, r.Old.Clauses)
}

func (s Section) counts() string {
	var parts []string
	if s.Substantive > 0 {
		parts = append(parts, fmt.Sprintf("%d substantive", s.Substantive))
	}
	if s.Editorial > 0 {
		parts = append(parts, fmt.Sprintf("%d editorial", s.Editorial))
	}
	if s.Other > 0 {
		parts = append(parts, fmt.Sprintf("%d other", s.Other))
	}
	return strings.Join(parts, ", ")
}

func docLabel(d DocInfo) string {
	var parts []string
	if d.Title != "" {
		parts = append(parts, d.Title)
	}
	if d.Updated != "" {
		parts = append(parts, "updated "+d.Updated)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ¶ ") }

// inlineText renders spans on one line, shortening long unchanged runs to
// their first and last few words. A rename span reads as unchanged text
// (its new form, in italics with Color): it joins the unchanged run it
// stands in, and renamedNote says what it was.
func inlineText(spans []Span, color bool) string {
	type piece struct{ op, text string }
	var ps []piece
	for _, s := range spans {
		op, text := s.Op, oneLine(s.Text)
		if op == OpRename {
			op = OpEqual
			if color {
				text = styleWords(ansiItalic, text)
			}
		}
		if k := len(ps) - 1; k >= 0 && op == OpEqual && ps[k].op == OpEqual {
			ps[k].text += text
			continue
		}
		ps = append(ps, piece{op, text})
	}
	var b strings.Builder
	for i, p := range ps {
		switch p.op {
		case OpEqual:
			b.WriteString(elide(p.text, i > 0, i < len(ps)-1))
		case OpDelete:
			if color {
				b.WriteString(ansiRed + "\x1b[9m" + p.text + ansiReset)
			} else {
				b.WriteString("[-" + p.text + "-]")
			}
		case OpInsert:
			if color {
				b.WriteString(ansiGreen + "\x1b[4m" + p.text + ansiReset)
			} else {
				b.WriteString("{+" + p.text + "+}")
			}
		}
	}
	return b.String()
}

// styleWords styles each space-separated word of s on its own, so that
// elide, which cuts at spaces, never separates a style from its reset.
func styleWords(code, s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		if w != "" {
			words[i] = code + w + ansiReset
		}
	}
	return strings.Join(words, " ")
}

// renamedNote lists the renames a change's spans show as unchanged text
// ("renamed here: IMS Global → 1EdTech"), each old → new once; "" when
// there are none.
func renamedNote(spans []Span) string {
	var seen []string
	for _, s := range spans {
		if s.Op != OpRename {
			continue
		}
		if r := oneLine(s.From) + " → " + oneLine(s.Text); !slices.Contains(seen, r) {
			seen = append(seen, r)
		}
	}
	if len(seen) == 0 {
		return ""
	}
	return "renamed here: " + strings.Join(seen, "; ")
}

// elide keeps up to contextWords words of an unchanged run next to each
// edit, replacing the middle with " … ".
func elide(s string, before, after bool) string {
	const contextWords = 8
	if !before && !after {
		return s
	}
	words := strings.Split(s, " ")
	keep := 0
	if before {
		keep += contextWords
	}
	if after {
		keep += contextWords
	}
	if len(words) <= keep+3 {
		return s
	}
	var head, tail []string
	if before {
		head = words[:contextWords]
	}
	if after {
		tail = words[len(words)-contextWords:]
	}
	out := strings.Join(head, " ")
	if before {
		out += " "
	}
	out += "…"
	if after {
		out += " " + strings.Join(tail, " ")
	}
	if !utf8.ValidString(out) {
		return s
	}
	return out
}
