package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors returned by Get. Test them with errors.Is.
var (
	// ErrTooLarge means the response body, after decompression, exceeded
	// Options.MaxBytes.
	ErrTooLarge = errors.New("fetch: response body too large")
	// ErrTooManyRedirects means the redirect limit was reached.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	// ErrStatus means the server answered with an HTTP error status (after
	// any retries). The Capture is returned with it.
	ErrStatus = errors.New("fetch: HTTP error status")
	// ErrBlocked means the SSRF guard refused an address: the URL, a
	// redirect or a DNS answer pointed at a loopback, private, link-local,
	// metadata or otherwise non-public address. From a dial, it means
	// every address was refused and none was dialled.
	ErrBlocked = errors.New("fetch: address not allowed")
	// ErrURL means the URL cannot be fetched at all (not http or https, no
	// host).
	ErrURL = errors.New("fetch: bad URL")
	// ErrEncoding means the body's Content-Encoding is unknown or its
	// compressed stream is corrupt.
	ErrEncoding = errors.New("fetch: bad content encoding")
	// ErrTimeout means a connect, header or body timeout expired.
	ErrTimeout = errors.New("fetch: timed out")
	// ErrTLS means the TLS handshake failed: an untrusted, expired or
	// wrong-name certificate, or TLS spoken to a plain port. The
	// crypto/x509 or crypto/tls error stays wrapped beside it.
	ErrTLS = errors.New("fetch: TLS error")
)

// Resolver looks up a host's addresses. *net.Resolver is one; tests use
// their own to stand in for DNS.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configures a Client. Zero fields take the defaults of NewClient.
type Options struct {
	// ConnectTimeout bounds DNS, TCP connect and TLS handshake. Default 10s.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for the response headers once the
	// request is sent. Default 20s.
	HeaderTimeout time.Duration
	// BodyTimeout bounds reading the body once the headers are in, so a
	// server that trickles bytes cannot hold a worker. Default 30s.
	BodyTimeout time.Duration
	// Timeout bounds one attempt from start to end (connect, headers and
	// body together). Default 60s.
	Timeout time.Duration
	// MaxBytes caps the response body after decompression. Default 10 MiB.
	MaxBytes int64
	// MaxRedirects is the most redirects followed. Default 5.
	MaxRedirects int
	// Attempts is how many times a request is tried in all when it fails
	// with a network error, a 5xx or a 429. Default 3; 1 means no retry.
	Attempts int
	// Backoff is the wait before the first retry; it doubles each retry
	// (with jitter). Default 2s.
	Backoff time.Duration
	// MaxRetryWait caps any one wait, including a server's Retry-After: a
	// server asking for a longer pause is not retried now. Default 2m.
	MaxRetryWait time.Duration
	// PerHost caps the requests in flight to one host. Default 2.
	PerHost int
	// UserAgent is sent with every request.
	UserAgent string
	// AcceptLanguage is sent with every request so that a site picks the
	// same language every time. Default "en".
	AcceptLanguage string
	// AllowPrivate switches the SSRF guard off for every request: for
	// local use and tests, where pages are served from 127.0.0.1.
	AllowPrivate bool
	// GuardExceptions are addresses the guard lets through although they
	// are not public (an intranet mirror, a test server).
	GuardExceptions []netip.AddrPort
	// Resolver resolves host names. Default net.DefaultResolver.
	Resolver Resolver
	// TLSConfig is the TLS client configuration (RootCAs for a private
	// CA). Default: the system roots.
	TLSConfig *tls.Config
	// Logger receives one debug line per retry. Default: discard.
	Logger *slog.Logger
	// Now stamps Capture.Start and End. Default time.Now; tests inject a
	// clock so a whole pipeline runs on one timeline.
	Now func() time.Time
}

// Client fetches pages. It is safe for concurrent use.
type Client struct {
	opts  Options
	http  *http.Client
	hosts hostLimiter
	bufs  bodyBuffers
}

