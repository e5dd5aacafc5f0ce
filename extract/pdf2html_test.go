package extract_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clausewatch/clausewatch/extract"
)

// TestGoldenPDF2HTML reads pdf2htmlEX pages by the place of their lines:
// the small page written for this test in the shape pdf2htmlEX gives
// (two pages, a running header, page numbers, a list item that runs on to
// the next page, an outline sidebar), and the real one in the corpus.
func TestGoldenPDF2HTML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "pdf2html", "northwind.html"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := extract.Bytes(data, extract.Options{ContentType: "text/html; charset=utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	got := golden(doc)
	for _, absent := range []string{"Outline entry", "Northwind Learning Ltd — Terms"} {
		if strings.Contains(got, absent) {
			t.Errorf("%q in the clauses", absent)
		}
	}
	if !strings.Contains(got, "which we then lock") {
		t.Error("the item cut by the page break is not joined")
	}
	checkGolden(t, "pdf2html-northwind", got)

	t.Run("corpus", func(t *testing.T) {
		dir := corpusDir(t)
		data, err := os.ReadFile(filepath.Join(dir, "fruitz", "privacy-policy", "2024-05-31T123217Z.html"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := extract.Bytes(data, extract.Options{ContentType: "text/html; charset=utf-8"})
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "pdf2html-fruitz-2024-05-31", golden(doc))
	})
}

// FuzzPDF2HTML feeds pdf2htmlEX-shaped pages (the generator tag, style
// rules and positioned divs) to the HTML reader: no panic, no hang, a
// declared error or valid clauses.
func FuzzPDF2HTML(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "pdf2html", "northwind.html"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add(`<meta name="generator" content="pdf2htmlEX"><style>.y1{bottom:-1e999px}.m0{transform:matrix(0,0,0,0,0,0)}.fs0{font-size:NaNpx}</style><div class="pf h0"><div class="t m0 y1 fs0 ff9">1. a</div></div>`)
	f.Add(`<!-- Created by pdf2htmlEX --><div class="t x1">orphan line</div><div class="pf"><div class="c x1 y1"><div class="t">in a clip</div></div></div>`)
	f.Fuzz(func(t *testing.T, page string) {
		doc, err := extract.HTML([]byte("<!DOCTYPE html><!-- Created by pdf2htmlEX -->"+page), extract.Options{})
		if err != nil {
			if !errors.Is(err, extract.ErrEmpty) && !errors.Is(err, extract.ErrMalformed) {
				t.Fatalf("undeclared error %v", err)
			}
			return
		}
		for _, c := range doc.Clauses {
			if c.Text == "" || !utf8.ValidString(c.Text) || c.Text != extract.Normalize(c.Text) {
				t.Fatalf("bad clause text %q", c.Text)
			}
		}
	})
}
