package fetch

import (
	"bytes"
	"regexp"
)

// Signs, read from a page's raw bytes, that its text arrives only in a
// browser: an embed of a policy service, or the shell of a script app.

// widgetMarkers are the embeds of policy and consent services that put
// the policy text into the page by script: each service's own loader
// URL or container class, as their embed codes give them.
var widgetMarkers = []struct{ marker, vendor string }{
	{"app.termly.io/embed", "Termly"},
	{`name="termly-embed"`, "Termly"},
	{"termly.io/api/v1/snippets", "Termly"},
	{"cdn.iubenda.com/iubenda", "iubenda"},
	{"iubenda-embed", "iubenda"},
	{"iubenda.com/privacy-policy/", "iubenda"},
	{"privacyportal.onetrust.com", "OneTrust"},
	{"otnotice", "OneTrust"},
	{"onetrust.com/privacy-notice", "OneTrust"},
	{"consent.cookiebot.com", "Cookiebot"},
	{"cookiedeclaration", "Cookiebot"},
	{"docs.google.com/document/", "Google Docs"},
}

// PolicyWidget names the policy service whose embed body carries, or
// returns "".
func PolicyWidget(body []byte) string {
	head := bytes.ToLower(body[:min(len(body), scanLimit)])
	for _, m := range widgetMarkers {
		if bytes.Contains(head, []byte(m.marker)) {
			return m.vendor
		}
	}
	return ""
}

// appRoot matches the empty mount point of a script app: a div with the
// id React, Vue, Next, Nuxt, Angular or Svelte apps mount into, closed
// at once.
var appRoot = regexp.MustCompile(`(?i)<div\b[^>]*\bid\s*=\s*["']?(root|app|__next|__nuxt|q-app|svelte|main-app)["']?[^>]*>\s*</div>|<app-root\b[^>]*>\s*</app-root>`)

// enableJS matches a noscript notice asking for JavaScript.
var enableJS = regexp.MustCompile(`(?is)<noscript\b[^>]*>[^<]*(?:<[^>]*>[^<]*){0,4}(enable|turn on|requires?|need)\s+javascript`)

// ScriptApp says what marks body as the shell of a script app (an empty
// mount point, a notice asking for JavaScript), or "".
func ScriptApp(body []byte) string {
	head := body[:min(len(body), scanLimit)]
	if appRoot.Match(head) {
		return "an empty script app mount point"
	}
	if enableJS.Match(head) {
		return "a notice asking for JavaScript"
	}
	return ""
}
