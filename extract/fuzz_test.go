package extract_test

import (
	"errors"
	"io/fs"
	"testing"
	"unicode/utf8"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
)

// FuzzExtract feeds arbitrary bytes, content types and sections to Bytes.
// It must not panic or hang, must fail only with a declared error, and
// whatever it returns must hold the Document invariants; with a section,
// the document starts with the heading it names.
func FuzzExtract(f *testing.F) {
	fsys := fixtures.FS()
	for _, p := range fixtures.Pages() {
		data, err := fs.ReadFile(fsys, p.File)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "text/html; charset=utf-8", "")
		f.Add(data, "text/html; charset=utf-8", "privacy")
	}
	f.Add([]byte("Privacy Policy\nUpdated: May 6, 2019\nWe collect your name.\n- e-mail\n"), "", "")
	f.Add([]byte("# Privacy\n\n**Changes**\n\nWe may change this [notice](x).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"), "text/markdown", "changes")
	f.Add([]byte("<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>"), "", "")
	f.Add([]byte("<p><b>Bold</b><br><br><i>It</i><br>text</p><pre>A Title\nline one.\n</pre>"), "text/html; charset=windows-1252", "bold")
	f.Add([]byte("<main><h2>Terms</h2><p>a@b.co<span>1</span></p><h2>Privacy</h2><div style=display:flex><span>x</span>y</div></main>"), "", "Privacy")
	f.Fuzz(func(t *testing.T, data []byte, contentType, section string) {
		doc, err := extract.Bytes(data, extract.Options{ContentType: contentType, Section: section})
		if err != nil {
			for _, known := range []error{extract.ErrEmpty, extract.ErrNotText, extract.ErrUnsupported, extract.ErrSelector, extract.ErrMalformed, extract.ErrNoSection, extract.ErrScanned, extract.ErrTooLarge} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("undeclared error %v", err)
		}
		if len(doc.Clauses) == 0 {
			t.Fatal("no error and no clauses")
		}
		if first := doc.Clauses[0]; section != "" && (first.Kind != extract.Heading || len(first.Path) != 0) {
			t.Fatalf("section %q starts with %s %q (path %q), want its heading", section, first.Kind, first.Text, first.Path)
		}
		for _, c := range doc.Clauses {
			if c.Text == "" || !utf8.ValidString(c.Text) {
				t.Fatalf("bad clause text %q", c.Text)
			}
			if c.Text != extract.Normalize(c.Text) {
				t.Fatalf("clause text not normalised: %q", c.Text)
			}
			if c.Kind == extract.Heading && (c.Level < 1 || c.Level > 7) {
				t.Fatalf("heading level %d", c.Level)
			}
		}
	})
}

// FuzzNormalize checks that Normalize is idempotent and keeps text valid.
func FuzzNormalize(f *testing.F) {
	f.Add("We\u00a0don\u2019t \u200bsell\u00ad data \u2014 ever.")
	f.Add("ﬁ ｆｕｌｌ \u2066x\u2069")
	f.Fuzz(func(t *testing.T, s string) {
		n := extract.Normalize(s)
		if !utf8.ValidString(n) && utf8.ValidString(s) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if n2 := extract.Normalize(n); n2 != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, n2)
		}
	})
}
