package web_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
	"go.etcd.io/bbolt"
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

// TestAPIOversizedInput (issue 17, item 13): a 40 KiB name or URL is a
// 400 that says what is wrong, not a 500 from the database's key limit;
// a body over the limit is 413; a 40 KiB reference in the path is a 404.
func TestAPIOversizedInput(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	long := strings.Repeat("n", 40<<10)
	longURL := "https://x.example/" + long
	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	src := func(name, url, supplier string) string {
		return jsonOf(map[string]string{"name": name, "url": url, "supplier": supplier})
	}
	ims := "/api/sources/" + itoa(h.IMS.ID)
	cases := []struct {
		name, method, path, body string
		want                     int
		says                     string
	}{
		{"add: long name", "POST", "/api/sources", src(long, "https://a.example/", "A"), 400, "source name"},
		{"add: long url", "POST", "/api/sources", src("a", longURL, "A"), 400, "URL"},
		{"add: long supplier", "POST", "/api/sources", src("a", "https://a.example/", long), 400, "supplier name"},
		{"edit: long name", "PATCH", ims, jsonOf(map[string]string{"name": long}), 400, "source name"},
		{"edit: long url", "PATCH", ims, jsonOf(map[string]string{"url": longURL}), 400, "URL"},
		{"edit: long supplier", "PATCH", ims, jsonOf(map[string]string{"supplier": long}), 400, "supplier name"},
		{"token: long name", "POST", "/api/tokens", jsonOf(map[string]string{"name": long}), 400, "token name"},
		{"webhook: long url", "POST", "/api/webhooks", jsonOf(map[string]string{"url": longURL}), 400, "URL"},
		{"baseline: long name", "POST", "/api/baselines", jsonOf(map[string]any{"source": "ims-privacy", "name": long, "version": 1}), 400, "baseline name"},
		{"supplier: long product", "PUT", "/api/suppliers/1EdTech%20Consortium/record",
			jsonOf(map[string]any{"products": []map[string]any{{"name": long, "sources": []string{"ims-privacy"}}}}), 400, "product name"},
		{"body over 1 MiB", "POST", "/api/sources", src(strings.Repeat("n", 2<<20), "https://a.example/", "A"), 413, "too large"},
		{"get: long ref", "GET", "/api/sources/" + long, "", 404, "not found"},
		{"edit: long ref", "PATCH", "/api/sources/" + long, `{"paused": true}`, 404, "not found"},
		{"revoke: long token name", "DELETE", "/api/tokens/" + long, "", 404, "not found"},
		{"supplier: long name", "PUT", "/api/suppliers/" + long + "/record", `{}`, 404, "no source belongs"},
		{"supplier token: long name", "POST", "/api/suppliers/" + long + "/token", "", 404, "not found"},
		{"notify: long supplier", "POST", "/api/suppliers/" + long + "/notifications", `{"when": "2022-06-01"}`, 404, "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, srv.URL+c.path, tok, c.body, nil)
			var e struct{ Error string }
			json.Unmarshal([]byte(body), &e)
			// Refusals of a value quote it cut short; a 404 may echo the
			// path it was asked for.
			if resp.StatusCode != c.want || !strings.Contains(e.Error, c.says) || (c.want != 404 && len(e.Error) > 1000) {
				t.Errorf("got %d %.300q, want %d and an error that says %q", resp.StatusCode, body, c.want, c.says)
			}
		})
	}
}

// TestAPISourceNames (issue 17, item 8, the input half): names with
// control characters, bidi overrides or surrounding space are refused
// with a 400 that names the problem; so is a source name that reads as
// a URL or an ID (item 14).
func TestAPISourceNames(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	cases := []struct{ name, field, value, says string }{
		{"escape sequence", "name", "evil\x1b]0;pwned\x07", "control character"},
		{"newline", "name", "fake\nrow", "control character"},
		{"C1 control", "name", "x\u009by", "control character"},
		{"DEL", "name", "x\x7fy", "control character"},
		{"bidi override", "name", "policy\u202etxt.exe", "format character"},
		{"line separator", "name", "a\u2028b", "line or paragraph separator"},
		{"URL as name", "name", h.COR.URL, "looks like a URL"},
		{"number as name", "name", "7", "number"},
		{"supplier with ESC", "supplier", "ACME\x1b[2J", "control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]string{"name": "fresh", "url": "https://fresh.example/privacy", "supplier": "Fresh"}
			in[c.field] = c.value
			b, _ := json.Marshal(in)
			resp, body := do(t, "POST", srv.URL+"/api/sources", tok, string(b), nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.says) {
				t.Errorf("POST with %s %q: %d %s; want 400 saying %q", c.field, c.value, resp.StatusCode, body, c.says)
			}
			b, _ = json.Marshal(map[string]string{c.field: c.value})
			resp, body = do(t, "PATCH", srv.URL+"/api/sources/"+itoa(h.IMS.ID), tok, string(b), nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.says) {
				t.Errorf("PATCH with %s %q: %d %s; want 400 saying %q", c.field, c.value, resp.StatusCode, body, c.says)
			}
		})
	}
	if resp, body := do(t, "POST", srv.URL+"/api/tokens", tok, `{"name": "bob\u001b[31m"}`, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("token name with ESC: %d %s, want 400", resp.StatusCode, body)
	}
}

// TestAPIAmbiguousSource (issue 17, item 14): in a database written
// before names were checked, source B is named like source A's URL.
// Looking that reference up names both sources with a 409 instead of
// silently answering with B; the ID and the other name still work.
func TestAPIAmbiguousSource(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	b := h.add(t, store.Source{Name: "shadow", URL: h.Fixture.URL + "/cor/terms", Supplier: "Mallory"})
	// Rename B to A's URL behind the store's back, as an older version
	// let the API do.
	if err := h.DB.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bbolt.Open(h.Path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		id := binary.BigEndian.AppendUint64(nil, b.ID)
		b.Name = h.IMS.URL
		v, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if err := tx.Bucket([]byte("sources")).Put(id, v); err != nil {
			return err
		}
		names := tx.Bucket([]byte("names"))
		if err := names.Delete([]byte("shadow")); err != nil {
			return err
		}
		return names.Put([]byte(h.IMS.URL), id)
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if h.DB, err = store.Open(h.Path, store.Options{Now: h.Clock.Now}); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	resp, body := do(t, "GET", srv.URL+"/api/sources/"+strings.ReplaceAll(h.IMS.URL, "/", "%2F"), "", "", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "ambiguous") ||
		!strings.Contains(body, "source "+itoa(h.IMS.ID)) || !strings.Contains(body, "source "+itoa(b.ID)) {
		t.Errorf("GET by the shared reference: %d %s; want 409 naming sources %d and %d", resp.StatusCode, body, h.IMS.ID, b.ID)
	}
	for _, ref := range []string{itoa(h.IMS.ID), "ims-privacy"} {
		resp, body := do(t, "GET", srv.URL+"/api/sources/"+ref, "", "", nil)
		var got struct{ ID uint64 }
		json.Unmarshal([]byte(body), &got)
		if resp.StatusCode != http.StatusOK || got.ID != h.IMS.ID {
			t.Errorf("GET %s: %d %s; want source %d", ref, resp.StatusCode, body, h.IMS.ID)
		}
	}
	if _, err := h.DB.Source(ctx, h.IMS.URL); err == nil {
		t.Errorf("store lookup of the shared reference: no error")
	}
}
