package extract_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// legalCentre is a page that holds three documents, each under its own h2,
// below one h1 and a date line that covers them all.
const legalCentre = `<!DOCTYPE html><html><head><title>Legal | Example</title></head><body>
<header class="site-header"><a href="/"><img src="logo.png" alt="Example"></a><nav><a href="/a">Products</a> <a href="/b">Pricing</a></nav></header>
<main>
<h1>Legal centre</h1>
<p>Last updated: 3 March 2025</p>
<h2>Terms of Use</h2>
<p>By using the service you agree to these terms and to use it lawfully.</p>
<h3>Payment</h3>
<p>Subscriptions are billed monthly in advance and can be cancelled at any time.</p>
<h2>Privacy Policy</h2>
<p>This policy is issued by Example Ltd, the controller of your personal data.</p>
<h3>Data we collect</h3>
<p>We collect your name and e-mail address when you create an account.</p>
<h4>Cookies</h4>
<p>We use a session cookie to keep you signed in, and nothing else.</p>
<h3>Your rights</h3>
<p>You can ask for a copy of your data or for its deletion at any time.</p>
<h2>Cookie Policy</h2>
<p>Our cookie policy explains the one cookie we set and why we set it.</p>
</main>
<footer><p>© 2025 Example Ltd</p></footer>
</body></html>`

// TestSection picks documents by heading: exact match first, else the
// first heading that contains the words, the subtree ending at the next
// heading of the same or a higher level.
func TestSection(t *testing.T) {
	tests := []struct {
		name, page, section string
		first, last         string // first and last clause text
		clauses             int
		title, updated      string
	}{
		{"exact", legalCentre, "Privacy Policy", "Privacy Policy", "You can ask for a copy of your data or for its deletion at any time.", 8, "Privacy Policy", "2025-03-03"},
		{"case and space folded", legalCentre, "  privacy\u00a0 POLICY ", "Privacy Policy", "You can ask for a copy of your data or for its deletion at any time.", 8, "Privacy Policy", "2025-03-03"},
		{"first document", legalCentre, "Terms of Use", "Terms of Use", "Subscriptions are billed monthly in advance and can be cancelled at any time.", 4, "Terms of Use", "2025-03-03"},
		{"last document", legalCentre, "Cookie Policy", "Cookie Policy", "Our cookie policy explains the one cookie we set and why we set it.", 2, "Cookie Policy", "2025-03-03"},
		{"nested level ends at its sibling", legalCentre, "Data we collect", "Data we collect", "We use a session cookie to keep you signed in, and nothing else.", 4, "Data we collect", "2025-03-03"},
		{"deepest level", legalCentre, "cookies", "Cookies", "We use a session cookie to keep you signed in, and nothing else.", 2, "Cookies", "2025-03-03"},
		{"contains, when no heading equals it", legalCentre, "Your", "Your rights", "You can ask for a copy of your data or for its deletion at any time.", 2, "Your rights", "2025-03-03"},
		{"exact beats an earlier containing heading",
			`<main><h2>Privacy Policy (EEA)</h2><p>The EEA text of the policy, for readers in the EEA.</p><h2>Privacy Policy</h2><p>The policy for everyone else in the world.</p></main>`,
			"privacy policy", "Privacy Policy", "The policy for everyone else in the world.", 2, "Privacy Policy", ""},
		{"numbered heading found by contains",
			`<main><h2>1. Terms</h2><p>Terms of the service, as they apply to all users.</p><h2>2. Privacy Policy</h2><p>What we do with your data, and why we do it.</p><h2>3. Cookies</h2><p>The cookies we set on your device, listed.</p></main>`,
			"Privacy Policy", "2. Privacy Policy", "What we do with your data, and why we do it.", 2, "2. Privacy Policy", ""},
		{"own date wins over the page's",
			`<main><h1>Legal</h1><p>Last updated: 1 January 2020</p><h2>Privacy</h2><p>Effective date: 5 May 2024</p><p>We collect little data about you and keep it safe.</p><h2>Terms</h2><p>Terms text that applies to everyone using it.</p></main>`,
			"privacy", "Privacy", "We collect little data about you and keep it safe.", 3, "Privacy", "2024-05-05"},
		{"a sibling document's date is not ours",
			`<main><h2>Terms</h2><p>Last updated: 1 January 2020</p><p>Terms text that applies to everyone using it.</p><h2>Privacy</h2><p>We collect little data about you and keep it safe.</p></main>`,
			"privacy", "Privacy", "We collect little data about you and keep it safe.", 2, "Privacy", ""},
		{"markdown", "# Legal\n\n## Terms\n\nThe terms of the service apply to everyone who uses it, in full.\n\n## Privacy Policy\n\nWe collect your e-mail address to write to you about your account.\n\n### Rights\n\nYou may ask us to delete your e-mail address at any time, and we will.\n\n## Cookies\n\nWe set one cookie to keep you signed in, and no other cookie at all.\n",
			"Privacy Policy", "Privacy Policy", "You may ask us to delete your e-mail address at any time, and we will.", 4, "Privacy Policy", ""},
		{"plain text", "Legal\n\nTerms\n\nThe terms of the service apply to everyone who uses it, in full.\n\nPrivacy Policy\n\nWe collect your e-mail address to write to you about your account.\n\nCookies\n\nWe set one cookie to keep you signed in, and no other cookie at all.\n",
			"Privacy Policy", "Privacy Policy", "We collect your e-mail address to write to you about your account.", 2, "Privacy Policy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract.Bytes([]byte(tt.page), extract.Options{Section: tt.section})
			if err != nil {
				t.Fatal(err)
			}
			cl := doc.Clauses
			if got := cl[0].Text; got != tt.first {
				t.Errorf("first clause %q, want %q", got, tt.first)
			}
			if got := cl[len(cl)-1].Text; got != tt.last {
				t.Errorf("last clause %q, want %q", got, tt.last)
			}
			if len(cl) != tt.clauses {
				t.Errorf("%d clauses, want %d:\n%s", len(cl), tt.clauses, golden(doc))
			}
			if doc.Title != tt.title || doc.Updated != tt.updated {
				t.Errorf("title %q, updated %q; want %q, %q", doc.Title, doc.Updated, tt.title, tt.updated)
			}
			if len(cl[0].Path) != 0 {
				t.Errorf("the section heading has path %q, want none", cl[0].Path)
			}
			for _, c := range cl[1:] {
				if len(c.Path) == 0 || c.Path[0] != cl[0].Text {
					t.Errorf("clause %q has path %q, want it to start at %q", c.Text, c.Path, cl[0].Text)
				}
			}
		})
	}
}

