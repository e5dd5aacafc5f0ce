package fetch

import (
	"bytes"
	"regexp"
)

// Signs of a page that is not the page asked for. They are read from the
// raw bytes; deciding what they mean (together with the extracted text and
// the last good version) is the caller's job, because a real policy page
// can carry a vendor's script tag and still be the policy.

// challengeMarkers are strings found in bot-challenge and block pages and
// in no policy page of the corpus (69 of its 212 real pages load
// Cloudflare's /cdn-cgi/challenge-platform/ script, so that one is not a
// marker).
var challengeMarkers = []struct{ marker, vendor string }{
	{"cf_chl_opt", "Cloudflare challenge"},
	{"cf-browser-verification", "Cloudflare challenge"},
	{"<title>just a moment...</title>", "Cloudflare challenge"},
	{"attention required! | cloudflare", "Cloudflare block page"},
	{"/.well-known/sgcaptcha/", "SiteGround captcha"},
	{"_incapsula_resource", "Imperva Incapsula"},
	{"captcha-delivery.com", "DataDome"},
	{"px-captcha", "HUMAN (PerimeterX)"},
	{"pardon our interruption", "Imperva bot wall"},
	{"awswaf", "AWS WAF challenge"},
	{"checking your browser before accessing", "browser check"},
	{"<title>ddos-guard</title>", "DDoS-Guard"},
}

// scanLimit is how much of a body the marker search reads: challenge
// pages are small, and markers sit near the top.
const scanLimit = 256 << 10

// Challenge names the bot-challenge or block page vendor whose marker
// body carries, or returns "".
func Challenge(body []byte) string {
	head := bytes.ToLower(body[:min(len(body), scanLimit)])
	for _, m := range challengeMarkers {
		if bytes.Contains(head, []byte(m.marker)) {
			return m.vendor
		}
	}
	return ""
}

// passwordInput matches an <input type=password>, the mark of a login form.
var passwordInput = regexp.MustCompile(`(?i)<input\b[^>]*\btype\s*=\s*["']?password\b`)

// LoginForm reports whether body holds a password field.
func LoginForm(body []byte) bool {
	return passwordInput.Match(body[:min(len(body), scanLimit)])
}
