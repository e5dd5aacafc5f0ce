package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// legalCentre holds a privacy policy and terms on one page.
const legalCentre = `<html><body><main><h1>Legal</h1>
<h2>Terms of Use</h2><p>You agree to these terms when you use the service, in full.</p>
<h2>Privacy Policy</h2><p>We collect your e-mail address to run your account.</p>
<h2>Cookie Policy</h2><p>We set one session cookie and nothing else.</p></main></body></html>`

// TestSectionFlag: extract, diff and add take --section; a heading the
// page lacks is an error that lists the headings there are.
func TestSectionFlag(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "legal.html")
	os.WriteFile(page, []byte(legalCentre), 0o644)
	edited := filepath.Join(dir, "legal2.html")
	os.WriteFile(edited, []byte(strings.Replace(legalCentre, "in full", "in full and forever", 1)), 0o644)

	out, errOut, code := runCLI(t, "", "extract", "--section", "privacy policy", page)
	if code != 0 || !strings.Contains(out, "We collect your e-mail address") || strings.Contains(out, "You agree") || strings.Contains(out, "session cookie") {
		t.Errorf("extract --section: exit %d, %q\n%s", code, errOut, out)
	}
	_, errOut, code = runCLI(t, "", "extract", "--section", "Acceptable Use", page)
	if code != 2 || !strings.Contains(errOut, `section "Acceptable Use" not found; headings are: "Legal", "Terms of Use", "Privacy Policy", "Cookie Policy"`) {
		t.Errorf("extract --section missing: exit %d, %q", code, errOut)
	}
	// The terms changed; the privacy policy did not.
	if _, errOut, code := runCLI(t, "", "diff", "--section", "Privacy Policy", page, edited); code != 0 {
		t.Errorf("diff --section of the unchanged document: exit %d, want 0 (%s)", code, errOut)
	}
	if _, _, code := runCLI(t, "", "diff", "--section", "Terms of Use", page, edited); code != 1 {
		t.Errorf("diff --section of the changed document: exit %d, want 1", code)
	}

	db := filepath.Join(dir, "cw.db")
	if _, errOut, code := runCLI(t, "", "add", "--db", db, "--name", "legal", "--supplier", "L", "--section", "Privacy Policy", "https://legal.example/"); code != 0 {
		t.Fatalf("add --section: exit %d %s", code, errOut)
	}
	out, _, _ = runCLI(t, "", "sources", "--db", db, "--json")
	var rows []sourceRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].Section != "Privacy Policy" {
		t.Errorf("sources --json after add --section: %v %s", err, out)
	}
	if _, errOut, code := runCLI(t, "", "add", "--db", db, "--name", "bad", "--supplier", "B", "--section", "a\x1b[2Jb", "https://bad.example/"); code == 0 || !strings.Contains(errOut, "section") {
		t.Errorf("add with an escape in --section: exit %d %q", code, errOut)
	}
	list := filepath.Join(dir, "list.yaml")
	os.WriteFile(list, []byte("sources:\n  - name: x\n    url: https://x.example/\n    supplier: X\n"), 0o600)
	if _, errOut, code := runCLI(t, "", "add", "--db", db, "--from", list, "--section", "Privacy"); code != 2 || !strings.Contains(errOut, "section:") {
		t.Errorf("add --from with --section: exit %d %q", code, errOut)
	}
}
