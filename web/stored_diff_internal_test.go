package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// legacyDiff is a diff stored by diff/3: the rename inside a substantive
// clause is part of a deletion and an insertion, and no span is "~".
const legacyDiff = `{"revet": true, "summary": "Re-vet: 1 substantive change (sharing); renamed Acme Global → Brightpath in 3 clauses.",
"renames": [{"from": "Acme Global", "to": "Brightpath", "count": 3, "categories": [], "reasons": []}],
"changes": [{"kind": "modified", "class": "substantive", "categories": ["sharing"], "reasons": ["a negation is gone"],
  "old": {"index": 1, "path": [], "text": "Acme Global does not sell your personal data to advertisers."},
  "new": {"index": 1, "path": [], "text": "Brightpath sells your personal data to advertisers."},
  "inline": [{"op": "-", "text": "Acme Global does not sell"}, {"op": "+", "text": "Brightpath sells"}, {"op": "=", "text": " your personal data to advertisers."}]}],
"counts": {"unchanged": 0, "substantive": 1, "editorial": 0, "rename": 3, "cosmetic": 0},
"old_document": {"title": "", "updated": "", "clauses": 4}, "new_document": {"title": "", "updated": "", "clauses": 4},
"version": "diff/3", "rules_version": 1}`

// TestStoredDiffVersions: a change page reads a diff whichever version
// stored it. One from diff/3 shows its deletions and insertions as they
// were stored; one from this build shows the rename inside the
// substantive clause as renamed text, side by side and inline.
func TestStoredDiffVersions(t *testing.T) {
	current, err := json.Marshal(diff.Compare(textDoc(t,
		"Acme Global runs this website and the services described in this privacy policy.",
		"Acme Global does not sell your personal data to advertisers.",
		"You can write to Acme Global at any time with questions about this privacy policy.",
		"Acme Global reviews this privacy policy every year and updates it when needed."), textDoc(t,
		"Brightpath runs this website and the services described in this privacy policy.",
		"Brightpath sells your personal data to advertisers.",
		"You can write to Brightpath at any time with questions about this privacy policy.",
		"Brightpath reviews this privacy policy every year and updates it when needed."), nil))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parseTemplates(time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		data    string
		inline  bool
		version string
		want    []string
		not     []string
	}{
		{"diff/3 side by side", legacyDiff, false, "diff/3",
			[]string{"<del>Acme Global does not sell</del>", "<ins>Brightpath sells</ins>"}, []string{`class="renamed"`}},
		{"diff/3 inline", legacyDiff, true, "diff/3",
			[]string{"<del>Acme Global does not sell</del><ins>Brightpath sells</ins> your personal data"}, []string{`class="renamed"`}},
		{"current side by side", string(current), false, diff.Version,
			[]string{`<span class="renamed" title="renamed to Brightpath">Acme Global</span> <del>does not sell</del>`,
				`<span class="renamed" title="renamed from Acme Global">Brightpath</span> <ins>sells</ins>`},
			[]string{"<del>Acme Global does", "<ins>Brightpath sells"}},
		{"current inline", string(current), true, diff.Version,
			[]string{`<span class="renamed" title="renamed from Acme Global">Brightpath</span> <del>does not sell</del><ins>sells</ins>`},
			[]string{"<del>Acme Global does", "<ins>Brightpath sells"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := diffPage([]byte(tc.data), newPager(changesPerPage, changeText, 1))
			if err != nil {
				t.Fatal(err)
			}
			if r.Version != tc.version {
				t.Errorf("version %q, want %q", r.Version, tc.version)
			}
			var b strings.Builder
			if err := pages["change"].ExecuteTemplate(&b, "diffbody", changeData{R: r, Groups: groupChanges(r), Inline: tc.inline}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("no %q in\n%s", w, b.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q in\n%s", w, b.String())
				}
			}
		})
	}
}

func textDoc(t *testing.T, paras ...string) *extract.Document {
	t.Helper()
	d, err := extract.Text([]byte(strings.Join(paras, "\n\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
