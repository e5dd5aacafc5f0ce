package extract_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

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
		{"Last update: 26 October 2021", "2021-10-26"},
		{"LAST UPDATE 9 May 2022", "2022-05-09"},
		{"Updated: February 30, 2023", ""}, // not a date
		{"We updated our systems in many ways.", ""},
		{"Understand 2019-05-06 is not a cue", ""},
		{"We use the Standard Contractual Clauses of 4 June 2021. Last updated on 2 January 2024.", "2024-01-02"},
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
		{"utf-16 html with BOM", utf16le("<html><body><p>Données protégées par la loi.</p></body></html>"), "", extract.FormatHTML, "Données protégées par la loi."},
		{"latin-1 plain text", []byte("Politique\n\nNous traitons vos donn\xe9es avec soin et sans les vendre."), "", extract.FormatText, "Nous traitons vos données avec soin et sans les vendre."},
		{"plain text charset from content type", []byte("Nous traitons vos donn\xe8es avec soin et sans les vendre."), "text/plain; charset=iso-8859-1", extract.FormatText, "Nous traitons vos donnèes avec soin et sans les vendre."},
		{"markdown with an html block", []byte("# Privacy Policy\n\n## What we collect\n\nWe collect your email address.\n\n<div>\nWe also collect your precise location.\n</div>\n"), "", extract.FormatMarkdown, "We also collect your precise location."},
		{"html fragment starting with section", []byte("<section><h2>Sharing</h2><p>We share nothing.</p></section>"), "", extract.FormatHTML, "We share nothing."},
		{"utf-8 page declared latin-1 in the header", []byte("<p>1EdTech\u2019s members \u2014 caf\u00e9</p>"), "text/html; charset=iso-8859-1", extract.FormatHTML, "1EdTech's members - café"},
		{"utf-8 page declared latin-1 in a meta tag", []byte("<meta charset=\"iso-8859-1\"><p>Donn\u00e9es prot\u00e9g\u00e9es</p>"), "", extract.FormatHTML, "Données protégées"},
		{"utf-8 text declared windows-1252", []byte("Nous traitons vos donn\u00e9es avec soin."), "text/plain; charset=windows-1252", extract.FormatText, "Nous traitons vos données avec soin."},
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

