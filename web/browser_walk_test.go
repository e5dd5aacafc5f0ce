package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// acmeSold is legalCentre after Acme changed its mind about selling
// data: the page the walk's second check reads.
var acmeSold = strings.Replace(legalCentre,
	"We never sell personal data, and we share it only with the processors listed below under contract.",
	"We may sell personal data to our advertising partners, and we share it with any company in our group.", 1)

// TestBrowserWalk is issue 20's walk, in one headless Chromium session
// and in order: an admin adds a source with a preview and a remove
// selector, finds it on the dashboard, rechecks it (the daemon's real
// scheduler and checker fetch the page), the page changes and is
// rechecked, the two versions are compared; the admin saves the
// supplier's seal record and a notification with a ticket, downloads its
// evidence bundle and verifies it on the verify page, adds and deletes a
// webhook, makes and revokes a token, makes a reviewer and turns them
// into a viewer. The viewer signs in and is refused the writes they try;
// the admin promotes them back. Every page visited is shot at 1280 and
// 390 px, neither of which may scroll sideways.
func TestBrowserWalk(t *testing.T) {
	ctx := browser(t)
	h := newHistory(t)
	// Late on 1 June, after the history's last check: the source's first
	// version is seen that evening, the changed page the next morning,
	// and the supplier is notified on 2 June, between the two.
	h.Clock.Set(time.Date(2022, 6, 1, 23, 0, 0, 0, time.UTC))
	var page atomic.Pointer[string]
	first := legalCentre
	page.Store(&first)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, *page.Load())
	}))
	t.Cleanup(site.Close)
	sched := walkScheduler(t, h)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, Scheduler: sched, Preview: localPreview(),
		Webhooks: web.NewDeliverer(web.DelivererOptions{DB: h.DB, AllowPrivate: true})})
	office := token(t, h.DB, "office")
	shots := walkShots(t)
	w := walker{t: t, ctx: ctx, base: srv.URL, shots: shots}

	// The source: add with a preview, the dashboard, two rechecks, compare.
	var previewText, dropped, dashText, verdict string
	w.steps(
		walkStep{"sign in as office", "", w.signIn(office, "/sources/new", `#source-form`)},
		walkStep{"fill in the source", "", []chromedp.Action{chromedp.SendKeys(`#name`, "acme-privacy"), chromedp.SendKeys(`#url`, site.URL+"/legal"),
			chromedp.SendKeys(`#supplier`, "Acme Learning"), chromedp.SendKeys(`#tags`, "k12"), chromedp.SendKeys(`#remove`, ".promo")}},
		walkStep{"preview", "source-preview", []chromedp.Action{chromedp.Click(`#do-preview`), chromedp.WaitVisible(`#preview`),
			chromedp.Text(`#preview-outcome`, &previewText), chromedp.Text(`#dropped`, &dropped)}},
		walkStep{"save", "source-added", []chromedp.Action{chromedp.Click(`#do-save`), chromedp.WaitVisible(`#notice`), sched.settled()}},
		walkStep{"the dashboard", "dashboard", []chromedp.Action{chromedp.Navigate(srv.URL + "/sources?tag=k12"), chromedp.WaitVisible(`table.dashboard`),
			chromedp.Text(`table.dashboard tbody`, &dashText)}},
		walkStep{"recheck from the dashboard", "source-checked", []chromedp.Action{chromedp.Click(`button[id^="recheck-"]`),
			chromedp.ActionFunc(waitLocation("checking=1")), sched.settled(), reloadUntil(`document.querySelectorAll("ol.timeline li").length >= 1`)}},
	)
	if !strings.Contains(previewText, "reads as a policy") || !strings.Contains(dropped, "Subscribe to our newsletter") {
		t.Errorf("preview: %q, dropped %q", previewText, dropped)
	}
	if !strings.Contains(dashText, "acme-privacy") || strings.Contains(dashText, "ims-privacy") {
		t.Errorf("dashboard filtered by tag: %q", dashText)
	}
	// A day later the page says something else.
	page.Store(&acmeSold)
	h.Clock.Set(time.Date(2022, 6, 2, 9, 0, 0, 0, time.UTC)) // within the 12 h sign-in
	w.steps(
		walkStep{"recheck the changed page", "source-changed", []chromedp.Action{chromedp.Click(`#check-now`),
			chromedp.ActionFunc(waitLocation("checking=1")), sched.settled(), reloadUntil(`document.querySelectorAll("ol.timeline li").length >= 2`)}},
		walkStep{"compare the two versions", "compare", []chromedp.Action{chromedp.Click(`#timeline-compare-go`),
			chromedp.WaitVisible(`#verdict`), chromedp.Text(`#verdict`, &verdict)}},
	)
	if !strings.Contains(verdict, "Re-vet") {
		t.Errorf("compare verdict %q, want a re-vet (selling data)", verdict)
	}
	src, err := h.DB.Source(t.Context(), "acme-privacy")
	if err != nil || strings.Join(src.Remove, ",") != ".promo" {
		t.Fatalf("stored source: %+v %v", src, err)
	}
	if cs, err := h.DB.Changes(t.Context(), store.ChangeFilter{SourceID: src.ID}); err != nil || len(cs) != 1 || !cs[0].Revet {
		t.Errorf("changes of acme-privacy: %+v %v", cs, err)
	}

	// The supplier: seal record, a notification with a ticket, its
	// evidence bundle verified.
	manage := "/suppliers/" + url.PathEscape("Acme Learning") + "/manage"
	var today, href, headline, notifyText string
	w.steps(
		walkStep{"the supplier's record", "", []chromedp.Action{chromedp.Navigate(srv.URL + manage), chromedp.WaitVisible(`#record form`),
			chromedp.SetValue(`#record input[name=awarded]`, "2021-09-01"), chromedp.SendKeys(`#record input[name=rubric]`, "1.0"),
			chromedp.SendKeys(`#record input[name=zone]`, "UTC"), chromedp.SendKeys(`#record textarea[name=products]`, "Classroom=acme-privacy"),
			chromedp.Click(`#record button[type=submit]`), chromedp.WaitVisible(`p.notice`),
			chromedp.AttributeValue(`#notify input[name=when]`, "max", &today, nil)}},
		walkStep{"a notification with a ticket", "manage-supplier", []chromedp.Action{
			chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.SetValue(`#notify input[name=when]`, today).Do(ctx) }),
			chromedp.SendKeys(`#notify textarea[name=must]`, "stop selling data"),
			chromedp.SendKeys(`#notify textarea[name=appear]`, "a Data Processing Agreement for each school"),
			chromedp.Click(`#notify button[type=submit]`), chromedp.WaitVisible(`#notifications .notification, #notify p.error`, chromedp.ByQuery),
			chromedp.Text(`#notify`, &notifyText, chromedp.ByQuery)}},
	)
	if strings.Contains(notifyText, "Not recorded") {
		t.Fatalf("the notification was refused: %s", notifyText)
	}
	w.steps(walkStep{"the evidence link", "", []chromedp.Action{chromedp.AttributeValue(`#notifications .notification .evidence a`, "href", &href, nil)}})
	ns, err := h.DB.Notifications(t.Context(), "Acme Learning")
	if err != nil || len(ns) != 1 || ns[0].By != "office" || len(ns[0].Tickets) != 1 {
		t.Fatalf("stored notifications: %+v %v", ns, err)
	}
	resp, bundle := do(t, "GET", srv.URL+href, office, "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download %s: %d %s %.300s", href, resp.StatusCode, resp.Header.Get("Content-Type"), bundle)
	}
	file := filepath.Join(t.TempDir(), "evidence.zip")
	if err := os.WriteFile(file, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	key, _ := h.DB.PublicKey(t.Context())
	rep := evidence.Verify([]byte(bundle), evidence.VerifyOptions{Key: key})
	w.steps(walkStep{"verify the bundle", "verified", []chromedp.Action{chromedp.Navigate(srv.URL + "/verify"), chromedp.WaitVisible(`input[name=bundle]`),
		chromedp.SetUploadFiles(`input[name=bundle]`, []string{file}), chromedp.Submit(`input[name=bundle]`),
		chromedp.WaitVisible(`#verify-headline`), chromedp.Text(`#verify-headline`, &headline)}})
	if !rep.Verified || !strings.HasPrefix(headline, "Verified: all") {
		t.Errorf("verify page: %q (the package says verified %v)", headline, rep.Verified)
	}

	// Webhooks and tokens.
	var hookNotice, tempSecret, vicSecret, roleNotice, vicRow string
	w.steps(
		walkStep{"add a webhook", "webhook-added", []chromedp.Action{chromedp.Navigate(srv.URL + "/webhooks"), chromedp.WaitVisible(`#hook-url`),
			chromedp.SendKeys(`#hook-url`, "http://127.0.0.1:9/hook"), chromedp.Submit(`#hook-url`), chromedp.WaitVisible(`#new-secret`)}},
		walkStep{"delete it", "webhook-deleted", []chromedp.Action{chromedp.Click(`form[action$="/delete"] button`, chromedp.ByQuery),
			chromedp.ActionFunc(waitLocation("done=unhooked")), chromedp.WaitVisible(`p.notice`), chromedp.Text(`p.notice`, &hookNotice)}},
		walkStep{"make a token", "", []chromedp.Action{chromedp.Navigate(srv.URL + "/tokens"), chromedp.WaitVisible(`#token-name`),
			chromedp.SendKeys(`#token-name`, "temp"), chromedp.Submit(`#token-name`), chromedp.WaitVisible(`#new-token`), chromedp.Text(`#new-token`, &tempSecret)}},
		walkStep{"revoke it", "token-revoked", []chromedp.Action{chromedp.Click(`form[action="/tokens/revoke"] input[value="temp"] ~ button`, chromedp.ByQuery),
			chromedp.ActionFunc(waitLocation("done=revoked")), chromedp.WaitVisible(`p.notice`)}},
		walkStep{"make a reviewer", "token-made", []chromedp.Action{chromedp.SendKeys(`#token-name`, "vic"), chromedp.SetValue(`#token-role`, "reviewer"),
			chromedp.Submit(`#token-name`), chromedp.WaitVisible(`#new-token`), chromedp.Text(`#new-token`, &vicSecret)}},
		walkStep{"make them a viewer", "token-role", []chromedp.Action{w.setRole("vic", "viewer"),
			chromedp.ActionFunc(waitLocation("done=role")), chromedp.WaitVisible(`p.notice`), chromedp.Text(`p.notice`, &roleNotice),
			chromedp.Evaluate(`document.querySelector('form[action="/tokens/role"] input[value="vic"]').closest("tr").querySelector("td.role").textContent`, &vicRow)}},
	)
	if hooks, err := h.DB.Webhooks(t.Context()); err != nil || len(hooks) != 0 || hookNotice != "Webhook deleted." {
		t.Errorf("after deleting the webhook: %+v %v, notice %q", hooks, err, hookNotice)
	}
	if _, err := h.DB.TokenFor(t.Context(), strings.TrimSpace(tempSecret)); err == nil {
		t.Errorf("the revoked token still works")
	}
	if !strings.HasPrefix(roleNotice, "Role changed") || vicRow != "viewer" {
		t.Errorf("after the role change: notice %q, vic's row says %q", roleNotice, vicRow)
	}

	// The viewer: no forms, and the writes they send anyway are refused.
	source := fmt.Sprintf("/sources/%d", src.ID)
	askedBefore := len(sched.asked())
	var checkButtons int
	var refusals [3]string
	w.steps(
		walkStep{"sign out", "", w.signOut()},
		walkStep{"sign in as the viewer", "source-viewer", append(w.signIn(strings.TrimSpace(vicSecret), source, `ol.timeline`),
			chromedp.Evaluate(`document.querySelectorAll("#check-now, #manage, form[action$='/check']").length`, &checkButtons))},
		walkStep{"the viewer rechecks anyway", "refused", w.postAnyway(source, source+"/check", nil, &refusals[0])},
		walkStep{"the viewer makes themself an admin", "", w.postAnyway(source, "/tokens/role", map[string]string{"name": "vic", "role": "admin"}, &refusals[1])},
		walkStep{"the viewer opens the tokens page", "", []chromedp.Action{chromedp.Navigate(srv.URL + "/tokens"), chromedp.WaitVisible(`h1`),
			chromedp.Text(`h1`, &refusals[2])}},
	)
	if checkButtons != 0 {
		t.Errorf("the viewer is shown %d write forms on the source page", checkButtons)
	}
	for i, want := range []string{"403 — vic is a viewer: this needs the admin role", "403 — vic is a viewer: this needs the admin role", "403"} {
		if !strings.HasPrefix(refusals[i], want) {
			t.Errorf("refusal %d: %q, want %q…", i, refusals[i], want)
		}
	}
	if got := len(sched.asked()); got != askedBefore || got < 2 {
		t.Errorf("checks asked for: %v, %d before the viewer signed in (the walk asked for two)", sched.asked(), askedBefore)
	}

	// The admin promotes them back.
	w.steps(
		walkStep{"sign out the viewer", "", w.signOut()},
		walkStep{"sign in as office again", "", w.signIn(office, "/tokens", `#token-name`)},
		walkStep{"promote back", "token-promoted", []chromedp.Action{w.setRole("vic", "reviewer"), chromedp.ActionFunc(waitLocation("done=role")),
			chromedp.WaitVisible(`p.notice`)}},
	)
	toks, _ := h.DB.Tokens(t.Context())
	for _, tk := range toks {
		if tk.Name == "vic" && tk.EffectiveRole() != store.RoleReviewer {
			t.Errorf("vic is %s after the promotion", tk.EffectiveRole())
		}
	}
	t.Logf("screenshots of %d pages, 1280 and 390 px: %s", len(*shots.names), shots.dir)
}

