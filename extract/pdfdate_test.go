package extract_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// TestPDFUpdated: a PDF's own date line ("Last update: 26 October 2021",
// "Last updated: 3 March 2025") is read from its text by the reader HTML
// pages use: the fixture PDF, and the corpus's Fruitz PDFs, whose line
// says "Last update".
func TestPDFUpdated(t *testing.T) {
	needPDFTool(t)
	doc, err := extract.Bytes(fixtureFile(t, "pdf/northwind-privacy.pdf"), extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Updated != "2025-03-03" || doc.UpdatedText != "Last updated: 3 March 2025" {
		t.Errorf("northwind: updated %q from %q, want 2025-03-03", doc.Updated, doc.UpdatedText)
	}
	dir := filepath.Join(corpusDir(t), "fruitz", "privacy-policy")
	for _, tt := range []struct{ file, want string }{
		{"2022-01-20T143335Z.pdf", "2021-10-26"},
		{"2022-05-10T123152Z.pdf", "2022-05-09"},
		{"2023-07-24T183223Z.pdf", "2022-12-22"},
		{"2023-07-25T183224Z.pdf", "2023-07-21"},
		{"2024-02-26T123214Z.pdf", "2024-02-16"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := extract.Bytes(data, extract.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != extract.FormatPDF || doc.Updated != tt.want {
				t.Errorf("format %s, updated %q from %q; want %s", doc.Format, doc.Updated, doc.UpdatedText, tt.want)
			}
		})
	}
}
