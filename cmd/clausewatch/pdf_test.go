package main

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clausewatch/clausewatch/fixtures"
)

// TestCheckPDF runs clausewatch check on PDFs served from 127.0.0.1 at
// URLs without ".pdf" and with a wrong Content-Type: the policy PDF is
// read into clauses, a material edit in it is one re-vet change, and the
// image-only PDF is suspect with a reason a staff member can act on.
func TestCheckPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftohtml"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pdftohtml not found under CI (.ci/run installs poppler-utils): %v", err)
		}
		t.Skipf("pdftohtml not installed (apt-get install poppler-utils), PDF test skipped: %v", err)
	}
	read := func(name string) []byte {
		data, err := fs.ReadFile(fixtures.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	policy, scanned := read("pdf/northwind-privacy.pdf"), read("pdf/scanned.pdf")
	// The same length, so the content stream's /Length still holds.
	edited := bytes.Replace(policy, []byte("within 90 days"), []byte("within 30 days"), 1)
	if bytes.Equal(edited, policy) {
		t.Fatal("the fixture policy no longer says \"within 90 days\"")
	}
	var served atomic.Pointer[[]byte]
	served.Store(&policy)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /legal/privacy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(*served.Load())
	})
	mux.HandleFunc("GET /legal/scan", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(scanned)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "cw.db")

	for _, src := range [][2]string{{"northwind", "/legal/privacy"}, {"scan", "/legal/scan"}} {
		if out, errOut, code := runCLI(t, "", "add", "--db", db, "--name", src[0], "--supplier", "Northwind", "--allow-private", srv.URL+src[1]); code != 0 {
			t.Fatalf("add %s: %d %q %q", src[0], code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, "", "check", "--db", db)
	if !strings.Contains(out, "northwind: new, version 1") || !strings.Contains(out, "scanned PDF, no text layer") {
		t.Fatalf("first check: %d %q %q", code, out, errOut)
	}
	out, _, _ = runCLI(t, "", "show", "--db", db, "northwind")
	for _, want := range []string{"5. Retention", "within 90 days", "Our data protection officer"} {
		if !strings.Contains(out, want) {
			t.Errorf("show: %q missing from\n%.600s", want, out)
		}
	}
	if strings.Contains(out, "Page 1 of 2") {
		t.Errorf("show: page furniture in the clauses:\n%.600s", out)
	}

	served.Store(&edited)
	out, errOut, code = runCLI(t, "", "check", "--db", db, "--confirm-delay", "0", "northwind")
	if code != 0 || !strings.Contains(out, "northwind: changed, version 2") || !strings.Contains(out, "change 1: Re-vet") {
		t.Fatalf("check after the edit: %d %q %q", code, out, errOut)
	}
	out, _, _ = runCLI(t, "", "changes", "--db", db)
	if strings.Count(out, "Re-vet") != 1 {
		t.Errorf("changes: want exactly one re-vet change:\n%s", out)
	}
	out, _, _ = runCLI(t, "", "sources", "--db", db)
	t.Logf("sources:\n%s", out)
	if !strings.Contains(out, "scan") || !strings.Contains(out, "scanned PDF") {
		t.Errorf("sources: the scanned source's reason is not shown:\n%s", out)
	}
}
