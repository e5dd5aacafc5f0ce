package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	emersion "github.com/emersion/go-ical"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

const imsName = "1EdTech Consortium"

// sealRecord gives IMS a seal record: awarded 2019-06-15, New York time.
func sealRecord(t *testing.T, h *history) {
	t.Helper()
	if _, err := h.DB.PutSupplier(t.Context(), store.Supplier{Name: imsName, Awarded: "2019-06-15", Rubric: "1.0", Zone: "America/New_York",
		Products: []store.Product{{Name: "Website", Sources: []string{"ims-privacy"}}}}); err != nil {
		t.Fatal(err)
	}
}

func TestSealProgramPages(t *testing.T) {
	h := newHistory(t)
	sealRecord(t, h)
	tok := token(t, h.DB, "staff")
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	sup := srv.URL + "/api/suppliers/" + url.PathEscape(imsName)

	// A notification over the API, naming what must change. The 2022
	// policy was first captured on 1 June: day 19 of a window opened on
	// 13 May, so the change is in, but late.
	resp, body := do(t, "POST", sup+"/notifications", tok, `{"when":"2022-05-13","must":"name the covered sites",
		"tickets":[{"kind":"appear","text":"Foundation, Compatibility Check"},{"kind":"reword","source":"ims-privacy","text":"you will not use our forums to post any material"}]}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("notify: %d %s", resp.StatusCode, body)
	}
	var st vetting.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.State != vetting.StateMissed || st.Notification.By != "staff" {
		t.Fatalf("notification: %v %s (%s)", err, st.State, body)
	}
	if resp, body := do(t, "POST", sup+"/notifications", tok, `{"when":"2022-05-13","tickets":[{"kind":"appear","text":"privacy"}]}`, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already holds") {
		t.Errorf("a ticket that already holds: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", sup+"/notifications", tok, `{"when":"someday"}`, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "someday") {
		t.Errorf("bad date: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", srv.URL+"/api/rubrics", tok, `{"version":"2.0","released":"2022-04-01"}`, nil); resp.StatusCode != http.StatusCreated || !strings.Contains(body, imsName) {
		t.Errorf("rubric: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", srv.URL+"/api/baselines", tok, `{"source":"ims-privacy","name":"rewrite","version":3}`, nil); resp.StatusCode != http.StatusCreated {
		t.Errorf("baseline: %d %s", resp.StatusCode, body)
	}

	resp, body = do(t, "GET", srv.URL+"/api/deadlines", tok, "", nil)
	var dl struct{ Deadlines []vetting.Item }
	if err := json.Unmarshal([]byte(body), &dl); err != nil || resp.StatusCode != 200 {
		t.Fatalf("deadlines: %d %v", resp.StatusCode, err)
	}
	kinds := map[string]string{}
	for i, it := range dl.Deadlines {
		kinds[it.Kind] = it.State
		if i > 0 && it.Due.Before(dl.Deadlines[i-1].Due) {
			t.Errorf("deadline %d (%s, due %s) before the one above it: not sorted by due date", i, it.Title, it.Due)
		}
		if it.Kind == "rubric" && it.Day != "2022-05-31" {
			t.Errorf("the re-vet of the 2022-04-01 release is due %s, want 2022-05-31 (60 days)", it.Day)
		}
	}
	// The clock is in June 2022: the re-vet's 60 days are over.
	if kinds["update"] != vetting.StateMissed || kinds["rubric"] != vetting.StateOverdue || kinds["renewal"] == "" {
		t.Errorf("deadline states %v", kinds)
	}

	resp, body = do(t, "GET", srv.URL+"/deadlines", tok, "", map[string]string{"Accept": "text/html"})
	for _, want := range []string{"<h1>Deadlines</h1>", "missed", "re-vet against rubric 2.0", "not re-vetted by 2022-05-31", "10 calendar days", "America/New_York time"} {
		if !strings.Contains(body, want) {
			t.Errorf("deadlines page lacks %q", want)
		}
	}
	resp, body = do(t, "GET", srv.URL+"/deadlines.ics", tok, "", nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("ics content type %q", ct)
	}
	cal, err := emersion.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil || len(cal.Events()) < 3 {
		t.Fatalf("ics: %v (%d events)", err, len(cal.Events()))
	}

	_, body = do(t, "GET", srv.URL+"/suppliers/"+url.PathEscape(imsName), tok, "", map[string]string{"Accept": "text/html"})
	for _, want := range []string{"Seal program", "2019-06-15", "Notification of 2022-05-13", "Must change:", "name the covered sites",
		"/renewal", "since “rewrite”", "met by the capture of"} {
		if !strings.Contains(body, want) {
			t.Errorf("supplier page lacks %q", want)
		}
	}

	resp, body = do(t, "GET", srv.URL+"/suppliers/"+url.PathEscape(imsName)+"/renewal", tok, "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != 200 || !strings.Contains(body, "Renewal report: 1EdTech Consortium") || !strings.Contains(body, "IMS Global → 1EdTech</strong> in 37 clauses") {
		t.Errorf("renewal page: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "script") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("renewal CSP %q", csp)
	}
	resp, body = do(t, "GET", sup+"/renewal?baseline=rewrite", tok, "", nil)
	var rep vetting.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil || rep.Revet || !rep.Sources[0].Same {
		t.Errorf("renewal since the pinned 2022 version: %v %q", err, rep.Verdict)
	}
	if resp, _ := do(t, "GET", sup+"/renewal?to=tomorrow", tok, "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad to=: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/suppliers/Nobody/renewal", tok, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("renewal of an unknown supplier: %d", resp.StatusCode)
	}
	if resp, body := do(t, "PUT", srv.URL+"/api/suppliers/Nobody/record", tok, `{"awarded":"2020-01-01"}`, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("record for a supplier without sources: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "PUT", sup+"/record", tok, `{"awarded":"2019-13-01"}`, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "2019-13-01") {
		t.Errorf("bad award date: %d %s", resp.StatusCode, body)
	}
}

// TestCapture is a supplier's "I have updated my policy — capture it now":
// its own token, a check at once, the ticket closed by that capture, a
// rate limit, and no way in with the wrong token.
func TestCapture(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	var updated atomic.Bool
	page := func(extra string) string {
		return fmt.Sprintf(`<html><head><title>Privacy</title></head><body><main><h1>Privacy Policy</h1>
<p>Acme Learning collects your name and e-mail address when you register for an account on our website.</p>
<p>We use this information only to provide the service and never sell it to anyone for any purpose.</p>%s</main></body></html>`, extra)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if updated.Load() {
			fmt.Fprint(w, page("<p>You may ask us to delete your account and all the data we hold about you at any time.</p>"))
			return
		}
		fmt.Fprint(w, page(""))
	}))
	defer site.Close()
	src := h.add(t, store.Source{Name: "acme-privacy", URL: site.URL + "/privacy", Supplier: "Acme"})
	if res := h.Checker.Check(ctx, src); res.Err != nil {
		t.Fatal(res.Err)
	}
	if _, err := h.DB.PutSupplier(ctx, store.Supplier{Name: "Acme", Awarded: "2021-03-01"}); err != nil {
		t.Fatal(err)
	}
	sched, err := watch.NewScheduler(h.Checker, watch.SchedulerOptions{Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, h.DB, "staff")
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, Scheduler: sched, CaptureEvery: time.Hour, CaptureBurst: 2})
	resp, body := do(t, "POST", srv.URL+"/api/suppliers/Acme/notifications", staff, `{"when":"2022-06-02","tickets":[{"kind":"appear","text":"delete your account"}]}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("notify: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", srv.URL+"/api/suppliers/Acme/token", staff, "", nil)
	var issued struct{ Token string }
	if json.Unmarshal([]byte(body), &issued); resp.StatusCode != http.StatusCreated || !strings.HasPrefix(issued.Token, "cws_") {
		t.Fatalf("supplier token: %d %s", resp.StatusCode, body)
	}

	// Refusals: nothing, a staff token, a made-up supplier token.
	for name, tok := range map[string]string{"none": "", "staff token": staff, "unknown": "cws_" + strings.Repeat("A", 43)} {
		if resp, body := do(t, "POST", srv.URL+"/api/capture", tok, "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("capture with %s: %d %s", name, resp.StatusCode, body)
		}
	}
	// A supplier token is no staff token.
	if resp, _ := do(t, "GET", srv.URL+"/api/sources", issued.Token, "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("supplier token on a staff route: %d", resp.StatusCode)
	}

	h.Clock.Set(day("2022-06-05"))
	updated.Store(true)
	resp, body = do(t, "POST", srv.URL+"/api/capture", issued.Token, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("capture: %d %s", resp.StatusCode, body)
	}
	var ans struct {
		Supplier string
		Captures []struct {
			Source string
			Fetch  store.Fetch
			Change *store.Change
		}
		Notifications []vetting.Status
		Satisfied     bool
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Captures) != 1 || ans.Captures[0].Change == nil || ans.Captures[0].Fetch.BodySHA256 == "" {
		t.Fatalf("capture records: %s", body)
	}
	if !ans.Satisfied || len(ans.Notifications) != 1 || ans.Notifications[0].State != vetting.StateMet {
		t.Fatalf("tickets after the capture: %s", body)
	}
	met := ans.Notifications[0].Tickets[0].Met
	vs, _ := h.DB.Versions(ctx, src.ID)
	if met == nil || met.Version != vs[len(vs)-1].Seq || met.Fetch != vs[len(vs)-1].FirstFetch {
		t.Errorf("the ticket's proof %+v is not the capture's version %+v", met, vs[len(vs)-1])
	}
	// Only the supplier's own sources (this request uses the second of
	// the burst of 2); then the third request waits.
	if resp, body := do(t, "POST", srv.URL+"/api/capture", issued.Token, `{"source":"ims-privacy"}`, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another supplier's source: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", srv.URL+"/api/capture", issued.Token, `{"source":"acme-privacy"}`, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third capture: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
}
