package diff_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// policyPage wraps paragraphs in a page the extractor reads as a policy.
func policyPage(title, body string) string {
	return "<!doctype html><html><head><title>" + title + "</title></head><body><main><h1>" + title + "</h1>\n" +
		body + "\n<p>We keep your account data for as long as your account is active.</p>\n</main></body></html>"
}

const (
	frenchPolicy = `<p>Dernière mise à jour : 12 mars 2024</p>
<p>Nous collectons votre adresse e-mail pour gérer votre compte.</p>
<p>Pour toute question relative à la protection des données, écrivez à notre délégué.</p>`
	germanPolicy = `<p>Stand: 1. Januar 2024</p>
<p>Wir verarbeiten Ihre E-Mail-Adresse, um Ihr Konto zu verwalten.</p>`
	termsPage = `<h2>1. Your Account</h2>
<p>1.1 You are responsible for the security of your account. See Section 5 for how we handle data.</p>
<p>(a)access to the Service is personal.</p>
<h2>2. Acceptable Use</h2>
<p>2.1 You shall not use the Service to collect personal data of other users or share it with third parties.</p>
<p>2.2 Scraping the Service is prohibited.</p>
<h2>3. Contact</h2>
<p>Support: call +1 (510) 555-0100 or write to Example Inc., 115 Main Street, Suite 900, San Francisco, CA 94114. Help is at <a href="http://example.com/help/start">http://example.com/help/start</a>.</p>
<p>Questions about this privacy notice? Contact our Data Protection Officer at <a href="mailto:dpo@example.com">dpo@example.com</a>.</p>`
	subprocessors = `<h2>List of sub-processors</h2>
<p>We use the following sub-processors to provide the Service.</p>
<table><tr><th>Name</th><th>Purpose</th><th>Location</th></tr>
<tr><td>Stripe</td><td>Payments</td><td>USA</td></tr>
<tr><td>Sentry</td><td>Error logging</td><td>USA</td></tr>
</table>`
	imprint = `<h2>Publisher</h2>
<p>The platform is published by the Office for Digital Affairs, located in Paris.</p>
<p>The help pages are hosted by volunteers of the community.</p>
<p>The service is operated by Example SAS, Paris.</p>
<h2>Hosting</h2>
<p>This site is hosted by Scalingo.</p>`
	changelog = `<p>We share your data with the sub-processors listed on our sub-processor page.</p>
<p>You are responsible for ensuring that your content does not violate the law.</p>
<h2>Changelog</h2>
<p>March 1, 2026: Updated the introduction.</p>`
	enterprise = `<p>We use your email address to create your account.</p>
<p>Business accounts. Contact your account manager for plans and pricing.</p>`
	trainingPromise = `<p>We do not use your conversations to train our models when you use ChatGPT Enterprise, ChatGPT Team, or the API.</p>
<p>Built by Acme Labs, Inc. You can sign in with Google.</p>`
)

