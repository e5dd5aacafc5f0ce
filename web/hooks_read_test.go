package web_test

import (
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// TestWebhooksHiddenFromAnonymousReaders: with OpenRead, anonymous
// readers see the feed, but never a webhook's URL (a Slack-style hook
// URL is a credential) nor its delivery log; a token holder does.
func TestWebhooksHiddenFromAnonymousReaders(t *testing.T) {
	h := newHistory(t)
	const secretURL = "https://hooks.slack.example/services/T0001/B0002/XXXXsecretXXXX"
	hook, err := h.DB.AddWebhook(t.Context(), store.Webhook{URL: secretURL, Format: store.HookSlack})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	deliveries := "/api/webhooks/" + itoa(hook.ID) + "/deliveries"
	for _, path := range []string{"/api/webhooks", deliveries} {
		resp, body := do(t, "GET", srv.URL+path, "", "", nil)
		if resp.StatusCode != 401 || strings.Contains(body, "XXXXsecretXXXX") {
			t.Errorf("anonymous GET %s: got %d %s, want 401 without the URL", path, resp.StatusCode, body)
		}
		if resp, _ := do(t, "GET", srv.URL+path, tok, "", nil); resp.StatusCode != 200 {
			t.Errorf("GET %s with a token: got %d, want 200", path, resp.StatusCode)
		}
	}
	if _, body := do(t, "GET", srv.URL+"/api/webhooks", tok, "", nil); !strings.Contains(body, secretURL) {
		t.Errorf("GET /api/webhooks with a token: %s, want the URL", body)
	}
	// Nothing else an anonymous reader can open shows it either.
	for _, path := range []string{"/", "/sources", "/feed.atom", "/feed.json", "/api/changes", "/api/sources", "/metrics"} {
		if resp, body := do(t, "GET", srv.URL+path, "", "", nil); resp.StatusCode != 200 || strings.Contains(body, "XXXXsecretXXXX") {
			t.Errorf("anonymous GET %s: got %d, shows the hook URL: %v", path, resp.StatusCode, strings.Contains(body, "XXXXsecretXXXX"))
		}
	}
}
