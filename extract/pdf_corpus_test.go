package extract_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// Floors of the PDF and pdf2htmlEX figures (docs/quality.md, "PDF and
// pdf2htmlEX pages"). Raise them as extraction improves.
const (
	floorPDFF1      = 0.99 // token F1 of each corpus PDF with a reference (measured 1.0000)
	floorPDF2HTMLF1 = 0.99 // token F1 of each pdf2htmlEX page with a reference (measured 1.0000)
)

// corpusReference returns the reference text of a corpus file: OTA's .md
// beside it, or else the OTA version kept in testdata/corpusref (see its
// README), or "" when there is none.
func corpusReference(tb testing.TB, dir string, row corpusRow) string {
	tb.Helper()
	path := filepath.Join(dir, row.mdFile)
	if row.mdFile == "" {
		path = filepath.Join("testdata", "corpusref", strings.TrimSuffix(row.file, filepath.Ext(row.file))+".md")
	}
	md, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	return referenceText(string(md))
}

// TestCorpusPDF scores the corpus PDFs and pdf2htmlEX pages against their
// reference text, like TestCorpus the HTML pages, and each pdf2htmlEX page
// also as the generic HTML reader would read it (its generator tag
// removed), for comparison.
func TestCorpusPDF(t *testing.T) {
	dir := corpusDir(t)
	needPDFTool(t)
	var report strings.Builder
	fmt.Fprintf(&report, "%-50s %-9s %6s %6s %6s %7s %6s\n", "file", "reader", "P", "R", "F1", "clauses", "words")
	scored := 0
	for _, row := range readManifest(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, row.file))
		if err != nil {
			t.Fatal(err)
		}
		reader, floor := "pdf", floorPDFF1
		switch {
		case row.format == "pdf":
		case bytes.Contains(data[:min(len(data), 4096)], []byte("pdf2htmlEX")):
			reader, floor = "pdf2html", floorPDF2HTMLF1
		default:
			continue
		}
		ref := corpusReference(t, dir, row)
		line := func(reader string, doc *extract.Document, err error) float64 {
			if err != nil {
				fmt.Fprintf(&report, "%-50s %-9s %6s %6s %6.4f %7s %6s  (%v)\n", row.file, reader, "-", "-", 0.0, "-", "-", err)
				return 0
			}
			text := clauseText(doc)
			words := len(strings.Fields(text))
			if ref == "" {
				fmt.Fprintf(&report, "%-50s %-9s %6s %6s %6s %7d %6d\n", row.file, reader, "-", "-", "-", len(doc.Clauses), words)
				return 1
			}
			p, r, f := prf(tokens(text), tokens(ref))
			fmt.Fprintf(&report, "%-50s %-9s %6.4f %6.4f %6.4f %7d %6d\n", row.file, reader, p, r, f, len(doc.Clauses), words)
			return f
		}
		doc, err := extract.Bytes(data, extract.Options{ContentType: "text/html; charset=utf-8"})
		if err != nil {
			t.Errorf("%s: %v", row.file, err)
		}
		if f := line(reader, doc, err); ref != "" {
			scored++
			if f < floor {
				t.Errorf("%s: token F1 %.4f below the floor %.2f", row.file, f, floor)
			}
		}
		if reader == "pdf2html" {
			plain := bytes.ReplaceAll(data, []byte("pdf2htmlEX"), []byte("generator"))
			doc, err := extract.Bytes(plain, extract.Options{ContentType: "text/html; charset=utf-8"})
			line("as html", doc, err)
		}
	}
	fmt.Fprintf(&report, "PDF and pdf2htmlEX files scored against a reference: %d\n", scored)
	t.Log("\n" + report.String())
	if scored == 0 {
		t.Error("no PDF or pdf2htmlEX page has a reference text")
	}
}
