package diff_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// renamedPolicy is a policy in which "Acme Global" becomes "Brightpath"
// throughout (three clauses change by the rename alone, so it is a
// rename), with the clauses of a case, old and new.
func renamedPolicy(old, new []string) ([]string, []string) {
	a := []string{
		"Acme Global runs this website and the services described in this privacy policy.",
		"You can write to Acme Global at any time with questions about this privacy policy.",
		"Acme Global reviews this privacy policy every year and updates it when needed.",
	}
	b := make([]string, len(a))
	for i, s := range a {
		b[i] = strings.ReplaceAll(s, "Acme Global", "Brightpath")
	}
	// The clauses of the case go second: a short last paragraph may be
	// read as a page footer.
	return slices.Concat(a[:1], old, a[1:]), slices.Concat(b[:1], new, b[1:])
}

// TestRenameSpans: inside a substantive or editorial clause, the rename
// is a rename span (new text, old text in From) and the words that made
// the change are still deletions and insertions; a rename-only clause
// keeps its rename as an edit; the same name on both sides is plain text.
// Every case is also compared the other way round, where the spans
// mirror.
func TestRenameSpans(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		class    diff.Class
		renames  []string // "from→to" of the rename spans, in order
		del, ins []string // words some deletion / insertion holds
	}{
		{
			name:  "substantive, the rename at the start",
			old:   "Acme Global does not sell your personal data to advertisers.",
			new:   "Brightpath sells your personal data to advertisers.",
			class: diff.Substantive, renames: []string{"Acme Global→Brightpath"},
			del: []string{"does not sell"}, ins: []string{"sells"},
		},
		{
			name:  "substantive, the rename next to the change",
			old:   "We share your email address with Acme Global partners only.",
			new:   "We share your email address, location and contacts with Brightpath partners and advertisers.",
			class: diff.Substantive, renames: []string{"Acme Global→Brightpath"},
			ins: []string{"location and contacts", "and advertisers"},
		},
		{
			name:  "substantive, the rename twice with a replacement between",
			old:   "Acme Global keeps your messages for 30 days and Acme Global deletes them after that.",
			new:   "Brightpath keeps your messages for 5 years and Brightpath deletes them after that.",
			class: diff.Substantive, renames: []string{"Acme Global→Brightpath", "Acme Global→Brightpath"},
			del: []string{"30 days"}, ins: []string{"5 years"},
		},
		{
			// The edits either side outweigh the name between them, so
			// the word diff's semantic cleanup makes one replacement of
			// the three; the rename is cut out of it.
			name:  "substantive, the rename inside one replacement",
			old:   "We may share your email address with the selected partners of Acme Global through secure channels for support.",
			new:   "We may share your email address with advertisers and data brokers beside Brightpath and its affiliates for support.",
			class: diff.Substantive, renames: []string{"Acme Global→Brightpath"},
			del: []string{"the selected partners of", "through secure channels"}, ins: []string{"advertisers and data brokers beside", "and its affiliates"},
		},
		{
			name:  "editorial",
			old:   "The forums of Acme Global are moderated by volunteers from the community.",
			new:   "The discussion forums of Brightpath are moderated by volunteers from the community.",
			class: diff.Editorial, renames: []string{"Acme Global→Brightpath"},
			ins: []string{"discussion"},
		},
		{
			name:  "rename only",
			old:   "Acme Global publishes its annual report in June.",
			new:   "Brightpath publishes its annual report in June.",
			class: diff.RenameOnly,
			del:   []string{"Acme Global"}, ins: []string{"Brightpath"},
		},
		{
			name:  "the new name on both sides",
			old:   "Brightpath does not sell your personal data to advertisers.",
			new:   "Brightpath sells your personal data to advertisers.",
			class: diff.Substantive,
			del:   []string{"does not sell"}, ins: []string{"sells"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := renamedPolicy([]string{tc.old}, []string{tc.new})
			for _, dir := range []string{"forward", "backward"} {
				old, new := a, b
				if dir == "backward" {
					old, new = b, a
				}
				r := diff.Compare(textDoc(t, old...), textDoc(t, new...), nil)
				if len(r.Renames) != 1 {
					t.Fatalf("%s: renames %+v, want one", dir, r.Renames)
				}
				c := changeWithOld(r, old[1])
				if c == nil {
					t.Fatalf("%s: no change of %q: %+v", dir, old[1], r.Changes)
				}
				if c.Class != tc.class {
					t.Errorf("%s: class %s, want %s (%v)", dir, c.Class, tc.class, c.Reasons)
				}
				checkSides(t, c)
				var renames, dels, inss []string
				for _, s := range c.Inline {
					switch s.Op {
					case diff.OpRename:
						renames = append(renames, s.From+"→"+s.Text)
					case diff.OpDelete:
						dels = append(dels, s.Text)
					case diff.OpInsert:
						inss = append(inss, s.Text)
					}
				}
				want, del, ins := tc.renames, tc.del, tc.ins
				if dir == "backward" {
					want, del, ins = mirrorRenames(want), ins, del
				}
				if !slices.Equal(renames, want) {
					t.Errorf("%s: rename spans %q, want %q\n%s", dir, renames, want, spansString(c.Inline))
				}
				if tc.class != diff.RenameOnly {
					for _, s := range append(slices.Clone(dels), inss...) {
						if strings.Contains(s, "Acme") || strings.Contains(s, "Brightpath") {
							t.Errorf("%s: the name is highlighted as an edit: %q\n%s", dir, s, spansString(c.Inline))
						}
					}
				}
				for _, w := range del {
					if !slices.ContainsFunc(dels, func(s string) bool { return strings.Contains(s, w) }) {
						t.Errorf("%s: no deletion holds %q\n%s", dir, w, spansString(c.Inline))
					}
				}
				for _, w := range ins {
					if !slices.ContainsFunc(inss, func(s string) bool { return strings.Contains(s, w) }) {
						t.Errorf("%s: no insertion holds %q\n%s", dir, w, spansString(c.Inline))
					}
				}
			}
		})
	}
}

