package watch_test

import (
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestWatchlistRender: a watchlist entry's render: is read and checked
// with the file and line.
func TestWatchlistRender(t *testing.T) {
	srcs, err := watch.ParseWatchlist([]byte(`sources:
  - name: widget
    url: https://widget.example/privacy
    supplier: Widget
    render: always
  - name: plain
    url: https://plain.example/privacy
    supplier: Plain
`), "list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if srcs[0].Render != store.RenderAlways || srcs[1].Render != "" {
		t.Errorf("render modes %q, %q; want always and unset", srcs[0].Render, srcs[1].Render)
	}
	_, err = watch.ParseWatchlist([]byte(`sources:
  - name: widget
    url: https://widget.example/privacy
    supplier: Widget
    render: sometimes
`), "list.yaml")
	if err == nil || !strings.Contains(err.Error(), "list.yaml") || !strings.Contains(err.Error(), "auto, never or always") {
		t.Errorf("bad render: %v", err)
	}
}
