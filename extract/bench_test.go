package extract_test

import (
	"bytes"
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
	"golang.org/x/net/html"
)

// corpusPages loads every HTML page of the corpus, or skips.
func corpusPages(b *testing.B) [][]byte {
	b.Helper()
	var pages [][]byte
	for _, p := range namedCorpusPages(b) {
		pages = append(pages, p.data)
	}
	return pages
}

// namedPage is one corpus page and the file it came from.
type namedPage struct {
	file string
	data []byte
}

// namedCorpusPages loads every HTML page of the corpus with its file name,
// or skips.
func namedCorpusPages(b *testing.B) []namedPage {
	b.Helper()
	dir := corpusDir(b)
	var pages []namedPage
	for _, row := range readManifest(b, dir) {
		if row.format != "html" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, row.file))
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, namedPage{row.file, data})
	}
	return pages
}

func totalBytes(pages [][]byte) int64 {
	var n int64
	for _, p := range pages {
		n += int64(len(p))
	}
	return n
}

// BenchmarkCorpusExtract extracts every corpus page once per iteration;
// MB/s is extraction throughput over real pages.
func BenchmarkCorpusExtract(b *testing.B) {
	pages := corpusPages(b)
	b.SetBytes(totalBytes(pages))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pages {
			_, _ = extract.HTML(p, extract.Options{ContentType: "text/html; charset=utf-8"})
		}
	}
}

// BenchmarkCorpusParseOnly is the floor: a bare html.Parse of the same
// bytes, which extraction cannot beat.
func BenchmarkCorpusParseOnly(b *testing.B) {
	pages := corpusPages(b)
	b.SetBytes(totalBytes(pages))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pages {
			if _, err := html.Parse(bytes.NewReader(p)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCorpusRatio runs both in the same process, interleaved, and
// reports extraction time as a multiple of parse time (x-parse), the figure
// that stays meaningful on a noisy shared machine.
func BenchmarkCorpusRatio(b *testing.B) {
	pages := corpusPages(b)
	b.SetBytes(totalBytes(pages))
	var parse, ext time.Duration
	for b.Loop() {
		for _, p := range pages {
			t0 := time.Now()
			if _, err := html.Parse(bytes.NewReader(p)); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			_, _ = extract.HTML(p, extract.Options{ContentType: "text/html; charset=utf-8"})
			ext += time.Since(t1)
			parse += t1.Sub(t0)
		}
	}
	b.ReportMetric(float64(ext)/float64(parse), "x-parse")
}

// BenchmarkFixturePage extracts the 2022 1EdTech page, a typical policy.
func BenchmarkFixturePage(b *testing.B) {
	data, err := fs.ReadFile(fixtures.FS(), "pages/ims/2022-05-17.html")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := extract.HTML(data, extract.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCorpusPageRatio measures extraction against a bare html.Parse
// page by page, interleaved in the same process, and reports the
// distribution of the per-page ratios: median, 90th percentile and max
// (x-parse-p50, -p90, -max), with the worst pages logged. Each page's
// figure is the fastest of its b.N runs of either, which a noisy shared
// machine disturbs least; run it with -benchtime 5x or more. The overall
// ratio is BenchmarkCorpusRatio's.
func BenchmarkCorpusPageRatio(b *testing.B) {
	pages := namedCorpusPages(b)
	parse := make([]time.Duration, len(pages))
	ext := make([]time.Duration, len(pages))
	opts := extract.Options{ContentType: "text/html; charset=utf-8"}
	for b.Loop() {
		for i, p := range pages {
			t0 := time.Now()
			if _, err := html.Parse(bytes.NewReader(p.data)); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			_, _ = extract.HTML(p.data, opts)
			t2 := time.Now()
			if d := t1.Sub(t0); parse[i] == 0 || d < parse[i] {
				parse[i] = d
			}
			if d := t2.Sub(t1); ext[i] == 0 || d < ext[i] {
				ext[i] = d
			}
		}
	}
	type pageRatio struct {
		file  string
		size  int
		ratio float64
	}
	ratios := make([]pageRatio, len(pages))
	for i, p := range pages {
		ratios[i] = pageRatio{p.file, len(p.data), float64(ext[i]) / float64(max(parse[i], 1))}
	}
	slices.SortFunc(ratios, func(a, c pageRatio) int { return cmp.Compare(a.ratio, c.ratio) })
	at := func(q float64) float64 { return ratios[int(q*float64(len(ratios)-1))].ratio }
	b.ReportMetric(at(0.5), "x-parse-p50")
	b.ReportMetric(at(0.9), "x-parse-p90")
	b.ReportMetric(ratios[len(ratios)-1].ratio, "x-parse-max")
	over := 0
	for _, r := range ratios {
		if r.ratio > 6 {
			over++
		}
	}
	b.ReportMetric(float64(over), "pages>6x")
	for _, r := range ratios[max(0, len(ratios)-5):] {
		b.Logf("%5.2fx  %7d B  %s", r.ratio, r.size, r.file)
	}
}
