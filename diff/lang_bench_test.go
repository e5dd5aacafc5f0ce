package diff_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// BenchmarkLanguageCost measures, per page pair of the corpus, what the
// language work costs as a ratio to extracting the page, in the same
// process: detecting the language from the text (what extract does for a
// page that declares none: DetectLang on its first 1 KB of clause text),
// and judging the pair (diff.Compare, which detects the language of each
// changed clause long enough to tell). Run with a small -benchtime:
//
//	go test ./diff -run XXX -bench LanguageCost -benchtime 5x
func BenchmarkLanguageCost(b *testing.B) {
	pairs := []struct{ name, old, new string }{
		{"fr-adopteunmec", "adopteunmec/terms-of-service/2025-12-06T003002Z.html", "adopteunmec/terms-of-service/2025-12-19T003002Z.html"},
		{"fr-adopteunmec-rewrite", "adopteunmec/terms-of-service/2022-08-10T123003Z.html", "adopteunmec/terms-of-service/2025-12-06T003002Z.html"},
		{"de-finya-rewrite", "finya/terms-of-service/2025-01-01T003222Z.html", "finya/terms-of-service/2025-03-19T003225Z.html"},
		{"en-github", "github/privacy-policy/2024-01-11T123002Z.html", "github/privacy-policy/2024-02-03T003002Z.html"},
	}
	rules := diff.DefaultRules()
	for _, p := range pairs {
		oldData, errA := os.ReadFile(filepath.Join(corpusDir(), p.old))
		newData, errB := os.ReadFile(filepath.Join(corpusDir(), p.new))
		if errA != nil || errB != nil {
			b.Skipf("corpus not found at %s", corpusDir())
		}
		b.Run(p.name, func(b *testing.B) {
			var extracting, detecting, judging time.Duration
			for b.Loop() {
				t0 := time.Now()
				a, err := extract.Bytes(oldData, extract.Options{})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				extract.DetectLang(clauseText(a))
				t2 := time.Now()
				n, err := extract.Bytes(newData, extract.Options{})
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				diff.Compare(a, n, rules)
				t4 := time.Now()
				extracting += t1.Sub(t0) + t3.Sub(t2)
				detecting += t2.Sub(t1)
				judging += t4.Sub(t3)
			}
			// Per page: one detection against one extraction, one
			// comparison against the extraction of its two pages.
			b.ReportMetric(2*float64(detecting)/float64(extracting), "detect/extract")
			b.ReportMetric(float64(judging)/float64(extracting), "judge/extract2")
		})
	}
}

// clauseText is the text extract detects a page's language from.
func clauseText(d *extract.Document) string {
	var sb strings.Builder
	for _, c := range d.Clauses {
		if sb.Len() >= 1024 {
			break
		}
		if c.Kind != extract.Heading {
			sb.WriteString(c.Text)
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}
