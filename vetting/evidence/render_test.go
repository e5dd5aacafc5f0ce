package evidence_test

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render"
	"github.com/clausewatch/clausewatch/render/rendertest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/watch"
)

// TestRenderedCaptures: a script app read in a real headless browser on
// three days, its policy edited on the second. The bundle carries each
// rendered capture's render record (render.json, the blob the format-2
// leaf names) and the document as served (the app's empty shell); verify
// checks both against the log and lists them; altering either fails the
// render checks, not only the file list.
func TestRenderedCaptures(t *testing.T) {
	rendertest.Require(t)
	clk := fixtures.NewClock(noon("2024-03-01"))
	site := browser.NewSite(100 * time.Millisecond)
	srv := httptest.NewServer(site)
	defer srv.Close()
	db, err := store.Open(filepath.Join(t.TempDir(), "ev.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	src, err := db.AddSource(ctx, store.Source{Name: "app", URL: srv.URL + browser.App, Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.New(render.Options{SettlePoll: 100 * time.Millisecond, Tabs: 1, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
		Renderer: b, Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}
	for _, day := range []string{"2024-03-01", "2024-03-02", "2024-03-03"} {
		if day == "2024-03-02" {
			policy := browser.Policy()
			policy[len(policy)-1].Text += " We may also share it with our advertising partners."
			site.SetClauses(policy)
		}
		clk.Set(noon(day))
		if res := checker.Check(ctx, src); res.Err != nil {
			t.Fatalf("check on %s: %v", day, res.Err)
		}
	}
	key, err := db.PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	date, _ := vetting.ParseDate("2024-03-02")
	bundle, err := evidence.Build(ctx, db, evidence.Request{Source: "app", Notified: date, Now: noon("2024-04-01")})
	if err != nil {
		t.Fatal(err)
	}
	m := bundle.Manifest
	if len(m.Captures) != 2 || m.Captures[1].Role != evidence.RoleAfter {
		t.Fatalf("captures %+v: want before and after", m.Captures)
	}
	names, orig := members(t, bundle.Data)
	for _, c := range m.Captures {
		if c.Render != c.Dir+"/render.json" || c.Document != c.Dir+"/document.html" || c.RenderSHA256 == "" {
			t.Errorf("%s capture: render %q (%s), document %q", c.Role, c.Render, c.RenderSHA256, c.Document)
		}
		if !slices.Contains(names, c.Render) || !slices.Contains(names, c.Document) {
			t.Errorf("%s capture: members %v lack %s or %s", c.Role, names, c.Render, c.Document)
		}
		if store.Hash(orig[c.Render]) != c.RenderSHA256 || !bytes.Contains(orig[c.Render], []byte(browser.AppAPI)) {
			t.Errorf("%s capture: render.json is not the logged capture listing the app's requests:\n%s", c.Role, orig[c.Render])
		}
		if !bytes.Contains(orig[c.Document], []byte(`<div id="root"></div>`)) || bytes.Contains(orig[c.Body], []byte("advertising partners")) != (c.Role == evidence.RoleAfter) {
			t.Errorf("%s capture: the document as served should be the app's shell and the body the rendered DOM", c.Role)
		}
	}
	if !bytes.Contains(orig["summary.html"], []byte("Rendered in a browser")) {
		t.Error("summary.html does not say the captures were rendered")
	}
	rep := evidence.Verify(bundle.Data, evidence.VerifyOptions{Key: key})
	if !rep.Verified {
		t.Fatalf("the bundle does not verify: %s", rep.Failures())
	}
	for _, name := range []string{"capture before render", "capture after render", "capture before document", "capture after document"} {
		if !hasCheck(rep, name, true) {
			t.Errorf("no passed check %q", name)
		}
	}

	after := m.Captures[1]
	for _, tt := range []struct {
		name   string
		member string
		old    string
		new    string
		fails  []string
	}{
		{"the browser's version in render.json", after.Render, `"browser":"`, `"browser":"X`, []string{"file " + after.Render, "capture after render"}},
		{"the document as served", after.Document, `<div id="root"></div>`, `<div id="root">We sell data</div>`, []string{"file " + after.Document, "capture after document"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := map[string][]byte{}
			for k, v := range orig {
				c[k] = bytes.Clone(v)
			}
			if !bytes.Contains(c[tt.member], []byte(tt.old)) {
				t.Fatalf("%s has no %q", tt.member, tt.old)
			}
			c[tt.member] = bytes.Replace(c[tt.member], []byte(tt.old), []byte(tt.new), 1)
			rep := evidence.Verify(rebuild(t, names, c, m.Created), evidence.VerifyOptions{Key: key})
			for _, name := range tt.fails {
				if !hasCheck(rep, name, false) {
					t.Errorf("check %q did not fail; failures: %s", name, rep.Failures())
				}
			}
			if !strings.Contains(rep.Failures(), "altered") {
				t.Errorf("failures do not say what was altered: %s", rep.Failures())
			}
		})
	}
}
