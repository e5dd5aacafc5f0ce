package watch

import (
	"strings"

	"github.com/clausewatch/clausewatch/store"
)

// Why a page was read in the browser without a plain fetch first: the
// render capture's Why, and the words BrowserStatusOf shows staff.
const (
	whyAlways     = "render: always"
	whyRemembered = "remembered: the source needs a browser"
)

// BrowserStatus says whether a source is read in a headless browser and
// why, in the words 'clausewatch sources' prints and the source page
// shows: one wording for both.
type BrowserStatus struct {
	// Mode is the source's render mode (auto when unset).
	Mode store.RenderMode `json:"mode"`
	// Needs is set when the source needs a browser: it is rendered
	// (render: always, or remembered under auto), or its last fetch
	// found it cannot be read without one.
	Needs bool `json:"needs_browser"`
	// Why says why, "" when a plain fetch reads it.
	Why string `json:"why,omitempty"`
}

// browserWords are the words of the health reasons check gives a source
// that needs a browser it did not get, or that a browser could not read.
var browserWords = []string{"needs a browser", "may need a browser", "bot wall even in the browser",
	"no policy text even in the browser", "the browser found no more policy text"}

// BrowserStatusOf is a source's browser status from its settings and
// state.
func BrowserStatusOf(src store.Source, st store.State) BrowserStatus {
	s := BrowserStatus{Mode: renderMode(src)}
	if st.Health != store.HealthOK {
		for _, w := range browserWords {
			if strings.Contains(st.HealthReason, w) {
				s.Needs, s.Why = true, st.HealthReason
				return s
			}
		}
	}
	switch {
	case s.Mode == store.RenderAlways:
		s.Needs, s.Why = true, whyAlways
	case s.Mode == store.RenderAuto && st.NeedsRender:
		s.Needs, s.Why = true, whyRemembered
	}
	return s
}