// walkStep is one thing done in the walk; shot names the page's
// screenshots ("": none).
type walkStep struct {
	name string
	shot string
	acts []chromedp.Action
}

// walker runs the walk's steps in one browser.
type walker struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots shotDir
}

func (w walker) steps(steps ...walkStep) {
	w.t.Helper()
	for _, st := range steps {
		stepCtx, cancel := context.WithTimeout(w.ctx, 3*time.Minute) // a safety net on a loaded machine, not a speed check
		err := chromedp.Run(stepCtx, st.acts...)
		cancel()
		if err != nil {
			var loc, body string
			chromedp.Run(w.ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 6000) : ""`, &body))
			w.t.Fatalf("%s: %v (at %s:\n%s)", st.name, err, loc, body)
		}
		if st.shot != "" {
			w.shots.look(w.t, w.ctx, st.shot)
		}
	}
}

func (w walker) signIn(secret, next, ready string) []chromedp.Action {
	return []chromedp.Action{chromedp.Navigate(w.base + "/login?next=" + url.QueryEscape(next)), chromedp.WaitVisible(`#token`),
		chromedp.SendKeys(`#token`, secret), chromedp.Submit(`#token`), chromedp.WaitVisible(ready)}
}

func (w walker) signOut() []chromedp.Action {
	return []chromedp.Action{chromedp.Navigate(w.base + "/"), chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery), chromedp.ActionFunc(func(ctx context.Context) error {
		return pollTrue(ctx, `!document.querySelector('form[action="/logout"]')`)
	})}
}

