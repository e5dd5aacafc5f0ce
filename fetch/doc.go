// Package fetch retrieves policy pages over HTTP politely and within
// bounds. One Client is shared by every source: it sends a clear
// User-Agent and a fixed Accept-Language, makes conditional requests
// (If-None-Match, If-Modified-Since; a 304 is "unchanged"), bounds the
// connect, header and body phases with their own timeouts, caps the body
// after decompression (gzip, br, deflate), follows a limited number of
// redirects, retries network errors, 5xx and 429 with jittered backoff
// (honouring Retry-After), and keeps at most a few requests in flight per
// host.
//
// An SSRF guard refuses loopback, private, link-local, metadata and other
// non-public addresses (the IANA special-purpose ranges; see CheckAddr)
// at dial time, after DNS, and on every redirect. It is on unless
// Options.AllowPrivate or Request.AllowPrivate switch it off for local
// use. Guard is the same check as a dialer, for other HTTP clients of the
// daemon (webhook delivery).
//
// A Capture keeps what the record needs: request and final URL, status,
// the headers that matter, the exact body bytes, start and end times, the
// peer address and, over HTTPS, the TLS version and the certificate's
// fingerprint. Decoding the charset and reading the clauses is extract's
// job; Challenge, LoginForm, ErrorTitle and FirstHeading read signs of a
// page that is not a policy from the raw bytes and the page's title.
package fetch
