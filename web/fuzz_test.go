package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzFeedQuery: whatever the query string, parsing never panics, and a
// query that parses survives the round trip through values() unchanged.
func FuzzFeedQuery(f *testing.F) {
	for _, seed := range []string{"", "revet=1", "supplier=COR&triage=open", "before=17&limit=500", "revet=maybe",
		"limit=0", "source=18446744073709551615", "supplier=%3Cscript%3E", "triage=new&revet=yes"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		q, err := parseFeedQuery(r)
		if err != nil {
			return
		}
		r2 := httptest.NewRequest("GET", "/", nil)
		r2.URL.RawQuery = q.values().Encode()
		q2, err := parseFeedQuery(r2)
		if err != nil {
			t.Fatalf("%q parsed, its canonical form %q does not: %v", raw, r2.URL.RawQuery, err)
		}
		q.Before, q.Limit, q2.Before, q2.Limit = 0, 0, 0, 0
		if q != q2 {
			t.Fatalf("round trip of %q: %+v → %+v", raw, q, q2)
		}
	})
}

// FuzzSafeNext: the post-sign-in redirect never leaves the site.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/", "/changes/1", "//evil.example", "https://evil.example", "/\\evil", "/%2F%2Fevil", "javascript:alert(1)", "/a\r\nSet-Cookie: x", "/\t/evil.example"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}
