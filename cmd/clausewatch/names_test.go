package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIRefusesBadNames (issue 17, item 8, the input half): add, add
// --from and token add refuse names with control characters or that
// read as a URL, with an error that names the problem (and, for a
// watchlist, the file and line); nothing is stored.
func TestCLIRefusesBadNames(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	list := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(list, []byte("sources:\n  - name: ok\n    url: https://ok.example/\n    supplier: OK\n  - name: \"bad\\e[2J\"\n    url: https://bad.example/\n    supplier: Bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"add: ESC in name", []string{"add", "--db", db, "--name", "evil\x1b]0;pwned\x07", "--supplier", "S", "https://a.example/"}, "control character"},
		{"add: newline in supplier", []string{"add", "--db", db, "--name", "a", "--supplier", "S\nfake row", "https://a.example/"}, "control character"},
		{"add: URL as name", []string{"add", "--db", db, "--name", "https://b.example/", "--supplier", "S", "https://a.example/"}, "looks like a URL"},
		{"add: bidi override", []string{"add", "--db", db, "--name", "a\u202eb", "--supplier", "S", "https://a.example/"}, "format character"},
		{"add --from", []string{"add", "--db", db, "--from", list}, "list.yaml:5: source 2: source name"},
		{"token add", []string{"token", "--db", db, "add", "bob\x1b[31m"}, "control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", c.args...)
			if code == 0 || !strings.Contains(errOut, c.says) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want a failure saying %q", code, out, errOut, c.says)
			}
		})
	}
	out, _, _ := runCLI(t, "", "sources", "--db", db, "--json")
	if strings.Contains(out, `"name"`) {
		t.Errorf("sources after the refusals:\n%s", out)
	}
}
