package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
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

// guard dials only public addresses unless the request's policy says
// otherwise.
type guard struct {
	resolver   Resolver
	exceptions []netip.AddrPort
	allowAll   bool
	dialer     *net.Dialer
}

// dialContext resolves addr's host, refuses non-public addresses and dials
// the first allowed one that answers.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	allowPrivate := g.allowAll || policyAllowsPrivate(ctx)
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ips = []netip.Addr{ip}
	} else {
		if !allowPrivate {
			if err := checkHostName(host); err != nil {
				return nil, err
			}
		}
		ips, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	portNum, err := net.LookupPort(network, port)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	var errs []error
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), uint16(portNum))
		if !allowPrivate && !g.excepted(ap) {
			if why := nonPublic(ip); why != "" {
				errs = append(errs, fmt.Errorf("%w: %s resolves to %s, %s", ErrBlocked, host, ip, why))
				continue
			}
		}
		conn, err := g.dialer.DialContext(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// excepted reports whether ap is in Options.GuardExceptions.
func (g *guard) excepted(ap netip.AddrPort) bool {
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
