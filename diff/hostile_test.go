package diff_test

import (
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// hostilePair is a pair of documents of about 64 KB a side built to be a
// worst case for one stage of Compare.
type hostilePair struct {
	name     string
	old, new *extract.Document
}

// clauseDoc makes a document of the given clauses, as extract reads plain
// text (a blank line between clauses).
func clauseDoc(clauses []string) *extract.Document {
	doc := &extract.Document{Title: "Privacy policy", Format: extract.FormatText, Clauses: make([]extract.Clause, len(clauses))}
	for i, c := range clauses {
		doc.Clauses[i] = extract.Clause{Kind: extract.Paragraph, Path: []string{}, Text: c, Display: c}
	}
	return doc
}

// hostilePairs builds the hostile pairs, the same every time:
//
//	near-identical   2,000 clauses of the same words in nearly the same
//	                 order, each edited: every clause scores against every
//	                 other (pairing), and the word diffs are all long
//	giant-vs-small   one clause of 12,000 words against 3,000 clauses of
//	                 four: containment and splits, and a word diff of very
//	                 uneven lengths
//	uneven           four clauses of 3,000 words against four of 1,200
//	                 (similar enough to pair): N·M under the old cell
//	                 bound, go-diff's search still about (N+M)·(N−M)
//	repeated         eight clauses of one word repeated 1,500 times
//	                 against eight of two words alternating: long
//	                 diagonals of equal tokens, the Myers search's worst
//	                 shape
//	salad-8x1500     random word salad, 8 clauses of 1,500 words a side,
//	                 every pair long and unlike
func hostilePairs() []hostilePair {
	words := strings.Fields("we may share your data with third parties not collect cookies 13 days and or the a of Acme Beta")
	salad := func(r *rand.Rand, n int) string {
		var sb strings.Builder
		for k := range n {
			if k > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[r.Intn(len(words))])
		}
		return sb.String()
	}
	var out []hostilePair

	// near-identical
	{
		r := rand.New(rand.NewSource(1))
		base := salad(r, 6)
		var a, b []string
		for i := range 2000 {
			a = append(a, fmt.Sprintf("%s %s.", base, words[i%len(words)]))
			b = append(b, fmt.Sprintf("%s %s %s.", words[(i*7)%len(words)], base, words[(i+3)%len(words)]))
		}
		out = append(out, hostilePair{"near-identical", clauseDoc(a), clauseDoc(b)})
	}
	// giant-vs-small
	{
		r := rand.New(rand.NewSource(2))
		var small []string
		for range 3000 {
			small = append(small, salad(r, 4)+".")
		}
		giant := salad(rand.New(rand.NewSource(3)), 12000)
		out = append(out, hostilePair{"giant-vs-small", clauseDoc([]string{giant}), clauseDoc(small)})
	}
	// uneven
	{
		ra, rb := rand.New(rand.NewSource(4)), rand.New(rand.NewSource(7))
		var a, b []string
		for range 4 {
			a = append(a, salad(ra, 3000))
			b = append(b, salad(rb, 1200))
		}
		out = append(out, hostilePair{"uneven", clauseDoc(a), clauseDoc(b)})
	}
	// repeated
	{
		var a, b []string
		for range 8 {
			a = append(a, strings.Repeat("data ", 1500))
			b = append(b, strings.Repeat("data share ", 750))
		}
		out = append(out, hostilePair{"repeated", clauseDoc(a), clauseDoc(b)})
	}
	// salad-8x1500
	{
		ra, rb := rand.New(rand.NewSource(5)), rand.New(rand.NewSource(6))
		var a, b []string
		for range 8 {
			a = append(a, salad(ra, 1500))
			b = append(b, salad(rb, 1500))
		}
		out = append(out, hostilePair{"salad-8x1500", clauseDoc(a), clauseDoc(b)})
	}
	return out
}

// BenchmarkHostile compares each hostile pair and, in the same process,
// extracts the pair's text (both sides, as plain text), so the figure is a
// ratio a busy machine disturbs less than a time:
//
//	ms/pair          the fastest of b.N comparisons of the pair
//	diff/extract     that time against extracting the two texts
//	cpu-ms/pair      the fastest comparison in CPU time of its thread
func BenchmarkHostile(b *testing.B) {
	rules := diff.DefaultRules()
	for _, p := range hostilePairs() {
		raw := [2][]byte{[]byte(strings.Join(clauseTexts(p.old), "\n\n")), []byte(strings.Join(clauseTexts(p.new), "\n\n"))}
		b.Run(p.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var best, bestCPU, ext time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), threadCPU()
				diff.Compare(p.old, p.new, rules)
				if t := time.Since(t0); best == 0 || t < best {
					best = t
				}
				if c := threadCPU() - c0; bestCPU == 0 || c < bestCPU {
					bestCPU = c
				}
				b.StopTimer()
				t0 = time.Now()
				for _, r := range raw {
					if _, err := extract.Bytes(r, extract.Options{ContentType: "text/plain"}); err != nil {
						b.Fatal(err)
					}
				}
				if t := time.Since(t0); ext == 0 || t < ext {
					ext = t
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(best)/float64(time.Millisecond), "ms/pair")
			b.ReportMetric(float64(best)/float64(ext), "diff/extract")
			b.ReportMetric(float64(bestCPU)/float64(time.Millisecond), "cpu-ms/pair")
		})
	}
}

func clauseTexts(d *extract.Document) []string {
	out := make([]string, len(d.Clauses))
	for i, c := range d.Clauses {
		out[i] = c.Text
	}
	return out
}
