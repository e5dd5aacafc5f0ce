package diff_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

const ortolibro = "testdata/lang/it-informativa.html"

// TestNoRulesFailSafe: a page in a language without rules (Italian) is
// not judged: a change beyond the cosmetic re-vets with the reason saying
// so, in both directions; a cosmetic one does not.
func TestNoRulesFailSafe(t *testing.T) {
	reason := diff.NotJudgedReason("it")
	if reason != "not judged — review (no rules for it)" {
		t.Fatalf("reason %q", reason)
	}
	cases := []struct {
		name  string
		edits []replacement
		revet bool
	}{
		{"negation lost", []replacement{{"Non vendiamo i dati personali degli utenti a terzi e non li comunichiamo", "Possiamo vendere i dati personali degli utenti a terzi e comunicarli"}}, true},
		{"period changed", []replacement{{"entro 12 mesi", "entro 36 mesi"}}, true},
		{"reworded", []replacement{{"Per qualsiasi domanda è possibile scrivere", "Per ogni domanda si può scrivere"}}, true},
		{"clause added", []replacement{{"<h2>4. Contatti</h2>", "<p>Utilizziamo la geolocalizzazione del dispositivo per mostrare offerte vicine.</p>\n<h2>4. Contatti</h2>"}}, true},
		{"punctuation and case only", []replacement{{"dalla sua chiusura.", "dalla sua chiusura"}, {"Ortolibro S.r.l. tratta", "ORTOLIBRO S.r.l. tratta"}}, false},
	}
	page := readLangPage(t, ortolibro)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := doc(t, []byte(page)), doc(t, []byte(applyEdits(t, page, tc.edits)))
			for _, r := range []*diff.Result{diff.Compare(a, b, nil), diff.Compare(b, a, nil)} {
				if r.Same() {
					t.Fatal("no change found")
				}
				if r.Revet != tc.revet || r.Lang != "it" {
					t.Errorf("revet %v in %q, want %v in it; %s", r.Revet, r.Lang, tc.revet, describe(r))
				}
				if !tc.revet {
					continue
				}
				if !slices.Equal(r.NotJudged, []string{"it"}) || !strings.Contains(r.Summary, reason) {
					t.Errorf("not_judged %v, summary %q; want it and %q", r.NotJudged, r.Summary, reason)
				}
				for _, c := range r.Changes {
					if c.Class == diff.Substantive && c.Reasons[0] != reason {
						t.Errorf("reasons %q, want %q first", c.Reasons, reason)
					}
				}
			}
		})
	}
}

// TestMixedLanguagePage: a clause in another language, long enough to
// tell, is judged with that language's rules (or not judged, when it has
// none), and the change says which language it was judged in; a short one
// is taken to be in the page's language.
func TestMixedLanguagePage(t *testing.T) {
	const body = `<p>We use your email address to create your account and to send you receipts for your orders.</p>
<p>Nous ne vendons jamais vos données personnelles à des tiers, et nous ne les utilisons pas pour de la publicité.</p>
<p>Non vendiamo mai i dati personali dei nostri clienti a terzi e non li usiamo per la pubblicità.</p>
<p>Contact: privacy@example.com</p>`
	cases := []struct {
		name, old, new, lang, reason string
		revet                        bool
	}{
		{"French clause on an English page", "Nous ne vendons jamais vos données personnelles", "Nous pouvons vendre vos données personnelles", "fr", "negation", true},
		{"French clause reworded only", "à des tiers, et nous", "à des tiers et nous", "fr", "", false},
		{"Italian clause on an English page", "Non vendiamo mai i dati personali", "Possiamo vendere i dati personali", "it", diff.NotJudgedReason("it"), true},
		{"English clause", "to create your account", "to set up your account", "", "", false},
	}
	page := strings.Replace(policyPage("Privacy Policy", body), "<html>", `<html lang="en">`, 1)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := doc(t, []byte(page)), doc(t, []byte(applyEdits(t, page, []replacement{{tc.old, tc.new}})))
			if a.Lang != "en" {
				t.Fatalf("page language %q, want en", a.Lang)
			}
			for _, r := range []*diff.Result{diff.Compare(a, b, nil), diff.Compare(b, a, nil)} {
				if r.Revet != tc.revet || len(r.Changes) != 1 {
					t.Fatalf("revet %v, want %v, one change; %s", r.Revet, tc.revet, describe(r))
				}
				c := r.Changes[0]
				if c.Lang != tc.lang {
					t.Errorf("change judged in %q, want %q", c.Lang, tc.lang)
				}
				if tc.reason != "" && !strings.HasPrefix(c.Reasons[0], tc.reason) {
					t.Errorf("reasons %q, want one starting %q", c.Reasons, tc.reason)
				}
			}
		})
	}
}

