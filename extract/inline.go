package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// This file decides where inline text is separated without a block
// element saying so. A reader sees two runs apart when the page lays them
// out apart, and the extracted text must keep them apart too, or
// "legal@example.com" and "571-555-0100" become one token that neither the
// diff nor a reader can use. Two things separate them:
//
//   - CSS that makes an inline element a block: display:block (or flex,
//     grid, list-item, table, flow-root) in its style attribute or a
//     utility class ("d-block", "block"), and any child of a flex or grid
//     container, which CSS lays out as a block of its own (CSS Flexible
//     Box Layout §4, CSS Grid Layout §6.1: the items are "blockified").
//     Only inline styles and utility classes can be seen here; a rule in
//     a style sheet cannot, hence the second point.
//   - An e-mail address or a web address that ends at an element boundary
//     right against a digit, a capital letter or a "+": an address is
//     never continued that way, so a space goes between them (see
//     addressJoin). Nothing else at an element boundary gets a space:
//     "<b>Priv</b>acy" and "foo<a>bar</a>" are one word on the page.

// blockDisplays are CSS display values that lay an element out as a block
// (CSS Display Module Level 3 §2), and flexDisplays those whose children
// are laid out as blocks.
var (
	blockDisplays = map[string]bool{"block": true, "flex": true, "grid": true, "list-item": true, "table": true, "flow-root": true}
	flexDisplays  = map[string]bool{"flex": true, "inline-flex": true, "grid": true, "inline-grid": true}
	// displayClasses map utility CSS classes (Bootstrap, Tailwind) to the
	// display they set, at every screen size.
	displayClasses = map[string]string{
		"d-block": "block", "d-flex": "flex", "d-grid": "grid", "d-table": "table", "d-inline-flex": "inline-flex",
		"d-inline-grid": "inline-grid", "block": "block", "flex": "flex", "grid": "grid", "inline-flex": "inline-flex",
		"inline-grid": "inline-grid", "flow-root": "flow-root", "list-item": "list-item",
	}
)

// cssDisplay returns the display an element's style attribute or utility
// classes set ("" when neither does). The style attribute wins, and its
// last declaration wins, as in CSS. It runs for every inline element, so
// it looks before it splits.
func cssDisplay(n *html.Node) string {
	if st := attr(n, "style"); strings.Contains(st, "isplay") || strings.Contains(st, "ISPLAY") {
		d := ""
		for rest := st; rest != ""; {
			var decl string
			decl, rest, _ = strings.Cut(rest, ";")
			prop, val, ok := strings.Cut(decl, ":")
			if ok && strings.EqualFold(strings.TrimSpace(prop), "display") {
				val = strings.ToLower(strings.TrimSpace(val))
				d = strings.TrimSpace(strings.TrimSuffix(val, "!important"))
			}
		}
		if d != "" {
			return d
		}
	}
	class := attr(n, "class")
	if !strings.Contains(class, "block") && !strings.Contains(class, "flex") && !strings.Contains(class, "grid") &&
		!strings.Contains(class, "table") && !strings.Contains(class, "flow-root") && !strings.Contains(class, "list-item") {
		return ""
	}
	d := ""
	for c := range strings.FieldsSeq(class) {
		if v, ok := displayClasses[c]; ok {
			d = v
		}
	}
	return d
}

// laidOutAsBlock reports whether CSS the page shows makes an inline
// element a block: its own display, or a flex or grid parent.
func laidOutAsBlock(n *html.Node) bool {
	if blockDisplays[cssDisplay(n)] {
		return true
	}
	p := n.Parent
	return p != nil && p.Type == html.ElementNode && flexDisplays[cssDisplay(p)]
}

// trailingAddress matches an e-mail or web address at the end of a run
// of text: an e-mail address whose domain ends in a top-level label of two
// or more letters, or an http(s) URL.
var trailingAddress = regexp.MustCompile(`(?:[^\s@<>()]+@[^\s@<>()]+\.[\pL]{2,}|https?://\S+)$`)

// addressJoin reports whether two runs of text that meet at an element
// boundary would run an address into the next word: left ends with an
// e-mail or web address, and right starts with a digit, a capital letter
// or the "+" of a phone number. A host name or a path never goes on that
// way; a lower-case letter could ("legal@example.co" + "m"), and an
// address can be split by markup anywhere before its domain (a real page
// has <a>s</a><a>upport@…</a>), so nothing else counts.
func addressJoin(left, right string) bool {
	return endsInWord(left) && startsAfterAddress(right) && endsInAddress(left)
}

// endsInWord reports whether s ends with a letter or digit.
func endsInWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return wordRune(r)
}

// startsAfterAddress reports whether s starts the way nothing inside an
// address goes on: a digit, a capital letter or "+".
func startsAfterAddress(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsDigit(r) || unicode.IsUpper(r) || r == '+'
}

// endsInAddress reports whether the last word of s is an address.
func endsInAddress(s string) bool {
	if i := strings.LastIndexFunc(s, unicode.IsSpace); i >= 0 {
		s = s[i+1:]
	}
	return trailingAddress.MatchString(s)
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// firstText returns the first non-empty text below n that a walk would
// read, looking at no more than 64 nodes (a subtree with that much
// markup before its first word is not an address next to a word).
func firstText(n *html.Node) string {
	budget := 64
	var visit func(n *html.Node) string
	visit = func(n *html.Node) string {
		budget--
		if budget < 0 {
			return ""
		}
		switch n.Type {
		case html.TextNode:
			return n.Data
		case html.ElementNode:
			if skipTags[n.DataAtom] || invisible(n) {
				return ""
			}
		default:
			return ""
		}
		for c := n.FirstChild; c != nil && budget >= 0; c = c.NextSibling {
			if t := visit(c); t != "" {
				return t // white space first means nothing runs together
			}
		}
		return ""
	}
	return visit(n)
}

// elementBoundary reports whether c and the node before it meet at an
// element boundary (at least one of them is an element).
func elementBoundary(c *html.Node) bool {
	p := c.PrevSibling
	return p != nil && (c.Type == html.ElementNode || p.Type == html.ElementNode)
}
