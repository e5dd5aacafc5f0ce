package main

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
)

// writeFixture copies a fixture page into dir and returns its path.
func writeFixture(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := fs.ReadFile(fixtures.FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDiffJSONShape checks the --json output against the shape the issue
// specifies, on the seed pages served by a real HTTP server.
func TestDiffJSONShape(t *testing.T) {
	var at time.Time
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { return at }))
	defer srv.Close()
	dir := t.TempDir()
	old := writeFixture(t, dir, "pages/ims/2019-05-06.html")
	var url string
	for _, p := range fixtures.Pages() {
		if p.File == "pages/ims/2022-05-17.html" {
			url = srv.URL + p.URLPath
			at = p.AsOf.Add(time.Hour)
		}
	}
	out, errOut, code := runCLI(t, "", "diff", "--json", old, url)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (differs): %s", code, errOut)
	}
	var res struct {
		Revet   *bool   `json:"revet"`
		Summary *string `json:"summary"`
		Renames []struct {
			From  *string `json:"from"`
			To    *string `json:"to"`
			Count *int    `json:"count"`
		} `json:"renames"`
		Changes []struct {
			Kind       string          `json:"kind"`
			Class      string          `json:"class"`
			Categories []string        `json:"categories"`
			Reasons    []string        `json:"reasons"`
			Old        json.RawMessage `json:"old"`
			New        json.RawMessage `json:"new"`
			Inline     []struct {
				Op   string  `json:"op"`
				Text string  `json:"text"`
				From *string `json:"from"`
			} `json:"inline"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if res.Revet == nil || !*res.Revet || res.Summary == nil || *res.Summary == "" {
		t.Errorf("revet/summary missing or wrong: %v %v", res.Revet, res.Summary)
	}
	if len(res.Renames) != 1 || *res.Renames[0].From != "IMS Global" || *res.Renames[0].To != "1EdTech" || *res.Renames[0].Count < 1 {
		t.Errorf("renames = %+v", res.Renames)
	}
	kinds := map[string]bool{"added": true, "removed": true, "modified": true, "moved": true, "split": true, "merged": true}
	classes := map[string]bool{"cosmetic": true, "rename": true, "editorial": true, "substantive": true}
	renamed := 0
	for _, c := range res.Changes {
		if !kinds[c.Kind] || !classes[c.Class] || c.Categories == nil || c.Reasons == nil {
			t.Fatalf("bad change: %+v", c)
		}
		// A rename inside a substantive change is a span of its own,
		// with both forms; other spans have no "from".
		for _, sp := range c.Inline {
			switch {
			case sp.Op == "~" && (sp.From == nil || *sp.From == "" || c.Class == "rename"):
				t.Errorf("bad rename span in a %s change: %q from %v", c.Class, sp.Text, sp.From)
			case sp.Op == "~":
				if c.Class == "substantive" && *sp.From == "IMS Global" && sp.Text == "1EdTech" {
					renamed++
				}
			case !strings.Contains("=-+", sp.Op) || len(sp.Op) != 1 || sp.From != nil:
				t.Errorf("bad span in a %s change: %q %q", c.Class, sp.Op, sp.Text)
			}
		}
		for _, side := range []json.RawMessage{c.Old, c.New} {
			if string(side) == "null" {
				continue
			}
			var s struct {
				Path []string `json:"path"`
				Text *string  `json:"text"`
			}
			if err := json.Unmarshal(side, &s); err != nil || s.Path == nil || s.Text == nil {
				t.Fatalf("bad side %s: %v", side, err)
			}
		}
	}
	if renamed == 0 {
		t.Error("no substantive change has the rename IMS Global → 1EdTech as a span")
	}

	// The text report: the rename reads as plain text in the
	// substantive changes, with a note under each.
	out, errOut, code = runCLI(t, "", "diff", old, url)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (differs): %s", code, errOut)
	}
	subs, _, _ := strings.Cut(out[strings.Index(out, "\nSubstantive ("):], "\nEditorial (")
	if !strings.Contains(subs, "renamed here: IMS Global → 1EdTech") || strings.Contains(subs, "[-IMS Global") {
		t.Errorf("text report, substantive changes:\n%s", subs)
	}
}

func TestDiffExitStatus(t *testing.T) {
	dir := t.TempDir()
	a := writeFixture(t, dir, "pages/cor/2016-03-17.html")
	b := writeFixture(t, dir, "pages/cor/2016-09-01.html")
	// Same clause text, different markup: exit 0 and an empty change list.
	markup := filepath.Join(dir, "markup.html")
	data, _ := os.ReadFile(a)
	os.WriteFile(markup, []byte(strings.ReplaceAll(string(data), "<p>", `<p class="x">`)), 0o644)

	out, _, code := runCLI(t, "", "diff", "--json", a, markup)
	if code != 0 || !strings.Contains(out, `"changes": []`) || !strings.Contains(out, `"revet": false`) {
		t.Errorf("markup-only: exit %d, output %s", code, out)
	}
	if _, _, code := runCLI(t, "", "diff", a, b); code != 1 {
		t.Errorf("different policies: exit %d, want 1", code)
	}
	// Standard input as one side.
	if _, errOut, code := runCLI(t, string(data), "diff", "-", a); code != 0 {
		t.Errorf("stdin vs the same file: exit %d: %s", code, errOut)
	}
	// HTML report.
	out, _, code = runCLI(t, "", "diff", "--html", a, b)
	if code != 1 || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "Re-vet: yes.") {
		t.Errorf("--html: exit %d, output starts %.80q", code, out)
	}
	// --all lists cosmetic changes instead of counting them.
	out, _, _ = runCLI(t, "", "diff", "--all", a, b)
	if !strings.Contains(out, "Cosmetic (1)") || !strings.Contains(out, "date line") {
		t.Errorf("--all does not list the cosmetic change:\n%s", out)
	}
	out, _, _ = runCLI(t, "", "diff", a, b)
	if !strings.Contains(out, "Cosmetic: 1 clause (use --all") {
		t.Errorf("without --all the cosmetic change is not folded:\n%s", out)
	}
}

func TestDiffErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeFixture(t, dir, "pages/cor/2016-03-17.html")
	badRules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(badRules, []byte("version: 1\nnope: 1\n"), 0o644)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one argument", []string{"diff", a}, "want OLD and NEW"},
		{"missing file", []string{"diff", a, filepath.Join(dir, "nope.html")}, "nope.html"},
		{"both stdin", []string{"diff", "-", "-"}, "only one of OLD and NEW"},
		{"json and html", []string{"diff", "--json", "--html", a, a}, "cannot be used together"},
		{"bad flag", []string{"diff", "--bogus", a, a}, "bogus"},
		{"bad colour", []string{"diff", "--color", "sometimes", a, a}, "--color"},
		{"bad rules", []string{"diff", "--rules", badRules, a, a}, "rules.yaml"},
		{"missing rules", []string{"diff", "--rules", filepath.Join(dir, "none.yaml"), a, a}, "none.yaml"},
		{"HTTP 404", []string{"diff", a, srv.URL + "/policy"}, "404"},
		{"empty page", []string{"diff", a, "-"}, "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (%s)", code, errOut)
			}
			if !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("error %q: want one line mentioning %q", errOut, tc.want)
			}
		})
	}
}

func TestRulesCommand(t *testing.T) {
	out, _, code := runCLI(t, "", "rules")
	if code != 0 || !strings.Contains(out, "negations:") {
		t.Fatalf("rules: exit %d", code)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.yaml")
	os.WriteFile(p, []byte(out), 0o644)
	if out, errOut, code := runCLI(t, "", "rules", "--check", p); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("check of the printed defaults: exit %d %s", code, errOut)
	}
	os.WriteFile(p, []byte(strings.Replace(out, "window: 8", "window: 0", 1)), 0o644)
	if _, errOut, code := runCLI(t, "", "rules", "--check", p); code != 2 || !strings.Contains(errOut, "window") {
		t.Errorf("check of a broken file: exit %d %s", code, errOut)
	}
}
