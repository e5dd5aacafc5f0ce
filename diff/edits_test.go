package diff_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// replacement is one edit to a page's HTML: every occurrence of old
// becomes new (the test fails if old is not there).
type replacement struct{ old, new string }

const (
	ims2022  = "pages/ims/2022-05-17.html"
	ims2019  = "pages/ims/2019-05-06.html"
	ims2002  = "pages/ims/2002-12-10.html"
	cor2016  = "pages/cor/2016-03-17.html"
	cor2016b = "pages/cor/2016-09-01.html"
	github   = "corpus/github/privacy-policy/2023-12-06T003002Z.html"
)

const testimonials = "<p><strong>Testimonials</strong></p>\n<p>We display personal testimonials of members on our websites in addition to other endorsements. With your consent, we may post your testimonial along with your name.</p>\n"

// renameToEduLink renames the organisation throughout, e-mail domain
// included.
var renameToEduLink = []replacement{{"1EdTech", "EduLink"}, {"1edtech", "edulink"}}

// TestSingleEdits applies one edit at a time to real policies (the seed
// pages and a GitHub snapshot from the corpus) and checks the verdict and
// the category, in both directions: old → edited and edited → old.
func TestSingleEdits(t *testing.T) {
	cases := []struct {
		name     string
		page     string
		edits    []replacement
		revet    bool
		category string     // a category of some substantive change (revet) or of the change (no revet)
		kind     diff.Kind  // a kind some change must have, forward; mirrored backward
		renames  int        // renames expected (both directions)
		class    diff.Class // the only class any change may have
		same     bool       // no change at all is expected
	}{
		// Material edits, one per kind of trigger.
		{name: "negation: will not share → may share", page: ims2022, revet: true, category: "sharing",
			edits: []replacement{{"We will not share personal information about you", "We may share personal information about you"}}},
		{name: "negation: do not collect from children → collect", page: ims2022, revet: true, category: "children",
			edits: []replacement{{"We do not knowingly collect personal information from children under 13", "We knowingly collect personal information from children under 13"}}},
		{name: "number: age of 13 → age of 16", page: ims2022, revet: true, category: "children",
			edits: []replacement{{"under the age of 13", "under the age of 16"}}},
		{name: "number: 30 days → 90 days to answer an access request", page: ims2022, revet: true, category: "rights",
			edits: []replacement{{"within 30 days", "within 90 days"}}},
		{name: "data type added: precise location", page: ims2022, revet: true, category: "collection",
			edits: []replacement{{"your name, username, email address", "your name, username, precise location, email address"}}},
		{name: "recipient added: advertisers", page: ims2022, revet: true, category: "sharing",
			edits: []replacement{{"with sponsors of 1EdTech events if", "with sponsors of 1EdTech events and with advertisers if"}}},
		{name: "purpose added: advertising profiles", page: ims2022, revet: true, category: "use",
			edits: []replacement{{"Process and deliver contest entries;", "Process and deliver contest entries and build advertising profiles;"}}},
		{name: "user right removed: correct", page: ims2022, revet: true, category: "rights",
			edits: []replacement{{"You may update or correct information about yourself", "You may update information about yourself"}}},
		{name: "security weakened: encryption dropped", page: ims2022, revet: true, category: "security",
			edits: []replacement{{"is protected with encryption, such as Secured Socket Layer (SSL) protocol, during transmission", "is protected during transmission"}}},
		{name: "notice promise weakened: no e-mail, no advance notice", page: ims2022, revet: true, category: "policy-change",
			edits: []replacement{{"we will notify you more directly by email or by means of a notice on the home page prior to the change becoming effective", "we will post a notice on the home page"}}},
		{name: "modal: will notify → may notify", page: ims2022, revet: true, category: "policy-change",
			edits: []replacement{{"If there are material changes to this Privacy Notice, we will notify you", "If there are material changes to this Privacy Notice, we may notify you"}}},
		{name: "transfer: a country added", page: ims2022, revet: true, category: "transfer",
			edits: []replacement{{"in and to the U.S. and other countries", "in and to the U.S., China and other countries"}}},
		{name: "tracking: beacons and fingerprints added", page: ims2022, revet: true, category: "tracking",
			edits: []replacement{{"which may include saving cookies to your computer", "which may include saving cookies, web beacons and device fingerprints to your computer"}}},
		{name: "retention: kept indefinitely", page: ims2022, revet: true, category: "retention",
			edits: []replacement{{"for as long as your account is active or as needed to provide you with services", "indefinitely, even after your account is closed"}}},
		{name: "scope: another covered site", page: ims2022, revet: true, category: "scope",
			edits: []replacement{{"CASE Network, 1EdTech Foundation, Compatibility Check", "CASE Network, 1EdTech Foundation, Compatibility Check, TrustEd Apps"}}},
		{name: "clause added about selling data", page: ims2022, revet: true, category: "sharing", kind: diff.Added,
			edits: []replacement{{testimonials, "<p>We sell your personal information to data brokers and advertisers.</p>\n" + testimonials}}},
		{name: "contact address changed", page: ims2022, revet: true, category: "contact",
			edits: []replacement{{"<a href=\"mailto:privacy@1edtech.org\">privacy@1edtech.org</a>\u00a0or to 801", "<a href=\"mailto:dpo@example.com\">dpo@example.com</a>\u00a0or to 801"}}},
		{name: "COR: do not share → share", page: cor2016, revet: true, category: "sharing",
			edits: []replacement{{"We do not share information about your website usage", "We share information about your website usage"}}},
		{name: "corpus: deletion period 90 → 180 days", page: github, revet: true, category: "retention",
			edits: []replacement{{"we will delete your full profile within 90 days of your request", "we will delete your full profile within 180 days of your request"}}},
		{name: "corpus: do not sell → may sell", page: github, revet: true, category: "sharing",
			edits: []replacement{{"We do not sell your personal data.", "We may sell your personal data."}}},
		{name: "corpus: notice 30 days before → when effective", page: github, revet: true, category: "policy-change",
			edits: []replacement{{"30 days before any such changes become effective", "when such changes become effective"}}},

		// Edits that must not trigger re-vetting.
		{name: "markup only", page: ims2022, revet: false, same: true,
			edits: []replacement{
				{"<p>We display personal testimonials of members", `<p class="lead" id="t1">We display personal <span class="hl">testimonials</span> of <em>members</em>`},
				{"<p><strong>Testimonials</strong></p>", "<h3>Testimonials</h3>"},
			}},
		{name: "typo fix: discolosed → disclosed", page: ims2002, revet: false, class: diff.Cosmetic,
			edits: []replacement{{"discolosed", "disclosed"}}},
		{name: "repeated word removed", page: ims2019, revet: false, class: diff.Cosmetic,
			edits: []replacement{{"standards standards", "standards"}}},
		{name: "date line only", page: ims2022, revet: false, class: diff.Cosmetic,
			edits: []replacement{{"Updated:\u00a0May 17, 2022", "Updated:\u00a0June 1, 2023"}}},
		{name: "Oxford comma, case and quotes", page: ims2022, revet: false, class: diff.Cosmetic,
			edits: []replacement{{"collected, used, and disclosed", "collected, used and disclosed"}, {"revising the &quot;Updated&quot; date", "revising the “updated” date"}}},
		{name: "section moved", page: ims2022, revet: false, kind: diff.Moved, class: diff.Editorial,
			edits: []replacement{{testimonials, ""}, {"<p><strong>Cookies</strong></p>", testimonials + "<p><strong>Cookies</strong></p>"}}},
		// Review findings: contractions, number words and a two-letter typo.
		{name: "contraction: will not → won't", page: cor2016b, revet: false, class: diff.Cosmetic,
			edits: []replacement{{"this website will not be accessible", "this website won't be accessible"}}},
		{name: "number word: 2 years → two years", page: cor2016b, revet: false, class: diff.Cosmetic,
			edits: []replacement{{"for 2 years", "for two years"}}},
		{name: "typo swap: from → form is not a list change", page: cor2016b, revet: false,
			edits: []replacement{{"We collect information from and about", "We collect information form and about"}}},
		{name: "pure rename", page: ims2022, revet: false, renames: 1, class: diff.RenameOnly, edits: renameToEduLink},
		{name: "rename hiding one material edit", page: ims2022, revet: true, category: "sharing", renames: 1,
			edits: append([]replacement{{"We will not share personal information about you", "We may share personal information about you"}}, renameToEduLink...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := string(fixture(t, tc.page))
			edited := orig
			for _, e := range tc.edits {
				if !strings.Contains(edited, e.old) {
					t.Fatalf("edit target %q not in %s", e.old, tc.page)
				}
				edited = strings.ReplaceAll(edited, e.old, e.new)
			}
			a, b := doc(t, []byte(orig)), doc(t, []byte(edited))
			for _, dir := range []struct {
				name     string
				r        *diff.Result
				wantKind diff.Kind
			}{
				{"forward", diff.Compare(a, b, nil), tc.kind},
				{"backward", diff.Compare(b, a, nil), mirrorKind(tc.kind)},
			} {
				r := dir.r
				t.Logf("%s: %s", dir.name, describe(r))
				if r.Revet != tc.revet {
					t.Errorf("%s: revet = %v, want %v; %s", dir.name, r.Revet, tc.revet, describe(r))
				}
				if tc.same {
					if !r.Same() {
						t.Errorf("%s: want no change, got %s", dir.name, describe(r))
					}
					continue
				}
				if r.Same() {
					t.Fatalf("%s: no change found", dir.name)
				}
				if tc.category != "" {
					var cats []string
					for _, c := range r.Changes {
						if !tc.revet || c.Class == diff.Substantive {
							cats = append(cats, c.Categories...)
						}
					}
					if !slices.Contains(cats, tc.category) {
						t.Errorf("%s: categories %v, want %s; %s", dir.name, cats, tc.category, describe(r))
					}
				}
				if dir.wantKind != "" && !slices.ContainsFunc(r.Changes, func(c diff.Change) bool { return c.Kind == dir.wantKind }) {
					t.Errorf("%s: no %s change; %s", dir.name, dir.wantKind, describe(r))
				}
				if len(r.Renames) != tc.renames {
					t.Errorf("%s: %d renames, want %d: %+v", dir.name, len(r.Renames), tc.renames, r.Renames)
				}
				if tc.class != "" {
					for _, c := range r.Changes {
						if c.Class != tc.class {
							t.Errorf("%s: change of class %s, want only %s: %s %v %v", dir.name, c.Class, tc.class, c.Kind, c.Reasons, c.Categories)
						}
					}
				}
				for _, c := range r.Changes {
					if c.Class == diff.Substantive && len(c.Reasons) == 0 {
						t.Errorf("%s: substantive change without a reason: %+v", dir.name, c)
					}
				}
			}
		})
	}
}

func mirrorKind(k diff.Kind) diff.Kind {
	switch k {
	case diff.Added:
		return diff.Removed
	case diff.Removed:
		return diff.Added
	case diff.Split:
		return diff.Merged
	case diff.Merged:
		return diff.Split
	}
	return k
}

func describe(r *diff.Result) string {
	var b strings.Builder
	b.WriteString(r.Summary)
	for _, c := range r.Changes {
		b.WriteString("\n    " + string(c.Kind) + " " + string(c.Class) + " " + strings.Join(c.Categories, ",") + ": " + strings.Join(c.Reasons, " | "))
	}
	return b.String()
}
