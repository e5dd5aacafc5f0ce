package extract

import (
	"encoding/hex"
	"strings"

	"golang.org/x/net/html"
)

// revealProtectedEmails undoes Cloudflare's e-mail address obfuscation:
// the CDN replaces every address in a page with "[email protected]" and
// keeps the address, XOR-encoded, in a data-cfemail attribute (the first
// byte is the key) or in a /cdn-cgi/l/email-protection#… link. Whether a
// site has the feature switched on is not a policy change, and the address
// is policy text a reviewer needs, so the address is put back.
func revealProtectedEmails(n *html.Node) {
	if n.Type == html.ElementNode {
		code := attr(n, "data-cfemail")
		if code == "" && n.Data == "a" {
			if href := attr(n, "href"); strings.Contains(href, "/cdn-cgi/l/email-protection#") {
				code = href[strings.LastIndex(href, "#")+1:]
			}
		}
		if email, ok := decodeCFEmail(code); ok && strings.Contains(strings.ToLower(textOf(n)), "email") && strings.Contains(textOf(n), "protected") {
			for c := n.FirstChild; c != nil; {
				next := c.NextSibling
				n.RemoveChild(c)
				c = next
			}
			n.AppendChild(&html.Node{Type: html.TextNode, Data: email})
			return
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		revealProtectedEmails(c)
	}
}

// decodeCFEmail decodes a data-cfemail value: hex bytes, the first the XOR
// key for the rest. It refuses anything that does not decode to a
// plausible address.
func decodeCFEmail(code string) (string, bool) {
	if len(code) < 6 || len(code)%2 != 0 || len(code) > 512 {
		return "", false
	}
	b, err := hex.DecodeString(code)
	if err != nil {
		return "", false
	}
	key := b[0]
	out := make([]byte, len(b)-1)
	for i, c := range b[1:] {
		out[i] = c ^ key
		if out[i] < 0x21 || out[i] > 0x7e {
			return "", false
		}
	}
	s := string(out)
	if at := strings.IndexByte(s, '@'); at <= 0 || !strings.Contains(s[at:], ".") {
		return "", false
	}
	return s, true
}