// utf16le encodes s as UTF-16 little-endian with a byte-order mark.
func utf16le(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, r := range utf16.Encode([]rune(s)) {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
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
		{"pdf without pdftohtml", []byte("%PDF-1.7\n1 0 obj"), extract.Options{PDF: noPDFReader}, extract.ErrUnsupported},
		{"pdf served as html without pdftohtml", []byte("%PDF-1.7\n1 0 obj"), extract.Options{ContentType: "text/html", PDF: noPDFReader}, extract.ErrUnsupported},
		{"png served as html", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), extract.Options{ContentType: "text/html"}, extract.ErrNotText},
		{"selector on plain text", []byte("We collect your name."), extract.Options{Select: []string{"p"}}, extract.ErrSelector},
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
		{"one marker stripped, not two", `<main><ul><li>1) a) where the law requires it</li></ul></main>`,
			"item [] a) where the law requires it\n"},
		{"inner lettering kept after a bullet", `<main><p>• a) where the law requires it</p></main>`,
			"item [] a) where the law requires it\n"},
		{"bold lead-in stays a paragraph", `<main><p><strong>Cookies.</strong> We use cookies to remember you.</p></main>`,
			"paragraph [] Cookies. We use cookies to remember you.\n"},
		{"bold line then br then text", `<main><p><b>Your Rights</b><br>You may ask us to delete your data.</p></main>`,
			"heading [] Your Rights\nparagraph [Your Rights] You may ask us to delete your data.\n"},
		{"accordion with hidden panel", `<main><h1>FAQ</h1><button aria-expanded="false"><h3>Do you sell data?</h3></button><div aria-hidden="true">No. We never sell your personal data to anyone, and we never will sell it to data brokers, advertisers or any other third party for money or other valuable consideration.</div></main>`,
			"heading [] FAQ\nheading [FAQ] Do you sell data?\nparagraph [FAQ › Do you sell data?] No. We never sell your personal data to anyone, and we never will sell it to data brokers, advertisers or any other third party for money or other valuable consideration.\n"},
		// Found by review: each of these once lost policy text.
		{"last contact section with a mail link", `<main><h1>Privacy Policy</h1><p>We collect your name when you register an account.</p><h2>Contact Us</h2><p>Email: <a href="mailto:privacy@example.com">privacy@example.com</a></p></main>`,
			"heading [] Privacy Policy\nparagraph [Privacy Policy] We collect your name when you register an account.\nheading [Privacy Policy] Contact Us\nparagraph [Privacy Policy › Contact Us] Email: privacy@example.com\n"},
		{"first sentence with a link", `<main><p>This policy supplements our <a href="/terms">Terms of Service</a>.</p><p>We collect your name when you register an account.</p></main>`,
			"paragraph [] This policy supplements our Terms of Service.\nparagraph [] We collect your name when you register an account.\n"},
		{"sections named after their topic", `<div><div id="nav"><a href="/">Home</a> <a href="/a">About</a></div><section id="sharing"><h2>Sharing</h2><p>We share your e-mail address with our payment processor so it can send you receipts for every order.</p></section><section class="social-media"><h2>Social media</h2><p>When you connect a social media account we receive your public profile and your list of friends.</p></section><section id="consent"><h2>Consent</h2><p>You may withdraw your consent to marketing at any time by writing to us or by clicking unsubscribe.</p></section><div class="policy-section cookie-settings"><h2>Cookie settings</h2><p>You can change your cookie settings at any time in the preferences panel of your browser or on our site.</p></div><div class="sticky-note"><p>We never sell personal information to data brokers or to advertisers, and we never will.</p></div></div>`,
			"heading [] Sharing\nparagraph [Sharing] We share your e-mail address with our payment processor so it can send you receipts for every order.\nheading [] Social media\nparagraph [Social media] When you connect a social media account we receive your public profile and your list of friends.\nheading [] Consent\nparagraph [Consent] You may withdraw your consent to marketing at any time by writing to us or by clicking unsubscribe.\nheading [] Cookie settings\nparagraph [Cookie settings] You can change your cookie settings at any time in the preferences panel of your browser or on our site.\nparagraph [Cookie settings] We never sell personal information to data brokers or to advertisers, and we never will.\n"},
		{"page wrapped in a form with a search box", `<body><form id="aspnetForm"><div><input type="search" name="q"></div><div id="content"><h1>Privacy Policy</h1><p>We collect your name and e-mail address when you create an account with us, and we keep them while the account is open.</p><p>We delete inactive accounts after two years and tell you a month before we do so.</p></div></form></body>`,
			"heading [] Privacy Policy\nparagraph [Privacy Policy] We collect your name and e-mail address when you create an account with us, and we keep them while the account is open.\nparagraph [Privacy Policy] We delete inactive accounts after two years and tell you a month before we do so.\n"},
		{"page header outside main keeps title and date", `<body><header class="site"><a href="/">Logo</a><nav><a href="/a">A</a><a href="/b">B</a></nav></header><div class="page"><header class="entry-header"><h1>Privacy Policy</h1><p>Last updated: March 3, 2024</p></header><section><header><h2>Data Retention</h2></header><p>We keep your data for as long as your account is open and for thirty days after it is closed.</p></section></div></body>`,
			"heading [] Privacy Policy\nparagraph [Privacy Policy] Last updated: March 3, 2024\nheading [Privacy Policy] Data Retention\nparagraph [Privacy Policy › Data Retention] We keep your data for as long as your account is open and for thirty days after it is closed.\n"},
		{"(c) list clause and copyright heading kept, copyright line dropped", `<main><h2>Copyright Infringement</h2><p>(a) to our processors;</p><p>(c) to law enforcement when required by a court order;</p><p>© 2024 Example Inc. All rights reserved.</p></main>`,
			"heading [] Copyright Infringement\nparagraph [Copyright Infringement] (a) to our processors;\nparagraph [Copyright Infringement] (c) to law enforcement when required by a court order;\n"},
		{"consent banner known only by its vendor's name", `<body><div id="CybotCookiebotDialog"><p>We use cookies to personalise content and ads, and to analyse our traffic. You consent to our cookies if you continue to use our website.</p></div><div class="wrap"><h1>Privacy Policy</h1><p>We collect your name and e-mail address when you create an account with us.</p><p>We keep them while your account is open and delete them a month after you close it.</p></div></body>`,
			"heading [] Privacy Policy\nparagraph [Privacy Policy] We collect your name and e-mail address when you create an account with us.\nparagraph [Privacy Policy] We keep them while your account is open and delete them a month after you close it.\n"},
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

// TestCloudflareProtectedEmail: a page served with Cloudflare's e-mail
// obfuscation reads the same as the page without it.
func TestCloudflareProtectedEmail(t *testing.T) {
	plain := `<main><h1>Privacy</h1><p>Write to <a href="mailto:dpo@brevo.com">dpo@brevo.com</a> with questions about your data.</p></main>`
	// "dpo@brevo.com" XOR 0x26, key first, as Cloudflare encodes it.
	protected := `<main><h1>Privacy</h1><p>Write to <a href="/cdn-cgi/l/email-protection#264256496644544350490845494b"><span class="__cf_email__" data-cfemail="264256496644544350490845494b">[email&#160;protected]</span></a> with questions about your data.</p></main>`
	a, err := extract.Bytes([]byte(plain), extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := extract.Bytes([]byte(protected), extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Clauses) != len(b.Clauses) || a.Clauses[1].Text != b.Clauses[1].Text {
		t.Errorf("protected page reads %q, want %q", b.Clauses[1].Text, a.Clauses[1].Text)
	}
	// A data-cfemail that does not decode to an address is left alone.
	junk := strings.Replace(protected, "264256496644544350490845494b", "zz", 2)
	c, err := extract.Bytes([]byte(junk), extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Clauses[1].Text, "[email protected]") {
		t.Errorf("undecodable address changed: %q", c.Clauses[1].Text)
	}
}
