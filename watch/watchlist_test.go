package watch_test

import (
	"errors"
	"fmt"
	"path/filepath"
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
		{"escape in name", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: A\n  - name: \"b\\e]0;x\\a\"\n    url: https://b.example/\n    supplier: B\n", "list.yaml:5: source 2: source name \"b\\x1b]0;x\\a\": control character"},
		{"newline in supplier", "sources:\n  - name: a\n    url: https://a.example/\n    supplier: \"A\\nB\"\n", "list.yaml:2: source 1: supplier name \"A\\nB\": control character"},
		{"URL as name", "sources:\n  - name: https://b.example/\n    url: https://a.example/\n    supplier: A\n", "list.yaml:2: source 1: source name \"https://b.example/\": looks like a URL"},
		{"long name", "sources:\n  - name: " + strings.Repeat("n", 300) + "\n    url: https://a.example/\n    supplier: A\n", "list.yaml:2: source 1: source name \"nnn"},
		{"long url", "sources:\n  - name: a\n    url: https://a.example/" + strings.Repeat("p", 9000) + "\n    supplier: A\n", "list.yaml:2: source 1: \"a\": URL \"https://a.example/ppp"},
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

// TestApplyWatchlist: a second list adds, updates, renames (matched by
// URL) and pauses; sources added on the command line are left alone;
// applying the same list twice changes nothing.
func TestApplyWatchlist(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "wl.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.AddSource(ctx, store.Source{Name: "by-hand", URL: "https://h.example/p", Supplier: "H", Origin: "cli"}); err != nil {
		t.Fatal(err)
	}
	parse := func(y string) []store.Source {
		srcs, err := watch.ParseWatchlist([]byte(y), "list.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return srcs
	}
	first := parse(`sources:
  - {name: a, url: "https://a.example/p", supplier: A}
  - {name: b, url: "https://b.example/p", supplier: B}
  - {name: c, url: "https://c.example/p", supplier: C}
`)
	rep, err := watch.ApplyWatchlist(ctx, db, first)
	if err != nil || strings.Join(rep.Added, ",") != "a,b,c" || len(rep.Updated)+len(rep.Paused) != 0 {
		t.Fatalf("first apply: %+v, %v", rep, err)
	}
	b, _ := db.Source(ctx, "b")
	second := parse(`sources:
  - {name: a, url: "https://a.example/p", supplier: A, schedule: "0 6 * * *"}
  - {name: b-renamed, url: "https://b.example/p", supplier: B}
  - {name: d, url: "https://d.example/p", supplier: D}
`)
	rep, err = watch.ApplyWatchlist(ctx, db, second)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%v %v %v %d", rep.Added, rep.Updated, rep.Paused, rep.Unchanged); got != "[d] [a b-renamed] [c] 0" {
		t.Errorf("second apply: added, updated, paused, unchanged = %s", got)
	}
	if s, _ := db.Source(ctx, "a"); s.Schedule != "0 6 * * *" || s.Origin != "watchlist" {
		t.Errorf("a after update: %+v", s)
	}
	if s, err := db.Source(ctx, "b-renamed"); err != nil || s.ID != b.ID {
		t.Errorf("renamed b: %+v, %v (want the same source, id %d)", s, err, b.ID)
	}
	if s, _ := db.Source(ctx, "c"); !s.Paused {
		t.Errorf("c dropped from the list but not paused")
	}
	if s, _ := db.Source(ctx, "by-hand"); s.Paused {
		t.Errorf("a source added by hand was paused")
	}
	rep, err = watch.ApplyWatchlist(ctx, db, second)
	if err != nil || len(rep.Added)+len(rep.Updated)+len(rep.Paused) != 0 || rep.Unchanged != 3 {
		t.Errorf("same list again: %+v, %v", rep, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// TestWatchlistAllowPrivate (issue 17, item 1): the operator's grant to
// use a private address belongs to the list that gives it. A re-apply
// without it clears it; a list that moves a source to another URL grants
// it for the new URL only when it grants it again.
func TestWatchlistAllowPrivate(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "wl.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	list := func(url string, allow bool) []store.Source {
		srcs, err := watch.ParseWatchlist([]byte("sources:\n  - {name: local, url: \""+url+"\", supplier: L}\n"), "list.yaml")
		if err != nil {
			t.Fatal(err)
		}
		srcs[0].AllowPrivate = allow // as serve --allow-private does
		return srcs
	}
	steps := []struct {
		name  string
		url   string
		allow bool
	}{
		{"listed with the grant", "http://127.0.0.1:8081/policy", true},
		{"re-applied without it", "http://127.0.0.1:8081/policy", false},
		{"granted again", "http://127.0.0.1:8081/policy", true},
		{"moved, granted for the new URL", "http://127.0.0.1:8082/policy", true},
		{"moved, not granted", "http://127.0.0.1:8083/policy", false},
	}
	for _, s := range steps {
		if _, err := watch.ApplyWatchlist(ctx, db, list(s.url, s.allow)); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, err := db.Source(ctx, "local")
		if err != nil {
			t.Fatal(err)
		}
		if got.URL != s.url || got.AllowPrivate != s.allow {
			t.Errorf("%s: url %s, allow_private %v; want %s, %v", s.name, got.URL, got.AllowPrivate, s.url, s.allow)
		}
	}
}
