package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clausewatch/clausewatch/store"
)

// TestBrowserEmail walks the e-mail page in a real browser, without
// script, as a viewer (every user manages their own e-mail): sign in, subscribe to one supplier's changes as a digest, see
// it listed, send a test e-mail that arrives at the SMTP server, and look
// at the page on a phone.
func TestBrowserEmail(t *testing.T) {
	ctx := browser(t)
	r := newMailRig(t)
	viewer := roleToken(t, r.h.DB, "vera", store.RoleViewer)
	var listed, notice string
	steps := []struct {
		name string
		acts []chromedp.Action
	}{
		{"open the sign-in page", []chromedp.Action{chromedp.Navigate(r.srv + "/login?next=/settings/email"), chromedp.WaitVisible(`#token`)}},
		{"sign in", []chromedp.Action{chromedp.SendKeys(`#token`, viewer), chromedp.Submit(`#token`), chromedp.WaitVisible(`#subscribe`)}},
		{"fill in the subscription", []chromedp.Action{chromedp.SendKeys(`#email`, "ana@example.org"),
			chromedp.Click(`input[name=floor][value=all]`), chromedp.Click(`input[name=mode][value=digest]`),
			chromedp.Click(`input[name=supplier][value=COR]`), chromedp.Click(`input[name=reminders]`)}},
		{"subscribe", []chromedp.Action{chromedp.Click(`#subscribe`), chromedp.WaitVisible(`#notice`), chromedp.Text(`#mine`, &listed)}},
		{"send a test e-mail", []chromedp.Action{chromedp.SendKeys(`#to`, "ana@example.org"), chromedp.Click(`#send-test`),
			// The page before had a notice too: wait for the new one.
			waitFor(`(document.querySelector("#notice")?.innerText || "").startsWith("Test e-mail")`),
			chromedp.Text(`#notice`, &notice)}},
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
		if st.name == "subscribe" {
			screenshot(t, ctx, "email.png")
		}
	}
	for _, want := range []string{"ana@example.org", "every change", "of COR", "in a daily digest", "with deadline reminders"} {
		if !strings.Contains(listed, want) {
			t.Errorf("subscription list %q does not say %q", listed, want)
		}
	}
	if notice != "Test e-mail sent to ana@example.org." {
		t.Errorf("notice after the test e-mail: %q", notice)
	}
	if got := r.received(t, 0)["ana@example.org"]; len(got) != 1 || got[0].Subject != "[clausewatch] Test e-mail" {
		t.Errorf("test e-mail as received: %+v", got)
	}
	subs, err := r.h.DB.Subscriptions(t.Context())
	if err != nil || len(subs) != 1 || subs[0].User != "vera" || subs[0].Owner != "vera" || subs[0].Mode != "digest" || fmt.Sprint(subs[0].Suppliers) != "[COR]" || !subs[0].Reminders {
		t.Errorf("stored: %+v %v", subs, err)
	}

	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(r.srv+"/settings/email"), chromedp.WaitVisible(`#subscribe`)); err != nil {
		t.Fatal(err)
	}
	var overflow bool
	chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
	if overflow {
		t.Errorf("the e-mail page scrolls sideways on a 390px screen")
	}
	screenshot(t, ctx, "email-phone.png")
}

// waitFor evaluates a condition until it holds, across the navigation a
// form submission starts; a minute is a safety net, not a speed check.
func waitFor(cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var ok bool
			if err := chromedp.Evaluate(cond, &ok).Do(ctx); err == nil && ok {
				return nil
			}
		}
		return fmt.Errorf("%s: still false after a minute", cond)
	})
}
