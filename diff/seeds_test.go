package diff_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// TestGoldenSeeds pins the full report, text and JSON, for the two real
// rewrites of the IMS Global / 1EdTech policy.
func TestGoldenSeeds(t *testing.T) {
	cases := []struct{ name, old, new string }{
		{"ims-2019-2022", "pages/ims/2019-05-06.html", "pages/ims/2022-05-17.html"},
		{"ims-2002-2019", "pages/ims/2002-12-10.html", "pages/ims/2019-05-06.html"},
		{"cor-2016", "pages/cor/2016-03-17.html", "pages/cor/2016-09-01.html"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := diff.Compare(fixtureDoc(t, tc.old), fixtureDoc(t, tc.new), nil)
			var text, js, all bytes.Buffer
			if err := diff.WriteText(&text, r, diff.TextOptions{OldName: tc.old, NewName: tc.new}); err != nil {
				t.Fatal(err)
			}
			if err := diff.WriteText(&all, r, diff.TextOptions{All: true, OldName: tc.old, NewName: tc.new}); err != nil {
				t.Fatal(err)
			}
			if err := diff.WriteJSON(&js, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name+".txt", text.Bytes())
			checkGolden(t, tc.name+".all.txt", all.Bytes())
			checkGolden(t, tc.name+".json", js.Bytes())
		})
	}
}

// TestIMS2019To2022 is the canonical case, checked line by line against
// the issue: one rename with the e-mail domain folded in, a handful of
// substantive changes that include the collaboration-sharing and the
// covered-sites clauses, rewordings editorial, punctuation cosmetic, and
// headings split from their paragraphs recognised as splits.
func TestIMS2019To2022(t *testing.T) {
	r := diff.Compare(fixtureDoc(t, "pages/ims/2019-05-06.html"), fixtureDoc(t, "pages/ims/2022-05-17.html"), nil)
	if !r.Revet {
		t.Fatalf("revet = false, want true: %s", r.Summary)
	}
	if len(r.Renames) != 1 {
		t.Fatalf("renames = %+v, want exactly one", r.Renames)
	}
	rn := r.Renames[0]
	if rn.From != "IMS Global" || rn.To != "1EdTech" || rn.Count < 20 {
		t.Errorf("rename = %s → %s ×%d, want IMS Global → 1EdTech in many clauses", rn.From, rn.To, rn.Count)
	}
	if !slices.ContainsFunc(rn.Variants, func(v diff.Variant) bool { return v.From == "imsglobal" && v.To == "1edtech" }) {
		t.Errorf("the e-mail domain is not folded into the rename: %+v", rn.Variants)
	}
	if !slices.Contains(rn.Categories, "contact") || !strings.Contains(strings.Join(rn.Reasons, " "), "privacy@imsglobal.org → privacy@1edtech.org") {
		t.Errorf("rename does not report the contact address it changes: %+v", rn)
	}

	subs := changesOf(r, diff.Substantive)
	if len(subs) < 2 || len(subs) > 5 {
		t.Errorf("%d substantive changes, want a handful (2–5):", len(subs))
		for _, c := range subs {
			t.Logf("  %s %v %v", c.Kind, c.Categories, c.Reasons)
		}
	}
	find := func(substr string) *diff.Change {
		for i, c := range subs {
			if c.New != nil && strings.Contains(c.New.Text, substr) {
				return &subs[i]
			}
		}
		return nil
	}
	if c := find("vetting reports, certification details"); c == nil {
		t.Error("the collaboration-sharing clause (vetting reports, certification details) is not substantive")
	} else if !slices.Contains(c.Categories, "sharing") {
		t.Errorf("collaboration clause categories = %v, want sharing", c.Categories)
	}
	if c := find("1EdTech Foundation, Compatibility Check (hereafter"); c == nil {
		t.Error("the covered-sites clause is not substantive")
	} else if !slices.Contains(c.Categories, "scope") {
		t.Errorf("covered-sites clause categories = %v, want scope", c.Categories)
	}
	for _, c := range subs {
		if c.Kind == diff.Added || c.Kind == diff.Removed {
			t.Errorf("substantive %s clause in a rewrite that only reworded: %+v", c.Kind, c)
		}
	}

	// Headings that became separate from their paragraph are splits.
	for _, heading := range []string{"Information You Provide To Us", "Information We Collect Automatically When You Use the 1EdTech Website and Resources", "Account Information and Retention"} {
		found := false
		for _, c := range r.Changes {
			if c.Kind == diff.Split && len(c.New.Parts) >= 2 && c.New.Parts[0] == heading {
				found = true
			}
		}
		if !found {
			t.Errorf("heading %q split from its paragraph is not reported as a split", heading)
		}
	}

	// Comma, case and heading-format edits are cosmetic; rewordings
	// editorial; nothing is removed and re-added.
	classOf := func(newSubstr string) diff.Class {
		for _, c := range r.Changes {
			if c.New != nil && strings.Contains(c.New.Text, newSubstr) {
				return c.Class
			}
		}
		return ""
	}
	for substr, want := range map[string]diff.Class{
		"school district, or other entity that provides standards documents": diff.Cosmetic, // Oxford comma + "standards standards"
		"Links to Third-Party Websites":                                      diff.Cosmetic, // heading hyphenation and case
		"Send you technical notices, updates, support, and administrative":   diff.Cosmetic, // Oxford comma
		"Our websites offer publicly accessible blogs":                       diff.Cosmetic, // grammar fix
		"describes your choices regarding using, accessing, and correcting":  diff.Editorial,
		"We push notifications to you from time to time":                     diff.Editorial,
		"Privacy Statement":      diff.Editorial, // new heading
		"Policy Toward Children": diff.Editorial, // "Our" dropped
		"Any questions about this Privacy Notice should be addressed to privacy@1edtech.org": diff.RenameOnly,
	} {
		if got := classOf(substr); got != want {
			t.Errorf("change to %q: class %q, want %q", substr, got, want)
		}
	}
	if r.Counts.Cosmetic < 5 || r.Counts.Editorial < 10 {
		t.Errorf("counts %+v: want many cosmetic and editorial edits folded away", r.Counts)
	}
	for _, c := range r.Changes {
		if c.Kind == diff.Removed {
			t.Errorf("a clause is reported removed in a rewrite that removed none: %q", c.Old.Text)
		}
	}
}

