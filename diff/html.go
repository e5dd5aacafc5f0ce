package diff

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var reportTemplate string

//go:embed report.css
var reportCSS string

// HTMLStyle is the style sheet of the HTML report, for pages that embed
// HTMLChanges.
func HTMLStyle() template.CSS { return template.CSS(reportCSS) }

// HTMLOptions control the HTML report.
type HTMLOptions struct {
	// OldName and NewName label the two inputs.
	OldName, NewName string
}

// WriteHTML writes a self-contained HTML page (no script, no external
// resources): the verdict, the renames, substantive and editorial changes
// side by side with inline highlights, and the rename-only and cosmetic
// changes folded away. Every piece of policy text is escaped.
func WriteHTML(w io.Writer, r *Result, opt HTMLOptions) error {
	t, err := parseReport()
	if err != nil {
		return err
	}
	data := struct {
		R                *Result
		OldName, NewName string
		Classes          []Class
		CSS              template.CSS
	}{r, opt.OldName, opt.NewName, classOrder, HTMLStyle()}
	if err := t.Execute(w, data); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

var classOrder = []Class{Substantive, Editorial, RenameOnly, Cosmetic}

// HTMLChanges renders a result's renames and changes as an HTML fragment,
// the body of WriteHTML's page, for a page of its own (a renewal report)
// that also includes HTMLStyle. Every piece of policy text is escaped.
func HTMLChanges(r *Result) (template.HTML, error) {
	t, err := parseReport()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	data := struct {
		R       *Result
		Classes []Class
	}{r, classOrder}
	if err := t.ExecuteTemplate(&b, "changes", data); err != nil {
		return "", fmt.Errorf("writing HTML changes: %w", err)
	}
	return template.HTML(b.String()), nil
}

func parseReport() (*template.Template, error) {
	t, err := template.New("report").Funcs(template.FuncMap{
		"path": func(s *Side) string {
			if s == nil {
				return ""
			}
			return strings.Join(s.Path, " › ")
		},
		"inGroup": func(cs []Change, class Class) []Change {
			var out []Change
			for _, c := range cs {
				if c.Class == class {
					out = append(out, c)
				}
			}
			return out
		},
		"oldSpans":    func(c Change) []Span { return sideSpans(c, "-") },
		"rewriteNote": RewriteNote,
		"newSpans":    func(c Change) []Span { return sideSpans(c, "+") },
	}).Parse(reportTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing report template: %w", err)
	}
	return t, nil
}

// sideSpans returns the spans one side of a change shows: the unchanged
// text and the renames plus its own deletions ("-") or insertions ("+").
// A rename span is the same on both sides: the old side shows its From,
// the new side its Text. Added and removed clauses show their whole text
// as one span.
func sideSpans(c Change, op string) []Span {
	switch {
	case op == "-" && c.Old == nil, op == "+" && c.New == nil:
		return nil
	case c.Old == nil:
		return []Span{{Op: "+", Text: c.New.Text}}
	case c.New == nil:
		return []Span{{Op: "-", Text: c.Old.Text}}
	}
	var out []Span
	for _, s := range c.Inline {
		if s.Op == OpEqual || s.Op == OpRename || s.Op == op {
			out = append(out, s)
		}
	}
	return out
}

// OldSpans is what the old side of c shows in a side-by-side view: the
// unchanged text and the deletions.
func (c Change) OldSpans() []Span { return sideSpans(c, "-") }

// NewSpans is what the new side of c shows: the unchanged text and the
// insertions.
func (c Change) NewSpans() []Span { return sideSpans(c, "+") }
