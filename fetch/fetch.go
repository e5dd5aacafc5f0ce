// Package fetch retrieves policy pages over HTTP politely and within bounds:
// one shared client with timeouts, a response-size cap, a redirect limit and
// a clear User-Agent. It returns the raw bytes and the facts of the fetch;
// decoding and extraction are the extract package's job.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Errors returned by Get. Test them with errors.Is.
var (
	// ErrTooLarge means the response body exceeded Options.MaxBytes.
	ErrTooLarge = errors.New("fetch: response body too large")
	// ErrTooManyRedirects means the redirect limit was reached.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	// ErrStatus means the server answered with an HTTP error status.
	ErrStatus = errors.New("fetch: HTTP error status")
)

// Options configures a Client. Zero fields take the defaults of NewClient.
type Options struct {
	// Timeout bounds one whole request, body included. Default 30s.
	Timeout time.Duration
	// MaxBytes caps the response body. Default 10 MiB.
	MaxBytes int64
	// MaxRedirects is the most redirects followed. Default 5.
	MaxRedirects int
	// UserAgent is sent with every request.
	UserAgent string
	// AcceptLanguage is sent with every request so that a site picks the
	// same language every time. Default "en".
	AcceptLanguage string
}

// Client fetches pages. It is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client
}

// Result is one completed fetch.
type Result struct {
	// URL is the URL requested.
	URL string
	// FinalURL is the URL of the response, after redirects.
	FinalURL string
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the raw response body (decompressed, not charset-decoded).
	Body []byte
	// Start and End are when the request was sent and the body read.
	Start, End time.Time
}

// ContentType returns the response's Content-Type header.
func (r *Result) ContentType() string { return r.Header.Get("Content-Type") }

// NewClient returns a Client with opts, defaults filled in.
func NewClient(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 10 << 20
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = 5
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "clausewatch/0.1 (privacy-policy change tracker)"
	}
	if opts.AcceptLanguage == "" {
		opts.AcceptLanguage = "en"
	}
	max := opts.MaxRedirects
	return &Client{
		opts: opts,
		http: &http.Client{
			Timeout: opts.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > max {
					return fmt.Errorf("%w (%d)", ErrTooManyRedirects, max)
				}
				return nil
			},
		},
	}
}

// Get fetches url. An HTTP error status returns the Result together with an
// error wrapping ErrStatus, so the caller can record what the server said.
func (c *Client) Get(ctx context.Context, url string) (*Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5")
	req.Header.Set("Accept-Language", c.opts.AcceptLanguage)
	res := &Result{URL: url, Start: time.Now()}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	res.FinalURL = resp.Request.URL.String()
	res.Status = resp.StatusCode
	res.Header = resp.Header
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: read body: %w", url, err)
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w (over %d bytes)", url, ErrTooLarge, c.opts.MaxBytes)
	}
	res.Body = body
	res.End = time.Now()
	if resp.StatusCode >= 400 {
		return res, fmt.Errorf("fetch %s: %w %d", url, ErrStatus, resp.StatusCode)
	}
	return res, nil
}