// TestCorpusLanguages: every consecutive corpus pair is judged in its
// page's language, and each reference-identical pair in French or German
// shows no change (TestCorpusSweep checks every pair for no re-vet, on
// Open Terms Archive's own extractions, which these pages lack).
func TestCorpusLanguages(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus skipped in -short mode")
	}
	dir := corpusDir()
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if len(files) == 0 {
		t.Skipf("corpus not found at %s", dir)
	}
	slices.Sort(files)
	want := map[string]string{"adopteunmec": "fr", "badoo": "fr", "finya": "de"}
	rules := diff.DefaultRules()
	manifest := readManifest(t, dir)
	counts := map[string]int{}
	for i := 1; i < len(files); i++ {
		a, b := files[i-1], files[i]
		site := filepath.Base(filepath.Dir(filepath.Dir(b)))
		if filepath.Dir(a) != filepath.Dir(b) || want[site] == "" {
			continue
		}
		da, errA := extractFile(a)
		db, errB := extractFile(b)
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v %v", b, errA, errB)
		}
		r := diff.Compare(da, db, rules)
		if r.Lang != want[site] {
			t.Errorf("%s judged in %q, want %q", b, r.Lang, want[site])
		}
		if len(r.NotJudged) > 0 {
			t.Errorf("%s: changes not judged in %v; %s", b, r.NotJudged, describe(r))
		}
		counts[want[site]]++
		if referenceIdentical(manifest, a, b) {
			counts[want[site]+" identical"]++
			if !r.Same() {
				t.Errorf("%s: reference-identical pair shows changes: %s", b, describe(r))
			}
		}
		t.Logf("%s %s: %s", want[site], strings.TrimPrefix(b, dir), r.Summary)
	}
	t.Logf("pairs by language: %v", counts)
}

// corpusDir is the shared corpus of real pages (CLAUSEWATCH_CORPUS, or
// shared/ beside the repository).
func corpusDir() string {
	if dir := os.Getenv("CLAUSEWATCH_CORPUS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "shared", "corpus", "otarchive")
}

// referenceIdentical reports whether Open Terms Archive saw the same text
// in two consecutive corpus versions: its own extractions are the same,
// or its manifest says the later one changed only in markup.
func referenceIdentical(manifest map[string]string, a, b string) bool {
	if manifest[filepath.ToSlash(b)] == "markup-only" {
		return true
	}
	ma, errA := os.ReadFile(strings.TrimSuffix(a, ".html") + ".md")
	mb, errB := os.ReadFile(strings.TrimSuffix(b, ".html") + ".md")
	return errA == nil && errB == nil && bytes.Equal(bytes.TrimSpace(ma), bytes.TrimSpace(mb))
}

// readManifest maps each corpus file (its path as the glob gives it) to
// the kind of change the manifest records for it ("markup-only", …).
func readManifest(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		return nil
	}
	lines := strings.Split(string(data), "\n")
	head := strings.Split(lines[0], "\t")
	file, change := slices.Index(head, "file"), slices.Index(head, "change")
	if file < 0 || change < 0 {
		t.Fatalf("MANIFEST.tsv has no file or change column")
	}
	out := map[string]string{}
	for _, l := range lines[1:] {
		if f := strings.Split(l, "\t"); len(f) > max(file, change) {
			out[filepath.ToSlash(filepath.Join(dir, f[file]))] = f[change]
		}
	}
	return out
}
