package main

import (
	"log/slog"

	"github.com/clausewatch/clausewatch/render"
)

// newBrowser returns the headless browser check and serve render pages
// with: nil when off, or when no Chromium is installed (sources that need
// a browser are then suspect, saying so). It starts nothing: the first
// render starts Chromium.
func newBrowser(off bool, log *slog.Logger) *render.Browser {
	if off {
		return nil
	}
	b, err := render.New(render.Options{Logger: log})
	if err != nil {
		if log != nil {
			log.Info("no headless browser: pages that need one are suspect", "err", err)
		}
		return nil
	}
	return b
}
