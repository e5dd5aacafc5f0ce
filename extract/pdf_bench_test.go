package extract_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
)

// BenchmarkPDFRatio extracts the corpus's Fruitz policy of February 2024
// from its PDF (7 pages, through pdftohtml) and from the pdf2htmlEX page
// of the same text (May 2024), interleaved in one process. It reports PDF
// pages per second and the PDF's time as a multiple of the HTML page's
// (x-html), the figure that holds on a busy machine.
func BenchmarkPDFRatio(b *testing.B) {
	dir := corpusDir(b)
	needPDFTool(b)
	pdf, err := os.ReadFile(filepath.Join(dir, "fruitz", "privacy-policy", "2024-02-26T123214Z.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "fruitz", "privacy-policy", "2024-05-31T123217Z.html"))
	if err != nil {
		b.Fatal(err)
	}
	const pages = 7
	var inPDF, inHTML time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := extract.Bytes(pdf, extract.Options{}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := extract.Bytes(page, extract.Options{}); err != nil {
			b.Fatal(err)
		}
		inPDF += t1.Sub(t0)
		inHTML += time.Since(t1)
	}
	b.ReportMetric(float64(b.N*pages)/inPDF.Seconds(), "pdf-pages/s")
	b.ReportMetric(float64(b.N*pages)/inHTML.Seconds(), "html-pages/s")
	b.ReportMetric(float64(inPDF)/float64(inHTML), "x-html")
}

// BenchmarkPDFFixture extracts the two-page fixture PDF: pages per second
// without the corpus.
func BenchmarkPDFFixture(b *testing.B) {
	needPDFTool(b)
	data := fixtureFile(b, "pdf/northwind-privacy.pdf")
	start := time.Now()
	for b.Loop() {
		if _, err := extract.Bytes(data, extract.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*2)/time.Since(start).Seconds(), "pages/s")
}
