package fetch_test

import (
	"testing"

	"github.com/clausewatch/clausewatch/fetch"
)

func TestPolicyWidget(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`<div name="termly-embed" data-id="abc"></div><script src="https://app.termly.io/embed-policy.min.js"></script>`, "Termly"},
		{`<a href="https://www.iubenda.com/privacy-policy/123" class="iubenda-white iubenda-embed">Privacy</a>`, "iubenda"},
		{`<div id="otnotice-1234" class="otnotice"></div><script src="https://privacyportal.onetrust.com/privacy-notice-scripts/otnotice-1.0.min.js"></script>`, "OneTrust"},
		{`<script id="CookieDeclaration" src="https://consent.cookiebot.com/x/cd.js"></script>`, "Cookiebot"},
		{`<iframe src="https://docs.google.com/document/d/e/2PACX/pub?embedded=true"></iframe>`, "Google Docs"},
		{`<main><h1>Privacy</h1><p>We use OneTrust-free, plain text.</p></main>`, ""},
	} {
		if got := fetch.PolicyWidget([]byte(tc.body)); got != tc.want {
			t.Errorf("PolicyWidget(%.60q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestScriptApp(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`<body><div id="root"></div><script src="/static/js/main.js"></script></body>`, true},
		{`<body><div id="__next"> </div></body>`, true},
		{`<body><app-root></app-root></body>`, true},
		{`<noscript>You need to enable JavaScript to run this app.</noscript><div id="x"></div>`, true},
		{`<noscript><p>Please <b>turn on JavaScript</b></p></noscript>`, true},
		{`<body><div id="root"><h1>Privacy policy</h1><p>Text</p></div></body>`, false},
		{`<main><p>We do not require JavaScript.</p></main>`, false},
	} {
		if got := fetch.ScriptApp([]byte(tc.body)) != ""; got != tc.want {
			t.Errorf("ScriptApp(%.60q) = %v, want %v", tc.body, got, tc.want)
		}
	}
}

// FuzzBrowserSigns: the signs never panic, read only the scan limit, and
// agree with themselves on the same bytes.
func FuzzBrowserSigns(f *testing.F) {
	for _, s := range []string{`<div id="root"></div>`, `<noscript>enable JavaScript</noscript>`, `<div class="otnotice"></div>`, `<div name="termly-embed">`, ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if fetch.ScriptApp(body) != fetch.ScriptApp(append([]byte(nil), body...)) || fetch.PolicyWidget(body) != fetch.PolicyWidget(body) {
			t.Fatal("signs differ on the same bytes")
		}
	})
}
