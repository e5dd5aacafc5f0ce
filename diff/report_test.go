package diff_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// textDoc builds a document from paragraphs (a line starting with "# " is
// a heading).
func textDoc(t *testing.T, paras ...string) *extract.Document {
	t.Helper()
	d, err := extract.Text([]byte(strings.Join(paras, "\n\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// filler is n neutral clauses that stay the same, so a document is large
// enough for rewrite mode to be judged.
func filler(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("Paragraph %d of the general terms explains the meaning of words number %d.", i+1, i+1))
	}
	return out
}

func factOf(g *diff.Gist, kind string) *diff.Fact {
	if g == nil {
		return nil
	}
	for i := range g.Facts {
		if g.Facts[i].Kind == kind {
			return &g.Facts[i]
		}
	}
	return nil
}

// TestGistIdentity: the identity facts are read in English, French and
// German, old → new, and a change of any of them is a changed fact.
func TestGistIdentity(t *testing.T) {
	cases := []struct {
		name, kind, old, new string
		wantOld, wantNew     []string
	}{
		{"controller after", "controller",
			"The data controller is Acme Ltd, 1 Main Street, London.", "The data controller is Beta GmbH, Berlin.",
			[]string{"Acme Ltd"}, []string{"Beta GmbH"}},
		{"controller before", "controller",
			`It covers the personal data that Acme, Inc. or Acme B.V. processes as the "Data Controller".`, `It covers the personal data that Acme, Inc. processes as the "Data Controller".`,
			[]string{"Acme, Inc.", "Acme B.V."}, []string{"Acme, Inc."}},
		{"responsable du traitement", "controller",
			"Le responsable du traitement est Alpha SAS, Paris.", "Le responsable du traitement est Gamma SARL.",
			[]string{"Alpha SAS"}, []string{"Gamma SARL"}},
		{"Verantwortlicher", "controller",
			"Verantwortlicher im Sinne der DSGVO ist die Finya GmbH & Co. KG, Hamburg.", "Verantwortlich für die Datenverarbeitung ist: Nova AG.",
			[]string{"Finya GmbH & Co. KG"}, []string{"Nova AG"}},
		{"DPO e-mail", "data protection officer",
			"You can contact our Data Protection Officer at dpo@acme.example.", "You can contact our Data Protection Officer at privacy-officer@acme.example.",
			[]string{"dpo@acme.example"}, []string{"privacy-officer@acme.example"}},
		{"obfuscated DPO e-mail", "data protection officer",
			"Write to our data protection officer.", "Email our Data Protection Officer at dpo[at]acme[dot]example. Our addresses are below.",
			nil, []string{"dpo@acme.example"}},
		{"DPO named", "data protection officer",
			"TrustCo Ltd is our data protection officer.", "VeraCorp is also our data protection officer.",
			[]string{"TrustCo Ltd"}, []string{"VeraCorp"}},
		{"délégué", "data protection officer",
			"Le délégué à la protection des données : Jean Martin.", "Le délégué à la protection des données est Marie Curie.",
			[]string{"Jean Martin"}, []string{"Marie Curie"}},
		{"Datenschutzbeauftragter", "data protection officer",
			"Unser Datenschutzbeauftragter ist Max Muster.", "Unser Datenschutzbeauftragter ist Erika Beispiel.",
			[]string{"Max Muster"}, []string{"Erika Beispiel"}},
		{"privacy contact", "privacy contact",
			"For privacy questions write to help@acme.example.", "For privacy questions write to privacy@acme.example.",
			[]string{"help@acme.example"}, []string{"privacy@acme.example"}},
		{"governing law", "governing law",
			"These terms are governed by the laws of the State of California.", "These terms are governed by the laws of Ireland.",
			[]string{"State of California"}, []string{"Ireland"}},
		{"droit applicable", "governing law",
			"Les présentes conditions sont régies par le droit français.", "Les présentes conditions sont régies par le droit luxembourgeois.",
			[]string{"français"}, []string{"luxembourgeois"}},
		{"contracting party", "contracting party",
			"This agreement is between you and Acme Corp.", "This agreement is between you and Acme Holdings LLC.",
			[]string{"Acme Corp."}, []string{"Acme Holdings LLC"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := diff.Compare(textDoc(t, "We share personal data with partners.", tc.old), textDoc(t, "We share personal data with advertisers.", tc.new), nil)
			f := factOf(r.Gist, tc.kind)
			if f == nil {
				t.Fatalf("no %s fact in gist %+v", tc.kind, r.Gist)
			}
			if !slices.Equal(f.Old, orEmpty(tc.wantOld)) || !slices.Equal(f.New, tc.wantNew) || !f.Changed {
				t.Errorf("%s = %q → %q changed=%v, want %q → %q changed", tc.kind, f.Old, f.New, f.Changed, tc.wantOld, tc.wantNew)
			}
			// Both directions: the mirror swaps old and new.
			m := diff.Compare(textDoc(t, "We share personal data with advertisers.", tc.new), textDoc(t, "We share personal data with partners.", tc.old), nil)
			if g := factOf(m.Gist, tc.kind); g == nil || !slices.Equal(g.Old, f.New) || !slices.Equal(g.New, f.Old) {
				t.Errorf("mirror: %+v, want %q → %q", g, f.New, f.Old)
			}
		})
	}
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// TestGistSameIdentity: a fact written differently ("Acme, Inc." / "Acme
// Inc") is the same fact, and a re-vet for another reason keeps it as
// unchanged.
func TestGistSameIdentity(t *testing.T) {
	r := diff.Compare(
		textDoc(t, "Acme, Inc. is the controller of your data.", "We share personal data with partners."),
		textDoc(t, "Acme Inc is the controller of your data.", "We share personal data with partners and advertisers."), nil)
	f := factOf(r.Gist, "controller")
	if f == nil || f.Changed {
		t.Fatalf("controller fact = %+v, want the same controller, unchanged", f)
	}
}

// TestGistTerms: the policy-wide term diff reports what one version names
// anywhere and the other nowhere, by kind; a term only moved between
// clauses is not reported, nor a word inside an address.
func TestGistTerms(t *testing.T) {
	r := diff.Compare(
		textDoc(t, "We collect your email address.", "We share data with partners.", "We keep data for 30 days.", "Data may be stored in France.", "See https://health.example/ai for more."),
		textDoc(t, "We share data with partners and advertisers.", "We collect your email address and precise location.", "We keep data for 30 days.", "Data may be stored in the United States.", "See https://health.example/ai for more."), nil)
	got := map[string]string{}
	for _, d := range r.Gist.Terms {
		got[d.Kind] = "+" + strings.Join(d.Added, ",") + " -" + strings.Join(d.Removed, ",")
	}
	want := map[string]string{
		"data type": "+precise location -",
		"recipient": "+advertisers -",
		"place":     "+United States -France",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("terms[%s] = %q, want %q", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && k != "place of transfer" {
			t.Errorf("unexpected term kind %s: %s", k, got[k])
		}
	}
}

// TestRankOrder: widening ranks above narrowing, and both above clauses
// merely added or removed about a category; a changed identity fact
// ranks first.
func TestRankOrder(t *testing.T) {
	base := []string{
		"We share your information with our service providers.",                  // 0: widened below
		"We do not sell your personal information to anyone.",                    // 1: negation lost
		"We retain your data for 30 days after you close your account.",          // 2: retention longer
		"We collect your name, email address and payment information.",           // 3: narrowed
		"You can opt out of marketing e-mails at any time.",                      // 4: right removed
		"Questions about this policy go to privacy@acme.example.",                // 5: contact changed
		"We use the information described above to tell you about new features.", // 6: removed about use
		"Our service providers must keep your information confidential.",         // 7: unchanged
	}
	changed := slices.Clone(base)
	changed[0] = "We share your information with our service providers and advertisers."
	changed[1] = "We may sell your personal information to anyone."
	changed[2] = "We retain your data for 90 days after you close your account."
	changed[3] = "We collect your name and email address."
	changed[4] = "Marketing e-mails are sent at any time."
	changed[5] = "Questions about this policy go to dpo@acme.example."
	changed = slices.Delete(changed, 6, 7)
	changed = append(changed, "We use the contents of support tickets only to resolve the problems reported in them.") // added about use
	r := diff.Compare(textDoc(t, base...), textDoc(t, changed...), nil)
	var dirs []diff.Direction
	for _, it := range r.Rank {
		dirs = append(dirs, it.Direction)
	}
	wantOrder := []diff.Direction{diff.Identity, diff.Widens, diff.Widens, diff.Widens, diff.Widens, diff.Narrows, diff.AddedAbout, diff.RemovedAbout}
	if !slices.Equal(dirs, wantOrder) {
		for _, it := range r.Rank {
			t.Logf("  %s", it.Line())
		}
		for _, c := range r.Changes {
			t.Logf("  change %s %s %v", c.Kind, c.Class, c.Reasons)
		}
		t.Fatalf("directions = %v, want %v", dirs, wantOrder)
	}
	for _, tc := range []struct {
		anchor string
		rank   int
	}{
		{"dpo@acme.example", 1},
		{"and email address.", 6},
		{"contents of support tickets", 7},
		{"tell you about new features", 8},
		{"confidential", 0},
	} {
		if got := r.RankOf(tc.anchor); got != tc.rank {
			t.Errorf("RankOf(%q) = %d, want %d", tc.anchor, got, tc.rank)
		}
	}
	for _, anchor := range []string{"advertisers", "may sell", "90 days", "Marketing e-mails"} {
		if got := r.RankOf(anchor); got < 2 || got > 5 {
			t.Errorf("RankOf(%q) = %d, want a widening rank (2–5)", anchor, got)
		}
	}
}

// TestRankAfterJSON: a result read back from JSON keeps its rank, gist
// and rewrite flag, and RankOf works from Rank.
func TestRankAfterJSON(t *testing.T) {
	r := diff.Compare(textDoc(t, "We do not sell your data."), textDoc(t, "We may sell your data."), nil)
	var b bytes.Buffer
	if err := diff.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back diff.Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.RankOf("may sell") != 1 || back.Gist == nil || len(back.Rank) != 1 {
		t.Errorf("decoded: rank %d, gist %v, %d ranked; want 1, a gist, 1", back.RankOf("may sell"), back.Gist, len(back.Rank))
	}
	// No re-vet, no reading aids: the JSON of an unchanged or editorial
	// result has no gist or rank.
	same := diff.Compare(textDoc(t, "We do not sell your data."), textDoc(t, "We do not sell your data!"), nil)
	b.Reset()
	diff.WriteJSON(&b, same)
	for _, key := range []string{`"gist"`, `"rank"`, `"rewrite"`, `"sections"`} {
		if strings.Contains(b.String(), key) {
			t.Errorf("JSON of a cosmetic change has %s", key)
		}
	}
}

// TestRewriteThreshold: rewrite mode when fewer than a third of the old
// clauses survive, in a document of at least ten clauses; either side of
// the threshold, and both directions.
func TestRewriteThreshold(t *testing.T) {
	const n = 12
	build := func(keep int) (*extract.Document, *extract.Document) {
		old := filler(n)
		var new []string
		new = append(new, old[:keep]...)
		for i := keep; i < n; i++ {
			new = append(new, fmt.Sprintf("New clause %d: we collect your location and share it with advertisers for purpose %d.", i, i))
		}
		return textDoc(t, old...), textDoc(t, new...)
	}
	for _, tc := range []struct {
		keep int
		want bool
	}{{0, true}, {3, true}, {4, false}, {8, false}} {
		o, nw := build(tc.keep)
		r := diff.Compare(o, nw, nil)
		if r.Rewrite != tc.want {
			t.Errorf("%d of %d kept: rewrite = %v, want %v", tc.keep, n, r.Rewrite, tc.want)
		}
		if m := diff.Compare(nw, o, nil); m.Rewrite != tc.want {
			t.Errorf("%d of %d kept, mirrored: rewrite = %v, want %v", tc.keep, n, m.Rewrite, tc.want)
		}
	}
	// A small notice that changed whole is not a rewrite.
	small := diff.Compare(textDoc(t, "We do not sell data."), textDoc(t, "We sell your location to advertisers."), nil)
	if small.Rewrite {
		t.Error("a one-clause notice is in rewrite mode")
	}
}

// TestGoldenRewrite pins the text report of a real full rewrite (GitHub's
// privacy statement of February 2024): the rewrite banner, the gist and
// the top of the ranking, with the clause list left to --all.
func TestGoldenRewrite(t *testing.T) {
	const old, new = "corpus/github/privacy-policy/2023-12-06T003002Z.html", "corpus/github/privacy-policy/2024-02-03T003002Z.html"
	r := diff.Compare(fixtureDoc(t, old), fixtureDoc(t, new), nil)
	if !r.Rewrite || !r.Revet {
		t.Fatalf("rewrite = %v, revet = %v; want both: %s", r.Rewrite, r.Revet, r.Summary)
	}
	var text bytes.Buffer
	if err := diff.WriteText(&text, r, diff.TextOptions{OldName: old, NewName: new}); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{"Rewritten — review as a new document", "\nGist\n", "privacy contact: privacy@github.com → ", "\nRanked (10 of "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Index(out, "Gist") > strings.Index(out, "Ranked") {
		t.Error("the gist does not lead")
	}
	if lines := strings.Count(out, "\n"); lines > 120 {
		t.Errorf("the rewrite report has %d lines; want it short (the clause list behind --all)", lines)
	}
	checkGolden(t, "github-rewrite.txt", text.Bytes())

	var page bytes.Buffer
	if err := diff.WriteHTML(&page, r, diff.HTMLOptions{OldName: old, NewName: new}); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	banner, gist, rank, list := strings.Index(h, `<p class="rewrite">`), strings.Index(h, "<h2>Gist</h2>"), strings.Index(h, "<h2>Ranked changes</h2>"), strings.Index(h, `<details class="rewritten">`)
	if banner < 0 || gist < banner || rank < gist || list < rank {
		t.Errorf("HTML report: want the rewrite banner, gist, ranking, then the folded clause list (at %d, %d, %d, %d)", banner, gist, rank, list)
	}
}
