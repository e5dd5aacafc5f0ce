package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/web"
)

// browser starts headless Chromium (Debian's chromium package, which
// .ci/run installs) and returns a chromedp context. Without Chromium the
// test is skipped with the reason.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Skip("no Chromium on this machine (apt-get install chromium, or set CHROMIUM=path); .ci/run installs it, so CI runs this test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900))
	// Chromium now and then exits before it prints its DevTools address
	// when several start at once on a busy machine ("chrome failed to
	// start"); starting the browser is not what these tests test, so a
	// failed start is tried again, twice, with a fresh profile.
	var ctx context.Context
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if ctx, err = startBrowser(t, opts); err == nil {
			return ctx
		}
		t.Logf("start %s, attempt %d: %v", path, attempt, err)
	}
	t.Fatalf("start %s: %v", path, err)
	return nil
}

// startBrowser starts one Chromium with its own profile directory; the
// test's cleanup closes it, or a failed start is closed at once.
func startBrowser(t *testing.T, opts []chromedp.ExecAllocatorOption) (context.Context, error) {
	t.Helper()
	// The profile directory is removed after the browser has exited
	// (t.TempDir's cleanup could race with its last writes).
	profile, err := os.MkdirTemp("", "clausewatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts[:len(opts):len(opts)], chromedp.UserDataDir(profile))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute) // a generous bound, not a speed check
	stop := func() {
		chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	if err := chromedp.Run(ctx); err != nil {
		stop()
		return nil, err
	}
	t.Cleanup(stop)
	return ctx, nil
}

// artifacts is where screenshots go: $CLAUSEWATCH_ARTIFACTS, or
// web/testdata/artifacts (ignored by git).
func artifacts(t *testing.T) string {
	dir := os.Getenv("CLAUSEWATCH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var buf []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(buf))
}

// TestBrowserTriage is the morning routine in a real browser: open the
// feed, filter to re-vet only, open the 2019→2022 IMS change, see the
// rename on one line and the "vetting reports" clause, sign in, triage
// it, and find the decision still there after a reload and in the
// database.
func TestBrowserTriage(t *testing.T) {
	ctx := browser(t)
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	rename := h.changeOf(t, h.IMS, 3)
	changeLink := fmt.Sprintf(`a[href="/changes/%d"]`, rename.ID)

	var loc, renameLine, substantive string
	var entries, revetEntries int
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`ol.feed`),
		chromedp.Evaluate(`document.querySelectorAll("li.entry").length`, &entries),
	)
	if err != nil {
		t.Fatal(err)
	}
	if entries != 3 {
		t.Errorf("feed shows %d entries, want 3", entries)
	}
	screenshot(t, ctx, "feed.png")

	err = chromedp.Run(ctx,
		chromedp.Click(`#f-revet`),
		chromedp.Click(`#f-apply`),
		// The old page's feed is visible too: wait for the new address.
		chromedp.ActionFunc(func(ctx context.Context) error {
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				var here string
				if err := chromedp.Location(&here).Do(ctx); err == nil && strings.Contains(here, "revet=1") {
					return nil
				}
			}
			return fmt.Errorf("the filter did not navigate")
		}),
		chromedp.WaitVisible(`ol.feed`),
		chromedp.Location(&loc),
		chromedp.Evaluate(`document.querySelectorAll("li.entry").length`, &entries),
		chromedp.Evaluate(`document.querySelectorAll("li.entry.revet").length`, &revetEntries),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "revet=1") || entries == 0 || entries != revetEntries {
		t.Errorf("re-vet filter: %s shows %d entries, %d re-vet", loc, entries, revetEntries)
	}

	err = chromedp.Run(ctx,
		chromedp.Click(changeLink),
		chromedp.WaitVisible(`#verdict`),
		chromedp.Text(`.renames`, &renameLine),
		chromedp.Text(`section.group.substantive`, &substantive),
		chromedp.Location(&loc),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(renameLine, "IMS Global → 1EdTech in 37 clauses") {
		t.Errorf("rename line: %q", renameLine)
	}
	if !strings.Contains(substantive, "vetting reports") {
		t.Errorf("the substantive changes do not show the vetting reports clause: %q", substantive)
	}
	// The rename inside the substantive changes is plain text marked as
	// renamed: no deletion names the old name, and the marked new name
	// has no highlight of its own.
	var renamed struct {
		Deleted, Marked int
		Background      string
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => {
		const s = document.querySelector("section.group.substantive");
		const marked = [...s.querySelectorAll("span.renamed")].filter(e => e.title === "renamed from IMS Global" && e.textContent === "1EdTech");
		return {Deleted: [...s.querySelectorAll("del")].filter(e => e.textContent.includes("IMS Global")).length,
			Marked: marked.length, Background: marked.length ? getComputedStyle(marked[0]).backgroundColor : ""};
	})()`, &renamed)); err != nil || renamed.Deleted != 0 || renamed.Marked == 0 || renamed.Background != "rgba(0, 0, 0, 0)" {
		t.Errorf("the rename in the substantive changes: %+v %v", renamed, err)
	}
	var folded bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("details.group")].every(d => !d.open)`, &folded)); err != nil || !folded {
		t.Errorf("rename-only and cosmetic changes are not folded: %v", err)
	}
	screenshot(t, ctx, "change.png")

	// Sign in from the change page, and triage.
	var state, note, history string
	steps := []struct {
		name string
		acts []chromedp.Action
	}{
		{"open the sign-in page", []chromedp.Action{chromedp.Navigate(srv.URL + fmt.Sprintf("/login?next=/changes/%d", rename.ID)), chromedp.WaitVisible(`#token`)}},
		{"sign in", []chromedp.Action{chromedp.SendKeys(`#token`, tok), chromedp.Submit(`#token`), chromedp.WaitVisible(`#triage-save`)}},
		{"fill in the decision", []chromedp.Action{chromedp.Click(`#state-revet`), chromedp.SendKeys(`#note`, "sharing widened to vetting reports; ticket PV-12")}},
		{"save it", []chromedp.Action{chromedp.Click(`#triage-save`), chromedp.WaitVisible(`#triage-note`)}},
		{"reload", []chromedp.Action{chromedp.Reload(), chromedp.WaitVisible(`#triage-state`), chromedp.Text(`#triage-state`, &state), chromedp.Text(`#triage-note`, &note),
			chromedp.Text(`#triage-history`, &history)}},
	}
	for _, st := range steps {
		stepCtx, cancel := context.WithTimeout(ctx, time.Minute) // generous: a loaded machine
		err := chromedp.Run(stepCtx, st.acts...)
		cancel()
		if err != nil {
			var loc, body string
			chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 600) : ""`, &body))
			t.Fatalf("%s: %v (at %s:\n%s)", st.name, err, loc, body)
		}
	}
	if state != "revet" || !strings.Contains(note, "ticket PV-12") || !strings.Contains(history, "alice moved it from new to revet: sharing widened") {
		t.Errorf("after reload: state %q note %q history %q", state, note, history)
	}
	c, err := h.DB.Change(t.Context(), rename.ID)
	if err != nil || c.Triage.State != store.TriageRevet || c.Triage.By != "alice" || !strings.Contains(c.Triage.Note, "PV-12") {
		t.Errorf("stored triage: %+v %v", c.Triage, err)
	}
	screenshot(t, ctx, "change-triaged.png")

	// The change page on a phone.
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(`#verdict`)); err != nil {
		t.Fatal(err)
	}
	var overflow bool
	chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
	if overflow {
		t.Errorf("the change page scrolls sideways on a 390px screen")
	}
	screenshot(t, ctx, "change-phone.png")
}

