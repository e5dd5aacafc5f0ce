package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// signIn signs in with tok and returns the session cookie and the page's
// CSRF token.
func signIn(t *testing.T, base, tok string) (*http.Cookie, string) {
	t.Helper()
	resp, body := do(t, "POST", base+"/login", "", url.Values{"token": {tok}, "next": {"/"}}.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "cw_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", cookie)
	}
	_, page := do(t, "GET", base+"/", "", "", map[string]string{"Cookie": cookie.String(), "Accept": "text/html"})
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the signed-in page")
	}
	return cookie, m[1]
}

// TestWritesRefused walks every state-changing route (the server's own
// route table) and checks that it refuses: no credentials, a wrong
// token, a session without or with a wrong CSRF token, a cross-site
// browser request even with a good session, and a token or session whose
// role is below the one the route needs (a viewer every write but
// sign-out and their own e-mail, a reviewer every admin write). A valid token or session with
// its CSRF token and a role high enough gets past the check.
func TestWritesRefused(t *testing.T) {
	h := newHistory(t)
	s, err := web.New(t.Context(), web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	roleToks := map[store.Role]string{
		store.RoleViewer:   roleToken(t, h.DB, "vic", store.RoleViewer),
		store.RoleReviewer: roleToken(t, h.DB, "rita", store.RoleReviewer),
		store.RoleAdmin:    tok,
	}
	routes := web.WriteRoutes(s)
	if len(routes) < 10 {
		t.Fatalf("only %d write routes: %v", len(routes), routes)
	}
	needs := map[store.Role]int{}
	for _, rt := range routes {
		needs[rt.Needs]++
	}
	// Sign-out and one's own e-mail subscriptions (three forms, three
	// API calls) are for everybody; triage (the page's form and the API)
	// for reviewers; the rest for admins.
	if needs[store.RoleViewer] != 7 || needs[store.RoleReviewer] != 2 || needs[store.RoleAdmin] != len(routes)-9 {
		t.Errorf("roles the writes need: %v", needs)
	}
	for _, rt := range routes {
		pattern := rt.Pattern
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{id}", "1", "{name}", "nobody").Replace(path)
		t.Run(pattern, func(t *testing.T) {
			// A fresh session each time: POST /logout ends the one it is
			// given.
			cookie, csrf := signIn(t, srv.URL, tok)
			form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.String()}
			with := func(extra map[string]string) map[string]string {
				out := map[string]string{}
				for k, v := range form {
					out[k] = v
				}
				for k, v := range extra {
					out[k] = v
				}
				return out
			}
			cases := []struct {
				name      string
				tok, body string
				hdr       map[string]string
				want      int
			}{
				{"no credentials", "", "", nil, 401},
				{"wrong token", "cw_notatoken", "", nil, 401},
				{"revoked-looking token", "cw_" + strings.Repeat("A", 43), "", nil, 401},
				{"session without CSRF", "", "", form, 403},
				{"session with wrong CSRF", "", "csrf=" + strings.Repeat("x", len(csrf)), form, 403},
				{"session, wrong CSRF header", "", "", with(map[string]string{"X-CSRF-Token": "nope"}), 403},
				{"cross-site with good CSRF", "", "csrf=" + csrf, with(map[string]string{"Sec-Fetch-Site": "cross-site"}), 403},
				{"cross-origin with good CSRF", "", "csrf=" + csrf, with(map[string]string{"Origin": "https://evil.example"}), 403},
			}
			for _, c := range cases {
				resp, body := do(t, method, srv.URL+path, c.tok, c.body, c.hdr)
				if resp.StatusCode != c.want {
					t.Errorf("%s: %d, want %d (%s)", c.name, resp.StatusCode, c.want, strings.TrimSpace(body))
				}
			}
			// Past the check: whatever the handler says, it is not a refusal.
			for name, try := range map[string]func() *http.Response{
				"token": func() *http.Response { r, _ := do(t, method, srv.URL+path, tok, "", nil); return r },
				"session+csrf": func() *http.Response {
					// Forms carry the token in the body; DELETE and API
					// calls from a session in the header.
					r, _ := do(t, method, srv.URL+path, "", "csrf="+csrf, with(map[string]string{"X-CSRF-Token": csrf}))
					return r
				},
			} {
				if pattern == "POST /logout" && name == "token" {
					continue
				}
				if code := try().StatusCode; code == 401 || code == 403 {
					t.Errorf("%s: refused with %d", name, code)
				}
			}
			checkRoles(t, srv.URL, method, path, rt.Needs, roleToks)
		})
	}
}

// checkRoles sends a write to path with each role's token and signed-in
// session (with its CSRF token): a role below need is refused with 403
// naming the role needed, one at or above it gets past the check.
func checkRoles(t *testing.T, base, method, path string, need store.Role, toks map[store.Role]string) {
	t.Helper()
	for _, role := range []store.Role{store.RoleViewer, store.RoleReviewer, store.RoleAdmin} {
		cookie, csrf := signIn(t, base, toks[role])
		hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.String(), "X-CSRF-Token": csrf}
		tries := map[string]func() (*http.Response, string){
			"session": func() (*http.Response, string) { return do(t, method, base+path, "", "csrf="+csrf, hdr) },
		}
		if method+" "+path != "POST /logout" {
			tries["token"] = func() (*http.Response, string) { return do(t, method, base+path, toks[role], "", nil) }
		}
		for how, try := range tries {
			resp, body := try()
			switch {
			case !role.Allows(need) && (resp.StatusCode != 403 || !strings.Contains(body, "needs the "+string(need)+" role")):
				t.Errorf("%s %s: %d %q, want 403 naming the %s role", role, how, resp.StatusCode, strings.TrimSpace(body), need)
			case role.Allows(need) && (resp.StatusCode == 401 || resp.StatusCode == 403):
				t.Errorf("%s %s: refused with %d (%s)", role, how, resp.StatusCode, strings.TrimSpace(body))
			}
		}
	}
}

