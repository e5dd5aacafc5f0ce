package extract_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
)

// tinyClauses is a page of n tiny paragraphs in the given format, the
// shape of the hostile page of issue 17 (150,000 clauses in 10 MiB).
func tinyClauses(format string, n int) (data []byte, contentType string) {
	var b strings.Builder
	switch format {
	case "markdown":
		b.WriteString("# Privacy policy\n\n")
		for i := range n {
			fmt.Fprintf(&b, "- Clause %06d: we may share your data with partner %06d.\n", i, i)
		}
		return []byte(b.String()), "text/markdown"
	case "text":
		b.WriteString("Privacy Policy\n\n")
		for i := range n {
			fmt.Fprintf(&b, "Clause %06d: we may share your data with partner %06d.\n\n", i, i)
		}
		return []byte(b.String()), "text/plain"
	case "table":
		b.WriteString("<html><body><main><h1>Privacy policy</h1><table><tr><th>Partner</th><th>Data</th></tr>")
		for i := range n {
			fmt.Fprintf(&b, "<tr><td>Partner %06d</td><td>shares data %06d</td></tr>", i, i)
		}
		b.WriteString("</table></main></body></html>")
	default:
		b.WriteString("<!DOCTYPE html><html><head><title>Privacy policy</title></head><body><main><h1>Privacy policy</h1>\n")
		for i := range n {
			fmt.Fprintf(&b, "<p>Clause %06d: we may share your data with partner %06d.</p>\n", i, i)
		}
		b.WriteString("</main></body></html>")
	}
	return []byte(b.String()), "text/html; charset=utf-8"
}

// TestClauseCap: a document beyond the caps (5,000 clauses, 1 MiB of
// text; real policies have at most a few hundred clauses) is cut at the
// cap and ends with a marker clause saying so; one within them is whole.
func TestClauseCap(t *testing.T) {
	marker := func(n int) string { return fmt.Sprintf("[clausewatch: document truncated after %d clauses]", n) }
	// One clause of 3 MiB: a page of line breaks and no block markup.
	var flat strings.Builder
	flat.WriteString("<html><body>")
	for i := 0; flat.Len() < 3<<20; i++ {
		fmt.Fprintf(&flat, "Clause %06d: we may share your data with partner %06d.<br>", i, i)
	}
	flat.WriteString("</body></html>")

	tests := []struct {
		name    string
		data    []byte
		ctype   string
		clauses int // policy clauses kept, the marker not counted
		cut     bool
	}{
		{name: "html-at-cap", clauses: 5000},
		{name: "html-over-cap", clauses: 5000, cut: true},
		{name: "html-hostile", clauses: 5000, cut: true},
		{name: "markdown-over-cap", clauses: 5000, cut: true},
		{name: "text-over-cap", clauses: 5000, cut: true},
		{name: "table-over-cap", clauses: 5000, cut: true},
		{name: "one-huge-clause", data: []byte(flat.String()), ctype: "text/html", clauses: 1, cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data == nil {
				format, _, _ := strings.Cut(tt.name, "-")
				n := 4999 // with the h1: 5,000 clauses
				switch {
				case tt.name == "html-hostile":
					n = 30_000
				case tt.cut:
					n = 6000
				}
				tt.data, tt.ctype = tinyClauses(format, n)
			}
			doc, err := extract.Bytes(tt.data, extract.Options{ContentType: tt.ctype})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.clauses
			if tt.cut {
				want++
			}
			if len(doc.Clauses) != want {
				t.Fatalf("got %d clauses, want %d", len(doc.Clauses), want)
			}
			last := doc.Clauses[len(doc.Clauses)-1]
			if got := last.Text == marker(tt.clauses); got != tt.cut {
				t.Errorf("last clause %.80q: marker %v, want %v", last.Text, got, tt.cut)
			}
			if doc.Truncated != tt.cut {
				t.Errorf("got Truncated %v, want %v", doc.Truncated, tt.cut)
			}
			text := 0
			for _, c := range doc.Clauses {
				text += len(c.Display)
			}
			if text > extract.MaxText+len(marker(tt.clauses)) {
				t.Errorf("got %d bytes of clause text, want at most %d", text, extract.MaxText)
			}
		})
	}
}