// hostile is policy text that would run code if a page let it through
// as markup: a script element, an image with onerror, a javascript: link
// (all as escaped text, which is what extraction keeps), and the same as
// real markup on the page.
const hostile = `<p>We share data with partners. &lt;script&gt;window.__pwned = "text script"&lt;/script&gt;
&lt;img src=x onerror="window.__pwned = 'text img'"&gt; See &lt;a href="javascript:window.__pwned='text link'"&gt;our partners&lt;/a&gt;.</p>
<p>Contact <a href="javascript:window.__pwned='real link'">privacy desk</a> <img src=x onerror="window.__pwned='real img'"> <script>window.__pwned='real script'</script> at any time.</p>`

// TestBrowserHostilePolicy: a policy page with script, onerror and
// javascript: in its text, and a supplier name with markup, produce a
// change page (and version and feed pages) on which nothing executes.
func TestBrowserHostilePolicy(t *testing.T) {
	ctx := browser(t)
	h := newHistory(t)
	var version atomic.Int32
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		extra := ""
		if version.Load() > 0 {
			extra = `<p>We also share it with advertisers &lt;script&gt;window.__pwned="second"&lt;/script&gt; for their own purposes.</p>`
		}
		fmt.Fprintf(w, `<html><head><title>Privacy &lt;script&gt;</title></head><body><main><h1>Privacy policy</h1>%s%s
<p>This policy explains how we collect, use and share personal information of students, teachers and parents who use the service.</p>
<p>We keep records for as long as the school's agreement lasts and delete them within thirty days after it ends.</p></main></body></html>`, hostile, extra)
	}))
	defer page.Close()
	src := h.add(t, store.Source{Name: `evil <b>policy</b>`, URL: page.URL + "/privacy", Supplier: `Evil <img src=x onerror="window.__pwned='supplier'"> Inc`})
	if res := h.Checker.Check(t.Context(), src); res.Err != nil || res.Fetch.Outcome != store.OutcomeNew {
		t.Fatalf("first check: %+v", res)
	}
	version.Store(1)
	h.Clock.Set(day("2022-07-01"))
	res := h.Checker.Check(t.Context(), src)
	if res.Change == nil {
		t.Fatalf("no change recorded: %+v", res.Fetch)
	}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")

	paths := []string{
		fmt.Sprintf("/changes/%d", res.Change.ID),
		fmt.Sprintf("/changes/%d?view=inline", res.Change.ID),
		fmt.Sprintf("/sources/%d", src.ID),
		fmt.Sprintf("/sources/%d/versions/1", src.ID),
		fmt.Sprintf("/sources/%d/versions/2/raw", src.ID),
		"/", "/suppliers", "/sources",
		"/suppliers/" + url.PathEscape(src.Supplier), "/suppliers/" + url.PathEscape(src.Supplier) + "/manage",
	}
	// Signed in too: forms render more of the strings.
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, tok), chromedp.Submit(`#token`), chromedp.WaitVisible(`ol.feed`)); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		var pwned string
		var scripts, handlers, jsLinks int
		var text string
		err := chromedp.Run(ctx,
			chromedp.Navigate(srv.URL+p),
			chromedp.WaitReady(`body`),
			chromedp.Sleep(200*time.Millisecond), // give an onerror a chance to fire
			chromedp.Evaluate(`String(window.__pwned)`, &pwned),
			chromedp.Evaluate(`document.querySelectorAll("script").length`, &scripts),
			chromedp.Evaluate(`[...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length`, &handlers),
			chromedp.Evaluate(`document.querySelectorAll("a[href^='javascript:' i], [src^='javascript:' i]").length`, &jsLinks),
			chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &text),
		)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if pwned != "undefined" || scripts != 0 || handlers != 0 || jsLinks != 0 {
			t.Errorf("%s: __pwned=%s, %d script elements, %d event-handler attributes, %d javascript: links", p, pwned, scripts, handlers, jsLinks)
		}
		if strings.HasPrefix(p, "/changes/") && !strings.Contains(text, "<script>") {
			t.Errorf("%s does not show the policy's text as text", p)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+paths[0]), chromedp.WaitVisible(`#verdict`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "hostile-change.png")
}