// setRole picks role in the row of the token named name on the tokens
// page and sends that row's form.
func (w walker) setRole(name, role string) chromedp.Action {
	row := fmt.Sprintf(`form[action="/tokens/role"] input[name=name][value=%q]`, name)
	return chromedp.Tasks{chromedp.SetValue(row+` ~ select[name=role]`, role, chromedp.ByQuery), chromedp.Click(row+` ~ button`, chromedp.ByQuery)}
}

// postAnyway posts, from the page from, a form that page does not
// offer, with the session's CSRF token (from the sign-out form), as a
// stale page or a crafted one would, and reads the heading of the answer.
func (w walker) postAnyway(from, path string, fields map[string]string, heading *string) []chromedp.Action {
	js := fmt.Sprintf(`(() => {
		const f = document.createElement("form"); f.method = "post"; f.action = %q;
		const add = (n, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = n; i.value = v; f.append(i); };
		add("csrf", document.querySelector('form[action="/logout"] input[name=csrf]').value);
		for (const [n, v] of Object.entries(%s)) add(n, v);
		document.body.append(f); f.submit(); return true;
	})()`, path, jsonObject(fields))
	var ok bool
	return []chromedp.Action{chromedp.Navigate(w.base + from), chromedp.WaitVisible(`form[action="/logout"]`, chromedp.ByQuery),
		chromedp.Evaluate(js, &ok), chromedp.ActionFunc(waitLocation(path)),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return pollTrue(ctx, `/^\d{3} — /.test(document.querySelector("h1")?.textContent ?? "")`)
		}),
		chromedp.Text(`h1`, heading)}
}