// TestIMS2002To2019 is the full rewrite: re-vet, mostly added and removed
// clauses.
func TestIMS2002To2019(t *testing.T) {
	r := diff.Compare(fixtureDoc(t, "pages/ims/2002-12-10.html"), fixtureDoc(t, "pages/ims/2019-05-06.html"), nil)
	if !r.Revet {
		t.Fatalf("revet = false for a complete rewrite: %s", r.Summary)
	}
	var added, removed int
	for _, c := range r.Changes {
		switch c.Kind {
		case diff.Added:
			added++
		case diff.Removed:
			removed++
		}
	}
	if added < 40 || removed < 5 {
		t.Errorf("added %d, removed %d: want a rewrite's worth of both", added, removed)
	}
}

// TestCOR2016 covers the second supplier's edits: a "do not share" that
// became "may share", a retention clause added, the contact address
// changed, and the posted date.
func TestCOR2016(t *testing.T) {
	r := diff.Compare(fixtureDoc(t, "pages/cor/2016-03-17.html"), fixtureDoc(t, "pages/cor/2016-09-01.html"), nil)
	if !r.Revet {
		t.Fatalf("revet = false: %s", r.Summary)
	}
	var cats []string
	for _, c := range changesOf(r, diff.Substantive) {
		cats = append(cats, c.Categories...)
	}
	for _, want := range []string{"sharing", "retention", "contact"} {
		if !slices.Contains(cats, want) {
			t.Errorf("no substantive %s change; got categories %v", want, cats)
		}
	}
	cos := changesOf(r, diff.Cosmetic)
	if len(cos) != 1 || !strings.Contains(cos[0].Reasons[0], "date line") {
		t.Errorf("cosmetic changes = %+v, want only the posted date line", cos)
	}
}
