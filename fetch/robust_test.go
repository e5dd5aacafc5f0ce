package fetch_test

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/clausewatch/clausewatch/fetch"
)

// testClient is a client for 127.0.0.1 servers with short waits.
func testClient(opts fetch.Options) *fetch.Client {
	opts.AllowPrivate = true
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	return fetch.NewClient(opts)
}

func TestConditionalGet(t *testing.T) {
	const etag, lastMod = `"v1"`, "Tue, 17 May 2022 00:00:00 GMT"
	var sawINM, sawIMS atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawINM.Store(r.Header.Get("If-None-Match"))
		sawIMS.Store(r.Header.Get("If-Modified-Since"))
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Cache-Control", "max-age=60")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("<p>policy</p>"))
	}))
	defer srv.Close()
	c := testClient(fetch.Options{})
	first, err := c.Get(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || first.Header.Get("ETag") != etag || first.Header.Get("Last-Modified") != lastMod || first.Header.Get("Cache-Control") != "max-age=60" {
		t.Fatalf("first fetch: not-modified %v, headers %v", first.NotModified, first.Header)
	}
	second, err := c.Fetch(t.Context(), fetch.Request{URL: srv.URL, ETag: first.Header.Get("ETag"), LastModified: first.Header.Get("Last-Modified")})
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || second.Status != 304 || len(second.Body) != 0 {
		t.Errorf("conditional fetch: got not-modified %v status %d body %q", second.NotModified, second.Status, second.Body)
	}
	if sawINM.Load() != etag || sawIMS.Load() != lastMod {
		t.Errorf("validators sent: If-None-Match %q, If-Modified-Since %q", sawINM.Load(), sawIMS.Load())
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int  // answers in order; the last repeats
		retryAfter   string // sent with error answers
		attempts     int
		wantErr      error
		wantStatus   int
		wantAttempts int
		minElapsed   time.Duration
	}{
		{name: "503 then 200", statuses: []int{503, 200}, attempts: 3, wantStatus: 200, wantAttempts: 2},
		{name: "500 502 504 then 200", statuses: []int{500, 502, 504, 200}, attempts: 4, wantStatus: 200, wantAttempts: 4},
		{name: "503 forever", statuses: []int{503}, attempts: 3, wantErr: fetch.ErrStatus, wantStatus: 503, wantAttempts: 3},
		{name: "429 honours Retry-After seconds", statuses: []int{429, 200}, retryAfter: "1", attempts: 2, wantStatus: 200, wantAttempts: 2, minElapsed: time.Second},
		{name: "429 asking for too long is not retried", statuses: []int{429, 200}, retryAfter: "3600", attempts: 3, wantErr: fetch.ErrStatus, wantStatus: 429, wantAttempts: 1},
		{name: "404 is not retried", statuses: []int{404, 200}, attempts: 3, wantErr: fetch.ErrStatus, wantStatus: 404, wantAttempts: 1},
		{name: "one attempt means no retry", statuses: []int{503, 200}, attempts: 1, wantErr: fetch.ErrStatus, wantStatus: 503, wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				status := tt.statuses[min(i, len(tt.statuses)-1)]
				if status >= 400 && tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(status)
				w.Write([]byte("<p>answer " + strconv.Itoa(status) + "</p>"))
			}))
			defer srv.Close()
			c := testClient(fetch.Options{Attempts: tt.attempts, MaxRetryWait: 5 * time.Second})
			start := time.Now()
			capture, err := c.Get(t.Context(), srv.URL)
			elapsed := time.Since(start)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if capture == nil || capture.Status != tt.wantStatus || capture.Attempts != tt.wantAttempts {
				t.Fatalf("got %+v, want status %d after %d attempts", capture, tt.wantStatus, tt.wantAttempts)
			}
			if int(n.Load()) != tt.wantAttempts {
				t.Errorf("server saw %d requests, want %d", n.Load(), tt.wantAttempts)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("retried after %v, before the server's Retry-After %v", elapsed, tt.minElapsed)
			}
		})
	}
}

func TestContentEncodings(t *testing.T) {
	const page = "<html><body><p>We collect your e-mail address.</p></body></html>"
	compress := map[string]func(io.Writer) io.WriteCloser{
		"gzip":        func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
		"br":          func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) },
		"deflate":     func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) },
		"raw-deflate": func(w io.Writer) io.WriteCloser { fw, _ := flate.NewWriter(w, 5); return fw },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := strings.TrimPrefix(r.URL.Path, "/")
		switch enc {
		case "identity":
			w.Write([]byte(page))
		case "bogus":
			w.Header().Set("Content-Encoding", "x-snappy")
			w.Write([]byte(page))
		case "corrupt-gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not deflate data at all"))
		default:
			name := enc
			if enc == "raw-deflate" {
				name = "deflate"
			}
			w.Header().Set("Content-Encoding", name)
			zw := compress[enc](w)
			zw.Write([]byte(page))
			zw.Close()
		}
	}))
	defer srv.Close()
	c := testClient(fetch.Options{Attempts: 1})
	for _, enc := range []string{"identity", "gzip", "br", "deflate", "raw-deflate"} {
		capture, err := c.Get(t.Context(), srv.URL+"/"+enc)
		if err != nil {
			t.Errorf("%s: %v", enc, err)
			continue
		}
		if string(capture.Body) != page {
			t.Errorf("%s: got body %q", enc, capture.Body)
		}
	}
	for _, enc := range []string{"bogus", "corrupt-gzip"} {
		if _, err := c.Get(t.Context(), srv.URL+"/"+enc); !errors.Is(err, fetch.ErrEncoding) {
			t.Errorf("%s: got %v, want %v", enc, err, fetch.ErrEncoding)
		}
	}
}

