package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
)

// proxy is the only way out of the browser: an HTTP proxy on 127.0.0.1
// that forwards plain HTTP requests and tunnels CONNECT (HTTPS, secure
// WebSockets), dialling every connection through the SSRF guard. One
// proxy serves one render's browser context, so the refusals it counts
// are that render's; a stricter one serves the browser's default context.
type proxy struct {
	guard     *fetch.Guard
	transport *http.Transport
	ln        net.Listener
	srv       *http.Server
	wg        sync.WaitGroup // tunnels

	mu      sync.Mutex
	refused []string // what the guard refused, one line each
	conns   map[net.Conn]struct{}
}

// maxRefused bounds the refusals a proxy remembers.
const maxRefused = 50

// startProxy listens on 127.0.0.1 and serves until close.
func startProxy(guard *fetch.Guard) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("render: proxy listen: %w", err)
	}
	t := guard.Transport()
	t.MaxIdleConnsPerHost = 4
	p := &proxy{guard: guard, transport: t, ln: ln, conns: map[net.Conn]struct{}{}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second,
		ErrorLog: nil}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.srv.Serve(ln) // returns when close shuts the server down
	}()
	return p, nil
}

// URL is the proxy's address as Chromium's proxy-server setting.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Refused returns the refusals so far.
func (p *proxy) Refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.refused...)
}

// refusedHost reports whether the guard refused host (host:port).
func (p *proxy) refusedHost(hostport string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.refused {
		if strings.HasPrefix(r, hostport+": ") {
			return true
		}
	}
	return false
}

func (p *proxy) refuse(hostport string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.refused) < maxRefused {
		p.refused = append(p.refused, hostport+": "+err.Error())
	}
}

// close stops the proxy, its tunnels and its kept-alive connections, and
// waits for them.
func (p *proxy) close() {
	_ = p.srv.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.transport.CloseIdleConnections()
	p.wg.Wait()
}

// ServeHTTP forwards one request or opens one tunnel.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		// Only absolute http URLs are proxied; everything else (a
		// request for the proxy itself, ftp:, file:) is refused.
		http.Error(w, "clausewatch render proxy: only http URLs", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range []string{"Proxy-Connection", "Proxy-Authorization", "Connection", "Keep-Alive", "Te", "Trailer", "Upgrade"} {
		out.Header.Del(h)
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.fail(w, hostPort(r.URL.Host, "80"), err)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// fail answers a request the proxy could not forward: refused by the
// guard, or a network error. The browser sees an error, never a page.
func (p *proxy) fail(w http.ResponseWriter, hostport string, err error) {
	if errors.Is(err, fetch.ErrBlocked) {
		p.refuse(hostport, err)
		w.Header().Set("X-Clausewatch-Refused", "ssrf-guard")
		http.Error(w, "refused by the SSRF guard", http.StatusForbidden)
		return
	}
	http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
}

// tunnel connects to r.Host through the guard and copies bytes both ways
// until either side closes.
func (p *proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	hostport := hostPort(r.Host, "443")
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	upstream, err := p.guard.DialContext(ctx, "tcp", hostport)
	cancel()
	if err != nil {
		p.fail(w, hostport, err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "proxy: cannot tunnel", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		client.Close()
		upstream.Close()
		return
	}
	p.track(client, upstream)
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		// Bytes the browser sent after its CONNECT are in buf.
		_, _ = io.Copy(upstream, buf)
		closeWrite(upstream)
	}()
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(client, upstream)
		p.untrack(client, upstream)
		client.Close()
		upstream.Close()
	}()
}

func (p *proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// closeWrite half-closes a TCP connection (or closes any other).
func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}

// hostPort adds port to host when it has none.
func hostPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}
