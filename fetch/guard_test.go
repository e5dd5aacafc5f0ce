package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clausewatch/clausewatch/fetch"
)

// mapResolver stands in for DNS: it answers from a table, so tests can
// make a public-looking name resolve to a private address.
type mapResolver map[string][]netip.Addr

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := m[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestGuardRefusesNonPublicAddresses(t *testing.T) {
	// A server every refused URL would reach if the guard let it through:
	// a hit means the guard failed.
	var hits atomic.Int32
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("<p>secret metadata</p>"))
	}))
	defer inside.Close()
	insidePort := inside.Listener.Addr().(*net.TCPAddr).Port

	// The "public" server: allowed through the guard by an exception, as
	// an operator would allow an intranet mirror. It redirects wherever
	// the path says.
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.Write([]byte("<p>public policy</p>"))
	}))
	defer public.Close()
	publicAddr := netip.MustParseAddrPort(public.Listener.Addr().String())

	resolver := mapResolver{
		"policy.example.com":   {netip.MustParseAddr("127.0.0.1")},
		"intranet.example.com": {netip.MustParseAddr("10.1.2.3")},
		"mixed.example.com":    {netip.MustParseAddr("192.168.0.10"), netip.MustParseAddr("169.254.169.254")},
		"mapped.example.com":   {netip.MustParseAddr("::ffff:127.0.0.1")},
	}
	c := fetch.NewClient(fetch.Options{Resolver: resolver, GuardExceptions: []netip.AddrPort{publicAddr}, Attempts: 1})
	port := func(s string) string { return strings.ReplaceAll(s, "PORT", itoa(insidePort)) }

	refused := []struct{ name, url string }{
		{"loopback", "http://127.0.0.1:PORT/"},
		{"loopback other", "http://127.8.9.10:PORT/"},
		{"localhost name", "http://localhost:PORT/"},
		{"rfc1918 10/8", "http://10.0.0.1/"},
		{"rfc1918 172.16/12", "http://172.16.5.4/"},
		{"rfc1918 192.168/16", "http://192.168.1.1/"},
		{"link-local", "http://169.254.10.20/"},
		{"aws metadata", "http://169.254.169.254/latest/meta-data/"},
		{"aws metadata ipv6", "http://[fd00:ec2::254]/"},
		{"alibaba metadata", "http://100.100.100.200/"},
		{"carrier nat", "http://100.64.0.1/"},
		{"ipv6 loopback", "http://[::1]:PORT/"},
		{"ipv6 unique local", "http://[fc00::1]/"},
		{"ipv6 link-local", "http://[fe80::1]/"},
		{"ipv4-mapped ipv6 loopback", "http://[::ffff:127.0.0.1]:PORT/"},
		{"ipv4-mapped ipv6 hex", "http://[::ffff:7f00:1]:PORT/"},
		{"ipv4-mapped metadata", "http://[::ffff:169.254.169.254]/"},
		{"nat64 private", "http://[64:ff9b::a00:1]/"},
		{"6to4 private", "http://[2002:c0a8:101::1]/"},
		{"decimal ip", "http://2130706433:PORT/"},
		{"octal ip", "http://0177.0.0.1:PORT/"},
		{"hex ip", "http://0x7f.0.0.1:PORT/"},
		{"short ip", "http://127.1:PORT/"},
		{"unspecified", "http://0.0.0.0:PORT/"},
		{"this network", "http://0.1.2.3/"},
		{"ipv6 unspecified", "http://[::]:PORT/"},
		{"name resolving to loopback", "http://policy.example.com:PORT/"},
		{"name resolving to rfc1918", "http://intranet.example.com/"},
		{"name resolving only to private and metadata", "http://mixed.example.com/"},
		{"name resolving to mapped loopback", "http://mapped.example.com:PORT/"},
		{"public redirecting to loopback", public.URL + "/?to=" + "http://127.0.0.1:PORT/"},
		{"public redirecting to metadata", public.URL + "/?to=http://169.254.169.254/latest/meta-data/"},
		{"public redirecting to decimal ip", public.URL + "/?to=http://2130706433:PORT/"},
		{"public redirecting to private name", public.URL + "/?to=http://intranet.example.com/"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			u := port(tt.url)
			capture, err := c.Get(t.Context(), u)
			if !errors.Is(err, fetch.ErrBlocked) {
				t.Fatalf("got capture %v, error %v; want %v", capture, err, fetch.ErrBlocked)
			}
			if !strings.Contains(err.Error(), u) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the inside server was reached %d times", n)
	}

	// The exception lets the stand-in public server through, and with the
	// guard switched off (per request or per client) local pages load.
	if _, err := c.Get(t.Context(), public.URL+"/"); err != nil {
		t.Errorf("excepted address: %v", err)
	}
	if _, err := c.Fetch(t.Context(), fetch.Request{URL: inside.URL, AllowPrivate: true}); err != nil {
		t.Errorf("request with AllowPrivate: %v", err)
	}
	open := fetch.NewClient(fetch.Options{Resolver: resolver, AllowPrivate: true})
	if _, err := open.Get(t.Context(), port("http://policy.example.com:PORT/")); err != nil {
		t.Errorf("client with AllowPrivate: %v", err)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("inside server hits with the guard off: got %d, want 2", n)
	}
}

