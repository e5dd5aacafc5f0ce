package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The SSRF guard. A URL that comes in over the API must not make the
// daemon fetch from inside the network it runs in: the cloud metadata
// service, an admin port on localhost, a router. The guard checks every
// address after DNS, at dial time (so a name that resolves to 10.0.0.1,
// or a public page that redirects to http://127.0.0.1/, is refused the
// same way), and refuses hosts written as non-canonical numbers
// ("2130706433", "0177.0.0.1", "0x7f.1") that other resolvers read as IP
// addresses.

// policyKey carries the per-request guard switch to the dialer.
type policyKey struct{}

// withPolicy records on ctx whether the guard is off for a request.
func withPolicy(ctx context.Context, allowPrivate bool) context.Context {
	return context.WithValue(ctx, policyKey{}, allowPrivate)
}

// policyAllowsPrivate reports whether the guard is off for the request
// whose context this is.
func policyAllowsPrivate(ctx context.Context) bool {
	v, _ := ctx.Value(policyKey{}).(bool)
	return v
}

// GuardOptions configures a Guard. Zero fields take the defaults of
// NewGuard.
type GuardOptions struct {
	// AllowPrivate switches the guard off: every address is dialled.
	AllowPrivate bool
	// Exceptions are addresses the guard lets through although they are
	// not public (an intranet mirror, a test server).
	Exceptions []netip.AddrPort
	// Resolver resolves host names. Default net.DefaultResolver.
	Resolver Resolver
	// ConnectTimeout bounds one TCP connect. Default 10s.
	ConnectTimeout time.Duration
}

// Guard is the SSRF guard as a dialer: it resolves a host itself and
// connects only to public addresses (see CheckAddr), unless its options
// or the request's policy say otherwise. A Client dials through one;
// other clients of the daemon that must not reach inside the network
// (webhook delivery) use one through Transport.
type Guard struct {
	resolver   Resolver
	exceptions []netip.AddrPort
	allowAll   bool
	dialer     *net.Dialer
}

// NewGuard returns a guard with opts, defaults filled in.
func NewGuard(opts GuardOptions) *Guard {
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	return &Guard{resolver: opts.Resolver, exceptions: opts.Exceptions, allowAll: opts.AllowPrivate,
		dialer: &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}}
}

// Transport returns a new HTTP transport that dials through g and never
// through a proxy (the guard must see the real peer).
func (g *Guard) Transport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         g.DialContext,
		TLSHandshakeTimeout: g.dialer.Timeout,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}

// DialContext resolves addr's host, refuses non-public addresses and
// dials the first allowed one that answers. When every address is
// refused, the error wraps ErrBlocked and says why, and nothing was
// dialled: it reads the same whether a port is open or closed.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	allowPrivate := g.allowAll || policyAllowsPrivate(ctx)
	ips, err := g.resolve(ctx, host, allowPrivate)
	if err != nil {
		return nil, err
	}
	portNum, err := net.LookupPort(network, port)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	var blocked, failed []error
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), uint16(portNum))
		if !allowPrivate {
			if err := g.check(host, ap); err != nil {
				blocked = append(blocked, err)
				continue
			}
		}
		conn, err := g.dialer.DialContext(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		failed = append(failed, err)
	}
	if len(failed) == 0 {
		return nil, errors.Join(blocked...)
	}
	// Some address was dialled: the error is the network's, and the
	// refusals are only told (they do not make it ErrBlocked).
	if len(blocked) > 0 {
		return nil, fmt.Errorf("%w (also refused: %v)", errors.Join(failed...), errors.Join(blocked...))
	}
	return nil, errors.Join(failed...)
}

// CheckURL refuses, before anything is stored, a URL the guard would
// refuse to connect to: not http(s) (ErrURL), a host that is a
// non-public address or a name checkHostName refuses, or a name that
// resolves to a non-public address (ErrBlocked). A name that does not
// resolve now is not refused; DialContext checks again at every
// connection, which is what stops a name that changes its answer.
func (g *Guard) CheckURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrURL, rawURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %s: want an http or https URL with a host", ErrURL, rawURL)
	}
	if g.allowAll {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = u.Scheme
	}
	portNum, err := net.LookupPort("tcp", port)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrURL, rawURL, err)
	}
	ips, err := g.resolve(ctx, u.Hostname(), false)
	if errors.Is(err, ErrBlocked) {
		return err
	}
	for _, ip := range ips {
		if err := g.check(u.Hostname(), netip.AddrPortFrom(ip.Unmap(), uint16(portNum))); err != nil {
			return err
		}
	}
	return nil
}

// resolve returns host's addresses: itself when it is an IP address,
// else the resolver's answer, after checkHostName unless allowPrivate.
func (g *Guard) resolve(ctx context.Context, host string, allowPrivate bool) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	if !allowPrivate {
		if err := checkHostName(host); err != nil {
			return nil, err
		}
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	return ips, nil
}

// check refuses ap, host's address, unless it is public or excepted.
func (g *Guard) check(host string, ap netip.AddrPort) error {
	if g.excepted(ap) {
		return nil
	}
	why := nonPublic(ap.Addr())
	switch {
	case why == "":
		return nil
	case strings.Trim(host, "[]") == ap.Addr().String():
		return fmt.Errorf("%w: %s is %s", ErrBlocked, ap.Addr(), why)
	}
	return fmt.Errorf("%w: %s resolves to %s, %s", ErrBlocked, host, ap.Addr(), why)
}

// excepted reports whether ap is in GuardOptions.Exceptions.
func (g *Guard) excepted(ap netip.AddrPort) bool {
	for _, e := range g.exceptions {
		if e.Addr().Unmap() == ap.Addr() && e.Port() == ap.Port() {
			return true
		}
	}
	return false
}

// numericHost matches hosts made of 1-4 dot-separated decimal, octal or
// hex numbers: forms inet_aton accepts as IPv4 addresses.
var numericHost = regexp.MustCompile(`(?i)^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$`)

// checkHostName refuses, before any DNS, a host that is a number but not
// a canonical IP address (a policy page never lives at "2130706433") and
// the name localhost. IP literals pass: the dialer checks them, with the
// exceptions.
func checkHostName(host string) error {
	host = strings.Trim(host, "[]")
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if numericHost.MatchString(host) {
		return fmt.Errorf("%w: %s is an IP address in a non-canonical form", ErrBlocked, host)
	}
	if h := strings.TrimSuffix(strings.ToLower(host), "."); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %s is loopback", ErrBlocked, host)
	}
	return nil
}
