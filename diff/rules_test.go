package diff_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

func TestDefaultRulesParse(t *testing.T) {
	if _, err := diff.ParseRules(diff.DefaultRulesYAML()); err != nil {
		t.Fatalf("embedded rules: %v", err)
	}
	for _, c := range diff.Categories() {
		if !bytes.Contains(diff.DefaultRulesYAML(), []byte("  "+c+":\n")) {
			t.Errorf("category %s has no section in the default rules", c)
		}
	}
}

// TestParseRulesErrors: a broken rules file is refused with a message that
// names the line or the field.
func TestParseRulesErrors(t *testing.T) {
	base := string(diff.DefaultRulesYAML())
	cases := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty"},
		{"not yaml", "version: [1", "line"},
		{"unknown field", strings.Replace(base, "window: 8", "window: 8\nwindoww: 3", 1), "line"},
		{"wrong version", strings.Replace(base, "version: 1", "version: 2", 1), "version"},
		{"unknown category", strings.Replace(base, "  contact:\n", "  contacts:\n", 1), `unknown category "contacts"`},
		{"term with unknown category", strings.Replace(base, "category: tracking", "category: trackin", 1), `unknown category "trackin"`},
		{"list category unknown", strings.Replace(base, "list_categories: [collection,", "list_categories: [colection,", 1), "list_categories"},
		{"threshold out of range", strings.Replace(base, "pair: 0.5", "pair: 1.5", 1), "similarity"},
		{"min clauses too small", strings.Replace(base, "min_clauses: 3", "min_clauses: 1", 1), "min_clauses"},
		{"spelling not one word", strings.Replace(base, "[toward, towards]", "[toward, to wards]", 1), "not one word"},
		{"empty lexicon entry", strings.Replace(base, "negations: [not,", `negations: ["*", not,`, 1), "no word"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := diff.ParseRules([]byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, diff.ErrRules) {
				t.Errorf("error %v is not ErrRules", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	if _, err := diff.LoadRules(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nbogus: true\n"), 0o644)
	if _, err := diff.LoadRules(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad file error should name the file and line 2: %v", err)
	}
}

// TestRulesAreTunable: a deployment's rules file changes the verdict —
// the rules are data, not code.
func TestRulesAreTunable(t *testing.T) {
	text := func(s string) *extract.Document {
		d, err := extract.Text([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	old := text("Our Practices\n\nWe use your data for billing.\n")
	new := text("Our Practices\n\nWe use your data for telemetry.\n")
	if r := diff.Compare(old, new, nil); r.Revet {
		t.Fatalf("default rules: revet for an unlisted purpose: %s", describe(r))
	}
	custom := strings.Replace(string(diff.DefaultRulesYAML()), `words: [advertising, ads,`, `words: [telemetry, advertising, ads,`, 1)
	rules, err := diff.ParseRules([]byte(custom))
	if err != nil {
		t.Fatal(err)
	}
	r := diff.Compare(old, new, rules)
	if !r.Revet || !strings.Contains(describe(r), `adds purpose: "telemetry"`) {
		t.Errorf("custom rules: want a substantive purpose change, got %s", describe(r))
	}
}
