package watch

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/render"
)

// errorTitle matches the title or first heading of an error page.
var errorTitle = regexp.MustCompile(`(?i)^\W*(error\b|404\b|403\b|500\b|502\b|503\b|page not found|not found|file not found|something went wrong|oops|internal server error|service unavailable|bad gateway|access denied|forbidden|too many requests|temporarily unavailable|under maintenance|we'll be back|sorry)`)

// junk says why a readable page is still not the policy, or "".
func junk(capture *fetch.Capture, doc *extract.Document, words int, p Policy) string {
	if challenge := fetch.Challenge(capture.Body); challenge != "" && words < 500 {
		return "bot challenge (" + challenge + ")"
	}
	if fetch.LoginForm(capture.Body) && words < 300 {
		return "login wall (a password form and little text)"
	}
	// An error title or heading makes a page suspect at any length: a
	// soft 404 can carry hundreds of words of a site's navigation.
	for _, h := range headings(capture, doc) {
		if e := fetch.ErrorTitle(h); e != "" {
			return fmt.Sprintf("error page (%q)", e)
		}
	}
	if words < 300 {
		heading := doc.Title
		for _, cl := range doc.Clauses {
			if cl.Kind == extract.Heading {
				heading = heading + " | " + cl.Text
				break
			}
		}
		for _, part := range strings.Split(heading, " | ") {
			if errorTitle.MatchString(strings.TrimSpace(part)) {
				return fmt.Sprintf("error page (%q)", strings.TrimSpace(part))
			}
		}
		if cookieWall(doc) {
			return "cookie wall (only a consent notice)"
		}
	}
	if words < p.MinWords {
		return fmt.Sprintf("too little text for a policy (%d words)", words)
	}
	return ""
}

// headings are a page's title, its first heading as extracted and the
// first <h1> of its HTML (which the extractor may have left out with the
// rest of a page's frame).
func headings(capture *fetch.Capture, doc *extract.Document) []string {
	hs := []string{doc.Title}
	for _, cl := range doc.Clauses {
		if cl.Kind == extract.Heading {
			hs = append(hs, cl.Text)
			break
		}
	}
	return append(hs, fetch.FirstHeading(capture.Body))
}

// cookieWall reports a short page whose text is only a consent prompt:
// the prompt's words are there, and at least half of the page's clauses
// (headings aside) are about cookies or consent. A short policy that
// explains its cookies among other things is not a wall.
func cookieWall(doc *extract.Document) bool {
	var all strings.Builder
	var body, consent int
	for _, cl := range doc.Clauses {
		t := strings.ToLower(cl.Text)
		all.WriteString(t)
		all.WriteString(" ")
		if cl.Kind == extract.Heading {
			continue
		}
		body++
		if strings.Contains(t, "cookie") || strings.Contains(t, "consent") || strings.Contains(t, "accept") {
			consent++
		}
	}
	t := all.String()
	prompt := strings.Contains(t, "cookie") && (strings.Contains(t, "accept all") || strings.Contains(t, "consent")) &&
		(strings.Contains(t, "reject") || strings.Contains(t, "manage") || strings.Contains(t, "continue"))
	return prompt && 2*consent >= body
}

// redirectedAway says how a fetch that now lands somewhere else than the
// last good fetch left its page: another site, or a site's home page.
func redirectedAway(lastFinal, final string) string {
	if lastFinal == "" || final == "" || lastFinal == final {
		return ""
	}
	a, err1 := url.Parse(lastFinal)
	b, err2 := url.Parse(final)
	if err1 != nil || err2 != nil {
		return ""
	}
	if !strings.EqualFold(strings.TrimPrefix(a.Hostname(), "www."), strings.TrimPrefix(b.Hostname(), "www.")) {
		return "redirected to another site: " + final
	}
	if p := strings.Trim(b.Path, "/"); p == "" || p == "index.html" {
		return "redirected to the home page: " + final
	}
	return ""
}

// ssrfRefusal is the reason of a fetch the SSRF guard refused, with the
// ways an operator allows a local or private address for a source.
const ssrfRefusal = "address refused by the SSRF guard (a local or private address; to watch it, " +
	"grant the source with clausewatch source edit NAME --allow-private, add it with clausewatch add --allow-private, " +
	"or list it in a watchlist served with serve --allow-private)"

// failureReason says in a few words why a fetch failed.
func failureReason(err error) string {
	switch {
	case errors.Is(err, fetch.ErrBlocked):
		return ssrfRefusal
	case errors.Is(err, fetch.ErrTooLarge):
		return "response too large"
	case errors.Is(err, fetch.ErrTooManyRedirects):
		return "redirect loop or too many redirects"
	case errors.Is(err, fetch.ErrTimeout):
		return "timed out"
	case errors.Is(err, fetch.ErrEncoding):
		return "bad content encoding"
	case errors.Is(err, fetch.ErrURL):
		return "bad URL"
	case errors.Is(err, render.ErrNavigation):
		return "the browser could not load the page"
	case errors.Is(err, render.ErrNoBrowser), errors.Is(err, render.ErrClosed):
		return "no browser to render the page"
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, fetch.ErrTLS):
		return "TLS error"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection broken mid-response"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "host not found"
	}
	return "network error"
}
