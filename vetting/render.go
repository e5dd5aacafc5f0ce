package vetting

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportPage = template.Must(template.New("renewal").Funcs(template.FuncMap{
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"stateClass": func(s string) string { return strings.Fields(s)[0] },
}).Parse(reportTemplate))

// HTMLOptions control the renewal report's page.
type HTMLOptions struct {
	// Links makes each change link to the web server's change page.
	Links bool
}

// WriteHTML writes the report as one self-contained page: no script, no
// external resources, every piece of policy text escaped.
func (r *Report) WriteHTML(w io.Writer, opt HTMLOptions) error {
	type source struct {
		R       SourceReport
		Changes template.HTML
	}
	data := struct {
		R       *Report
		Sources []source
		CSS     template.CSS
		Links   bool
	}{R: r, CSS: diff.HTMLStyle(), Links: opt.Links}
	for _, s := range r.Sources {
		src := source{R: s}
		if s.Diff != nil {
			h, err := diff.HTMLChanges(s.Diff)
			if err != nil {
				return err
			}
			src.Changes = h
		}
		data.Sources = append(data.Sources, src)
	}
	if err := reportPage.Execute(w, data); err != nil {
		return fmt.Errorf("write renewal report: %w", err)
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write renewal report: %w", err)
	}
	return nil
}

// WriteText writes the report for a terminal: the verdict, then each
// source's versions, changes and cumulative diff.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	day := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	}
	fmt.Fprintf(&b, "Renewal report: %s\n", r.Supplier.Name)
	fmt.Fprintf(&b, "  seal awarded %s, rubric %s, last review %s; dates in %s\n", orNone(r.Supplier.Awarded), orNone(r.Supplier.Rubric), orNone(r.Supplier.LastReview), r.Zone)
	fmt.Fprintf(&b, "  baseline %s: %s\n  compared with the version in force at %s\n\n%s\n", r.Baseline, r.BaselineNote, day(r.To), r.Verdict)
	if len(r.Deadlines) > 0 {
		b.WriteString("\nDeadlines\n")
		for _, it := range r.Deadlines {
			fmt.Fprintf(&b, "  %s  %-16s %s — %s\n", it.Day, it.State, it.Title, it.Detail)
		}
	}
	for _, s := range r.Sources {
		fmt.Fprintf(&b, "\n== %s (%s) %s\n", s.Source, s.Kind, s.URL)
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		if s.From != nil && s.To != nil {
			fmt.Fprintf(&b, "  baseline v%d seen %s (states updated %s)\n  now      v%d seen %s (states updated %s)\n",
				s.From.Seq, day(s.From.FirstSeen), orNone(s.From.Stated), s.To.Seq, day(s.To.FirstSeen), orNone(s.To.Stated))
		}
		if s.DateFlag != "" {
			fmt.Fprintf(&b, "  ! stated date: %s\n", s.DateFlag)
		}
		fmt.Fprintf(&b, "  changes in between: %d\n", len(s.Changes))
		for _, c := range s.Changes {
			state := string(c.Triage.State)
			if state == "" {
				state = "new"
			}
			fmt.Fprintf(&b, "    #%d detected %s (live after %s) v%d→v%d [%s] stated %s → %s: %s\n", c.ID, day(c.Detected), day(c.After), c.From, c.To,
				state, orNone(c.StatedBefore), orNone(c.StatedAfter), c.Summary)
			if c.DateFlag != "" {
				fmt.Fprintf(&b, "      ! %s\n", c.DateFlag)
			}
			for _, e := range c.TriageHistory {
				writeTriageEntry(&b, e)
			}
			if c.Reverts != 0 {
				fmt.Fprintf(&b, "      reverts to v%d: not in the cumulative diff\n", c.Reverts)
			}
		}
		switch {
		case s.Same:
			b.WriteString("  cumulative: the clause text is the same as at the baseline\n")
		case s.Diff != nil:
			b.WriteString("  cumulative:\n")
			var d strings.Builder
			if err := diff.WriteText(&d, s.Diff, diff.TextOptions{}); err != nil {
				return err
			}
			for _, line := range strings.Split(strings.TrimRight(d.String(), "\n"), "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTriageEntry writes one line of a change's triage history (a
// note's line breaks become spaces, keeping one entry a line).
func writeTriageEntry(b *strings.Builder, e store.TriageEntry) {
	by := e.By
	if by == "" {
		by = "(unnamed)"
	}
	fmt.Fprintf(b, "      triaged %s by %s: %s → %s", e.At.UTC().Format("2006-01-02 15:04 UTC"), by, e.From, e.To)
	if note := strings.Join(strings.Fields(e.Note), " "); note != "" {
		fmt.Fprintf(b, ": %s", note)
	}
	b.WriteString("\n")
}
