package extract_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// clauseTexts extracts an HTML page and returns its clause texts.
func clauseTexts(t *testing.T, page string) []string {
	t.Helper()
	doc, err := extract.Bytes([]byte(page), extract.Options{ContentType: "text/html"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range doc.Clauses {
		out = append(out, c.Text)
	}
	return out
}

// TestRunTogether: runs of text that the page lays out apart stay apart,
// and runs the page shows as one word stay one word.
func TestRunTogether(t *testing.T) {
	const intro = `<h1>Privacy Policy</h1><p>We collect the data you give us and keep it safe, as the law requires.</p>`
	tests := []struct {
		name, html string
		want       []string // clause texts, after the intro's two
	}{
		// Apart.
		{"mail link then phone span", `<p><a href="mailto:legal@example.com">legal@example.com</a><span>571-555-0100</span></p>`,
			[]string{"legal@example.com 571-555-0100"}},
		{"address split by markup then phone", `<p><a href="mailto:legal@example.com">legal@<b>example.com</b></a><span>571-555-0100</span></p>`,
			[]string{"legal@example.com 571-555-0100"}},
		{"address then international phone", `<p><span>dpo@example.org</span><span>+44 20 7946 0000</span></p>`,
			[]string{"dpo@example.org +44 20 7946 0000"}},
		{"web address then capitalised word", `<p><a href="https://example.com/privacy">https://example.com/privacy</a><span>Contact us</span></p>`,
			[]string{"https://example.com/privacy Contact us"}},
		{"text address then element", `<p>Write to legal@example.com<span>571-555-0100</span></p>`,
			[]string{"Write to legal@example.com 571-555-0100"}},
		{"br between", `<p><a href="mailto:legal@example.com">legal@example.com</a><br><span>571-555-0100</span></p>`,
			[]string{"legal@example.com 571-555-0100"}},
		{"display block style", `<p><span style="display:block">Data Protection Officer</span><span style="display: block !important">dpo@example.com</span></p>`,
			[]string{"Data Protection Officer", "dpo@example.com"}},
		{"block utility class", `<p><span class="d-block">Example Ltd</span><span class="block">1 High Street</span></p>`,
			[]string{"Example Ltd", "1 High Street"}},
		{"flex container's items", `<div style="display:flex"><a href="/a">Download PDF</a><a href="/b">View previous terms</a></div>`,
			[]string{"Download PDF", "View previous terms"}},
		{"grid utility container's items", `<div class="grid"><span>Controller</span><span>Example Ltd</span></div>`,
			[]string{"Controller", "Example Ltd"}},
		{"divs inside address", `<address>Example Ltd<div>legal@example.com</div><div>571-555-0100</div></address>`,
			[]string{"Example Ltd", "legal@example.com", "571-555-0100"}},
		{"table cell", `<table><tr><th>Role</th><th>Contact</th></tr><tr><td>DPO</td><td><a>dpo@example.com</a><span>571-555-0100</span></td></tr></table>`,
			[]string{"Role | Contact", "DPO | dpo@example.com 571-555-0100"}},
		// Together.
		{"word split by bold", `<p>Our <b>Priv</b>acy team reads every letter.</p>`, []string{"Our Privacy team reads every letter."}},
		{"text then link", `<p>See foo<a href="/x">bar</a> for more.</p>`, []string{"See foobar for more."}},
		{"local part split by links", `<p>Mail <a href="mailto:support@example.com">s</a><a href="mailto:support@example.com">upport@example.com</a>.</p>`,
			[]string{"Mail support@example.com."}},
		{"obfuscated address", `<p>Mail info<span>@</span>example<span>.</span>com today.</p>`, []string{"Mail info@example.com today."}},
		{"address then lower-case letter", `<p>Mail legal@example.co<b>m</b> today.</p>`, []string{"Mail legal@example.com today."}},
		{"address then full stop", `<p>Write to <a href="mailto:a@example.com">a@example.com</a>.</p>`, []string{"Write to a@example.com."}},
		{"inline-block is not a block", `<p><span style="display:inline-block">Priv</span>acy matters.</p>`, []string{"Privacy matters."}},
		{"inline style on a div is ignored", `<p>One</p><div style="display:inline">Two</div><div style="display:inline">Three</div>`, []string{"One", "Two", "Three"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clauseTexts(t, "<html><body><main>"+intro+tt.html+"</main></body></html>")
			if len(got) < 2 {
				t.Fatalf("got %q, want the intro and more", got)
			}
			if got := got[2:]; !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHeaderIntro: the document's own header, with the intro that names
// the controller, is read with the policy wherever it sits beside it; the
// site header (logo and menu) is not.
func TestHeaderIntro(t *testing.T) {
	const (
		site   = `<header class="site-header"><a href="/"><img src="logo.png" alt="Example"></a><nav><a href="/products">Products</a> <a href="/pricing">Pricing</a></nav><p>Welcome to <a href="/">Example</a>, <a href="/signup">sign up</a> today!</p></header>`
		title  = `<h1>Privacy Policy</h1>`
		intro  = `<p>This policy is issued by Example Ltd, the controller of your personal data, registered in England.</p>`
		policy = `<h2>What we collect</h2><p>We collect your name and e-mail address when you sign up for an account with us.</p>` +
			`<h2>Sharing</h2><p>We share your data with payment processors who handle card payments for us, and nobody else.</p>` +
			`<h2>Retention</h2><p>We keep your data while your account is open and delete it within thirty days after you close it.</p>`
		footer = `<footer><p>© 2025 Example Ltd</p></footer>`
	)
	tests := []struct{ name, body string }{
		{"header inside main", `<main><header class="page-header">` + title + intro + `</header>` + policy + `</main>`},
		{"header inside article", `<main><article><header class="entry-header">` + title + `<div class="intro">` + intro + `</div></header><div class="entry-content">` + policy + `</div></article></main>`},
		{"header inside main with a banner role", `<main><header role="banner">` + title + intro + `</header>` + policy + `</main>`},
		{"header without a title inside main", `<main><header class="header">` + intro + `</header>` + title + policy + `</main>`},
		{"header beside the article", `<div class="wrap"><header class="entry-header">` + title + intro + `</header><article>` + policy + `</article></div>`},
		{"header beside main", `<div class="page"><header class="hero">` + title + intro + `</header><main>` + policy + `</main></div>`},
		{"page-header beside unmarked content", `<div id="content"><header class="page-header">` + title + intro + `</header><div class="policy">` + policy + `</div></div>`},
		{"header a level up", `<div class="page"><header class="hero">` + title + intro + `</header><div class="container"><div class="row"><main>` + policy + `</main></div></div></div>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(clauseTexts(t, "<html><body>"+site+tt.body+footer+"</body></html>"), "\n")
			for _, want := range []string{"Privacy Policy", "This policy is issued by Example Ltd", "We collect your name", "within thirty days"} {
				if !strings.Contains(got, want) {
					t.Errorf("lacks %q; got\n%s", want, got)
				}
			}
			for _, chrome := range []string{"Products", "Pricing", "Welcome to", "©"} {
				if strings.Contains(got, chrome) {
					t.Errorf("site chrome %q kept; got\n%s", chrome, got)
				}
			}
		})
	}
}

// TestHeaderNotPolicy: headers beside the policy that are not its own
// stay out: a menu with many links, a header with no running text, and
// one far longer than an intro.
func TestHeaderNotPolicy(t *testing.T) {
	policy := `<main><h1>Privacy Policy</h1>` + strings.Repeat(`<p>We collect your name and e-mail address when you sign up for an account with us.</p>`, 30) + `</main>`
	tests := []struct{ name, header, absent string }{
		{"links", `<header class="hero"><h2>Example</h2><p>Read <a href="/a">our blog</a>, <a href="/b">our news</a> and <a href="/c">our jobs</a> pages.</p></header>`, "our blog"},
		{"tagline only", `<header class="hero"><h2>Example Ltd</h2><p>Simply better</p></header>`, "Simply better"},
		{"long", `<header class="hero"><h2>Example</h2>` + strings.Repeat(`<p>A long story about the company, its history and all its many products.</p>`, 20) + `</header>`, "long story"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(clauseTexts(t, `<html><body><div class="page">`+tt.header+policy+`</div></body></html>`), "\n")
			if strings.Contains(got, tt.absent) {
				t.Errorf("kept %q; got\n%s", tt.absent, got)
			}
			if !strings.Contains(got, "We collect your name") {
				t.Errorf("lost the policy; got\n%s", got)
			}
		})
	}
}
