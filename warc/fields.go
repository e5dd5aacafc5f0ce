package warc

// The HTTP blocks and WARC field values a Writer encodes, and the checks
// that keep them from breaking a record.

import (
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// requestBlock is the request line and headers: Host first (as HTTP/1.1
// sends it), the others sorted by name, each name's values in order.
func requestBlock(method, target, proto string, h http.Header) ([]byte, error) {
	lines, err := headerLines("request", h)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(lines, func(a, b Field) int {
		ah, bh := strings.EqualFold(a.Name, "Host"), strings.EqualFold(b.Name, "Host")
		switch {
		case ah && !bh:
			return -1
		case bh && !ah:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	var b bytes.Buffer
	b.WriteString(method + " " + target + " " + proto + "\r\n")
	writeLines(&b, lines)
	return b.Bytes(), nil
}

// responseHead is the status line and headers of a response whose
// decoded body is bodyLen bytes, with the framing headers made true of
// that body: Content-Encoding and Transfer-Encoding become
// X-Archive-Orig-*, Content-Length is the body's length (an original
// that differs kept as X-Archive-Orig-Content-Length). A response that
// has no body by its status (1xx, 204, 304) keeps its Content-Length.
func responseHead(proto string, status int, h http.Header, bodyLen int) ([]byte, error) {
	lines, err := headerLines("response", h)
	if err != nil {
		return nil, err
	}
	bodyless := bodyLen == 0 && (status < 200 || status == http.StatusNoContent || status == http.StatusNotModified)
	length := strconv.Itoa(bodyLen)
	out := lines[:0:0]
	for _, l := range lines {
		switch http.CanonicalHeaderKey(l.Name) {
		case "Content-Encoding", "Transfer-Encoding":
			l.Name = "X-Archive-Orig-" + http.CanonicalHeaderKey(l.Name)
		case "Content-Length":
			if bodyless {
				break
			}
			if strings.TrimSpace(l.Value) == length {
				continue
			}
			l.Name = "X-Archive-Orig-Content-Length"
		}
		out = append(out, l)
	}
	if !bodyless {
		out = append(out, Field{"Content-Length", length})
	}
	slices.SortStableFunc(out, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	b.WriteString(proto + " " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	writeLines(&b, out)
	return b.Bytes(), nil
}

// headerLines flattens h into one line per value, names sorted, and
// refuses a name that is not a token or a value that would end the line.
func headerLines(what string, h http.Header) ([]Field, error) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var lines []Field
	for _, k := range names {
		if !token(k) {
			return nil, fmt.Errorf("%w: %s header name %q", ErrInvalid, what, k)
		}
		for _, v := range h[k] {
			if !fieldValue(v) {
				return nil, fmt.Errorf("%w: %s header %s: value %q has a control character (CR, LF or other)", ErrInvalid, what, k, v)
			}
			lines = append(lines, Field{k, v})
		}
	}
	return lines, nil
}

// writeLines writes header lines and the blank line that ends them.
func writeLines(b *bytes.Buffer, lines []Field) {
	for _, l := range lines {
		b.WriteString(l.Name + ": " + l.Value + "\r\n")
	}
	b.WriteString("\r\n")
}

// checkURL parses an absolute http(s) URL that can stand in a WARC field
// and a request line: no spaces or control characters.
func checkURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: no URL", ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return nil, fmt.Errorf("%w: URL %q has a space or control character", ErrInvalid, s)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %v", ErrInvalid, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q is not an absolute http or https URL", ErrInvalid, s)
	}
	return u, nil
}

// peerIP is the IP of a remote address ("ip:port" or a bare IP), "" when
// the address is unknown.
func peerIP(addr string) (string, error) {
	if addr == "" {
		return "", nil
	}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().WithZone("").String(), nil
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		return a.Unmap().WithZone("").String(), nil
	}
	return "", fmt.Errorf("%w: remote address %q is not an IP address", ErrInvalid, addr)
}

// token reports whether s is a non-empty RFC 9110 token (a field name,
// a method).
func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// freeText makes a free-text value (a warcinfo field, a file name: a
// source's name or URL, say) safe on one field line: every control
// character (C0 but tab, DEL, C1) and every byte that is not UTF-8 is
// percent-encoded, byte by byte, as RFC 8187 encodes header parameters,
// so no CR or LF ends the field (WARC 1.1 section 4: field values are
// RFC 2616 TEXT, without CTLs) and no escape sequence reaches a reader's
// terminal. '%' itself is left alone: the values are for people, and
// the exact ones are in each capture's metadata record.
func freeText(s string) string {
	control := func(r rune) bool { return unicode.IsControl(r) && r != '\t' }
	if utf8.ValidString(s) && !strings.ContainsFunc(s, control) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || control(r) {
			for _, c := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// fieldValue reports whether s can stand as a field value on one line: no
// control characters but tab (so no CR or LF).
func fieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
