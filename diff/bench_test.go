package diff_test

import (
	"bytes"
	"cmp"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"golang.org/x/net/html"
)

// rawPair is two versions of one corpus document, as bytes.
type rawPair struct {
	name     string
	old, new []byte
}

func corpusRawPairs(b *testing.B) []rawPair {
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if len(files) == 0 {
		b.Skipf("corpus not found at %s", dir)
	}
	sort.Strings(files)
	var out []rawPair
	for i := 1; i < len(files); i++ {
		if filepath.Dir(files[i]) != filepath.Dir(files[i-1]) {
			continue
		}
		a, _ := os.ReadFile(files[i-1])
		c, _ := os.ReadFile(files[i])
		if _, err := extract.Bytes(a, extract.Options{}); err != nil {
			continue
		}
		if _, err := extract.Bytes(c, extract.Options{}); err != nil {
			continue
		}
		out = append(out, rawPair{files[i], a, c})
	}
	return out
}

// BenchmarkCorpusDiff compares every consecutive pair of versions in the
// corpus (extracted beforehand) and, in the same process, extracts the same
// pages, so the figures are a ratio rather than a machine-dependent time:
//
//	diff-ms/round      comparing all pairs once
//	extract-ms/round   extracting both pages of all pairs once
//	diff/extract       the ratio of the two
//	diff/parse         diff time against a bare html.Parse of the same
//	                   pages, a floor no change to this repository moves
//	median-µs/pair     the median time of one comparison
//	p99-ms/pair        the 99th percentile (the second slowest of 169)
//	max-ms/pair        the slowest pair
//	*-cpu-*/pair       the same three in CPU time of the comparing
//	                   thread (Linux), the figures a loaded machine
//	                   disturbs least
//
// A pair's time is the fastest of its b.N comparisons, which a noisy
// shared machine disturbs least; the slowest pairs are logged.
func BenchmarkCorpusDiff(b *testing.B) {
	raw := corpusRawPairs(b)
	rules := diff.DefaultRules()
	docs := make([][2]*extract.Document, len(raw))
	for i, p := range raw {
		docs[i][0], _ = extract.Bytes(p.old, extract.Options{})
		docs[i][1], _ = extract.Bytes(p.new, extract.Options{})
	}
	per := make([]time.Duration, len(docs))
	cpu := make([]time.Duration, len(docs))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var diffTime, extractTime, parseTime time.Duration
	rounds := 0
	for b.Loop() {
		start := time.Now()
		for i, d := range docs {
			t0, c0 := time.Now(), threadCPU()
			diff.Compare(d[0], d[1], rules)
			if t := time.Since(t0); per[i] == 0 || t < per[i] {
				per[i] = t
			}
			if c := threadCPU() - c0; cpu[i] == 0 || c < cpu[i] {
				cpu[i] = c
			}
		}
		diffTime += time.Since(start)
		b.StopTimer()
		start = time.Now()
		for _, p := range raw {
			extract.Bytes(p.old, extract.Options{})
			extract.Bytes(p.new, extract.Options{})
		}
		extractTime += time.Since(start)
		start = time.Now()
		for _, p := range raw {
			html.Parse(bytes.NewReader(p.old))
			html.Parse(bytes.NewReader(p.new))
		}
		parseTime += time.Since(start)
		b.StartTimer()
		rounds++
	}
	order := make([]int, len(per))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(per[x], per[y]) })
	at := func(q float64) time.Duration { return per[order[int(q*float64(len(order)-1)+0.5)]] }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(docs)), "pairs")
	b.ReportMetric(ms(diffTime)/float64(rounds), "diff-ms/round")
	b.ReportMetric(ms(extractTime)/float64(rounds), "extract-ms/round")
	b.ReportMetric(float64(diffTime)/float64(extractTime), "diff/extract")
	b.ReportMetric(float64(diffTime)/float64(parseTime), "diff/parse")
	b.ReportMetric(float64(at(0.5))/float64(time.Microsecond), "median-µs/pair")
	b.ReportMetric(ms(at(0.99)), "p99-ms/pair")
	b.ReportMetric(ms(per[order[len(order)-1]]), "max-ms/pair")
	// The same figures in CPU time of the comparing thread, which the
	// other processes of a busy machine disturb far less.
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(cpu[x], cpu[y]) })
	atCPU := func(q float64) time.Duration { return cpu[order[int(q*float64(len(order)-1)+0.5)]] }
	b.ReportMetric(float64(atCPU(0.5))/float64(time.Microsecond), "median-cpu-µs/pair")
	b.ReportMetric(ms(atCPU(0.99)), "p99-cpu-ms/pair")
	b.ReportMetric(ms(cpu[order[len(order)-1]]), "max-cpu-ms/pair")
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(per[x], per[y]) })
	for _, i := range order[max(0, len(order)-5):] {
		b.Logf("%8.1f ms  %4d → %4d clauses  %s", ms(per[i]), len(docs[i][0].Clauses), len(docs[i][1].Clauses), raw[i].name)
	}
}