func TestSignInAndOut(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	if resp, body := do(t, "POST", srv.URL+"/login", "", "token=cw_bad", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); resp.StatusCode != 401 ||
		!strings.Contains(body, "not valid") {
		t.Errorf("bad token sign-in: %d", resp.StatusCode)
	}
	// The redirect after sign-in stays on this site.
	resp, _ := do(t, "POST", srv.URL+"/login", "", url.Values{"token": {tok}, "next": {"//evil.example/x"}}.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("open redirect: %q", loc)
	}
	cookie, csrf := signIn(t, srv.URL, tok)
	if resp, _ := do(t, "GET", srv.URL+"/api/changes", "", "", map[string]string{"Cookie": cookie.String()}); resp.StatusCode != 200 {
		t.Errorf("read with session: %d", resp.StatusCode)
	}
	// Revoking the token ends its sessions.
	if err := h.DB.RevokeToken(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/changes", "", "", map[string]string{"Cookie": cookie.String()}); resp.StatusCode != 401 {
		t.Errorf("read after revoke: %d", resp.StatusCode)
	}
	tok2 := token(t, h.DB, "bob")
	cookie, csrf = signIn(t, srv.URL, tok2)
	resp, _ = do(t, "POST", srv.URL+"/logout", "", "csrf="+csrf, map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.String()})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/changes", "", "", map[string]string{"Cookie": cookie.String()}); resp.StatusCode != 401 {
		t.Errorf("read after sign-out: %d", resp.StatusCode)
	}
}

// TestStaffReadsByRole walks every staff read of the route table with a
// viewer's and an admin's token: the admin pages and the reads of
// credentials (webhook URLs, tokens, e-mail addresses) refuse a viewer
// with 403 naming the admin role; the other staff reads let a viewer in.
func TestStaffReadsByRole(t *testing.T) {
	h := newHistory(t)
	s, err := web.New(t.Context(), web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	toks := map[store.Role]string{
		store.RoleViewer:   roleToken(t, h.DB, "vic", store.RoleViewer),
		store.RoleReviewer: roleToken(t, h.DB, "rita", store.RoleReviewer),
		store.RoleAdmin:    token(t, h.DB, "ada"),
	}
	routes := web.StaffReadRoutes(s)
	admin := 0
	for _, rt := range routes {
		if rt.Needs == store.RoleAdmin {
			admin++
		}
	}
	if admin < 10 || admin == len(routes) {
		t.Errorf("%d of %d staff reads are for admins: %v", admin, len(routes), routes)
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{id}", "1", "{name}", "nobody").Replace(path)
		for role, tok := range toks {
			resp, body := do(t, method, srv.URL+path, tok, "", nil)
			switch {
			case !role.Allows(rt.Needs) && (resp.StatusCode != 403 || !strings.Contains(body, "needs the admin role")):
				t.Errorf("%s as %s: %d %q, want 403 naming the admin role", rt.Pattern, role, resp.StatusCode, strings.TrimSpace(body))
			case role.Allows(rt.Needs) && (resp.StatusCode == 401 || resp.StatusCode == 403):
				t.Errorf("%s as %s: refused with %d", rt.Pattern, role, resp.StatusCode)
			}
		}
	}
}

// TestFormsByRole: signed-in pages offer only the forms and links the
// user's role may use (the server refuses the rest anyway).
func TestFormsByRole(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	c := h.changeOf(t, h.IMS, 3)
	pages := []struct{ path, marker string }{
		{"/changes/" + itoa(c.ID), `class="triage-form"`},
		{"/sources/" + itoa(h.IMS.ID), `id="pause"`},
		{"/sources", `id="add-source"`},
		{"/", `href="/settings/email"`}, // everyone's own e-mail (decision record 0046)
		{"/settings/email", `id="subscribe"`},
		{"/settings/email", `id="others"`}, // everyone else's: admins only
	}
	for _, u := range []struct {
		role store.Role
		want []bool // per page: marker shown
	}{
		{store.RoleViewer, []bool{false, false, false, true, true, false}},
		{store.RoleReviewer, []bool{true, false, false, true, true, false}},
		{store.RoleAdmin, []bool{true, true, true, true, true, true}},
	} {
		cookie, _ := signIn(t, srv.URL, roleToken(t, h.DB, "user-"+string(u.role), u.role))
		for i, p := range pages {
			resp, body := do(t, "GET", srv.URL+p.path, "", "", map[string]string{"Cookie": cookie.String(), "Accept": "text/html"})
			if resp.StatusCode != 200 {
				t.Fatalf("%s GET %s: %d", u.role, p.path, resp.StatusCode)
			}
			if got := strings.Contains(body, p.marker); got != u.want[i] {
				t.Errorf("%s GET %s: %s shown %v, want %v", u.role, p.path, p.marker, got, u.want[i])
			}
		}
	}
}
