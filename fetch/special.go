package fetch

import (
	"fmt"
	"net/netip"
)

// The ranges the SSRF guard refuses. The rows are the IANA IPv4 and IPv6
// Special-Purpose Address Registries (RFC 6890, updated by RFC 8190;
// iana.org/assignments/iana-ipv4-special-registry and
// iana-ipv6-special-registry), less the entries that are globally
// reachable services a fetch cannot abuse to reach inside a network,
// plus multicast and the deprecated IPv6 forms the registries do not
// list. The most specific row that contains an address names it.
//
// Decisions, briefly:
//   - Globally reachable entries standing on their own pass: AS112-v4
//     192.31.196.0/24 (RFC 7535), AMT 192.52.193.0/24 (RFC 7450), Direct
//     Delegation AS112 192.175.48.0/24 and 2620:4f:8000::/48 (RFC 7534).
//   - Globally reachable entries inside a blocked block are blocked with
//     it: 192.0.0.9/32 and 192.0.0.10/32 (PCP and TURN anycast) inside
//     192.0.0.0/24, and inside 2001::/23 the anycast addresses 2001:1::1-3,
//     AMT 2001:3::/32, AS112-v6 2001:4:112::/48, ORCHIDv2 2001:20::/28 and
//     DETs 2001:30::/28. None hosts a policy page, and 2001::/23 whole is
//     simpler to check than its exceptions; Teredo (2001::/32) tunnels to
//     an IPv4 host whose address is obfuscated, so it is refused whole.
//   - Addresses that embed an IPv4 address are judged by it:
//     IPv4-mapped ::ffff:0:0/96 (RFC 4291 §2.5.5.2), NAT64's well-known
//     prefix 64:ff9b::/96 (RFC 6052; an IPv6-only host behind DNS64 reaches
//     every IPv4 site through it) and 6to4 2002::/16 (RFC 3056). The
//     local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is refused whole:
//     it is local by definition and the IPv4 address has no fixed place.
//   - IPv6 outside 2000::/3, the only block IANA allocates for global
//     unicast (RFC 4291 §2.4, IANA IPv6 Address Space registry), is
//     refused even where no row names it: the rows there only give the
//     reason.

// special is one refused range.
type special struct {
	prefix netip.Prefix
	name   string // as the registry names it
	rfc    string
}

// specials are the refused ranges, in registry order.
var specials = []special{
	// IPv4 Special-Purpose Address Registry.
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`, "RFC 791 §3.2"},
	{netip.MustParsePrefix("0.0.0.0/32"), `"this host on this network"`, "RFC 1122 §3.2.1.3"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private-use", "RFC 1918"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space: carrier NAT, some cloud metadata", "RFC 6598"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback", "RFC 1122 §3.2.1.3"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local: cloud metadata lives here", "RFC 3927"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private-use", "RFC 1918"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments", "RFC 6890 §2.1"},
	{netip.MustParsePrefix("192.0.0.0/29"), "IPv4 service continuity prefix", "RFC 7335"},
	{netip.MustParsePrefix("192.0.0.8/32"), "IPv4 dummy address", "RFC 7600"},
	{netip.MustParsePrefix("192.0.0.170/32"), "NAT64/DNS64 discovery", "RFC 8880, RFC 7050"},
	{netip.MustParsePrefix("192.0.0.171/32"), "NAT64/DNS64 discovery", "RFC 8880, RFC 7050"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)", "RFC 5737"},
	{netip.MustParsePrefix("192.88.99.0/24"), "deprecated 6to4 relay anycast", "RFC 7526"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private-use", "RFC 1918"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking", "RFC 2544"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)", "RFC 5737"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)", "RFC 5737"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved", "RFC 1112 §4"},
	{netip.MustParsePrefix("255.255.255.255/32"), "limited broadcast", "RFC 8190, RFC 919 §7"},
	// IPv4 Multicast Address Space registry.
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast", "RFC 5771"},

	// IPv6 Special-Purpose Address Registry.
	{netip.MustParsePrefix("::1/128"), "loopback", "RFC 4291"},
	{netip.MustParsePrefix("::/128"), "unspecified", "RFC 4291"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use IPv4/IPv6 translation", "RFC 8215"},
	{netip.MustParsePrefix("100::/64"), "discard-only", "RFC 6666"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "dummy IPv6 prefix", "RFC 9780"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments", "RFC 2928"},
	{netip.MustParsePrefix("2001::/32"), "Teredo", "RFC 4380, RFC 8190"},
	{netip.MustParsePrefix("2001:2::/48"), "benchmarking", "RFC 5180"},
	{netip.MustParsePrefix("2001:10::/28"), "deprecated ORCHID", "RFC 4843"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation", "RFC 3849"},
	{netip.MustParsePrefix("3fff::/20"), "documentation", "RFC 9637"},
	{netip.MustParsePrefix("5f00::/16"), "SRv6 segment identifiers", "RFC 9602"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local", "RFC 4193, RFC 8190"},
	{netip.MustParsePrefix("fe80::/10"), "link-local", "RFC 4291"},
	// Not in the registry: deprecated or multicast.
	{netip.MustParsePrefix("fec0::/10"), "deprecated site-local", "RFC 3879"},
	{netip.MustParsePrefix("ff00::/8"), "multicast", "RFC 4291 §2.7"},
	{netip.MustParsePrefix("::/96"), "deprecated IPv4-compatible", "RFC 4291 §2.5.5.1"},
}

var (
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour     = netip.MustParsePrefix("2002::/16")
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// CheckAddr returns an error wrapping ErrBlocked when the guard refuses
// ip, naming the range it is in and the RFC that defines it; nil for a
// public address.
func CheckAddr(ip netip.Addr) error {
	if why := nonPublic(ip); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrBlocked, ip, why)
	}
	return nil
}

// nonPublic says why ip is not a public unicast address, or "" when it
// is.
func nonPublic(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid"
	}
	ip = ip.WithZone("").Unmap() // IPv4-mapped: the IPv4 address is what is reached
	if v4, via, ok := embeddedIPv4(ip); ok {
		if why := nonPublic(v4); why != "" {
			return why + ", embedded in " + via
		}
		return ""
	}
	var best *special
	for i, s := range specials {
		if s.prefix.Contains(ip) && (best == nil || s.prefix.Bits() > best.prefix.Bits()) {
			best = &specials[i]
		}
	}
	switch {
	case best != nil:
		return fmt.Sprintf("%s (%s, %s)", best.name, best.prefix, best.rfc)
	case ip.Is6() && !globalUnicast.Contains(ip):
		return "outside 2000::/3, the IPv6 global unicast space (RFC 4291 §2.4)"
	}
	return ""
}

// embeddedIPv4 returns the IPv4 address a NAT64 (well-known prefix) or
// 6to4 address stands for.
func embeddedIPv4(ip netip.Addr) (v4 netip.Addr, via string, ok bool) {
	b := ip.As16()
	switch {
	case !ip.Is6():
		return netip.Addr{}, "", false
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64 64:ff9b::/96 (RFC 6052)", true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4 2002::/16 (RFC 3056)", true
	}
	return netip.Addr{}, "", false
}
