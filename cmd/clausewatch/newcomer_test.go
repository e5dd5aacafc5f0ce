package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSourcesNotCheckedYet: a source added but never fetched reads "not
// checked yet" in `clausewatch sources`, as on the web dashboard, not the
// "ok" of a source tracked well; a paused one says so.
func TestSourcesNotCheckedYet(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cw.db")
	for _, a := range [][]string{
		{"add", "--db", db, "--name", "fresh", "--supplier", "Acme", "https://example.org/privacy"},
	} {
		if out, errOut, code := runCLI(t, "", a...); code != 0 {
			t.Fatalf("%v: %d %q %q", a, code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, "", "sources", "--db", db)
	if code != 0 {
		t.Fatalf("sources: %d %q", code, errOut)
	}
	var row string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "fresh") {
			row = line
		}
	}
	if !strings.Contains(row, "not checked yet") || strings.Contains(row, " ok ") {
		t.Errorf("sources: the never-checked source's row is %q, want \"not checked yet\":\n%s", row, out)
	}
}
