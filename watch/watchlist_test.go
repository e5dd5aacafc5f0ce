package watch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

func TestWatchlist(t *testing.T) {
	good := `# suppliers in the seal program
sources:
  - name: ims-privacy
    url: https://www.imsglobal.org/privacy
    supplier: 1EdTech Consortium
    schedule: "@daily"
  - name: cor-terms
    url: https://corclassrooms.org/terms
    supplier: COR
    kind: terms
    schedule: "0 6 * * 1-5"
    select: ["main article"]
    remove: [".newsletter"]
`
	srcs, err := watch.ParseWatchlist([]byte(good), "list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 2 || srcs[0].Kind != store.Privacy || srcs[1].Kind != store.Terms || srcs[1].Select[0] != "main article" || srcs[0].Origin != "watchlist" {
		t.Errorf("parsed %+v", srcs)
	}
	bad := []struct{ name, yaml, want string }{
		{"not yaml", "sources: [", "list.yaml"},
		{"no sources", "suppliers: []\n", "list.yaml"},
		{"unknown field", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n    shedule: daily\n", "shedule"},
		{"no url", "sources:\n  - name: a\n    supplier: A\n", "list.yaml:2: source 1: \"a\" has no url"},
		{"second entry no supplier", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n  - name: b\n    url: https://b.example/\n", "list.yaml:5: source 2: \"b\" has no supplier"},
		{"ftp url", "sources:\n  - name: a\n    url: ftp://a.example/\n    supplier: A\n", "list.yaml:2"},
		{"bad kind", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n    kind: cookies\n", "kind \"cookies\""},
		{"bad schedule", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n    schedule: every day\n", "schedule \"every day\""},
		{"bad selector", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n    select: [\"main[\"]\n", "main["},
		{"duplicate name", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n  - name: a\n    url: https://b.example/\n    supplier: B\n", "list.yaml:5: source 2: name \"a\" is already used at line 2"},
		{"duplicate url", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n  - name: b\n    url: https://a.example/\n    supplier: B\n", "already listed at line 2"},
	}
	for _, tt := range bad {
		_, err := watch.ParseWatchlist([]byte(tt.yaml), "list.yaml")
		if !errors.Is(err, watch.ErrWatchlist) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func FuzzWatchlist(f *testing.F) {
	f.Add([]byte("sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n"))
	f.Add([]byte("sources: [{name: x}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		srcs, err := watch.ParseWatchlist(data, "fuzz.yaml")
		if err == nil && len(srcs) == 0 {
			t.Error("no error and no sources")
		}
		if err != nil && !errors.Is(err, watch.ErrWatchlist) {
			t.Errorf("error not wrapping ErrWatchlist: %v", err)
		}
	})
}
