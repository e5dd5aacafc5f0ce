package web

import (
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// maxPreviewClauses bounds each list a preview shows: enough to judge a
// reading, far below the page cap.
const maxPreviewClauses = 400

// previewClause is one clause of a preview.
type previewClause struct {
	Kind  extract.Kind
	Level int
	Text  string
}

// previewView is a preview as the form shows it: how the fetch went,
// the clauses the source's settings keep, and what they change against
// the page read without them.
type previewView struct {
	URL      string
	Outcome  store.Outcome
	Reason   string
	Error    string
	Status   int
	Words    int
	Rendered bool
	// Good is true when a first check would record the page as the
	// source's first version.
	Good    bool
	Title   string
	Updated string
	// Settings is true when select, remove or section are given.
	Settings bool
	// Kept are the clauses the settings keep (all when none are given);
	// Added marks those the page read without settings lacks (select
	// found text the generic reading left out).
	Kept  []previewClause
	Added map[int]bool
	// Dropped are the clauses of the page read without settings that
	// the settings leave out.
	Dropped []previewClause
	// KeptTotal and DroppedTotal count them all; the lists are cut at
	// maxPreviewClauses.
	KeptTotal, DroppedTotal int
	// Sections are the page's headings, for the section picker.
	Sections []string
}

func newPreviewView(src store.Source, p watch.Preview) previewView {
	v := previewView{URL: src.URL, Outcome: p.Fetch.Outcome, Reason: p.Fetch.Reason, Error: p.Fetch.Error, Status: p.Fetch.Status,
		Words: p.Fetch.Words, Rendered: p.Rendered, Good: p.Fetch.Outcome.Good(), Added: map[int]bool{},
		Settings: len(src.Select) > 0 || len(src.Remove) > 0 || src.Section != ""}
	if p.Doc != nil {
		v.Title, v.Updated = p.Doc.Title, p.Doc.Updated
	}
	whole := map[string]bool{}
	if p.Whole != nil {
		seen := map[string]bool{}
		for _, c := range p.Whole.Clauses {
			whole[c.Text] = true
			if c.Kind == extract.Heading && !seen[c.Display] && len(v.Sections) < 200 {
				seen[c.Display] = true
				v.Sections = append(v.Sections, c.Display)
			}
		}
	}
	kept := map[string]bool{}
	if p.Doc != nil {
		v.KeptTotal = len(p.Doc.Clauses)
		for _, c := range p.Doc.Clauses {
			kept[c.Text] = true
			if len(v.Kept) < maxPreviewClauses {
				if v.Settings && p.Whole != nil && !whole[c.Text] {
					v.Added[len(v.Kept)] = true
				}
				v.Kept = append(v.Kept, previewClause{Kind: c.Kind, Level: c.Level, Text: c.Display})
			}
		}
	}
	if v.Settings && p.Whole != nil {
		for _, c := range p.Whole.Clauses {
			if kept[c.Text] {
				continue
			}
			v.DroppedTotal++
			if len(v.Dropped) < maxPreviewClauses {
				v.Dropped = append(v.Dropped, previewClause{Kind: c.Kind, Level: c.Level, Text: c.Display})
			}
		}
	}
	return v
}