// TestJudgementEdits is the single-edit suite of issue 18: one edit per
// root cause, checked in both directions (old → edited and back).
func TestJudgementEdits(t *testing.T) {
	cases := []struct {
		name, title, body string
		edits             []replacement
		revet             bool
		category          string // a category some substantive change (revet) or any change (no revet) has
		notCategory       string // a category no change may have
	}{
		// 6. Dates in every language.
		{name: "French date-only edit", title: "Politique de confidentialité", body: frenchPolicy, revet: false,
			edits: []replacement{{"12 mars 2024", "3 avril 2025"}}},
		{name: "German date-only edit", title: "Datenschutzerklärung", body: germanPolicy, revet: false,
			edits: []replacement{{"1. Januar 2024", "15. März 2025"}}},
		// 1. Structure read as content.
		{name: "renumbered terms page", title: "Terms of Service", body: termsPage, revet: false,
			edits: []replacement{{"1. Your Account", "2. Your Account"}, {"1.1 You are", "2.1 You are"}, {"Section 5", "Section 6"},
				{"2. Acceptable Use", "3. Acceptable Use"}, {"2.1 You shall", "3.1 You shall"}, {"2.2 Scraping", "3.2 Scraping"}, {"(a)access", "(b)access"}}},
		// 2 and 3. Addresses: a URL scheme or same-site link, a support
		// phone number, a postal address are not the privacy contact.
		{name: "URL scheme and same-site link", title: "Terms of Service", body: termsPage, revet: false,
			edits: []replacement{{"http://example.com/help/start", "https://example.com/support/getting-started"}}},
		{name: "support phone and postal address", title: "Terms of Service", body: termsPage, revet: false,
			edits: []replacement{{"+1 (510) 555-0100", "+1 (415) 555-0199"}, {"115 Main Street, Suite 900", "2261 Market Street, Suite 14441"}}},
		{name: "changed DPO address", title: "Terms of Service", body: termsPage, revet: true, category: "contact",
			edits: []replacement{{"dpo@example.com", "privacy-office@example.org"}}},
		// 7. A new sub-processor row is a list change of recipients.
		{name: "new sub-processor row", title: "Privacy Policy", body: subprocessors, revet: true, category: "sharing",
			edits: []replacement{{"</table>", "<tr><td>Anthropic</td><td>Artificial Intelligence</td><td>USA</td></tr>\n</table>"}}},
		// 4. A list narrowed inside a negative promise widens the practice.
		{name: "list narrowed inside a negative training promise", title: "Privacy Policy", body: trainingPromise, revet: true, category: "use",
			edits: []replacement{{"ChatGPT Enterprise, ChatGPT Team, or the API", "ChatGPT Enterprise or the API"}}},
		// The party responsible: a publisher or host replaced by another
		// is material; a name kept is not.
		{name: "host replaced after 'hosted by'", title: "Legal notice", body: imprint, revet: true, category: "sharing",
			edits: []replacement{{"hosted by Scalingo", "hosted by GitHub Pages"}}},
		{name: "publisher clause replaced by an address", title: "Legal notice", body: imprint, revet: true, category: "scope",
			edits: []replacement{{"<p>The platform is published by the Office for Digital Affairs, located in Paris.</p>", "<p>Example collective, 6 chemin des gandins, Grenoble.</p>"}}},
		{name: "operator sentence reworded, same party", title: "Legal notice", body: imprint, revet: false,
			edits: []replacement{{"The service is operated by Example SAS, Paris.", "This service is operated by Example SAS in Paris."}}},
		{name: "operator replaced", title: "Legal notice", body: imprint, revet: true, category: "scope",
			edits: []replacement{{"operated by Example SAS", "operated by Other Corp"}}},
		{name: "'hosted by volunteers' clause removed names no party", title: "Legal notice", body: imprint, revet: false,
			edits: []replacement{{"<p>The help pages are hosted by volunteers of the community.</p>", ""}}},
		// A third party given access to the user's account is a recipient.
		{name: "organisation's administrator may access the account", title: "Terms of Service", body: enterprise, revet: true, category: "sharing",
			edits: []replacement{{"<p>Business accounts.", "<p>If you use an email address of your employer, the organization's administrator may access, monitor and control your account.</p>\n<p>Business accounts."}}},
		// A change-log entry is judged where its change is made, except
		// one that declares a change to a list of recipients (the list may
		// live on another page).
		{name: "change-log entry declares a sub-processor replaced", title: "Privacy Policy", body: changelog, revet: true, category: "sharing",
			edits: []replacement{{"<p>March 1, 2026:", "<p>April 16, 2026: Replaced Rollbar with Sentry in the list of sub-processors.</p>\n<p>March 1, 2026:"}}},
		{name: "change-log entry about more detail on cookies", title: "Privacy Policy", body: changelog, revet: false,
			edits: []replacement{{"<p>March 1, 2026:", "<p>April 16, 2026: We added more detail about cookies and your choices.</p>\n<p>March 1, 2026:"}}},
		// A negation in a rule for users is not the provider's promise.
		{name: "negation dropped from a user obligation", title: "Terms of Service", body: changelog, revet: false,
			edits: []replacement{{"does not violate the law", "complies with the law"}}},
		// 5. A user-conduct rule is a lower tier.
		{name: "'you shall not' conduct clause edit", title: "Terms of Service", body: termsPage, revet: false,
			edits: []replacement{{"to collect personal data of other users or share it", "to collect, sell or publish personal data of other users or share it"}}},
		{name: "'is prohibited' conduct clause edit", title: "Terms of Service", body: termsPage, revet: false,
			edits: []replacement{{"Scraping the Service is prohibited.", "Scraping or crawling the Service, or harvesting user data from it, is prohibited."}}},
		// 2. Lexicon words in the wrong role.
		{name: "AI inside a company name", title: "Privacy Policy", body: trainingPromise, revet: false, notCategory: "use",
			edits: []replacement{{"Built by Acme Labs, Inc.", "Built by Acme AI, Inc."}}},
		{name: "face in Facebook", title: "Privacy Policy", body: trainingPromise, revet: false, notCategory: "collection",
			edits: []replacement{{"You can sign in with Google.", "You can sign in with Google or Facebook."}}},
		{name: "protection des données is not security", title: "Politique de confidentialité", body: frenchPolicy, revet: false, notCategory: "security",
			edits: []replacement{{"relative à la protection des données,", "relative à la protection des données ou à ce document,"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := policyPage(tc.title, tc.body)
			edited := orig
			for _, e := range tc.edits {
				if !strings.Contains(edited, e.old) {
					t.Fatalf("edit target %q not in the page", e.old)
				}
				edited = strings.ReplaceAll(edited, e.old, e.new)
			}
			a, b := doc(t, []byte(orig)), doc(t, []byte(edited))
			for _, dir := range []struct {
				name string
				r    *diff.Result
			}{{"forward", diff.Compare(a, b, nil)}, {"backward", diff.Compare(b, a, nil)}} {
				r := dir.r
				if r.Same() {
					t.Fatalf("%s: no change found", dir.name)
				}
				if r.Revet != tc.revet {
					t.Errorf("%s: revet = %v, want %v; %s", dir.name, r.Revet, tc.revet, describe(r))
				}
				var cats []string
				for _, c := range r.Changes {
					if !tc.revet || c.Class == diff.Substantive {
						cats = append(cats, c.Categories...)
					}
				}
				if tc.category != "" && !slices.Contains(cats, tc.category) {
					t.Errorf("%s: categories %v, want %s; %s", dir.name, cats, tc.category, describe(r))
				}
				if tc.notCategory != "" {
					for _, c := range r.Changes {
						if slices.Contains(c.Categories, tc.notCategory) {
							t.Errorf("%s: categories %v, want no %s; %s", dir.name, c.Categories, tc.notCategory, describe(r))
						}
					}
				}
			}
		})
	}
}
