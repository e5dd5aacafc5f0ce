package render_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/clausewatch/clausewatch/render"
	"github.com/clausewatch/clausewatch/render/rendertest"
)

// newBrowser returns a Browser for a test, closed at cleanup. Without
// Chromium the test is skipped, except under CI (CI=true), where it fails:
// .ci/run installs Chromium, so a missing one there is a broken setup.
func newBrowser(t testing.TB, opts render.Options) *render.Browser {
	t.Helper()
	rendertest.Require(t)
	b, err := render.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// server is a test site on 127.0.0.1 that counts the requests it gets.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t testing.TB, h http.Handler) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// addr is the server's address, for Options.GuardExceptions.
func (s *server) addr() netip.AddrPort {
	return netip.MustParseAddrPort(s.Listener.Addr().(*net.TCPAddr).String())
}

// pages serves fixed HTML by path.
func pages(m map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := m[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(body))
	})
}
