package extract_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  plain   text\n\there ", "plain text here"},
		{"non\u00a0breaking\u202fspaces\u2007here", "non breaking spaces here"},
		{"zero\u200bwidth\u200c\u200d\u2060\ufeffgone", "zerowidthgone"},
		{"soft\u00adhyphen", "softhyphen"},
		{"\u201ccurly\u201d \u2018quotes\u2019 \u00abguillemets\u00bb", `"curly" 'quotes' "guillemets"`},
		{"en\u2013dash em\u2014dash minus\u2212sign", "en-dash em-dash minus-sign"},
		{"\ufb01nancial ｆｕｌｌ", "financial full"}, // NFKC: ligature, full-width
		{"Case And, Punctuation.", "Case And, Punctuation."},
		{"dir\u200emarks\u202a", "dirmarks"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := extract.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUpdatedDate(t *testing.T) {
	tests := []struct{ line, want string }{
		{"Last updated: May 6, 2019", "2019-05-06"},
		{"Updated: May 17, 2022", "2022-05-17"},
		{"Effective date: 2023-01-31", "2023-01-31"},
		{"Posted: 03/17/2016", "2016-03-17"},
		{"Last modified 17 March 2016", "2016-03-17"},
		{"Effective as of the 1st of July, 2024", "2024-07-01"},
		{"Dernière mise à jour : 6 mai 2019", "2019-05-06"},
		{"Stand: 17.03.2016", "2016-03-17"},
		{"Zuletzt aktualisiert am 2. Januar 2025", "2025-01-02"},
		{"Last revised: June 2023", "2023-06"},
		{"Updated: February 30, 2023", ""}, // not a date
		{"We updated our systems in many ways.", ""},
		{"Understand 2019-05-06 is not a cue", ""},
	}
	for _, tt := range tests {
		page := fmt.Sprintf("<html><body><main><h1>Privacy</h1><p>%s</p><p>We collect very little information about you at all.</p></main></body></html>", tt.line)
		doc, err := extract.HTML([]byte(page), extract.Options{})
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if doc.Updated != tt.want {
			t.Errorf("%q: got updated %q, want %q", tt.line, doc.Updated, tt.want)
		}
	}
}

func TestFormatsAndCharsets(t *testing.T) {
	latin1 := []byte("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Donn\xe9es personnelles prot\xe9g\xe9es.</p></body></html>")
	tests := []struct {
		name        string
		data        []byte
		contentType string
		wantFormat  extract.Format
		wantText    string
	}{
		{"html sniffed", []byte("<!doctype html><p>We collect data.</p>"), "", extract.FormatHTML, "We collect data."},
		{"meta charset latin-1", latin1, "", extract.FormatHTML, "Données personnelles protégées."},
		{"content-type charset wins", []byte("<p>caf\xe9 policy</p>"), "text/html; charset=windows-1252", extract.FormatHTML, "café policy"},
		{"utf-8 BOM", append([]byte("\xef\xbb\xbf"), []byte("<p>BOM page text</p>")...), "", extract.FormatHTML, "BOM page text"},
		{"plain text", []byte("Privacy Policy\nWe collect your name when you sign up for the newsletter.\n"), "", extract.FormatText, "We collect your name when you sign up for the newsletter."},
		{"markdown", []byte("# Privacy\n\n## What we collect\n\nWe collect your [name](http://x).\n\n* e-mail address and phone\n"), "", extract.FormatMarkdown, "We collect your name."},
		{"markdown by content type", []byte("Just *one* line of policy text here."), "text/markdown", extract.FormatMarkdown, "Just one line of policy text here."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract.Bytes(tt.data, extract.Options{ContentType: tt.contentType})
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != tt.wantFormat {
				t.Errorf("format %q, want %q", doc.Format, tt.wantFormat)
			}
			found := false
			for _, c := range doc.Clauses {
				if c.Text == tt.wantText {
					found = true
				}
			}
			if !found {
				t.Errorf("no clause %q in:\n%s", tt.wantText, dump(doc))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opts extract.Options
		want error
	}{
		{"empty", nil, extract.Options{}, extract.ErrEmpty},
		{"only chrome", []byte("<html><body><nav><a href=/>Home</a></nav><script>x()</script></body></html>"), extract.Options{}, extract.ErrEmpty},
		{"captcha redirect", []byte(`<html><head><meta http-equiv="refresh" content="0;/.well-known/sgcaptcha/?r=%2F"></head></html>`), extract.Options{}, extract.ErrEmpty},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), extract.Options{}, extract.ErrNotText},
		{"pdf", []byte("%PDF-1.7\n1 0 obj"), extract.Options{}, extract.ErrUnsupported},
		{"bad select", []byte("<p>text</p>"), extract.Options{Select: []string{"div[["}}, extract.ErrSelector},
		{"bad remove", []byte("<p>text</p>"), extract.Options{Remove: []string{":nope("}}, extract.ErrSelector},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract.Bytes(tt.data, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v (doc %v), want %v", err, doc, tt.want)
			}
		})
	}
}