// CloseIdleConnections closes the kept-alive connections no request is
// using (a daemon between rounds, or shutting down).
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Request is one page to fetch.
type Request struct {
	// URL is the page.
	URL string
	// ETag and LastModified are the validators of the last capture; when
	// set, the request is conditional and an unchanged page answers 304.
	ETag, LastModified string
	// AllowPrivate switches the SSRF guard off for this request (a source
	// an operator added for a local page). Sources added over the API
	// never set it.
	AllowPrivate bool
}

// Capture is one completed fetch: what was asked, what came back and when.
type Capture struct {
	// URL is the URL requested.
	URL string
	// FinalURL is the URL of the response, after redirects.
	FinalURL string
	// Status is the HTTP status code.
	Status int
	// NotModified reports a 304 answer to a conditional request: the page
	// is unchanged and Body is empty.
	NotModified bool
	// Proto is the response's protocol, e.g. "HTTP/1.1" or "HTTP/2.0".
	Proto string
	// Header holds the response headers as evidence: all of them but
	// Set-Cookie (a visitor's session is not evidence, and must not be
	// archived), unless they add up to more than maxKeptHeaderBytes, when
	// only those that matter for the record are kept: Date, Last-Modified,
	// ETag, Content-Type, Content-Language, Cache-Control,
	// Content-Encoding and Retry-After.
	Header http.Header
	// RequestHeader holds the headers sent with the final attempt (Host
	// included), so the request can be shown and archived as it was.
	RequestHeader http.Header
	// Body is the response body, decompressed but otherwise exactly as
	// sent (the charset is decoded by extract, from ContentType).
	Body []byte
	// Start and End are when the final attempt was sent and its body read.
	Start, End time.Time
	// Attempts is how many requests it took (retries included).
	Attempts int
	// RemoteAddr is the address the final attempt connected to.
	RemoteAddr string
	// TLS describes the connection when the final URL is HTTPS.
	TLS *TLSFacts
	// UserAgent and AcceptLanguage are what was sent.
	UserAgent, AcceptLanguage string
}

// TLSFacts are the facts of an HTTPS connection worth keeping as evidence.
type TLSFacts struct {
	// Version is the protocol version, e.g. "TLS 1.3".
	Version string `json:"version"`
	// CipherSuite is the negotiated suite's name.
	CipherSuite string `json:"cipher_suite"`
	// ServerName is the name the certificate was checked against.
	ServerName string `json:"server_name"`
	// PeerSHA256 is the SHA-256 fingerprint of the leaf certificate, hex.
	PeerSHA256 string `json:"peer_sha256"`
	// Subject and Issuer are the leaf certificate's names.
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// NotAfter is when the leaf certificate expires.
	NotAfter time.Time `json:"not_after"`
}

// ContentType returns the response's Content-Type header.
func (c *Capture) ContentType() string { return c.Header.Get("Content-Type") }

// keptHeaders are the response headers a Capture keeps when all of them
// would be too many.
var keptHeaders = []string{"Date", "Last-Modified", "ETag", "Content-Type", "Content-Language", "Cache-Control", "Content-Encoding", "Retry-After"}

// maxKeptHeaderBytes caps the response headers kept with a capture.
const maxKeptHeaderBytes = 16 << 10

// droppedHeaders are response headers never kept.
var droppedHeaders = map[string]bool{"Set-Cookie": true, "Set-Cookie2": true}

