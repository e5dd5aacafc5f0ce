// Package rendertest gives tests a headless Chromium: skipped with a
// message on a machine without one, a failure under CI (CI=true), where
// .ci/run installs it.
package rendertest

import (
	"os"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/render"
)

// Require skips t when Chromium is not installed, or fails it under CI.
func Require(t testing.TB) {
	t.Helper()
	if render.FindChromium() != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium under CI: .ci/run installs Debian's chromium; set CHROMIUM=path if it lives elsewhere")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium, or set CHROMIUM=path); CI runs this test")
}

// Browser is a headless browser with two tabs that settles quickly,
// closed at cleanup (Require first).
func Browser(t testing.TB) *render.Browser {
	t.Helper()
	Require(t)
	b, err := render.New(render.Options{SettlePoll: 100 * time.Millisecond, Tabs: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