func jsonObject(m map[string]string) string {
	var b strings.Builder
	b.WriteString("{")
	for k, v := range m {
		fmt.Fprintf(&b, "%q: %q,", k, v)
	}
	b.WriteString("}")
	return b.String()
}

// pollTrue waits until the expression is true in the page, for as long
// as ctx allows (the step's generous deadline).
func pollTrue(ctx context.Context, expr string) error {
	for {
		var ok bool
		if err := chromedp.Evaluate(expr, &ok).Do(ctx); err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("never true: %s: %w", expr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// reloadUntil reloads the page until the expression is true in it: a
// check queued by the page runs on the scheduler, and the page says
// "reload in a moment".
func reloadUntil(expr string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			var ok bool
			err := chromedp.Run(ctx, chromedp.Reload(), chromedp.WaitReady(`body`), chromedp.Evaluate(expr, &ok))
			if err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("after reloads, never true: %s: %w", expr, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// walkScheduler is the daemon's scheduler over h's database, running
// for the test: its checker may fetch the test's sites on 127.0.0.1. It
// records which sources it was asked to check soon, and counts the
// checks that finished.
func walkScheduler(t *testing.T, h *history) *askedScheduler {
	t.Helper()
	a := &askedScheduler{}
	checker := &watch.Checker{Store: h.DB, Now: h.Clock.Tick, Policy: watch.Policy{ConfirmDelay: time.Nanosecond},
		Client: fetch.NewClient(fetch.Options{AllowPrivate: true, Attempts: 1, Backoff: time.Millisecond, Now: h.Clock.Tick})}
	// Monthly: the walk's day does not bring any source due by itself;
	// only the recheck buttons do.
	s, err := watch.NewScheduler(checker, watch.SchedulerOptions{Default: "@monthly", Location: time.UTC, Workers: 1, MaxJitter: -1,
		Now: h.Clock.Now, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)), OnResult: func(watch.Result) { a.done.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("scheduler: %v", err)
		}
	})
	a.Scheduler = s
	return a
}

// testLog writes the scheduler's log to the test's (shown when it
// fails).
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// askedScheduler is a real scheduler that also notes each CheckSoon.
type askedScheduler struct {
	*watch.Scheduler
	ids  atomic.Pointer[[]uint64]
	done atomic.Int64
}

// settled waits until as many checks have finished as were asked for.
// A page moves on only then: a "check now" sent while the same source's
// check is still running can be lost (the running check writes the next
// due time over it; see the report of this change), which is not what
// this walk tests.
func (a *askedScheduler) settled() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for a.done.Load() < int64(len(a.asked())) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%d checks asked for, %d finished: %w", len(a.asked()), a.done.Load(), ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
		return nil
	})
}