// TestRenameSpansRendered: the text report shows a rename span as plain
// new text with a note, the HTML report as the new (and on the old side
// the old) text marked as renamed, and JSON keeps both forms.
func TestRenameSpansRendered(t *testing.T) {
	a, b := renamedPolicy([]string{"Acme Global does not sell your personal data to advertisers."},
		[]string{"Brightpath sells your personal data to advertisers."})
	r := diff.Compare(textDoc(t, a...), textDoc(t, b...), nil)
	var text, color, page, js strings.Builder
	if err := diff.WriteText(&text, r, diff.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := diff.WriteText(&color, r, diff.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if err := diff.WriteHTML(&page, r, diff.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := diff.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, got string
		want      []string
		not       []string
	}{
		{"text", text.String(),
			[]string{"Brightpath [-does not sell-]{+sells+} your personal data", "renamed here: Acme Global → Brightpath"},
			[]string{"[-Acme Global"}},
		{"text in colour", color.String(),
			// Italic, then the deletion in red, struck through.
			[]string{"\x1b[3mBrightpath\x1b[0m \x1b[31m\x1b[9mdoes not sell\x1b[0m", "\x1b[2mrenamed here: Acme Global → Brightpath\x1b[0m"},
			[]string{"\x1b[9mAcme Global"}},
		{"html", page.String(),
			[]string{`<span class="renamed" title="renamed from Acme Global">Brightpath</span>`, `<span class="renamed" title="renamed to Brightpath">Acme Global</span>`},
			[]string{"<del>Acme Global does", "<ins>Brightpath sells"}},
		{"json", js.String(),
			[]string{`"op": "~",` + "\n" + `          "text": "Brightpath",` + "\n" + `          "from": "Acme Global"`, `"version": "diff/4"`},
			nil},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.got, w) {
				t.Errorf("%s: no %q in\n%s", tc.name, w, tc.got)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(tc.got, w) {
				t.Errorf("%s: has %q", tc.name, w)
			}
		}
	}
}

// TestRenameSpansIMS: in the real IMS Global → 1EdTech rewrite, no
// substantive or editorial change shows the old name as a deletion, and
// each one whose old text has the name shows it as a rename span.
func TestRenameSpansIMS(t *testing.T) {
	r := diff.Compare(fixtureDoc(t, "pages/ims/2019-05-06.html"), fixtureDoc(t, "pages/ims/2022-05-17.html"), nil)
	seen := 0
	for _, c := range r.Changes {
		if c.Old == nil || c.New == nil {
			continue
		}
		checkSides(t, &c)
		if c.Class != diff.Substantive && c.Class != diff.Editorial {
			continue
		}
		hasRename := false
		for _, s := range c.Inline {
			switch {
			case s.Op == diff.OpRename:
				hasRename = true
			case s.Op == diff.OpDelete && (strings.Contains(s.Text, "IMS Global") || strings.Contains(s.Text, "imsglobal")):
				t.Errorf("%s change: the old name is a deletion: %q\n%s", c.Class, s.Text, spansString(c.Inline))
			}
		}
		if strings.Contains(c.Old.Text, "IMS Global") {
			seen++
			if !hasRename {
				t.Errorf("%s change of %.60q…: no rename span\n%s", c.Class, c.Old.Text, spansString(c.Inline))
			}
		}
	}
	if seen < 10 {
		t.Errorf("%d substantive or editorial changes name IMS Global, want many", seen)
	}
}

// checkSides checks that a change's spans give back both texts: the old
// one from the unchanged text, the deletions and the renames' old forms,
// the new one likewise.
func checkSides(t *testing.T, c *diff.Change) {
	t.Helper()
	var o, n strings.Builder
	for _, s := range c.Inline {
		switch s.Op {
		case diff.OpEqual:
			o.WriteString(s.Text)
			n.WriteString(s.Text)
		case diff.OpRename:
			if s.From == "" || s.Text == "" || s.From == s.Text {
				t.Errorf("rename span %+v", s)
			}
			o.WriteString(s.From)
			n.WriteString(s.Text)
		case diff.OpDelete:
			o.WriteString(s.Text)
		case diff.OpInsert:
			n.WriteString(s.Text)
		default:
			t.Errorf("span op %q", s.Op)
		}
	}
	if o.String() != c.Old.Text || n.String() != c.New.Text {
		t.Errorf("the spans do not give the texts back:\nold %q\n    %q\nnew %q\n    %q", o.String(), c.Old.Text, n.String(), c.New.Text)
	}
}

func changeWithOld(r *diff.Result, text string) *diff.Change {
	for i, c := range r.Changes {
		if c.Old != nil && c.Old.Text == text {
			return &r.Changes[i]
		}
	}
	return nil
}

func mirrorRenames(rs []string) []string {
	var out []string
	for _, r := range rs {
		from, to, _ := strings.Cut(r, "→")
		out = append(out, to+"→"+from)
	}
	return out
}

func spansString(spans []diff.Span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Op == diff.OpRename {
			fmt.Fprintf(&b, "[~%s→%s~]", s.From, s.Text)
			continue
		}
		fmt.Fprintf(&b, "%s%q ", s.Op, s.Text)
	}
	return b.String()
}