func TestSelectAndRemove(t *testing.T) {
	page := []byte(`<html><body><main><div class="policy"><h2>Sharing</h2><p>We share data with partners.</p><div class="promo">Try our app today for free!</div></div><div class="other"><h2>Terms</h2><p>You agree to these terms of use.</p></div></main></body></html>`)
	doc, err := extract.HTML(page, extract.Options{Select: []string{".policy"}, Remove: []string{".promo"}})
	if err != nil {
		t.Fatal(err)
	}
	got := dump(doc)
	want := "heading [] Sharing\nparagraph [Sharing] We share data with partners.\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestStructure(t *testing.T) {
	tests := []struct {
		name string
		page string
		want string
	}{
		{"data table rows", `<main><h2>Retention</h2><table><tr><th>Data</th><th>Period</th></tr><tr><td>Logs</td><td>30 days</td></tr></table></main>`,
			"heading [] Retention\nrow [Retention] Data | Period\nrow [Retention] Logs | 30 days\n"},
		{"layout table is not rows", `<table><tr><td><a href=/>Home</a></td><td><h1>Policy</h1><p>We keep logs for thirty days and then delete them.</p></td></tr></table>`,
			"heading [] Policy\nparagraph [Policy] We keep logs for thirty days and then delete them.\n"},
		{"nested list items and numbering", `<main><ol><li>1. First item text<ul><li>Nested item text</li></ul></li><li>(b) Second item text</li></ol></main>`,
			"item [] First item text\nitem [] Nested item text\nitem [] Second item text\n"},
		{"bold lead-in stays a paragraph", `<main><p><strong>Cookies.</strong> We use cookies to remember you.</p></main>`,
			"paragraph [] Cookies. We use cookies to remember you.\n"},
		{"bold line then br then text", `<main><p><b>Your Rights</b><br>You may ask us to delete your data.</p></main>`,
			"heading [] Your Rights\nparagraph [Your Rights] You may ask us to delete your data.\n"},
		{"accordion with hidden panel", `<main><h1>FAQ</h1><button aria-expanded="false"><h3>Do you sell data?</h3></button><div aria-hidden="true">No. We never sell your personal data to anyone, and we never will sell it to data brokers, advertisers or any other third party for money or other valuable consideration.</div></main>`,
			"heading [] FAQ\nheading [FAQ] Do you sell data?\nparagraph [FAQ › Do you sell data?] No. We never sell your personal data to anyone, and we never will sell it to data brokers, advertisers or any other third party for money or other valuable consideration.\n"},
		{"screen-reader text and hidden template dropped", `<main><p>See our <a href="/x">partners<span class="sr-only">(opens in a new window)</span></a>.</p><div hidden>An error occurred.</div></main>`,
			"paragraph [] See our partners.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract.HTML([]byte(tt.page), extract.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(doc); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPlainTextHeadingsAndTrimming(t *testing.T) {
	text := strings.Join([]string{
		"https://example.org/privacy",
		"HomeProductsPricingAboutUsCareersContactBlogSupportLogin",
		"Privacy Notice",
		"Updated: May 6, 2019",
		"This notice explains how we collect, use and disclose information about you.",
		"Information We Collect",
		"We collect your name, e-mail address and the pages you visit on our site.",
		"- Account data such as your name and password.",
		"Contacting Us",
		"Write to privacy@example.org with any question about this notice at all.",
		"About Us",
		"Careers",
		"Press",
		"Contact",
		"© 2001-2020 Example Inc. All Rights Reserved.",
	}, "\n")
	doc, err := extract.Text([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := `heading [] Privacy Notice
paragraph [Privacy Notice] Updated: May 6, 2019
paragraph [Privacy Notice] This notice explains how we collect, use and disclose information about you.
heading [Privacy Notice] Information We Collect
paragraph [Privacy Notice › Information We Collect] We collect your name, e-mail address and the pages you visit on our site.
item [Privacy Notice › Information We Collect] Account data such as your name and password.
heading [Privacy Notice] Contacting Us
paragraph [Privacy Notice › Contacting Us] Write to privacy@example.org with any question about this notice at all.
`
	if got := dump(doc); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if doc.Updated != "2019-05-06" {
		t.Errorf("updated %q, want 2019-05-06", doc.Updated)
	}
}
