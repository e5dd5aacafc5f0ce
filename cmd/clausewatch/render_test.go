package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render/rendertest"
	"github.com/clausewatch/clausewatch/warc/warciotest"
)

// TestCheckRendered runs clausewatch check on pages only a browser can
// read, served from 127.0.0.1: the script app and the Termly embed are
// read into clauses; a new build of the app's scripts and ads is no
// change; a material edit of its rendered text is exactly one re-vet
// change; a source set to render: never, and a site that walls off the
// browser too, say so in sources.
func TestCheckRendered(t *testing.T) {
	rendertest.Require(t)
	site := browser.NewSite(200 * time.Millisecond)
	srv := httptest.NewServer(site)
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "cw.db")
	for _, src := range []struct{ name, path, render string }{
		{"app", browser.App, ""},
		{"termly", browser.Termly, "auto"},
		{"never", browser.OneTrust, "never"},
		{"wall", browser.WalledAll, "always"},
	} {
		args := []string{"add", "--db", db, "--name", src.name, "--supplier", "Lumen", "--allow-private"}
		if src.render != "" {
			args = append(args, "--render", src.render)
		}
		if out, errOut, code := runCLI(t, "", append(args, srv.URL+src.path)...); code != 0 {
			t.Fatalf("add %s: %d %q %q", src.name, code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, "", "check", "--db", db)
	if !strings.Contains(out, "app: new, version 1") || !strings.Contains(out, "termly: new, version 1") {
		t.Fatalf("first check: %d %q %q", code, out, errOut)
	}
	out, _, _ = runCLI(t, "", "show", "--db", db, "termly")
	if !strings.Contains(out, "We never sell personal information") || strings.Contains(out, "Start a free trial") {
		t.Errorf("show termly: the policy, not the marketing frame, wanted:\n%.800s", out)
	}

	site.SetBuild(2)
	out, errOut, code = runCLI(t, "", "check", "--db", db, "app")
	if code != 0 || !strings.Contains(out, "app: unchanged") {
		t.Fatalf("check after a new build: %d %q %q", code, out, errOut)
	}
	policy := browser.Policy()
	for i, cl := range policy {
		if strings.HasPrefix(cl.Text, "We delete student records within 60 days") {
			policy[i].Text = "We keep student records for 5 years after a school ends its subscription, and may use them to train our models."
		}
	}
	site.SetClauses(policy)
	out, errOut, code = runCLI(t, "", "check", "--db", db, "--confirm-delay", "0", "app")
	if code != 0 || !strings.Contains(out, "app: changed, version 2") || !strings.Contains(out, "Re-vet") {
		t.Fatalf("check after the edit: %d %q %q", code, out, errOut)
	}
	out, _, _ = runCLI(t, "", "changes", "--db", db)
	if strings.Count(out, "Re-vet") != 1 {
		t.Errorf("changes: want exactly one re-vet change:\n%s", out)
	}
	// The log holds the rendered fetches (format 2 leaves), and an
	// evidence bundle and a WARC of the rendered source are written and
	// verify.
	if out, errOut, code := runCLI(t, "", "log", "check", "--db", db); code != 0 || !strings.Contains(out, "ok: every fetch record is in the log") {
		t.Errorf("log check: %d %q %q", code, out, errOut)
	}
	key, _, _ := runCLI(t, "", "key", "--db", db)
	bundle := filepath.Join(t.TempDir(), "app.zip")
	today := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02") // after every capture
	if out, errOut, code := runCLI(t, "", "evidence", "app", "--notified", today, "-o", bundle, "--db", db); code != 0 {
		t.Errorf("evidence: %d %q %q", code, out, errOut)
	} else if out, errOut, code := runCLI(t, "", "verify", bundle, "--key", strings.TrimSpace(key)); code != 0 || !strings.Contains(out, "verified") {
		t.Errorf("verify: %d %q %q", code, out, errOut)
	} else {
		// verify lists the render capture of each rendered capture,
		// checked against its logged record, and the document as served.
		for _, want := range []string{"ok    capture before render: captures/before/render.json: SHA-256 ", ", as logged; rendered by ",
			"ok    capture before document: captures/before/document.html: the document as served"} {
			if !strings.Contains(out, want) {
				t.Errorf("verify does not list %q:\n%s", want, out)
			}
		}
	}
	warcPath := filepath.Join(t.TempDir(), "app.warc")
	if out, errOut, code := runCLI(t, "", "export", "--db", db, "--warc", "app", "-o", warcPath); code != 0 {
		t.Errorf("export: %d %q %q", code, out, errOut)
	}
	// The response record is the document as served (the app's empty
	// shell), the rendered capture is in the metadata.
	archive, err := os.ReadFile(warcPath)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := gzip.NewReader(bytes.NewReader(archive)); err == nil {
		if archive, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{`<div id="root"></div>`, `dom_sha256`, `load, then text settled`, `/app/api/policy.json`} {
		if !bytes.Contains(archive, []byte(want)) {
			t.Errorf("WARC lacks %q", want)
		}
	}
	// warcio reads both captures of every rendered fetch: the document
	// as served (response) and the rendered DOM (a conversion record
	// referring to it), each with the digest of its bytes.
	recs, sum := warciotest.Read(t, warcPath)
	warciotest.Check(t, recs, sum)
	conversions := 0
	for i, r := range recs {
		if r.Type != "conversion" {
			continue
		}
		conversions++
		resp := recs[i-1]
		if resp.Type != "response" || r.RefersTo != resp.ID || r.Target != resp.Target || !strings.HasPrefix(r.ContentType, "text/html") {
			t.Errorf("conversion %s refers to %s, after a %s record %s; target %s, type %s", r.ID, r.RefersTo, resp.Type, resp.ID, r.Target, r.ContentType)
		}
		if i+1 >= len(recs) || recs[i+1].Type != "metadata" || recs[i+1].RefersTo != resp.ID {
			t.Errorf("conversion %s is not followed by the response's metadata", r.ID)
		}
	}
	if conversions == 0 || !bytes.Contains(archive, []byte("We delete student records within 60 days")) {
		t.Errorf("WARC: %d conversion records, the rendered policy text present: %v", conversions, bytes.Contains(archive, []byte("We delete student records within 60 days")))
	}

	out, _, _ = runCLI(t, "", "sources", "--db", db)
	t.Logf("sources:\n%s", out)
	for _, want := range []string{"needs a browser (set render: always)", "bot wall even in the browser", "app: read in a browser: remembered: the source needs a browser"} {
		if !strings.Contains(out, want) {
			t.Errorf("sources: %q not shown:\n%s", want, out)
		}
	}
}