// responseHeaders picks the response headers a capture keeps.
func responseHeaders(h http.Header) http.Header {
	out := http.Header{}
	size := 0
	for k, vs := range h {
		k = http.CanonicalHeaderKey(k)
		if droppedHeaders[k] {
			continue
		}
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
		out[k] = append([]string(nil), vs...)
	}
	if size <= maxKeptHeaderBytes {
		return out
	}
	out = http.Header{}
	for _, k := range keptHeaders {
		if vs := h.Values(k); len(vs) > 0 {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

// NewClient returns a Client with opts, defaults filled in.
func NewClient(opts Options) *Client {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.ConnectTimeout, 10*time.Second)
	def(&opts.HeaderTimeout, 20*time.Second)
	def(&opts.BodyTimeout, 30*time.Second)
	def(&opts.Timeout, 60*time.Second)
	def(&opts.Backoff, 2*time.Second)
	def(&opts.MaxRetryWait, 2*time.Minute)
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 10 << 20
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = 5
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.PerHost <= 0 {
		opts.PerHost = 2
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "clausewatch/0.1 (privacy-policy change tracker; +https://github.com/clausewatch/clausewatch)"
	}
	if opts.AcceptLanguage == "" {
		opts.AcceptLanguage = "en"
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := NewGuard(GuardOptions{AllowPrivate: opts.AllowPrivate, Exceptions: opts.GuardExceptions,
		Resolver: opts.Resolver, ConnectTimeout: opts.ConnectTimeout})
	transport := g.Transport()
	transport.TLSClientConfig = opts.TLSConfig
	transport.ResponseHeaderTimeout = opts.HeaderTimeout
	transport.MaxIdleConnsPerHost = opts.PerHost
	maxRedirects := opts.MaxRedirects
	return &Client{
		opts:  opts,
		hosts: hostLimiter{per: opts.PerHost, sems: map[string]chan struct{}{}},
		http: &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("%w (%d)", ErrTooManyRedirects, maxRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("%w: redirect to %s", ErrURL, req.URL)
				}
				if policyAllowsPrivate(req.Context()) {
					return nil
				}
				return checkHostName(req.URL.Hostname())
			},
		},
	}
}

// Get fetches url unconditionally. See Fetch.
func (c *Client) Get(ctx context.Context, url string) (*Capture, error) {
	return c.Fetch(ctx, Request{URL: url})
}

// Fetch fetches one page, retrying network errors, 5xx and 429 answers
// with backoff (honouring Retry-After up to Options.MaxRetryWait). An HTTP
// error status returns the Capture together with an error wrapping
// ErrStatus, so the caller can record what the server said. A 304 to a
// conditional request is not an error: Capture.NotModified is set.
// Every error names the URL.
func (c *Client) Fetch(ctx context.Context, req Request) (*Capture, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w: %v", req.URL, ErrURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch %s: %w: want an http or https URL with a host", req.URL, ErrURL)
	}
	if !c.opts.AllowPrivate && !req.AllowPrivate {
		if err := checkHostName(u.Hostname()); err != nil {
			return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
		}
	}
	for attempt := 1; ; attempt++ {
		capture, err := c.attempt(ctx, u, req)
		if capture != nil {
			capture.Attempts = attempt
		}
		wait, retry := c.retryAfter(ctx, capture, err, attempt)
		if !retry {
			if err != nil {
				return capture, fmt.Errorf("fetch %s: %w", req.URL, err)
			}
			return capture, nil
		}
		c.opts.Logger.DebugContext(ctx, "retrying fetch", "url", req.URL, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			if err == nil {
				err = fmt.Errorf("%w %d", ErrStatus, capture.Status)
			}
			return capture, fmt.Errorf("fetch %s: %w (gave up waiting to retry: %v)", req.URL, err, ctx.Err())
		case <-t.C:
		}
	}
}

// retryAfter decides whether a failed attempt is tried again, and after
// how long.
func (c *Client) retryAfter(ctx context.Context, capture *Capture, err error, attempt int) (time.Duration, bool) {
	if attempt >= c.opts.Attempts || ctx.Err() != nil {
		return 0, false
	}
	backoff := c.opts.Backoff << (attempt - 1)
	backoff = backoff/2 + rand.N(backoff/2+1) // jitter spreads retries of many sources
	switch {
	case err != nil && errors.Is(err, ErrStatus) && capture != nil:
		switch capture.Status {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			return 0, false
		}
		if ra, ok := parseRetryAfter(capture.Header.Get("Retry-After"), capture.End); ok {
			if ra > c.opts.MaxRetryWait {
				return 0, false
			}
			if ra > backoff {
				backoff = ra
			}
		}
	case err != nil:
		if !transient(err) {
			return 0, false
		}
	default:
		return 0, false
	}
	return min(backoff, c.opts.MaxRetryWait), true
}

// transient reports whether a transport error may go away on its own: a
// reset, a refused connection, a timeout, a truncated body. TLS and
// certificate errors, the guard, the size cap and redirect loops will not.
func transient(err error) bool {
	switch {
	case errors.Is(err, ErrBlocked), errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyRedirects),
		errors.Is(err, ErrURL), errors.Is(err, ErrEncoding), errors.Is(err, ErrTLS), errors.Is(err, context.Canceled):
		return false
	}
	return true
}