// TestBoundedMemory fetches a gzip bomb (1 GiB of zeros, about 1 MiB on
// the wire) and an endless body with a 1 MiB cap: both fail with
// ErrTooLarge after reading about the cap, and the process allocates a
// small multiple of the cap, not the gigabyte.
func TestBoundedMemory(t *testing.T) {
	zeros := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var out io.Writer = w
		if r.URL.Path == "/bomb" {
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
			defer zw.Close()
			out = zw
		}
		for i := 0; i < (1<<30)/len(zeros); i++ {
			if _, err := out.Write(zeros); err != nil {
				return // the client hung up, as it should
			}
		}
	}))
	defer srv.Close()
	const limit = 1 << 20
	c := testClient(fetch.Options{MaxBytes: limit, Attempts: 3})
	for _, path := range []string{"/bomb", "/endless"} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := c.Get(t.Context(), srv.URL+path)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, fetch.ErrTooLarge) {
			t.Errorf("%s: got %v, want %v", path, err, fetch.ErrTooLarge)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*limit {
			t.Errorf("%s: allocated %d bytes to refuse a body capped at %d", path, alloc, limit)
		}
	}
}

func TestTimeouts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/trickle": // one byte a second, forever
			w.Header().Set("Content-Type", "text/html")
			for {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(time.Second):
				case <-r.Context().Done():
					return
				}
			}
		case "/no-headers":
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	c := testClient(fetch.Options{BodyTimeout: 1500 * time.Millisecond, HeaderTimeout: 500 * time.Millisecond, Attempts: 1})
	for _, path := range []string{"/trickle", "/no-headers"} {
		_, err := c.Get(t.Context(), srv.URL+path)
		if !errors.Is(err, fetch.ErrTimeout) {
			t.Errorf("%s: got %v, want %v", path, err, fetch.ErrTimeout)
		}
	}
}

// TestResetMidBody: the server promises 10,000 bytes, sends 100 and closes
// the connection. It is a network error, retried, and finally reported.
func TestResetMidBody(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10000\r\n\r\n")
		buf.WriteString(strings.Repeat("a", 100))
		buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		conn.Close()
	}))
	defer srv.Close()
	c := testClient(fetch.Options{Attempts: 2})
	_, err := c.Get(t.Context(), srv.URL)
	if err == nil || errors.Is(err, fetch.ErrEncoding) {
		t.Fatalf("got %v, want a network error", err)
	}
	if n.Load() != 2 {
		t.Errorf("server saw %d requests, want 2 (one retry)", n.Load())
	}
}

func TestPerHostLimit(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := testClient(fetch.Options{PerHost: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Get(t.Context(), srv.URL); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak requests in flight: got %d, want at most 2", p)
	}
}

func TestTLS(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("<p>policy over TLS</p>"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures below are expected
	srv.StartTLS()
	defer srv.Close()
	trusting := testClient(fetch.Options{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig})
	capture, err := trusting.Get(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	leaf := srv.Certificate()
	if capture.TLS == nil || !strings.HasPrefix(capture.TLS.Version, "TLS 1.") || len(capture.TLS.PeerSHA256) != 64 ||
		capture.TLS.CipherSuite == "" || !capture.TLS.NotAfter.Equal(leaf.NotAfter.UTC()) {
		t.Errorf("TLS facts: %+v", capture.TLS)
	}
	if capture.RemoteAddr != srv.Listener.Addr().String() {
		t.Errorf("remote address: got %q, want %q", capture.RemoteAddr, srv.Listener.Addr())
	}

	// A client that does not trust the test CA fails at once: a
	// certificate error is not retried.
	n.Store(0)
	untrusting := testClient(fetch.Options{Attempts: 3})
	_, err = untrusting.Get(t.Context(), srv.URL)
	var unknown x509.UnknownAuthorityError
	if !errors.Is(err, fetch.ErrTLS) || !errors.As(err, &unknown) {
		t.Fatalf("got %v, want %v wrapping an unknown-authority error", err, fetch.ErrTLS)
	}
	if n.Load() != 0 {
		t.Errorf("handler ran %d times on a failed handshake", n.Load())
	}
	// And plain HTTP spoken to the TLS port fails too, without retries.
	plain := testClient(fetch.Options{Attempts: 3})
	if _, err := plain.Get(t.Context(), strings.Replace(srv.URL, "https", "http", 1)); err == nil {
		t.Error("plain HTTP to a TLS port: no error")
	}
}