// bigPair builds two versions of a 1,000-clause policy from real text: the
// concatenation of several real document pairs from the corpus (each a
// genuine old → new change), so the edits are real ones at scale.
func bigPair(b *testing.B, raw []rawPair, min int) (*extract.Document, *extract.Document) {
	oldDoc, newDoc, _ := bigPairFrom(b, raw, 0, min)
	return oldDoc, newDoc
}

// bigPairFrom concatenates the pairs from index skip on (largest first)
// and returns how many it used.
func bigPairFrom(b *testing.B, raw []rawPair, skip, min int) (*extract.Document, *extract.Document, int) {
	oldDoc, newDoc := &extract.Document{}, &extract.Document{}
	// Largest pairs first, so few documents reach the size.
	raw = slices.Clone(raw)
	slices.SortStableFunc(raw, func(x, y rawPair) int { return len(y.old) - len(x.old) })
	used := skip
	for _, p := range raw[skip:] {
		used++
		a, _ := extract.Bytes(p.old, extract.Options{})
		c, _ := extract.Bytes(p.new, extract.Options{})
		oldDoc.Clauses = append(oldDoc.Clauses, a.Clauses...)
		newDoc.Clauses = append(newDoc.Clauses, c.Clauses...)
		if len(oldDoc.Clauses) >= min && len(newDoc.Clauses) >= min {
			break
		}
	}
	if len(oldDoc.Clauses) < min || len(newDoc.Clauses) < min {
		b.Skipf("corpus too small for %d clauses", min)
	}
	return oldDoc, newDoc, used
}

// BenchmarkDiff1000 compares two 1,000-plus-clause versions built from
// real changed pairs, and reports the time against extracting the pages
// that went into them.
func BenchmarkDiff1000(b *testing.B) {
	raw := corpusRawPairs(b)
	oldDoc, newDoc := bigPair(b, raw, 1000)
	rules := diff.DefaultRules()
	var units int64
	for b.Loop() {
		units = diff.Compare(oldDoc, newDoc, rules).WorkUnits
	}
	b.ReportMetric(float64(units), "work-units")
	b.ReportMetric(float64(len(oldDoc.Clauses)), "old-clauses")
	b.ReportMetric(float64(len(newDoc.Clauses)), "new-clauses")
}

// BenchmarkDiff1000Unrelated compares two unrelated 1,000-clause documents:
// the worst case for alignment (nothing anchors, everything is scored).
func BenchmarkDiff1000Unrelated(b *testing.B) {
	raw := corpusRawPairs(b)
	a, _, used := bigPairFrom(b, raw, 0, 1000)
	_, c, _ := bigPairFrom(b, raw, used, 1000)
	rules := diff.DefaultRules()
	var units int64
	for b.Loop() {
		units = diff.Compare(a, c, rules).WorkUnits
	}
	b.ReportMetric(float64(units), "work-units")
	b.ReportMetric(float64(len(a.Clauses)), "old-clauses")
	b.ReportMetric(float64(len(c.Clauses)), "new-clauses")
}

// BenchmarkSeedRewrite is the canonical 2019 → 2022 comparison, against
// extracting the two pages (ratio reported).
func BenchmarkSeedRewrite(b *testing.B) {
	pa, pb := fixture(b, "pages/ims/2019-05-06.html"), fixture(b, "pages/ims/2022-05-17.html")
	a, c := doc(b, pa), doc(b, pb)
	rules := diff.DefaultRules()
	var ext time.Duration
	n := 0
	for b.Loop() {
		diff.Compare(a, c, rules)
		b.StopTimer()
		t0 := time.Now()
		extract.Bytes(pa, extract.Options{})
		extract.Bytes(pb, extract.Options{})
		ext += time.Since(t0)
		n++
		b.StartTimer()
	}
	b.ReportMetric(float64(ext.Microseconds())/float64(n), "extract-µs")
}

// BenchmarkAdversarial compares random word salad of about 64 KB per side,
// in the shapes that stress each stage: thousands of tiny clauses
// (alignment), a few huge ones (word diffs) and one giant clause (the
// whole-replacement bound).
func BenchmarkAdversarial(b *testing.B) {
	words := strings.Fields("we may share your data with third parties not collect cookies 13 days and or the a of Acme Beta")
	for _, shape := range []struct {
		name          string
		clauses, size int
	}{{"4000x3", 4000, 3}, {"2000x6", 2000, 6}, {"20x1500", 20, 1500}, {"1x12000", 1, 12000}} {
		gen := func(seed int64) *extract.Document {
			r := rand.New(rand.NewSource(seed))
			var sb strings.Builder
			for i := 0; i < shape.clauses; i++ {
				for k := 0; k < shape.size; k++ {
					sb.WriteString(words[r.Intn(len(words))])
					sb.WriteByte(' ')
				}
				sb.WriteString("\n\n")
			}
			d, err := extract.Bytes([]byte(sb.String()), extract.Options{ContentType: "text/plain"})
			if err != nil {
				b.Fatal(err)
			}
			return d
		}
		a, c := gen(1), gen(2)
		rules := diff.DefaultRules()
		b.Run(shape.name, func(b *testing.B) {
			for b.Loop() {
				diff.Compare(a, c, rules)
			}
		})
	}
}
