package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// TestRoleChangeReachesSessions: a role change holds from the next
// request of a browser already signed in. An admin demoted to viewer (by
// the API) is refused the next admin form and the tokens page; promoted
// back (by the form, without script), the same session may write again.
// A bearer token's holder is refused the API route too once demoted.
func TestRoleChangeReachesSessions(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	office := token(t, h.DB, "office")
	bobTok := token(t, h.DB, "bob")
	bob, bobCSRF := signIn(t, srv.URL, bobTok)
	office1, officeCSRF := signIn(t, srv.URL, office)
	formHdr := func(c *http.Cookie) map[string]string {
		return map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": c.String(), "Accept": "text/html"}
	}
	rubric := func(version, released string) int {
		t.Helper()
		form := url.Values{"csrf": {bobCSRF}, "version": {version}, "released": {released}}
		resp, _ := do(t, "POST", srv.URL+"/rubrics", "", form.Encode(), formHdr(bob))
		return resp.StatusCode
	}
	tokensPage := func() int {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+"/tokens", "", "", map[string]string{"Cookie": bob.String(), "Accept": "text/html"})
		if resp.StatusCode == http.StatusForbidden && (!strings.Contains(body, "Sign out") || strings.Contains(body, ">Sign in<")) {
			t.Errorf("the refusal page does not show bob signed in (no sign-out, or a sign-in link)")
		}
		return resp.StatusCode
	}
	if got := rubric("1.1", "2022-03-01"); got != http.StatusSeeOther {
		t.Fatalf("bob as admin: rubric form %d, want 303", got)
	}
	resp, body := do(t, "PUT", srv.URL+"/api/tokens/bob/role", office, `{"role":"viewer"}`, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"role": "viewer"`) {
		t.Fatalf("demote bob: %d %s", resp.StatusCode, body)
	}
	if got := rubric("1.2", "2022-04-01"); got != http.StatusForbidden {
		t.Errorf("bob's session after demotion: rubric form %d, want 403", got)
	}
	if got := tokensPage(); got != http.StatusForbidden {
		t.Errorf("bob's session after demotion: tokens page %d, want 403", got)
	}
	if resp, _ := do(t, "PUT", srv.URL+"/api/tokens/office/role", bobTok, `{"role":"viewer"}`, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob's bearer token after demotion: role change %d, want 403", resp.StatusCode)
	}
	form := url.Values{"csrf": {officeCSRF}, "name": {"bob"}, "role": {string(store.RoleAdmin)}}
	resp, _ = do(t, "POST", srv.URL+"/tokens/role", "", form.Encode(), formHdr(office1))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tokens?done=role" {
		t.Fatalf("promote bob by the form: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := rubric("1.3", "2022-05-01"); got != http.StatusSeeOther {
		t.Errorf("bob's session after promotion: rubric form %d, want 303", got)
	}
	// An admin who demotes themself is sent to the feed, not to a page
	// they may no longer read.
	form = url.Values{"csrf": {officeCSRF}, "name": {"office"}, "role": {string(store.RoleReviewer)}}
	resp, _ = do(t, "POST", srv.URL+"/tokens/role", "", form.Encode(), formHdr(office1))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("office demotes themself: %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
}
