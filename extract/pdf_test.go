package extract_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
)

// noPDFReader is a reader whose program does not exist.
var noPDFReader = &extract.PDFReader{Program: "clausewatch-test-no-such-pdftohtml"}

// needPDFTool skips a test that needs poppler's pdftohtml where it is not
// installed, except under CI (CI=true), where .ci/run installs it and a
// missing program must fail the run rather than hide the PDF tests.
func needPDFTool(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("pdftohtml"); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("pdftohtml not found under CI (.ci/run installs poppler-utils): %v", err)
		}
		tb.Skipf("pdftohtml not installed (apt-get install poppler-utils), PDF test skipped: %v", err)
	}
}

func fixtureFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := fs.ReadFile(fixtures.FS(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestGoldenPDF extracts the fixture policy PDF (two pages, a running
// header, page numbers, numbered bold headings, bullets) served with a
// wrong Content-Type: the bytes decide.
func TestGoldenPDF(t *testing.T) {
	needPDFTool(t)
	data := fixtureFile(t, "pdf/northwind-privacy.pdf")
	doc, err := extract.Bytes(data, extract.Options{ContentType: "text/html; charset=utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Format != extract.FormatPDF {
		t.Errorf("format %q, want pdf", doc.Format)
	}
	got := golden(doc)
	for _, furniture := range []string{"Page 1 of", "Page 2 of", "Northwind Learning Ltd — Privacy Policy"} {
		if strings.Contains(got, furniture) {
			t.Errorf("page furniture %q in the clauses", furniture)
		}
	}
	checkGolden(t, "pdf-northwind-privacy", got)
}

func TestPDFErrors(t *testing.T) {
	needPDFTool(t)
	scanned := fixtureFile(t, "pdf/scanned.pdf")
	policy := fixtureFile(t, "pdf/northwind-privacy.pdf")
	tests := []struct {
		name string
		data []byte
		opts extract.Options
		want error
	}{
		{"scanned", scanned, extract.Options{}, extract.ErrScanned},
		{"scanned served as pdf", scanned, extract.Options{ContentType: "application/pdf"}, extract.ErrScanned},
		{"truncated", policy[:len(policy)/3], extract.Options{}, nil},
		{"garbage after header", []byte("%PDF-1.7\n1 0 obj <<"), extract.Options{}, extract.ErrMalformed},
		{"too many pages", policy, extract.Options{PDF: &extract.PDFReader{MaxPages: 1}}, extract.ErrTooLarge},
		{"too many bytes", policy, extract.Options{PDF: &extract.PDFReader{MaxBytes: 1000}}, extract.ErrTooLarge},
		{"memory bound", policy, extract.Options{PDF: &extract.PDFReader{MaxMemory: 2 << 20}}, extract.ErrMalformed},
		{"time bound", policy, extract.Options{PDF: &extract.PDFReader{Timeout: time.Nanosecond}}, extract.ErrTooLarge},
		{"no program", policy, extract.Options{PDF: noPDFReader}, extract.ErrUnsupported},
		{"selectors", policy, extract.Options{Select: []string{"p"}}, extract.ErrSelector},
		{"missing section", policy, extract.Options{Section: "Cookies"}, extract.ErrNoSection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := extract.Bytes(tt.data, tt.opts)
			if tt.want == nil {
				// A cut-off PDF is read as far as poppler can (its
				// xref is rebuilt), or refused as malformed or textless.
				if err != nil && !errors.Is(err, extract.ErrMalformed) && !errors.Is(err, extract.ErrScanned) {
					t.Fatalf("got %v, want a document or ErrMalformed/ErrScanned", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v (doc %v), want %v", err, doc, tt.want)
			}
		})
	}
}

// TestPDFMissingProgramMessage checks that the error names the program
// and how to get it.
func TestPDFMissingProgramMessage(t *testing.T) {
	_, err := noPDFReader.Document(context.Background(), []byte("%PDF-1.4\n"), extract.Options{})
	if err == nil || !strings.Contains(err.Error(), "clausewatch-test-no-such-pdftohtml") || !strings.Contains(err.Error(), "poppler-utils") {
		t.Fatalf("got %v, want an error naming the program and the package", err)
	}
}

// TestPDFSection keeps one section of the PDF.
func TestPDFSection(t *testing.T) {
	needPDFTool(t)
	doc, err := extract.Bytes(fixtureFile(t, "pdf/northwind-privacy.pdf"), extract.Options{Section: "Retention"})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Clauses) != 2 || !strings.Contains(doc.Clauses[1].Text, "90 days") {
		t.Fatalf("section Retention: got %s", golden(doc))
	}
}
