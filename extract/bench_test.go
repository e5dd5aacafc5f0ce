package extract_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
	"golang.org/x/net/html"
)

// corpusPages loads every HTML page of the corpus, or skips.
func corpusPages(b *testing.B) [][]byte {
	b.Helper()
	dir := corpusDir(b)
	var pages [][]byte
	for _, row := range readManifest(b, dir) {
		if row.format != "html" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, row.file))
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, data)
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
