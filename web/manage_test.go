package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/web"
)

// formStep is one form a signed-in member of staff posts, and what the
// answer must be: a redirect to the page with a confirmation, the page
// again with the refusal next to the form, or a page showing a secret
// once.
type formStep struct {
	name string
	path string
	form url.Values
	want int
	// says are words the answer must hold (HTML-unescaped first); loc
	// is the start of the redirect's target.
	says []string
	loc  string
	// api, when set, posts the same input to the JSON API: it must be
	// refused with the same status and apiSays in its error.
	api, apiBody, apiSays string
}

// TestManageFromTheBrowser walks the programme's forms as a member of
// staff would, without script: each refusal comes back on the page with
// its reason (the same words the JSON API gives for the same input), and
// each success redirects to a page that shows it.
func TestManageFromTheBrowser(t *testing.T) {
	h := newHistory(t)
	// The clock is at 06:00 UTC on 2 June 2022: 02:00 on 2 June in New
	// York, the zone the record below sets.
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now,
		Webhooks: web.NewDeliverer(web.DelivererOptions{DB: h.DB, AllowPrivate: true})})
	tok := token(t, h.DB, "office")
	cookie, csrf := signIn(t, srv.URL, tok)
	ims := "/suppliers/" + url.PathEscape(imsName)
	apiIMS := "/api/suppliers/" + url.PathEscape(imsName)
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	steps := []formStep{
		{name: "record: bad zone", path: ims + "/record", form: form("zone", "Mars/Olympus", "awarded", "2019-06-15"), want: 400,
			says: []string{"Not saved", `time zone "Mars/Olympus"`, `value="2019-06-15"`},
			api:  apiIMS + "/record", apiBody: `{"zone":"Mars/Olympus","awarded":"2019-06-15"}`, apiSays: `time zone "Mars/Olympus"`},
		{name: "record: bad product", path: ims + "/record", form: form("products", "Website"), want: 400,
			says: []string{`product "Website": want NAME=SOURCE,SOURCE`}},
		{name: "record: product of another supplier", path: ims + "/record", form: form("products", "Website=cor-privacy"), want: 400,
			says: []string{`source "cor-privacy" belongs to supplier "COR"`},
			api:  apiIMS + "/record", apiBody: `{"products":[{"name":"Website","sources":["cor-privacy"]}]}`, apiSays: `source "cor-privacy" belongs to supplier "COR"`},
		{name: "record: supplier without sources", path: "/suppliers/Nobody/record", form: form("awarded", "2020-01-01"), want: 404,
			says: []string{`no source belongs to supplier "Nobody"`},
			api:  "/api/suppliers/Nobody/record", apiBody: `{"awarded":"2020-01-01"}`, apiSays: `no source belongs to supplier "Nobody"`},
		{name: "notify: no record yet", path: ims + "/notifications", form: form("when", "2022-05-13"), want: 404,
			says: []string{`supplier "` + imsName + `" has no seal record`},
			api:  apiIMS + "/notifications", apiBody: `{"when":"2022-05-13"}`, apiSays: `supplier "` + imsName + `" has no seal record`},
		{name: "record saved", path: ims + "/record", want: 303, loc: ims + "/manage?done=record",
			form: form("awarded", "2019-06-15", "rubric", "1.0", "zone", "America/New_York", "products", "Website=ims-privacy\n", "note", "member since 2015")},
		{name: "notify: tomorrow in New York", path: ims + "/notifications", form: form("when", "2022-06-03"), want: 400,
			says: []string{"Not recorded", "notification date 2022-06-03 is after today (2022-06-02 in America/New_York, the supplier's zone)"},
			api:  apiIMS + "/notifications", apiBody: `{"when":"2022-06-03"}`, apiSays: "notification date 2022-06-03 is after today (2022-06-02 in America/New_York, the supplier's zone)"},
		{name: "notify: an instant to come", path: ims + "/notifications", form: form("when", "2022-06-02T07:00:00Z"), want: 400,
			says: []string{"is in the future"},
			api:  apiIMS + "/notifications", apiBody: `{"when":"2022-06-02T07:00:00Z"}`, apiSays: "is in the future"},
		{name: "notify: a ticket that already holds", path: ims + "/notifications", form: form("when", "2022-05-13", "appear", "privacy"), want: 400,
			says: []string{"ticket 1 already holds", `value="2022-05-13"`},
			api:  apiIMS + "/notifications", apiBody: `{"when":"2022-05-13","tickets":[{"kind":"appear","text":"privacy"}]}`, apiSays: "ticket 1 already holds"},
		{name: "notify: a clause that is not there", path: ims + "/notifications", form: form("when", "2022-05-13", "reword", "no such words anywhere"), want: 400,
			says: []string{"no clause of ims-privacy"}},
		{name: "notified", path: ims + "/notifications", want: 303, loc: ims + "/manage?done=notified#notification-",
			form: form("when", "2022-05-13", "must", "name the covered sites", "source", "ims-privacy",
				"appear", "Foundation, Compatibility Check", "reword", "you will not use our forums to post any material")},
		{name: "pin: a built-in name", path: ims + "/baselines", form: form("source", "ims-privacy", "name", "seal-awarded"), want: 400,
			says: []string{`baseline "seal-awarded" is built in`},
			api:  "/api/baselines", apiBody: `{"source":"ims-privacy","name":"seal-awarded"}`, apiSays: `baseline "seal-awarded" is built in`},
		{name: "pin: not a version", path: ims + "/baselines", form: form("source", "ims-privacy", "name", "x", "version", "three"), want: 400,
			says: []string{`version "three"`}},
		{name: "pin: no such source", path: ims + "/baselines", form: form("source", "nosuch", "name", "x"), want: 404,
			says: []string{"nosuch"}},
		{name: "pinned", path: ims + "/baselines", form: form("source", "ims-privacy", "name", "rewrite", "version", "2"), want: 303, loc: ims + "/manage?done=pinned"},
		{name: "pinned in force now", path: ims + "/baselines", form: form("source", "ims-privacy", "name", "current"), want: 303, loc: ims + "/manage?done=pinned"},
		{name: "unpinned", path: ims + "/baselines/remove", form: form("source", "ims-privacy", "name", "current"), want: 303, loc: ims + "/manage?done=unpinned"},
		{name: "unpin: not pinned", path: ims + "/baselines/remove", form: form("source", "ims-privacy", "name", "current"), want: 404,
			says: []string{`baseline "current" of ims-privacy`}},
		{name: "capture token", path: ims + "/token", form: form(), want: 201, says: []string{"shown this once", "cws_"}},
		{name: "capture token: no record", path: "/suppliers/COR/token", form: form(), want: 404, says: []string{`supplier "COR" has no seal record`}},
		{name: "rubric: bad date", path: "/rubrics", form: form("version", "2.0", "released", "April"), want: 400,
			says: []string{"release date", "April"}, api: "/api/rubrics", apiBody: `{"version":"2.0","released":"April"}`, apiSays: `release date "April"`},
		{name: "rubric: bad period", path: "/rubrics", form: form("version", "2.0", "released", "2022-04-01", "revet_days", "soon"), want: 400,
			says: []string{`re-vet period "soon"`}, api: "/api/rubrics", apiBody: `{"version":"2.0","released":"2022-04-01","revet_days":-3}`, apiSays: "re-vet period -3 days"},
		{name: "rubric", path: "/rubrics", form: form("version", "2.0", "released", "2022-04-01", "revet_days", "90"), want: 303, loc: "/rubrics?done=rubric"},
		{name: "rubric twice", path: "/rubrics", form: form("version", "2.0", "released", "2022-05-01"), want: 409, says: []string{"2.0"}},
		{name: "token: no name", path: "/tokens", form: form("name", ""), want: 400, says: []string{"name"}},
		{name: "token: bad role", path: "/tokens", form: form("name", "cy", "role", "root"), want: 400, says: []string{`role "root"`, `value="cy"`},
			api: "/api/tokens", apiBody: `{"name":"cy","role":"root"}`, apiSays: `role "root"`},
		{name: "token", path: "/tokens", form: form("name", "bob", "role", "reviewer"), want: 201,
			says: []string{`Token “bob” (reviewer), shown this once`, "cw_", `<td class="role">reviewer</td>`}},
		{name: "token: taken", path: "/tokens", form: form("name", "bob"), want: 409, says: []string{"bob"},
			api: "/api/tokens", apiBody: `{"name":"bob"}`, apiSays: `"bob"`},
		{name: "role: bob to admin", path: "/tokens/role", form: form("name", "bob", "role", "admin"), want: 303, loc: "/tokens?done=role"},
		{name: "role: bad role", path: "/tokens/role", form: form("name", "bob", "role", "root"), want: 400, says: []string{`role "root"`},
			api: "/api/tokens/bob/role", apiBody: `{"role":"root"}`, apiSays: `role "root"`},
		{name: "role: no such token", path: "/tokens/role", form: form("name", "nobody", "role", "admin"), want: 404, says: []string{`token "nobody"`},
			api: "/api/tokens/nobody/role", apiBody: `{"role":"admin"}`, apiSays: `token "nobody": not found`},
		{name: "revoked", path: "/tokens/revoke", form: form("name", "bob"), want: 303, loc: "/tokens?done=revoked"},
		{name: "role: the last admin", path: "/tokens/role", form: form("name", "office", "role", "viewer"), want: 409, says: []string{`token "office"`, "only admin"},
			api: "/api/tokens/office/role", apiBody: `{"role":"viewer"}`, apiSays: "only admin"},
		{name: "revoke: no such token", path: "/tokens/revoke", form: form("name", "bob"), want: 404, says: []string{`token "bob"`}},
		{name: "webhook: short secret", path: "/webhooks", form: form("url", "http://127.0.0.1:9/hook", "format", "json", "secret", "short"), want: 400,
			says: []string{"at least 16 characters", `value="http://127.0.0.1:9/hook"`},
			api:  "/api/webhooks", apiBody: `{"url":"http://127.0.0.1:9/hook","format":"json","secret":"short"}`, apiSays: "at least 16 characters"},
		{name: "webhook: bad format", path: "/webhooks", form: form("url", "http://127.0.0.1:9/hook", "format", "xml"), want: 400, says: []string{"xml"},
			api: "/api/webhooks", apiBody: `{"url":"http://127.0.0.1:9/hook","format":"xml"}`, apiSays: `webhook format "xml"`},
		{name: "webhook", path: "/webhooks", form: form("url", "http://127.0.0.1:9/hook", "format", "slack", "revet_only", "1"), want: 201,
			says: []string{"Webhook 1 added", "shown this once", "re-vet changes"}},
		{name: "webhook: no such", path: "/webhooks/7/delete", form: form(), want: 404, says: []string{"webhook 7"}},
	}
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.String(), "Accept": "text/html"}
	for _, st := range steps {
		resp, body := do(t, "POST", srv.URL+st.path, "", st.form.Encode(), hdr)
		text := html.UnescapeString(body)
		if resp.StatusCode != st.want {
			t.Fatalf("%s: %d, want %d\n%.2000s", st.name, resp.StatusCode, st.want, text)
		}
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, st.loc) {
			t.Errorf("%s: redirected to %q, want %q…", st.name, loc, st.loc)
		}
		if st.want >= 400 && !strings.Contains(text, `role="alert"`) {
			t.Errorf("%s: the refusal is not on the page with the form:\n%.2000s", st.name, text)
		}
		for _, w := range st.says {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the answer does not say %q:\n%.3000s", st.name, w, text)
			}
		}
		if st.api == "" {
			continue
		}
		method := "POST"
		if strings.HasSuffix(st.api, "/record") || strings.HasSuffix(st.api, "/role") {
			method = "PUT"
		}
		resp, body = do(t, method, srv.URL+st.api, tok, st.apiBody, nil)
		var answer struct{ Error string }
		if err := json.Unmarshal([]byte(body), &answer); err != nil || resp.StatusCode != st.want || !strings.Contains(answer.Error, st.apiSays) {
			t.Errorf("%s: the API answers %d %s, want %d saying %q as the form does", st.name, resp.StatusCode, body, st.want, st.apiSays)
		}
	}

	// The pages show what the forms did.
	get := func(path string) string {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+path, "", "", map[string]string{"Cookie": cookie.String(), "Accept": "text/html"})
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return html.UnescapeString(body)
	}
	for path, wants := range map[string][]string{
		ims + "/manage?done=notified": {"Notification recorded.", "Notification of 2022-05-13", "appear “Foundation, Compatibility Check”",
			"/evidence?source=" + strconvU(h.IMS.ID) + "&notified=2022-05-13", `“rewrite”: source 1, version 2`, `value="America/New_York"`, "Website=ims-privacy"},
		ims:                     {"Manage the record", "/evidence?source=" + strconvU(h.IMS.ID) + "&notified=2022-05-13", "Download evidence bundle"},
		"/rubrics":              {"2022-04-01", "To vet again:", "<td>90 days</td>"},
		"/tokens":               {"office"},
		"/webhooks":             {"http://127.0.0.1:9/hook", "slack"},
		"/suppliers/COR/manage": {"Seal record", "Record a notification"},
	} {
		page := get(path)
		for _, w := range wants {
			if !strings.Contains(page, w) {
				t.Errorf("GET %s does not show %q", path, w)
			}
		}
	}
	if page := get("/tokens"); strings.Contains(page, ">bob<") {
		t.Errorf("the revoked token is still listed")
	}
	if page := get("/rubrics"); !strings.Contains(page, imsName) {
		t.Errorf("the rubrics page does not name %s to vet again", imsName)
	}
}

// TestManagePagesAreStaffOnly: with OpenRead, an anonymous reader can
// open the feed but none of the management pages (a webhook's URL and
// token names are for staff), and is never shown a form's secret.
func TestManagePagesAreStaffOnly(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, OpenRead: true})
	tok := token(t, h.DB, "office")
	for _, path := range []string{"/suppliers/" + url.PathEscape(imsName) + "/manage", "/rubrics", "/tokens", "/webhooks", "/verify",
		"/evidence?source=ims-privacy&notified=2022-05-13"} {
		resp, body := do(t, "GET", srv.URL+path, "", "", nil)
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "office") {
			t.Errorf("anonymous GET %s: %d, want 401", path, resp.StatusCode)
		}
		if resp, _ := do(t, "GET", srv.URL+path, "", "", map[string]string{"Accept": "text/html"}); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("anonymous browser GET %s: %d, want a redirect to sign in", path, resp.StatusCode)
		}
		if resp, _ := do(t, "GET", srv.URL+path, tok, "", nil); resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			t.Errorf("GET %s with a token: %d", path, resp.StatusCode)
		}
	}
	if resp, _ := do(t, "POST", srv.URL+"/verify", "", "", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous POST /verify: %d, want 401", resp.StatusCode)
	}
}
