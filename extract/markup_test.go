package extract_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// policy is one short policy, rendered below in many markups.
var policy = struct {
	title    string
	sections []struct {
		heading string
		paras   []string
		items   []string
	}
}{
	title: "Example Privacy Policy",
	sections: []struct {
		heading string
		paras   []string
		items   []string
	}{
		{"Information We Collect", []string{"We collect the information you give us when you create an account.", "We don't sell your personal information."}, []string{"Your name and e-mail address.", "The pages you visit on our site."}},
		{"How We Share Information", []string{"We share information with service providers who process it for us."}, []string{"Hosting providers.", "Payment processors."}},
		{"Contact Us", []string{"Write to privacy@example.org with any question about this policy."}, nil},
	},
}

// page wraps content in site chrome; the knobs add the noise that must not
// change the clauses.
type chrome struct {
	cookieBanner bool
	extraMenu    bool
	year         int
}

func (c chrome) wrap(body string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Privacy | Example</title><script>var x = "We collect everything";</script><style>p{color:red}</style></head><body>`)
	b.WriteString(`<a class="skip-link" href="#main">Skip to content</a>`)
	if c.cookieBanner {
		b.WriteString(`<div id="onetrust-banner-sdk" class="cookie-banner"><p>We use cookies to improve your experience. By continuing you accept our use of cookies.</p><button>Accept all</button></div>`)
	}
	b.WriteString(`<header class="site-header"><nav><ul><li><a href="/">Home</a></li><li><a href="/products">Products</a></li>`)
	if c.extraMenu {
		b.WriteString(`<li><a href="/new">Our brand new product line for schools</a></li>`)
	}
	b.WriteString(`</ul></nav><form role="search"><input type="search"><button>Search</button></form></header>`)
	b.WriteString(`<div class="breadcrumbs"><a href="/">Home</a> › <a href="/legal">Legal</a> › Privacy</div>`)
	b.WriteString(body)
	b.WriteString(`<aside class="sidebar"><h3>Related</h3><ul><li><a href="/terms">Terms of use</a></li><li><a href="/cookies">Cookie policy</a></li></ul></aside>`)
	fmt.Fprintf(&b, `<footer><ul><li><a href="/about">About us</a></li><li><a href="/jobs">Careers</a></li></ul><p>© %d Example Inc. All rights reserved.</p></footer>`, c.year)
	b.WriteString(`</body></html>`)
	return b.String()
}

// classic renders the policy with h1/h2/p/ul inside main.
func classic() string {
	var b strings.Builder
	b.WriteString(`<main id="main"><h1>` + policy.title + `</h1>`)
	for _, s := range policy.sections {
		b.WriteString("<h2>" + s.heading + "</h2>")
		for _, p := range s.paras {
			b.WriteString("<p>" + p + "</p>")
		}
		if len(s.items) > 0 {
			b.WriteString("<ul>")
			for _, it := range s.items {
				b.WriteString("<li>" + it + "</li>")
			}
			b.WriteString("</ul>")
		}
	}
	b.WriteString("</main>")
	return b.String()
}

// divSoup renders the same policy with divs, bold paragraphs for headings,
// non-breaking spaces, curly quotes, bullet glyphs in the text, and inline
// spans splitting words.
func divSoup() string {
	var b strings.Builder
	b.WriteString(`<div class="wrapper"><div class="col-md-9 page-content"><div role="heading" aria-level="1" class="title">` + policy.title + `</div>`)
	for _, s := range policy.sections {
		b.WriteString(`<div class="para"><b>` + strings.ReplaceAll(s.heading, " ", "&nbsp;") + `</b></div>`)
		for _, p := range s.paras {
			p = strings.ReplaceAll(p, "don't", "don\u2019t")
			p = strings.Replace(p, "information", "infor<span class=\"x\">mation</span>", 1)
			p = strings.Replace(p, " ", "&nbsp; ", 1)
			b.WriteString(`<div class="para">` + p + `</div>`)
		}
		for _, it := range s.items {
			b.WriteString(`<div class="bullet">•&nbsp;` + it + `</div>`)
		}
	}
	b.WriteString("</div></div>")
	return b.String()
}

// strongParagraphs uses <p><strong> headings, <br><br> paragraph breaks
// and list items wrapped in <p>, with zero-width spaces and soft hyphens.
func strongParagraphs() string {
	var b strings.Builder
	b.WriteString(`<article><h1>` + policy.title + `</h1>`)
	for _, s := range policy.sections {
		b.WriteString(`<p><strong>` + s.heading + `</strong></p><p>`)
		for i, p := range s.paras {
			if i > 0 {
				b.WriteString("<br><br>")
			}
			b.WriteString(strings.Replace(p, "personal", "per\u00adsonal\u200b", 1))
		}
		b.WriteString("</p>")
		if len(s.items) > 0 {
			b.WriteString("<ol>")
			for _, it := range s.items {
				b.WriteString("<li><p>" + it + "</p></li>")
			}
			b.WriteString("</ol>")
		}
	}
	b.WriteString("</article>")
	return b.String()
}

// TestMarkupOnlyChanges renders one policy in different markups and with
// different page chrome; every rendering must give the same clauses.
func TestMarkupOnlyChanges(t *testing.T) {
	base := chrome{year: 2023}
	want, err := extract.HTML([]byte(base.wrap(classic())), extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Clauses) != 12 { // title, 3 headings, 4 paragraphs, 4 items
		t.Fatalf("classic rendering: got %d clauses, want 12:\n%s", len(want.Clauses), dump(want))
	}
	tests := []struct {
		name string
		page string
	}{
		{"cookie banner added", chrome{year: 2023, cookieBanner: true}.wrap(classic())},
		{"menu item added", chrome{year: 2023, extraMenu: true}.wrap(classic())},
		{"footer year changed", chrome{year: 2024}.wrap(classic())},
		{"div soup with bold headings and nbsp", base.wrap(divSoup())},
		{"strong paragraphs, br breaks, ol with p", base.wrap(strongParagraphs())},
		{"everything at once", chrome{year: 2025, cookieBanner: true, extraMenu: true}.wrap(divSoup())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extract.HTML([]byte(tt.page), extract.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := dump(got), dump(want); g != w {
				t.Errorf("clauses differ from the classic rendering\ngot:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

// dump renders the comparison form of a document: kind, path and text.
func dump(d *extract.Document) string {
	var b strings.Builder
	for _, c := range d.Clauses {
		fmt.Fprintf(&b, "%s [%s] %s\n", c.Kind, strings.Join(c.Path, " › "), c.Text)
	}
	return b.String()
}
