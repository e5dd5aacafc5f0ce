package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPageNumber(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"3", true}, {"- 3 -", true}, {"Page 3", true}, {"Page 3 of 9", true}, {"3/9", true}, {"p. 12", true},
		{"Seite 2 von 5", true}, {"3 | Privacy Policy", false}, {"2023", true}, {"12 Harbour Street", false},
		{"1. Information we collect", false},
	}
	for _, tt := range tests {
		if got := pageNumber.MatchString(tt.line); got != tt.want {
			t.Errorf("pageNumber(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestNumbering(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"1. Information", true}, {"2.3 Sharing", true}, {"2.3.1. Hosting", true}, {"IV. Rights", true},
		{"Article 5 Retention", true}, {"section 2.1 Scope", true}, {"6 January 1978 known as", false},
		{"2016 (hereinafter", false}, {"1.5 million users", true},
	}
	for _, tt := range tests {
		if got := numbering.MatchString(tt.line); got != tt.want {
			t.Errorf("numbering(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

// TestLayout checks the layout reader on hand-placed runs: a running
// header and page numbers dropped, a paragraph joined across the page
// break, a larger title, a bold numbered heading, a bullet item.
func TestLayout(t *testing.T) {
	body := func(y float64, text string) textRun {
		return textRun{x: 50, y: y, w: 400, h: 10, size: 10, face: "Serif", text: text}
	}
	header := textRun{x: 50, y: 10, w: 200, h: 8, size: 8, face: "Serif", text: "Acme — Privacy"}
	pages := []textPage{
		{height: 800, runs: []textRun{
			header,
			{x: 50, y: 100, w: 300, h: 18, size: 18, face: "Serif-Bold", bold: true, text: "Privacy Notice"},
			{x: 50, y: 140, w: 20, h: 10, size: 10, face: "Serif-Bold", bold: true, text: "1."},
			{x: 75, y: 140, w: 200, h: 10, size: 10, face: "Serif-Bold", bold: true, text: "What we collect"},
			body(160, "We collect your name and the e-mail address you give"),
			body(172, "us when you sign up."),
			{x: 50, y: 196, w: 5, h: 10, size: 10, face: "Symbol", text: "•"},
			{x: 60, y: 196, w: 300, h: 10, size: 10, face: "Serif", text: "Usage records of the service."},
			body(700, "We keep these records for as long as your account"),
			{x: 290, y: 770, w: 10, h: 8, size: 8, face: "Serif", text: "1"},
		}},
		{height: 800, runs: []textRun{
			header,
			body(60, "is open, and for one year after it closes."),
			{x: 290, y: 770, w: 10, h: 8, size: 8, face: "Serif", text: "2"},
		}},
	}
	var got []string
	for _, c := range layoutClauses(pages) {
		got = append(got, string(c.kind)+" "+strings.Repeat("#", c.level)+" "+c.display)
	}
	want := []string{
		"heading # Privacy Notice",
		"heading ## 1. What we collect",
		"paragraph  We collect your name and the e-mail address you give us when you sign up.",
		"item  • Usage records of the service.",
		"paragraph  We keep these records for as long as your account is open, and for one year after it closes.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzPDFLayout feeds arbitrary pdftohtml XML to the parser and the layout
// reader: no panic, no hang, and the clauses it makes are valid.
func FuzzPDFLayout(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "pdfxml", "northwind-privacy.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`<pdf2xml><page height="100"><fontspec id="0" size="10" family="A"/><text top="5" left="0" width="9" height="9" font="0"><b>1.</b> x</text></page></pdf2xml>`))
	f.Add([]byte(`<page height="NaN"><text top="1e308" left="-1" width="0" height="-5" font="9">a</text></page><page/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := parsePopplerXML(data)
		if err != nil {
			return
		}
		clauses, _ := finishClauses(layoutClauses(pages), false)
		for _, c := range clauses {
			if c.Text == "" || !utf8.ValidString(c.Text) || c.Text != Normalize(c.Text) {
				t.Fatalf("bad clause text %q", c.Text)
			}
			if c.Kind == Heading && (c.Level < 1 || c.Level > 7) {
				t.Fatalf("heading level %d", c.Level)
			}
		}
	})
}
