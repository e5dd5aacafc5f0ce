package web_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
)

// TestMailOwners (decision record 0046): every signed-in user lists,
// adds and removes their own subscriptions, by the API and by the
// no-script page; nobody but an admin sees or removes another's, not
// even by trying IDs; subscriptions made before owners are the admins'.
func TestMailOwners(t *testing.T) {
	r := newMailRig(t)
	ctx := t.Context()
	vic, rita := roleToken(t, r.h.DB, "vic", store.RoleViewer), roleToken(t, r.h.DB, "rita", store.RoleReviewer)
	legacy, err := r.h.DB.AddSubscription(ctx, store.Subscription{User: "alice", Email: "ops@example.org"}) // no owner, as before
	if err != nil {
		t.Fatal(err)
	}
	r.subscribeAs(t, vic, `{"email":"vic@example.org","floor":"all"}`)
	// rita subscribes by the page, signed in, with the form's CSRF token.
	cookie, csrf := signIn(t, r.srv, rita)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Cookie": cookie.String()}
	if resp, b := do(t, "POST", r.srv+"/settings/email", "", url.Values{"csrf": {csrf}, "email": {"rita@example.org"}}.Encode(), form); resp.StatusCode != 303 {
		t.Fatalf("rita subscribes by the form: %d %s", resp.StatusCode, b)
	}
	ids := map[string]uint64{}
	all, _ := r.h.DB.Subscriptions(ctx)
	for _, s := range all {
		ids[s.Email] = s.ID
	}
	vicID, ritaID := ids["vic@example.org"], ids["rita@example.org"]

	list := func(tok string) []string {
		t.Helper()
		resp, b := do(t, "GET", r.srv+"/api/email/subscriptions", tok, "", nil)
		var got struct {
			Subscriptions []struct{ Email, Owner string }
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(b), &got) != nil {
			t.Fatalf("list: %d %s", resp.StatusCode, b)
		}
		var out []string
		for _, s := range got.Subscriptions {
			out = append(out, s.Owner+":"+s.Email)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		who, tok string
		want     []string
	}{
		{"viewer", vic, []string{"vic:vic@example.org"}},
		{"reviewer", rita, []string{"rita:rita@example.org"}},
		{"admin", r.tok, []string{":ops@example.org", "rita:rita@example.org", "vic:vic@example.org"}},
	} {
		if got := list(tc.tok); !slices.Equal(got, tc.want) {
			t.Errorf("%s lists %q, want %q", tc.who, got, tc.want)
		}
	}

	// The page: one's own, and for an admin everyone else's.
	html := map[string]string{"Accept": "text/html"}
	_, page := do(t, "GET", r.srv+"/settings/email", vic, "", html)
	if !strings.Contains(page, "vic@example.org") || strings.Contains(page, "rita@example.org") || strings.Contains(page, "ops@example.org") ||
		strings.Contains(page, "Everyone else") {
		t.Errorf("the viewer's page shows more than their own:\n%s", page)
	}
	_, page = do(t, "GET", r.srv+"/settings/email", r.tok, "", html)
	for _, want := range []string{"Everyone else", "rita@example.org</strong> (<span class=\"owner\">rita&#39;s</span>)", "ops@example.org</strong> (<span class=\"owner\">the admins&#39;</span>)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the admin's page does not show %q:\n%s", want, page)
		}
	}

	// Guessing IDs: another's, the admins' and a missing one all answer
	// the same 404, by the API and by the form; nothing is removed.
	missing := max(vicID, ritaID, legacy.ID) + 10
	var bodies []string
	for _, id := range []uint64{ritaID, legacy.ID, missing} {
		resp, b := do(t, "DELETE", r.srv+"/api/email/subscriptions/"+strconvU(id), vic, "", nil)
		if resp.StatusCode != 404 || strings.Contains(b, "@") || strings.Contains(b, "rita") {
			t.Errorf("vic deletes %d: %d %s, want 404 that names nobody", id, resp.StatusCode, b)
		}
		bodies = append(bodies, strings.ReplaceAll(b, strconvU(id), "N"))
		if resp, _ := do(t, "POST", r.srv+"/settings/email/"+strconvU(id)+"/delete", vic, "", html); resp.StatusCode != 404 {
			t.Errorf("vic's form deletes %d: %d, want 404", id, resp.StatusCode)
		}
	}
	if bodies[0] != bodies[2] || bodies[1] != bodies[2] {
		t.Errorf("another's and a missing subscription answer differently: %q", bodies)
	}
	if n, _ := r.h.DB.Subscriptions(ctx); len(n) != 3 {
		t.Fatalf("refused deletes removed something: %d left", len(n))
	}

	// Owners: only an admin names another, and it must be a user.
	for _, tc := range []struct {
		tok, body string
		want      int
		says      string
	}{
		{vic, `{"email":"x@example.org","owner":"rita"}`, 403, "only an admin"},
		{r.tok, `{"email":"x@example.org","owner":"nobody"}`, 400, `owner \"nobody\": no token has that name`},
		{r.tok, `{"email":"x@example.org","owner":"bad\nname"}`, 400, "owner"},
		{vic, `{"email":"v2@example.org","owner":"vic"}`, 201, ""},
		{r.tok, `{"email":"for-vic@example.org","owner":"vic"}`, 201, `"owner": "vic"`},
	} {
		if resp, b := do(t, "POST", r.srv+"/api/email/subscriptions", tc.tok, tc.body, nil); resp.StatusCode != tc.want || !strings.Contains(b, tc.says) {
			t.Errorf("POST %s: %d %s, want %d saying %q", tc.body, resp.StatusCode, b, tc.want, tc.says)
		}
	}
	if got := list(vic); !slices.Equal(got, []string{"vic:for-vic@example.org", "vic:v2@example.org", "vic:vic@example.org"}) {
		t.Errorf("vic's after the admin subscribed them: %q", got)
	}
	// The outbox lists everyone's mail: admins only.
	if resp, _ := do(t, "GET", r.srv+"/api/email/outbox", vic, "", nil); resp.StatusCode != 403 {
		t.Errorf("a viewer reads the outbox: %d, want 403", resp.StatusCode)
	}

	// One's own goes: by the form (session, CSRF) and by the API; an
	// admin removes the admins'.
	if resp, b := do(t, "POST", r.srv+"/settings/email/"+strconvU(ritaID)+"/delete", "", url.Values{"csrf": {csrf}}.Encode(), form); resp.StatusCode != 303 {
		t.Errorf("rita removes hers by the form: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "DELETE", r.srv+"/api/email/subscriptions/"+strconvU(vicID), vic, "", nil); resp.StatusCode != 204 {
		t.Errorf("vic removes his: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "DELETE", r.srv+"/api/email/subscriptions/"+strconvU(legacy.ID), r.tok, "", nil); resp.StatusCode != 204 {
		t.Errorf("the admin removes the admins': %d %s", resp.StatusCode, b)
	}
	if got := list(r.tok); !slices.Equal(got, []string{"vic:for-vic@example.org", "vic:v2@example.org"}) {
		t.Errorf("left: %q", got)
	}
}