// TestBrowserRenewal opens IMS's supplier page, follows the link to the
// renewal report (award 2019, review in 2022) and checks what a reviewer
// sees: the verdict, the rename on one line, the 2019→2022 material
// changes, the change in between, and the report's own style applied
// under the page's Content-Security-Policy. The deadlines page is
// captured too.
func TestBrowserRenewal(t *testing.T) {
	ctx := browser(t)
	h := newHistory(t)
	sealRecord(t, h)
	h.Clock.Set(day("2022-06-10"))
	if _, err := (&vetting.Program{DB: h.DB, Now: h.Clock.Now}).Notify(t.Context(), vetting.NotifyRequest{Supplier: imsName, When: "2022-06-03",
		Tickets: []vetting.TicketRequest{{Kind: store.TicketAppear, Text: "we do not sell vetting reports"}}}); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, OpenRead: true})
	var verdict, renames, substantive, changes, bg string
	var scripts int
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/suppliers/"+url.PathEscape(imsName)),
		chromedp.WaitVisible("#renewal-link", chromedp.ByID),
		chromedp.Click("#renewal-link", chromedp.ByID),
		chromedp.WaitVisible("#verdict", chromedp.ByID),
		chromedp.Text("#verdict", &verdict, chromedp.ByID),
		chromedp.Text("#source-0 h2 + ul", &renames, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('#source-0 h2')].map(e => e.textContent).join(' | ')`, &substantive),
		chromedp.Text("#source-0 table.changes", &changes, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#verdict')).backgroundColor`, &bg),
		chromedp.Evaluate(`document.querySelectorAll('script').length`, &scripts),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "renewal.png")
	if !strings.Contains(verdict, "Re-vet") {
		t.Errorf("verdict %q", verdict)
	}
	if !strings.Contains(renames, "IMS Global → 1EdTech in 37 clauses") {
		t.Errorf("renames %q", renames)
	}
	if !strings.Contains(substantive, "Substantive (3)") {
		t.Errorf("sections %q", substantive)
	}
	if !strings.Contains(changes, "2019-05-06 → 2022-05-17") || !strings.Contains(changes, "re-vet") {
		t.Errorf("changes table %q", changes)
	}
	if bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("the report's style did not apply (verdict background %q): CSP blocks it?", bg)
	}
	if scripts != 0 {
		t.Errorf("%d scripts on the report", scripts)
	}
	var state string
	err = chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/deadlines"),
		chromedp.WaitVisible("table.deadlines", chromedp.ByQuery),
		chromedp.Text("table.deadlines", &state, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "deadlines.png")
	if !strings.Contains(state, "open") || !strings.Contains(state, "annual seal review") {
		t.Errorf("deadlines table %q", state)
	}
}

