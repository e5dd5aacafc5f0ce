package watch_test

import (
	"errors"
	"testing"

	"github.com/clausewatch/clausewatch/watch"
)

// FuzzWatchlistEntries: the per-entry reading agrees with ParseWatchlist
// (which fails at the first bad entry, with that entry's error), every
// entry's error names the watchlist error, and a good entry has a name,
// a URL and a supplier.
func FuzzWatchlistEntries(f *testing.F) {
	f.Add([]byte("sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n    tags: [x, y]\n"))
	f.Add([]byte("sources:\n  - {name: a, url: https://a.example/, supplier: A}\n  - {name: a, url: https://b.example/, supplier: B}\n"))
	f.Add([]byte("sources: [{name: x}, {name: y, url: 'ftp://y', supplier: Y}, {name: z, url: 'https://z.example', supplier: Z, tags: ['a,b']}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := watch.ParseWatchlistEntries(data, "fuzz.yaml")
		srcs, whole := watch.ParseWatchlist(data, "fuzz.yaml")
		if err != nil {
			if whole == nil || whole.Error() != err.Error() {
				t.Fatalf("file error %v, ParseWatchlist %v", err, whole)
			}
			return
		}
		var first error
		for _, e := range entries {
			switch {
			case e.Err != nil && !errors.Is(e.Err, watch.ErrWatchlist):
				t.Fatalf("line %d: %v does not wrap ErrWatchlist", e.Line, e.Err)
			case e.Err == nil && (e.Source.Name == "" || e.Source.URL == "" || e.Source.Supplier == ""):
				t.Fatalf("line %d: good entry %+v", e.Line, e.Source)
			case e.Err != nil && first == nil:
				first = e.Err
			}
		}
		if first == nil && (whole != nil || len(srcs) != len(entries)) {
			t.Fatalf("no bad entry, but ParseWatchlist: %d sources, %v", len(srcs), whole)
		}
		if first != nil && (whole == nil || whole.Error() != first.Error()) {
			t.Fatalf("first bad entry %v, ParseWatchlist %v", first, whole)
		}
	})
}