// TestSectionNotFound: a page without the heading is an error that says
// so and lists the headings there are (the first ten).
func TestSectionNotFound(t *testing.T) {
	var many strings.Builder
	many.WriteString("<main>")
	for i := range 12 {
		many.WriteString("<h2>Part " + string(rune('A'+i)) + "</h2><p>Some text of this part of the page, long enough.</p>")
	}
	many.WriteString("</main>")
	tests := []struct {
		name, page, section string
		want                []string
	}{
		{"legal centre", legalCentre, "Acceptable Use", []string{`section "Acceptable Use" not found; headings are: "Legal centre", "Terms of Use", "Payment", "Privacy Policy"`}},
		{"ten headings listed", many.String(), "Privacy", []string{`"Part A"`, `"Part J" and 2 more`}},
		{"no headings", `<main><p>Just one paragraph of text, with no heading at all.</p></main>`, "Privacy", []string{`section "Privacy" not found; the page has no headings`}},
		{"plain text", "Terms of Use\n\nYou agree to the terms.\n", "Privacy", []string{`section "Privacy" not found`}},
		{"blank section", legalCentre, " \t", []string{`section " \t" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract.Bytes([]byte(tt.page), extract.Options{Section: tt.section})
			if err == nil {
				t.Fatalf("got %d clauses, want an error", len(doc.Clauses))
			}
			var se *extract.SectionError
			if !errors.Is(err, extract.ErrNoSection) || !errors.As(err, &se) {
				t.Fatalf("got %v, want a SectionError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestSectionOutsideMainGuess: when the generic guess of the policy is one
// document of several, a section elsewhere on the page is still found.
func TestSectionOutsideMainGuess(t *testing.T) {
	page := `<body><div class="layout"><article><h2>Terms of Use</h2>` + strings.Repeat(`<p>By using the service you agree to these terms, in full and without reservation.</p>`, 20) +
		`</article><div class="other"><h2>Privacy Notice</h2><p>We collect your e-mail address and nothing else.</p></div></div></body>`
	doc, err := extract.Bytes([]byte(page), extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(golden(doc), "Privacy Notice") {
		t.Fatalf("the generic guess took the privacy notice too; the test needs a page where it does not:\n%s", golden(doc))
	}
	doc, err = extract.Bytes([]byte(page), extract.Options{Section: "Privacy Notice"})
	if err != nil {
		t.Fatal(err)
	}
	if got := golden(doc); len(doc.Clauses) != 2 || !strings.Contains(got, "We collect your e-mail address") {
		t.Errorf("got\n%s\nwant the privacy notice's heading and paragraph", got)
	}
}

// TestSectionWithSelect: Section narrows what Select kept.
func TestSectionWithSelect(t *testing.T) {
	doc, err := extract.Bytes([]byte(legalCentre), extract.Options{Select: []string{"main"}, Section: "Cookie Policy"})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Clauses) != 2 || doc.Clauses[0].Text != "Cookie Policy" {
		t.Errorf("got\n%s", golden(doc))
	}
}

// TestSectionCorpusLegalCentre picks the privacy policy out of Buffer's
// legal page, which holds all its legal documents: from the "Privacy
// Policy" heading up to the next document's, nothing of the terms before
// it or the notices after.
func TestSectionCorpusLegalCentre(t *testing.T) {
	dir := corpusDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "buffer", "privacy-policy", "2026-06-26T003006Z.html"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := extract.Bytes(data, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := extract.Bytes(data, extract.Options{Section: "Privacy Policy"})
	if err != nil {
		t.Fatal(err)
	}
	cl := doc.Clauses
	if cl[0].Text != "Privacy Policy" || cl[0].Kind != extract.Heading {
		t.Errorf("first clause %s %q, want the heading", cl[0].Kind, cl[0].Text)
	}
	if got := cl[len(cl)-1].Path; len(got) == 0 || got[0] != "Privacy Policy" {
		t.Errorf("last clause's path %q, want it inside the privacy policy", got)
	}
	text := golden(doc)
	for _, outside := range []string{"Current Terms of Use", "Buffer California Resident Privacy Notice", "DMCA Takedown Policy"} {
		if strings.Contains(text, outside) {
			t.Errorf("section holds %q, from another document", outside)
		}
	}
	for _, inside := range []string{"1. Personal Information We May Collect", "How to Contact Us"} {
		if !strings.Contains(text, inside) {
			t.Errorf("section lacks %q", inside)
		}
	}
	t.Logf("section: %d of the page's %d clauses", len(cl), len(all.Clauses))
	if len(cl)*2 > len(all.Clauses) {
		t.Errorf("section holds %d of %d clauses; want well under half of the page", len(cl), len(all.Clauses))
	}
}