// TestBrowserEvidence opens the summary page of an evidence bundle for
// each deadline outcome — met, missed and no change — as a reviewer would
// after unpacking the zip (its members served as files), checks the
// verdict, the captures, the limits and that the page runs no script, and
// follows the summary's link to the clause diff.
func TestBrowserEvidence(t *testing.T) {
	ctx := browser(t)
	h := newHistory(t)
	sealRecord(t, h)
	// Daily checks after the change, for a notification that sees none.
	for d := day("2022-06-02"); !d.After(day("2022-06-14")); d = d.AddDate(0, 0, 1) {
		h.Clock.Set(d)
		if res := h.Checker.Check(t.Context(), h.IMS); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	tests := []struct {
		notified, outcome, says string
		diff                    bool
	}{
		{"2022-05-25", "MET", "inside the update window", true},
		{"2022-05-10", "MISSED", "after the end of the update window", true},
		{"2022-06-02", "NO-CHANGE", "still shows the text", false},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			date, _ := vetting.ParseDate(tt.notified)
			b, err := evidence.Build(t.Context(), h.DB, evidence.Request{Source: "ims-privacy", Notified: date, Now: day("2022-07-01")})
			if err != nil {
				t.Fatal(err)
			}
			key, _ := h.DB.PublicKey(t.Context())
			if rep := evidence.Verify(b.Data, evidence.VerifyOptions{Key: key}); !rep.OK() {
				t.Fatalf("verify: %s", rep.Failures())
			}
			zr, err := zip.NewReader(bytes.NewReader(b.Data), int64(len(b.Data)))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.FileServerFS(zr))
			defer srv.Close()
			var verdict, captures, cannot, border string
			var scripts, links int
			err = chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/summary.html"),
				chromedp.WaitVisible("#verdict", chromedp.ByID),
				chromedp.Text("#verdict", &verdict, chromedp.ByID),
				chromedp.Evaluate(`[...document.querySelectorAll('table.capture th[colspan]')].map(e => e.textContent).join(' | ')`, &captures),
				chromedp.Text("ul.cannot", &cannot, chromedp.ByQuery),
				chromedp.Evaluate(`getComputedStyle(document.querySelector('#verdict')).borderTopColor`, &border),
				chromedp.Evaluate(`document.querySelectorAll('script').length`, &scripts),
				chromedp.Evaluate(`document.querySelectorAll('a.body-link').length`, &links),
			)
			if err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, "evidence-"+strings.ToLower(tt.outcome)+".png")
			if !strings.Contains(verdict, tt.outcome) || !strings.Contains(verdict, tt.says) || !strings.Contains(verdict, "America/New_York") {
				t.Errorf("verdict %q", verdict)
			}
			wantCaptures := "Last capture before the notification | First capture showing the change"
			if !tt.diff {
				wantCaptures = "Last capture before the notification | Latest capture (no change)"
			}
			if captures != wantCaptures {
				t.Errorf("captures %q, want %q", captures, wantCaptures)
			}
			if !strings.Contains(cannot, "serve different visitors different pages") || !strings.Contains(cannot, "notification date is an input") {
				t.Errorf("limits %q", cannot)
			}
			if scripts != 0 || links < 1 || border == "" || border == "rgba(0, 0, 0, 0)" {
				t.Errorf("%d scripts, %d body links, verdict border %q", scripts, links, border)
			}
			if !tt.diff {
				return
			}
			var diffTitle string
			err = chromedp.Run(ctx,
				chromedp.Click("#diff-link", chromedp.ByID),
				// The summary's body is there until the browser has moved
				// on: wait for the diff's address, then read its text
				// (a node read during the switch is gone: read again).
				chromedp.ActionFunc(func(ctx context.Context) error {
					for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
						var here string
						if err := chromedp.Location(&here).Do(ctx); err != nil || !strings.HasSuffix(here, "diff/diff.html") {
							continue
						}
						if err := chromedp.Evaluate(`document.readyState === "complete" && document.body ? document.body.innerText : ""`, &diffTitle).Do(ctx); err == nil && diffTitle != "" {
							return nil
						}
					}
					return fmt.Errorf("the diff link did not open the diff (at %q)", diffTitle)
				}),
			)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(diffTitle, "IMS Global → 1EdTech") {
				t.Errorf("diff page after the link: %.300q", diffTitle)
			}
		})
	}
}