func TestBadURLs(t *testing.T) {
	c := fetch.NewClient(fetch.Options{AllowPrivate: true})
	for _, u := range []string{"ftp://example.com/policy", "file:///etc/passwd", "http://", "::not a url", "gopher://x/"} {
		_, err := c.Get(t.Context(), u)
		if !errors.Is(err, fetch.ErrURL) {
			t.Errorf("%q: got %v, want %v", u, err, fetch.ErrURL)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestGuardCheckURL(t *testing.T) {
	resolver := mapResolver{
		"intranet.example.com": {netip.MustParseAddr("10.1.2.3")},
		"mixed.example.com":    {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("fec0::1")},
		"hooks.example.com":    {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("2606:2800:21f:cb07:6820:80da:af6b:8b2c")},
	}
	g := fetch.NewGuard(fetch.GuardOptions{Resolver: resolver, Exceptions: []netip.AddrPort{netip.MustParseAddrPort("10.9.9.9:8443")}})
	tests := []struct {
		url  string
		want error
	}{
		{"http://127.0.0.1:8080/hook", fetch.ErrBlocked},
		{"http://[::1]/hook", fetch.ErrBlocked},
		{"http://[fec0::1]/hook", fetch.ErrBlocked},
		{"http://[2001::1]/hook", fetch.ErrBlocked},
		{"http://[64:ff9b:1::a00:1]/hook", fetch.ErrBlocked},
		{"http://localhost:9000/hook", fetch.ErrBlocked},
		{"http://2130706433/hook", fetch.ErrBlocked},
		{"http://intranet.example.com/hook", fetch.ErrBlocked},
		{"http://mixed.example.com/hook", fetch.ErrBlocked},
		{"https://10.9.9.9/hook", fetch.ErrBlocked}, // the exception is for port 8443
		{"ftp://hooks.example.com/", fetch.ErrURL},
		{"http:///nohost", fetch.ErrURL},
		{"https://hooks.example.com/hook", nil},
		{"https://10.9.9.9:8443/hook", nil},
		{"https://[2606:4700:4700::1111]/hook", nil},
		// Not resolvable now: left to the dialer, which checks at every
		// connection.
		{"https://not-yet.example.com/hook", nil},
	}
	for _, tt := range tests {
		err := g.CheckURL(t.Context(), tt.url)
		if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: got %v, want %v", tt.url, err, tt.want)
		}
	}
	open := fetch.NewGuard(fetch.GuardOptions{AllowPrivate: true, Resolver: resolver})
	if err := open.CheckURL(t.Context(), "http://127.0.0.1:8080/hook"); err != nil {
		t.Errorf("guard with AllowPrivate: got %v, want nil", err)
	}
}

// TestGuardDialLeaksNoPortState: a refused address is never dialled, so
// the error for an open port and a closed one is the same.
func TestGuardDialLeaksNoPortState(t *testing.T) {
	open := httptest.NewServer(http.NotFoundHandler())
	defer open.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	g := fetch.NewGuard(fetch.GuardOptions{})
	msg := func(addr string) string {
		conn, err := g.DialContext(t.Context(), "tcp", addr)
		if conn != nil {
			conn.Close()
		}
		if !errors.Is(err, fetch.ErrBlocked) {
			t.Errorf("dial %s: got %v, want %v", addr, err, fetch.ErrBlocked)
		}
		return fmt.Sprint(err)
	}
	if a, b := msg(open.Listener.Addr().String()), msg(closed); a != b {
		t.Errorf("open port: %q; closed port: %q; want the same error", a, b)
	}
}
