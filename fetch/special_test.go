package fetch_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/fetch"
)

// TestSpecialPurposeRanges walks the guard's table of special-purpose
// ranges: an address inside each range is refused, and a public address
// beside it passes. Rows follow the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890), then the additions the guard makes.
func TestSpecialPurposeRanges(t *testing.T) {
	tests := []struct {
		rng, inside, public string
	}{
		// IPv4 Special-Purpose Address Registry.
		{"0.0.0.0/8", "0.1.2.3", "1.0.0.1"},
		{"0.0.0.0/32", "0.0.0.0", "1.0.0.1"},
		{"10.0.0.0/8", "10.255.255.255", "11.0.0.0"},
		{"100.64.0.0/10", "100.127.255.254", "100.128.0.1"},
		{"127.0.0.0/8", "127.0.0.1", "128.0.0.1"},
		{"169.254.0.0/16", "169.254.169.254", "169.255.0.1"},
		{"172.16.0.0/12", "172.31.255.254", "172.32.0.1"},
		{"192.0.0.0/24", "192.0.0.100", "192.0.1.1"},
		{"192.0.0.0/29", "192.0.0.1", "192.0.1.1"},
		{"192.0.0.8/32", "192.0.0.8", "192.0.1.8"},
		{"192.0.0.9/32", "192.0.0.9", "192.0.1.9"},
		{"192.0.0.10/32", "192.0.0.10", "192.0.1.10"},
		{"192.0.0.170/32", "192.0.0.170", "192.0.1.170"},
		{"192.0.0.171/32", "192.0.0.171", "192.0.1.171"},
		{"192.0.2.0/24", "192.0.2.1", "192.0.3.1"},
		{"192.88.99.0/24", "192.88.99.1", "192.88.98.1"},
		{"192.168.0.0/16", "192.168.1.1", "192.169.0.1"},
		{"198.18.0.0/15", "198.19.255.254", "198.20.0.1"},
		{"198.51.100.0/24", "198.51.100.7", "198.51.101.1"},
		{"203.0.113.0/24", "203.0.113.9", "203.0.114.1"},
		{"240.0.0.0/4", "240.0.0.1", "223.255.255.254"},
		{"255.255.255.255/32", "255.255.255.255", "223.255.255.254"},
		// IPv4 multicast (RFC 5771).
		{"224.0.0.0/4", "239.255.255.250", "223.255.255.254"},

		// IPv6 Special-Purpose Address Registry.
		{"::1/128", "::1", "2000::1"},
		{"::/128", "::", "2000::1"},
		{"::ffff:0:0/96 (mapped private)", "::ffff:10.0.0.1", "::ffff:8.8.8.8"},
		{"::ffff:0:0/96 (mapped loopback)", "::ffff:7f00:1", "::ffff:8.8.4.4"},
		{"64:ff9b::/96 (private inside)", "64:ff9b::a00:1", "64:ff9b::808:808"},
		{"64:ff9b::/96 (metadata inside)", "64:ff9b::a9fe:a9fe", "64:ff9b::101:101"},
		{"64:ff9b:1::/48", "64:ff9b:1::808:808", "64:ff9b::808:808"},
		{"100::/64", "100::1", "2001:200::1"},
		{"100:0:0:1::/64", "100:0:0:1::1", "2001:200::1"},
		{"2001::/23", "2001:1ff::1", "2001:200::1"},
		{"2001::/32 Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:200::1"},
		{"2001:1::1/128", "2001:1::1", "2001:200::1"},
		{"2001:1::2/128", "2001:1::2", "2001:200::1"},
		{"2001:1::3/128", "2001:1::3", "2001:200::1"},
		{"2001:2::/48", "2001:2::1", "2001:200::1"},
		{"2001:3::/32", "2001:3::1", "2001:200::1"},
		{"2001:4:112::/48", "2001:4:112::1", "2001:200::1"},
		{"2001:10::/28", "2001:10::1", "2001:200::1"},
		{"2001:20::/28", "2001:20::1", "2001:200::1"},
		{"2001:30::/28", "2001:30::1", "2001:200::1"},
		{"2001:db8::/32", "2001:db8::1", "2001:db9::1"},
		{"2002::/16 (private inside)", "2002:c0a8:101::1", "2002:808:808::1"},
		{"2002::/16 (loopback inside)", "2002:7f00:1::1", "2003::1"},
		{"3fff::/20", "3fff::1", "3fff:1000::1"},
		{"5f00::/16", "5f00::1", "3fff:1000::1"},
		{"fc00::/7", "fd00:ec2::254", "2001:200::1"},
		{"fe80::/10", "fe80::1", "2001:200::1"},
		{"fe80::/10 with a zone", "fe80::1%eth0", "2001:200::1"},
		// Additions: site-local (RFC 3879), multicast (RFC 4291
		// §2.7), IPv4-compatible (RFC 4291 §2.5.5.1), and anything
		// outside 2000::/3.
		{"fec0::/10", "fec0::1", "2001:200::1"},
		{"ff00::/8", "ff02::1", "2001:200::1"},
		{"::/96 IPv4-compatible", "::808:808", "2001:200::1"},
		{"outside 2000::/3", "4000::1", "2001:4860:4860::8888"},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			in := netip.MustParseAddr(tt.inside)
			if err := fetch.CheckAddr(in); !errors.Is(err, fetch.ErrBlocked) {
				t.Errorf("%s: got %v, want %v", in, err, fetch.ErrBlocked)
			}
			out := netip.MustParseAddr(tt.public)
			if err := fetch.CheckAddr(out); err != nil {
				t.Errorf("%s: got %v, want nil", out, err)
			}
		})
	}
}

// TestGloballyReachableRangesPass: the registry's globally reachable
// entries that host real services outside any one network (AS112 DNS
// sinks, AMT relays) are not refused; the guard blocks what can reach
// inside a network, not every special-purpose block.
func TestGloballyReachableRangesPass(t *testing.T) {
	for _, s := range []string{"192.31.196.1", "192.52.193.1", "192.175.48.1", "2620:4f:8000::1", "8.8.8.8", "2606:4700:4700::1111"} {
		if err := fetch.CheckAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s: got %v, want nil", s, err)
		}
	}
}

// TestCheckAddrNamesTheRange: the most specific range names a refusal,
// with the RFC that defines it.
func TestCheckAddrNamesTheRange(t *testing.T) {
	for addr, want := range map[string]string{
		"2001::1":            "Teredo (2001::/32, RFC 4380",
		"2001:1ff::1":        "IETF protocol assignments (2001::/23, RFC 2928)",
		"fec0::1":            "deprecated site-local (fec0::/10, RFC 3879)",
		"64:ff9b:1::1":       "local-use IPv4/IPv6 translation (64:ff9b:1::/48, RFC 8215)",
		"64:ff9b::a9fe:a9fe": "link-local: cloud metadata lives here (169.254.0.0/16, RFC 3927), embedded in NAT64",
		"192.0.0.8":          "IPv4 dummy address (192.0.0.8/32, RFC 7600)",
	} {
		err := fetch.CheckAddr(netip.MustParseAddr(addr))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", addr, err, want)
		}
	}
}
