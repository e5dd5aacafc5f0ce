package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/web"
)

// TestBrowserSources walks the sources flows in headless Chromium, with
// no script on the pages: add a source with a preview and a remove
// selector, find it on the dashboard, recheck it, compare two versions
// picked on the timeline, and open the version in force at a date.
// Each page is shot at desktop width and at 390 px, where none may
// scroll sideways.
func TestBrowserSources(t *testing.T) {
	ctx := browser(t)
	site := sitePages(t)
	h := newHistory(t)
	sched := &recordingScheduler{}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now, Scheduler: sched, Preview: localPreview()})
	tok := token(t, h.DB, "alice")
	ims := fmt.Sprintf("/sources/%d", h.IMS.ID)

	var previewText, dropped, notice, dashText, verdict, loc, versionAt string
	steps := []struct {
		name string
		acts []chromedp.Action
		shot string
	}{
		{"sign in", []chromedp.Action{chromedp.Navigate(srv.URL + "/login?next=/sources/new"), chromedp.WaitVisible(`#token`),
			chromedp.SendKeys(`#token`, tok), chromedp.Submit(`#token`), chromedp.WaitVisible(`#source-form`)}, ""},
		{"fill in the form", []chromedp.Action{chromedp.SendKeys(`#name`, "acme-privacy"), chromedp.SendKeys(`#url`, site.URL+"/legal"),
			chromedp.SendKeys(`#supplier`, "Acme Learning"), chromedp.SendKeys(`#tags`, "k12"), chromedp.SendKeys(`#remove`, ".promo")}, ""},
		{"preview", []chromedp.Action{chromedp.Click(`#do-preview`), chromedp.WaitVisible(`#preview`),
			chromedp.Text(`#preview-outcome`, &previewText), chromedp.Text(`#dropped`, &dropped)}, "source-preview"},
		{"save", []chromedp.Action{chromedp.Click(`#do-save`), chromedp.WaitVisible(`#notice`), chromedp.Text(`#notice`, &notice)}, "source-added"},
		{"the dashboard", []chromedp.Action{chromedp.Navigate(srv.URL + "/sources?tag=k12"), chromedp.WaitVisible(`table.dashboard`),
			chromedp.Text(`table.dashboard tbody`, &dashText)}, "sources-dashboard"},
		{"recheck", []chromedp.Action{chromedp.Click(`button[id^="recheck-"]`), chromedp.WaitVisible(`#check-now`), chromedp.Location(&loc)}, ""},
		{"the timeline's compare", []chromedp.Action{chromedp.Navigate(srv.URL + ims), chromedp.WaitVisible(`#timeline-compare-go`),
			chromedp.Click(`#timeline-compare-go`), chromedp.WaitVisible(`#verdict`), chromedp.Text(`#verdict`, &verdict)}, "compare"},
		{"the version in force at a date", []chromedp.Action{chromedp.SetValue(`#date`, "2019-06-01"), chromedp.Click(`#at`),
			chromedp.WaitVisible(`.policy, h1`), chromedp.ActionFunc(waitLocation("/versions/")), chromedp.Location(&versionAt)}, ""},
	}
	for _, st := range steps {
		stepCtx, cancel := context.WithTimeout(ctx, 2*time.Minute) // generous: a loaded machine
		err := chromedp.Run(stepCtx, st.acts...)
		cancel()
		if err != nil {
			var here, body string
			chromedp.Run(ctx, chromedp.Location(&here), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 800) : ""`, &body))
			t.Fatalf("%s: %v (at %s:\n%s)", st.name, err, here, body)
		}
		if st.shot != "" {
			shootBoth(t, ctx, st.shot)
		}
	}
	if !strings.Contains(previewText, "reads as a policy") || !strings.Contains(dropped, "Subscribe to our newsletter") {
		t.Errorf("preview: %q, dropped %q", previewText, dropped)
	}
	if !strings.Contains(notice, "Source added") {
		t.Errorf("notice %q", notice)
	}
	if !strings.Contains(dashText, "acme-privacy") || !strings.Contains(dashText, "not checked yet") || strings.Contains(dashText, "ims-privacy") {
		t.Errorf("dashboard filtered by tag: %q", dashText)
	}
	src, err := h.DB.Source(t.Context(), "acme-privacy")
	if err != nil || strings.Join(src.Remove, ",") != ".promo" {
		t.Fatalf("stored: %+v %v", src, err)
	}
	if got := sched.asked(); len(got) != 1 || got[0] != src.ID || !strings.Contains(loc, "checking=1") {
		t.Errorf("recheck: asked %v, at %s", got, loc)
	}
	if !strings.Contains(verdict, "Re-vet: 3 substantive changes") {
		t.Errorf("compare verdict %q", verdict)
	}
	if !strings.HasSuffix(versionAt, ims+"/versions/2?at=2019-06-01") {
		t.Errorf("in force on 2019-06-01: %q", versionAt)
	}
}

// waitLocation waits until the browser's address contains part.
func waitLocation(part string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		for {
			var here string
			if err := chromedp.Location(&here).Do(ctx); err == nil && strings.Contains(here, part) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the address never held %q: %w", part, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// shootBoth takes a page at desktop width and at 390 px, and fails the
// test if the narrow one scrolls sideways.
func shootBoth(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	screenshot(t, ctx, name+".png")
	var overflow bool
	err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		t.Errorf("%s scrolls sideways on a 390 px screen", name)
	}
	screenshot(t, ctx, name+"-phone.png")
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}