func (a *askedScheduler) CheckSoon(ctx context.Context, id uint64) error {
	for {
		old := a.ids.Load()
		var next []uint64
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, id)
		if a.ids.CompareAndSwap(old, &next) {
			break
		}
	}
	return a.Scheduler.CheckSoon(ctx, id)
}

func (a *askedScheduler) asked() []uint64 {
	if p := a.ids.Load(); p != nil {
		return *p
	}
	return nil
}

// shotDir is where the walk's screenshots go: a directory of its own
// under the artifacts directory.
type shotDir struct {
	dir   string
	names *[]string
}

func walkShots(t *testing.T) shotDir {
	dir := filepath.Join(artifacts(t), "walk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return shotDir{dir: dir, names: new([]string)}
}

// look shoots the page at 1280 and at 390 px and fails the test if it
// scrolls sideways at either.
func (d shotDir) look(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	*d.names = append(*d.names, name)
	for _, width := range []int64{1280, 390} {
		var dims []int64
		var buf []byte
		err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900),
			chromedp.Evaluate(`[document.documentElement.scrollWidth, window.innerWidth]`, &dims),
			chromedp.FullScreenshot(&buf, 100)) // 100: PNG (less is JPEG)
		if err != nil {
			t.Fatalf("look at %s at %d px: %v", name, width, err)
		}
		if len(dims) != 2 || dims[0] > dims[1] {
			t.Errorf("%s scrolls sideways at %d px: scrollWidth, innerWidth = %v", name, width, dims)
		}
		if err := os.WriteFile(filepath.Join(d.dir, fmt.Sprintf("%s-%d.png", name, width)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}
