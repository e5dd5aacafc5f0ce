package watch_test

import (
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestBrowserStatusOf: the render mode, whether a browser is needed and
// why, from a source's settings and the state check left.
func TestBrowserStatusOf(t *testing.T) {
	failing := func(reason string) store.State {
		return store.State{Health: store.HealthFailing, HealthReason: "2 fetches in a row failed or were suspect; last: " + reason}
	}
	for _, tt := range []struct {
		name  string
		mode  store.RenderMode
		st    store.State
		want  store.RenderMode
		needs bool
		why   string
	}{
		{"plain page", "", store.State{Health: store.HealthOK}, store.RenderAuto, false, ""},
		{"remembered", store.RenderAuto, store.State{Health: store.HealthOK, NeedsRender: true}, store.RenderAuto, true, "remembered: the source needs a browser"},
		{"always", store.RenderAlways, store.State{Health: store.HealthOK}, store.RenderAlways, true, "render: always"},
		{"never, but needs one", store.RenderNever, failing("needs a browser (set render: always): the page holds a Termly policy embed (12 words without it)"),
			store.RenderNever, true, "2 fetches in a row failed or were suspect; last: needs a browser (set render: always): the page holds a Termly policy embed (12 words without it)"},
		{"wall in the browser", store.RenderAlways, failing("bot wall even in the browser: HTTP 403"), store.RenderAlways, true,
			"2 fetches in a row failed or were suspect; last: bot wall even in the browser: HTTP 403"},
		{"no browser here", "", failing("needs a browser, and none is available here (install chromium): the page is a script app"), store.RenderAuto, true,
			"2 fetches in a row failed or were suspect; last: needs a browser, and none is available here (install chromium): the page is a script app"},
		{"failing for another reason", store.RenderNever, failing("HTTP 500"), store.RenderNever, false, ""},
		{"remembered but failing otherwise", "", store.State{Health: store.HealthFailing, HealthReason: "HTTP 500", NeedsRender: true}, store.RenderAuto, true, "remembered: the source needs a browser"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := watch.BrowserStatusOf(store.Source{Render: tt.mode}, tt.st)
			if got.Mode != tt.want || got.Needs != tt.needs || got.Why != tt.why {
				t.Errorf("got %+v, want mode %s, needs %v, why %q", got, tt.want, tt.needs, tt.why)
			}
		})
	}
}
