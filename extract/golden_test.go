package extract_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// chromeMarkers are strings that appear only in the site chrome of the
// fixture pages (menus, share bars, banners, sidebars, footers), never in a
// policy.
var chromeMarkers = []string{
	"Sharebar", "Skip to", "Members Login", "Search this site", "Related Links", "Quick Links",
	"Start a Course", "Toggle navigation", "We use cookies to measure site traffic",
	"This site works best with JavaScript", "All Rights Reserved", "All rights reserved",
	"©", "trademark usage policy", "Product Directory", "Learning Impact Awards", "Accept",
}

// golden renders a document in the golden-file form: one clause a line,
// kind, heading path and text, after a header with title and date.
func golden(doc *extract.Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title: %s\nupdated: %s\nclauses: %d\n\n", doc.Title, doc.Updated, len(doc.Clauses))
	for _, c := range doc.Clauses {
		fmt.Fprintf(&b, "%-9s [%s] %s\n", c.Kind, strings.Join(c.Path, " › "), c.Text)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./extract -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (rerun with -update after checking the change):\n%s", name, path, lineDiff(string(want), got))
	}
}

// lineDiff lists the first few lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 8; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// TestGoldenFixtures extracts every seed page of the fixtures package and
// compares with the reviewed golden file; no chrome may leak into clauses.
func TestGoldenFixtures(t *testing.T) {
	fsys := fixtures.FS()
	for _, p := range fixtures.Pages() {
		name := strings.TrimSuffix(strings.ReplaceAll(p.File, "/", "_"), ".html")
		t.Run(name, func(t *testing.T) {
			data, err := fs.ReadFile(fsys, p.File)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := extract.Bytes(data, extract.Options{ContentType: p.ContentType})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range doc.Clauses {
				for _, m := range chromeMarkers {
					if strings.Contains(c.Display, m) {
						t.Errorf("chrome %q leaked into clause %q", m, c.Display)
					}
				}
			}
			checkGolden(t, name, golden(doc))
		})
	}
}

// TestSeedLinesInOrder checks the flat-text seeds line by line: every line
// of the policy (from its first to its last paragraph) is a clause of the
// fixture page built from it, in the same order.
func TestSeedLinesInOrder(t *testing.T) {
	seeds := filepath.Join("..", "..", "shared", "seeds")
	if _, err := os.Stat(seeds); err != nil {
		t.Skipf("seeds not found at %s (check out shared/ beside the repo): %v", seeds, err)
	}
	tests := []struct {
		seed, page, first, last string
	}{
		{"001_eac1a65774c10f3c.txt", "pages/ims/2019-05-06.html", "IMS Global Privacy", "Any questions about this Privacy Notice"},
		{"004_ddbb285be9a52fec.txt", "pages/cor/2016-03-17.html", "COR Privacy Policy", "Have questions or concerns about COR"},
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(seeds, tt.seed))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			in := false
			for _, line := range strings.Split(string(raw), "\n") {
				line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
				if strings.HasPrefix(line, tt.first) {
					in = true
				}
				if in && line != "" {
					want = append(want, extract.Normalize(line))
				}
				if strings.HasPrefix(line, tt.last) {
					break
				}
			}
			data, err := fs.ReadFile(fixtures.FS(), tt.page)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := extract.HTML(data, extract.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			for _, c := range doc.Clauses {
				got.WriteString(c.Text)
				got.WriteByte('\n')
			}
			text := got.String()
			at := 0
			for _, line := range want {
				i := strings.Index(text[at:], line)
				if i < 0 {
					t.Errorf("seed line missing or out of order: %q", line)
					continue
				}
				at += i + len(line)
			}
		})
	}
}

// TestGoldenPages extracts the hand-written pages of testdata/pages, each
// with the options a source would set, and compares with the reviewed
// golden files: a legal centre read whole and by section, and a policy
// whose own header (title, intro naming the controller, date) stands
// beside its body.
func TestGoldenPages(t *testing.T) {
	tests := []struct {
		name, page string
		opts       extract.Options
	}{
		{"legal-centre_all", "legal-centre.html", extract.Options{}},
		{"legal-centre_privacy", "legal-centre.html", extract.Options{Section: "Privacy Policy"}},
		{"legal-centre_cookies", "legal-centre.html", extract.Options{Section: "cookie"}},
		{"header-intro", "header-intro.html", extract.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pages", tt.page))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := extract.Bytes(data, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "pages_"+tt.name, golden(doc))
		})
	}
}