// tlsError reports whether err is a certificate or TLS protocol error.
func tlsError(err error) bool {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
	)
	return errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) ||
		errors.As(err, &invalidErr) || errors.As(err, &recordErr) || errors.As(err, &alertErr)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (relative to now).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// errBodyTimeout is the cancel cause when the body timeout fires.
var errBodyTimeout = errors.New("body not read within the body timeout")

// attempt sends one request and reads its response.
func (c *Client) attempt(ctx context.Context, u *url.URL, req Request) (*Capture, error) {
	release, err := c.hosts.acquire(ctx, strings.ToLower(u.Hostname()))
	if err != nil {
		return nil, err
	}
	defer release()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx, cancelTimeout := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancelTimeout()
	ctx = withPolicy(ctx, c.opts.AllowPrivate || req.AllowPrivate)
	capture := &Capture{URL: req.URL, UserAgent: c.opts.UserAgent, AcceptLanguage: c.opts.AcceptLanguage}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { capture.RemoteAddr = info.Conn.RemoteAddr().String() },
	})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	hreq.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5")
	hreq.Header.Set("Accept-Language", c.opts.AcceptLanguage)
	hreq.Header.Set("Accept-Encoding", "gzip, br")
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	capture.RequestHeader = hreq.Header.Clone()
	capture.RequestHeader.Set("Host", hreq.Host)
	capture.Start = c.opts.Now()
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, explain(ctx, err)
	}
	defer resp.Body.Close()
	bodyTimer := time.AfterFunc(c.opts.BodyTimeout, func() { cancel(errBodyTimeout) })
	defer bodyTimer.Stop()

	capture.FinalURL = resp.Request.URL.String()
	capture.Status = resp.StatusCode
	capture.NotModified = resp.StatusCode == http.StatusNotModified
	capture.Proto = resp.Proto
	capture.Header = responseHeaders(resp.Header)
	if resp.Request != hreq { // redirected: the final request went to another URL
		capture.RequestHeader.Set("Host", resp.Request.URL.Host)
	}
	if resp.TLS != nil {
		capture.TLS = tlsFacts(resp.TLS)
	}
	body, err := readBody(resp.Body, resp.Header.Get("Content-Encoding"), c.opts.MaxBytes, resp.ContentLength, &c.bufs)
	capture.End = c.opts.Now()
	if err != nil {
		return capture, explain(ctx, err)
	}
	capture.Body = body
	if resp.StatusCode >= 400 {
		return capture, fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
	}
	return capture, nil
}

// explain marks TLS errors with ErrTLS, and turns a timeout or a
// body-timeout cancellation into ErrTimeout, saying which timeout it was.
func explain(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, errBodyTimeout) {
		return fmt.Errorf("%w: %v", ErrTimeout, cause)
	}
	if tlsError(err) {
		return fmt.Errorf("%w: %w", ErrTLS, err)
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

// tlsFacts describes a TLS connection.
func tlsFacts(st *tls.ConnectionState) *TLSFacts {
	f := &TLSFacts{
		Version:     tls.VersionName(st.Version),
		CipherSuite: tls.CipherSuiteName(st.CipherSuite),
		ServerName:  st.ServerName,
	}
	if len(st.PeerCertificates) > 0 {
		leaf := st.PeerCertificates[0]
		sum := sha256.Sum256(leaf.Raw)
		f.PeerSHA256 = hex.EncodeToString(sum[:])
		f.Subject = leaf.Subject.String()
		f.Issuer = leaf.Issuer.String()
		f.NotAfter = leaf.NotAfter.UTC()
	}
	return f
}

// hostLimiter caps the requests in flight per host.
type hostLimiter struct {
	per  int
	mu   sync.Mutex
	sems map[string]chan struct{}
}

// acquire waits for a slot for host; release gives it back.
func (l *hostLimiter) acquire(ctx context.Context, host string) (release func(), err error) {
	l.mu.Lock()
	sem, ok := l.sems[host]
	if !ok {
		sem = make(chan struct{}, l.per)
		l.sems[host] = sem
	}
	l.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
