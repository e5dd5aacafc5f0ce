package web_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/web"
)

// browserStep is one thing a person does in the browser.
type browserStep struct {
	name string
	acts []chromedp.Action
}

// runSteps runs steps in order; a failing step reports where the browser
// was and what the page said.
func runSteps(t *testing.T, ctx context.Context, steps []browserStep) {
	t.Helper()
	for _, st := range steps {
		stepCtx, cancel := context.WithTimeout(ctx, time.Minute) // generous: a loaded machine
		err := chromedp.Run(stepCtx, st.acts...)
		cancel()
		if err != nil {
			var loc, body string
			chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 1200) : ""`, &body))
			t.Fatalf("%s: %v (at %s:\n%s)", st.name, err, loc, body)
		}
	}
}

// TestBrowserManageProgramme walks the programme's forms in headless
// Chromium, script-free pages: sign in, save IMS's seal record, be
// refused a ticket that already holds (the reason next to the form),
// record a notification with tickets, download its evidence bundle from
// the link and verify it on the verify page, make a token and a webhook,
// and look at every new page on a desktop and a 390 px phone screen
// without sideways scrolling.
func TestBrowserManageProgramme(t *testing.T) {
	ctx := browser(t)
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now,
		Webhooks: web.NewDeliverer(web.DelivererOptions{DB: h.DB, AllowPrivate: true})})
	tok := token(t, h.DB, "office")
	manage := "/suppliers/" + url.PathEscape(imsName) + "/manage"
	var notice, refusal, maxDate, href string
	runSteps(t, ctx, []browserStep{
		{"sign in", []chromedp.Action{chromedp.Navigate(srv.URL + "/login?next=" + url.QueryEscape(manage)), chromedp.WaitVisible(`#token`),
			chromedp.SendKeys(`#token`, tok), chromedp.Submit(`#token`), chromedp.WaitVisible(`#record form`)}},
		{"save the record", []chromedp.Action{
			chromedp.SetValue(`#record input[name=awarded]`, "2019-06-15"),
			chromedp.SendKeys(`#record input[name=rubric]`, "1.0"),
			chromedp.SendKeys(`#record input[name=zone]`, "America/New_York"),
			chromedp.SendKeys(`#record textarea[name=products]`, "Website=ims-privacy"),
			chromedp.Click(`#record button[type=submit]`),
			chromedp.WaitVisible(`p.notice`), chromedp.Text(`p.notice`, &notice),
			chromedp.AttributeValue(`#notify input[name=when]`, "max", &maxDate, nil)}},
		{"a ticket that already holds", []chromedp.Action{
			chromedp.SetValue(`#notify input[name=when]`, "2022-05-13"),
			chromedp.SendKeys(`#notify textarea[name=appear]`, "privacy"),
			chromedp.Click(`#notify button[type=submit]`),
			chromedp.WaitVisible(`#notify p.error`), chromedp.Text(`#notify p.error`, &refusal)}},
		{"record the notification", []chromedp.Action{
			chromedp.SetValue(`#notify textarea[name=appear]`, "Foundation, Compatibility Check"),
			chromedp.SendKeys(`#notify textarea[name=must]`, "name the covered sites"),
			chromedp.Click(`#notify button[type=submit]`),
			chromedp.WaitVisible(`#notifications .notification`),
			chromedp.AttributeValue(`#notifications .notification .evidence a`, "href", &href, nil)}},
	})
	if notice != "Supplier record saved." {
		t.Errorf("after saving: %q", notice)
	}
	if maxDate != "2022-06-02" {
		t.Errorf("the date field allows up to %q, want today in New York, 2022-06-02", maxDate)
	}
	if !strings.Contains(refusal, "ticket 1 already holds") {
		t.Errorf("the refusal says %q", refusal)
	}
	sup, err := h.DB.Supplier(t.Context(), imsName)
	if err != nil || sup.Zone != "America/New_York" || len(sup.Products) != 1 {
		t.Errorf("stored record: %+v %v", sup, err)
	}
	ns, err := h.DB.Notifications(t.Context(), imsName)
	if err != nil || len(ns) != 1 || ns[0].Date != "2022-05-13" || ns[0].By != "office" || len(ns[0].Tickets) != 1 {
		t.Fatalf("stored notifications: %+v %v", ns, err)
	}
	screenshot(t, ctx, "manage-supplier.png")

	// The evidence link, followed as a download, and the file checked on
	// the verify page.
	resp, bundle := do(t, "GET", srv.URL+href, tok, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %.300s", href, resp.StatusCode, bundle)
	}
	file := filepath.Join(t.TempDir(), "evidence.zip")
	if err := os.WriteFile(file, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	key, _ := h.DB.PublicKey(t.Context())
	rep := evidence.Verify([]byte(bundle), evidence.VerifyOptions{Key: key})
	var headline string
	var rows int
	runSteps(t, ctx, []browserStep{
		{"verify the bundle", []chromedp.Action{chromedp.Navigate(srv.URL + "/verify"), chromedp.WaitVisible(`input[name=bundle]`),
			chromedp.SetUploadFiles(`input[name=bundle]`, []string{file}), chromedp.Submit(`input[name=bundle]`),
			chromedp.WaitVisible(`#verify-headline`), chromedp.Text(`#verify-headline`, &headline),
			chromedp.Evaluate(`document.querySelectorAll("#verify-checks tbody tr").length`, &rows)}},
	})
	if !strings.HasPrefix(headline, "Verified: all") || rows != len(rep.Checks) || !rep.Verified {
		t.Errorf("verify page: %q, %d rows for %d checks", headline, rows, len(rep.Checks))
	}
	screenshot(t, ctx, "verify.png")

	var secret, hookSecret string
	runSteps(t, ctx, []browserStep{
		{"make a token", []chromedp.Action{chromedp.Navigate(srv.URL + "/tokens"), chromedp.WaitVisible(`#token-name`),
			chromedp.SendKeys(`#token-name`, "bob"), chromedp.Submit(`#token-name`),
			chromedp.WaitVisible(`#new-token`), chromedp.Text(`#new-token`, &secret)}},
		{"add a webhook", []chromedp.Action{chromedp.Navigate(srv.URL + "/webhooks"), chromedp.WaitVisible(`#hook-url`),
			chromedp.SendKeys(`#hook-url`, "http://127.0.0.1:9/hook"), chromedp.Submit(`#hook-url`),
			chromedp.WaitVisible(`#new-secret`), chromedp.Text(`#new-secret`, &hookSecret)}},
	})
	if tk, err := h.DB.TokenFor(t.Context(), strings.TrimSpace(secret)); err != nil || tk.Name != "bob" {
		t.Errorf("the token shown (%q) is not bob's: %v", secret, err)
	}
	if hooks, _ := h.DB.Webhooks(t.Context()); len(hooks) != 1 || hooks[0].Secret != strings.TrimSpace(hookSecret) || hooks[0].Format != store.HookJSON {
		t.Errorf("stored webhooks: %+v, shown secret %q", hooks, hookSecret)
	}

	// Every new page, desktop and phone: no sideways scrolling.
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		for _, p := range []struct{ path, shot string }{{manage, "manage-supplier"}, {"/verify", "verify"}, {"/rubrics", "rubrics"},
			{"/tokens", "tokens"}, {"/webhooks", "webhooks"}, {"/suppliers/" + url.PathEscape(imsName), "supplier"}} {
			var overflow bool
			runSteps(t, ctx, []browserStep{{"open " + p.path + " on " + size.name, []chromedp.Action{chromedp.EmulateViewport(size.w, size.h),
				chromedp.Navigate(srv.URL + p.path), chromedp.WaitVisible(`main`),
				chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow)}}})
			if overflow {
				t.Errorf("%s scrolls sideways on a %d px screen", p.path, size.w)
			}
			screenshot(t, ctx, p.shot+"-"+size.name+".png")
		}
	}
}
