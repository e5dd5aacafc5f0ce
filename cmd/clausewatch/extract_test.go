package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
)

// runCLI runs the program in-process and returns stdout, stderr and the
// exit status main would use.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	code := 0
	if err != nil {
		code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func TestExtractJSONShape(t *testing.T) {
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { return time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC) }))
	defer srv.Close()
	var url string
	for _, p := range fixtures.Pages() {
		if p.File == "pages/ims/2022-05-17.html" {
			url = srv.URL + p.URLPath
		}
	}
	if url == "" {
		t.Fatal("no 2022 IMS fixture page")
	}
	out, errOut, code := runCLI(t, "", "extract", "--json", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Title   *string `json:"title"`
		Updated *string `json:"updated"`
		Clauses []struct {
			Kind string   `json:"kind"`
			Path []string `json:"path"`
			Text *string  `json:"text"`
		} `json:"clauses"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Title == nil || doc.Updated == nil || *doc.Updated != "2022-05-17" {
		t.Errorf("title %v updated %v, want a title and 2022-05-17", doc.Title, doc.Updated)
	}
	if len(doc.Clauses) < 50 {
		t.Fatalf("got %d clauses, want the whole policy", len(doc.Clauses))
	}
	kinds := map[string]bool{"heading": true, "paragraph": true, "item": true, "row": true}
	for _, c := range doc.Clauses {
		if !kinds[c.Kind] || c.Path == nil || c.Text == nil {
			t.Fatalf("bad clause %+v", c)
		}
	}
	// A page with no date gives "updated": null, not "".
	out, _, code = runCLI(t, "<html><body><p>We collect nothing at all from anyone.</p></body></html>", "extract", "--json", "-")
	if code != 0 || !strings.Contains(out, `"updated": null`) {
		t.Errorf("exit %d, want updated null in:\n%s", code, out)
	}
}

// TestExtractInputCap feeds more than the cap on standard input: a clear
// error, not an out-of-memory crash (yes | clausewatch extract -).
func TestExtractInputCap(t *testing.T) {
	var out, errOut bytes.Buffer
	big := io.LimitReader(infinite{}, maxInput+10)
	err := run(context.Background(), []string{"extract", "-"}, big, &out, &errOut)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(ee.msg, "larger than 64 MiB") {
		t.Fatalf("got %v, want exit 2 naming the 64 MiB cap", err)
	}
}

// infinite reads as an endless stream of "y\n".
type infinite struct{}

func (infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "y\n"[i%2]
	}
	return len(p), nil
}

func TestExtractText(t *testing.T) {
	out, errOut, code := runCLI(t, "<main><h1>Policy</h1><h2>Sharing</h2><p>We share data with partners.</p></main>", "extract", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Sharing", "(in Policy)", "We share data with partners."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.html")
	if err := os.WriteFile(empty, []byte("<html><body><nav><a href=/>Home</a></nav></body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL + "/privacy"
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/privacy"
	dead.Close() // nothing listens there any more
	defer gone.Close()

	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"not html or text", []string{"extract", png}, "logo.png"},
		{"empty page", []string{"extract", empty}, "empty.html"},
		{"missing file", []string{"extract", filepath.Join(dir, "nope.html")}, "nope.html"},
		{"unreachable url", []string{"extract", deadURL}, deadURL},
		{"404", []string{"extract", goneURL}, goneURL},
		{"bad selector", []string{"extract", "--select", "div[[", empty}, "div[["},
		{"empty selector", []string{"extract", "--select", "", empty}, "empty selector"},
		{"selector matches nothing", []string{"extract", "--select", "#nope", empty}, "#nope"},
		{"directory", []string{"extract", dir}, dir + ": is a directory"},
		{"no argument", []string{"extract"}, "want one FILE"},
		{"unknown flag", []string{"extract", "--bogus", empty}, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stdout %q, stderr %q)", code, out, errOut)
			}
			if !strings.Contains(errOut, tt.mention) {
				t.Errorf("error does not name %q: %q", tt.mention, errOut)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n") + 1; lines != 1 {
				t.Errorf("error is %d lines, want one: %q", lines, errOut)
			}
		})
	}
}
