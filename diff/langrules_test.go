package diff_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// TestLanguageRules: the embedded languages, and a deployment's own
// language file beside its rules file (my-rules.fr.yaml), which replaces
// the embedded one and is checked when loaded.
func TestLanguageRules(t *testing.T) {
	rules := diff.DefaultRules()
	if got := rules.Languages(); !slices.Equal(got, []string{"de", "en", "es", "fr"}) {
		t.Fatalf("languages %v", got)
	}
	fr := rules.LangRulesYAML("fr-FR")
	if !strings.Contains(string(fr), "language: fr") || rules.LangRulesYAML("it") != nil {
		t.Fatalf("LangRulesYAML: fr %d bytes, it %v", len(fr), rules.LangRulesYAML("it"))
	}
	page := readLangPage(t, cestalia)
	a := doc(t, []byte(page))
	b := doc(t, []byte(strings.ReplaceAll(page, "No vendemos sus datos personales", "Podemos vender sus datos personales")))
	dir := t.TempDir()
	base := filepath.Join(dir, "my-rules.yaml")
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("my-rules.yaml", string(diff.DefaultRulesYAML()))
	// A Spanish file that knows no negation and no modal: the lost
	// promise is no longer read as one.
	es := strings.Join(slices.DeleteFunc(strings.Split(string(rules.LangRulesYAML("es")), "\n"), func(l string) bool {
		return strings.HasPrefix(l, "negations:") || strings.HasPrefix(l, "  firm:") || strings.HasPrefix(l, "  soft:") || strings.HasPrefix(l, "rank_first:")
	}), "\n")
	write("my-rules.es.yaml", es+"\nnegations: [jamás]\n")
	own, err := diff.LoadRules(base)
	if err != nil {
		t.Fatal(err)
	}
	if r := diff.Compare(a, b, rules); !r.Revet || !strings.Contains(describe(r), "negation removed") {
		t.Errorf("embedded Spanish rules: %s", describe(r))
	}
	if r := diff.Compare(a, b, own); strings.Contains(describe(r), "negation removed") {
		t.Errorf("deployment's Spanish rules still read the negation: %s", describe(r))
	}
	write("my-rules.es.yaml", "version: 1\nlanguage: es\nnegations: [no\n")
	if _, err := diff.LoadRules(base); !errors.Is(err, diff.ErrRules) || !strings.Contains(err.Error(), "my-rules.es.yaml") {
		t.Errorf("broken language file: %v, want ErrRules naming the file", err)
	}
	write("my-rules.es.yaml", "version: 1\nlanguage: fr\n")
	if _, err := diff.LoadRules(base); err == nil || !strings.Contains(err.Error(), `file name says "es"`) {
		t.Errorf("language file for the wrong language: %v", err)
	}
}
