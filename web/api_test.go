package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// TestAPIEditURLDropsAllowPrivate (issue 17, item 1): a token holder
// moves a local-allowed source (as every demo source is) to another
// loopback service. The operator's grant belonged to the old URL: the
// edit clears it, the check is refused by the guard, and nothing of the
// secret service is fetched or stored. An edit that keeps the URL keeps
// the grant.
func TestAPIEditURLDropsAllowPrivate(t *testing.T) {
	h := newHistory(t)
	var hits atomic.Int32
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "<html><body><main><h1>Admin</h1><p>internal secret: hunter2</p></main></body></html>")
	}))
	t.Cleanup(secret.Close)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "mallory")
	ims := srv.URL + "/api/sources/" + itoa(h.IMS.ID)

	resp, body := do(t, "PATCH", ims, tok, `{"url": "`+secret.URL+`/admin"}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH url: %d %s", resp.StatusCode, body)
	}
	_, body = do(t, "GET", ims, tok, "", nil)
	var got struct {
		URL          string `json:"url"`
		AllowPrivate bool   `json:"allow_private"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.URL != secret.URL+"/admin" || got.AllowPrivate {
		t.Errorf("after the URL edit: url %s, allow_private %v; want %s/admin, false", got.URL, got.AllowPrivate, secret.URL)
	}
	src, err := h.DB.Source(t.Context(), itoa(h.IMS.ID))
	if err != nil {
		t.Fatal(err)
	}
	res := h.Checker.Check(t.Context(), src)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := hits.Load(); n != 0 || res.Fetch.BodySHA256 != "" || res.Fetch.Outcome != store.OutcomeFailed ||
		!strings.Contains(res.Fetch.Error, "not allowed") {
		t.Errorf("check after the edit: %d requests to the secret service, outcome %s, body %q, error %q; want 0, failed, none, the guard's refusal",
			n, res.Fetch.Outcome, res.Fetch.BodySHA256, res.Fetch.Error)
	}

	// Editing the name alone keeps the operator's grant for the URL.
	cor := srv.URL + "/api/sources/" + itoa(h.COR.ID)
	if resp, body := do(t, "PATCH", cor, tok, `{"name": "cor-privacy-policy"}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH name: %d %s", resp.StatusCode, body)
	}
	if s, err := h.DB.Source(t.Context(), "cor-privacy-policy"); err != nil || !s.AllowPrivate {
		t.Errorf("after a rename: %+v, %v; want allow_private kept", s, err)
	}
	// And the API cannot grant it.
	if resp, body := do(t, "PATCH", ims, tok, `{"allow_private": true}`, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PATCH allow_private: %d %s, want 400", resp.StatusCode, body)
	}
}
