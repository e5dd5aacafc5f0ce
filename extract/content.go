package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// This file finds the policy inside a page without per-site rules, in two
// steps. prune removes what is never policy text: scripts and styles, hidden
// elements, and page furniture recognised by element (nav, aside, site
// header and footer), ARIA role (navigation, banner, contentinfo, dialog …)
// or class/id name (menu, breadcrumb, cookie banner, share bar …). Furniture
// found by name alone is only removed while it holds a small share of the
// page's text, so a wrapper that happens to be called "page-header-content"
// cannot take the policy with it. mainContent then picks the element that
// holds the policy: the largest main/article/role=main element when there is
// one, and otherwise the smallest element holding nearly all of the page's
// running text (text in blocks that are not mostly links).

// dropTags are elements whose content is never readable policy text.
var dropTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Canvas: true, atom.Video: true, atom.Audio: true, atom.Button: true, atom.Select: true,
	atom.Input: true, atom.Textarea: true, atom.Dialog: true, atom.Head: true, atom.Link: true,
	atom.Meta: true, atom.Nav: true, atom.Aside: true, atom.Menu: true, atom.Img: true,
	atom.Picture: true, atom.Source: true, atom.Map: true,
}

// furnitureRoles are ARIA landmark and widget roles of page furniture.
var furnitureRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"search": true, "dialog": true, "alertdialog": true, "menu": true, "menubar": true,
	"toolbar": true,
}

// Names of page furniture, matched against the parts of class and id
// tokens split at "-" and "_" (and two or three adjacent parts joined, so
// "side-bar" and "back-to-top" count). Word sets, not regular expressions:
// utility-CSS pages carry thousands of long class names.
var (
	furnitureWords = wordSet(`nav navbar navigation navmenu menu menubar megamenu breadcrumb breadcrumbs
		sidebar footer sitefooter pagefooter header siteheader pageheader masthead share sharing sharebar
		sharebuttons social sociallinks skiplink skiptocontent toolbar topbar subscribe newsletter related
		relatedposts promo advert ads adbanner banner popup modal overlay toctoggle feedback rating helpful
		backtotop languageswitcher languageselector languagepicker langswitch search searchform searchbox
		login signup cta`)
	// siteWords name site-wide furniture and never a policy section; the
	// rest of furnitureWords could also be a section's topic ("sharing").
	siteWords = wordSet(`nav navbar navigation navmenu menu menubar megamenu breadcrumb breadcrumbs
		sidebar footer sitefooter pagefooter header siteheader pageheader masthead toolbar topbar
		skiplink skiptocontent backtotop languageswitcher languageselector languagepicker langswitch
		toctoggle`)
	contentWords = wordSet(`content article main body entry post policy legal privacy terms text prose
		markdown document richtext`)
	// consentWords name cookie and consent banners and their vendors.
	consentWords = wordSet(`cookiebanner cookieconsent cookienotice cookiebar cookiepopup cookiemodal
		cookielaw cookiemessage cookiewall cookieoverlay cookiealert cookiedialog cookiecontainer
		consentbanner consentmanager consentpopup onetrust optanon cookiebot cybotcookiebotdialog cybotcookiebot ccwindow
		ccbanner ccrevoke truste trustarc usercentrics didomi qccmp osano termly iubenda cookieyes cky
		klaro cmpbanner cmpcontainer gdprbanner gdprconsent`)
)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// The word sets a class or id name can be in, as bits of nameKinds.
const (
	furnitureName uint8 = 1 << iota
	siteName
	contentName
	consentName
)

// nameWords maps each word of the four sets to the bits of the sets it is
// in, so that one look-up serves them all.
var nameWords = func() map[string]uint8 {
	m := map[string]uint8{}
	for bit, set := range map[uint8]map[string]bool{furnitureName: furnitureWords, siteName: siteWords, contentName: contentWords, consentName: consentWords} {
		for w := range set {
			m[w] |= bit
		}
	}
	return m
}()

// nameKinds returns the sets a class or id token is in: those that hold
// the token, or one of its parts split at "-" and "_", or two or three
// adjacent parts joined.
func nameKinds(token string) uint8 {
	token = strings.ToLower(token)
	k := nameWords[token]
	var p1, p2 string // the two parts before this one, if any
	for part := range strings.FieldsFuncSeq(token, nameSep) {
		k |= nameWords[part]
		if p1 != "" {
			k |= nameWords[p1+part]
		}
		if p2 != "" {
			k |= nameWords[p2+p1+part]
		}
		p2, p1 = p1, part
	}
	return k
}

// hasParts reports whether a name has at least n parts (see nameKinds).
func hasParts(name string, n int) bool {
	for range strings.FieldsFuncSeq(name, nameSep) {
		if n--; n <= 0 {
			return true
		}
	}
	return n <= 0
}

// nameSep reports whether r separates the parts of a class or id name.
func nameSep(r rune) bool { return r == '-' || r == '_' }

var (
	// skipLink matches the text of "skip to content" links.
	skipLink = regexp.MustCompile(`(?i)^\s*(skip|jump|aller|zum|direkt)\b`)
	// hiddenStyle matches inline styles that hide an element.
	hiddenStyle = regexp.MustCompile(`(?i)(display\s*:\s*none|visibility\s*:\s*hidden)`)
)

// textStats is what measure records for one element.
type textStats struct {
	text int // letters and digits below the element
	link int // of which inside links
	good int // of which in blocks that are running text, not link lists
}

// measure counts the text below every element of the tree. known, when
// not nil, is what an earlier measure of the same tree found, and its
// counts are reused for every element not in changed: the elements that
// had something removed below them since. An element's counts depend only
// on its subtree, its parent's display and whether it sits in a link, and
// removing other elements changes none of these. known is updated in
// place and returned.
func measure(root *html.Node, known map[*html.Node]textStats, changed map[*html.Node]bool) map[*html.Node]textStats {
	stats := known
	if stats == nil {
		stats = make(map[*html.Node]textStats, 256)
	}
	var visit func(n *html.Node, inLink bool) textStats
	visit = func(n *html.Node, inLink bool) textStats {
		if n.Type == html.TextNode {
			c := countLetters(n.Data)
			s := textStats{text: c}
			if inLink {
				s.link = c
			}
			return s
		}
		if n.Type != html.ElementNode && n.Type != html.DocumentNode || n.Type == html.ElementNode && (skipTags[n.DataAtom] || invisible(n)) {
			return textStats{}
		}
		if known != nil && !changed[n] {
			if s, ok := known[n]; ok {
				return s
			}
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			inLink = true
		}
		var s textStats
		blockChildren, blockText := false, 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			cs := visit(c, inLink)
			s.text += cs.text
			s.link += cs.link
			s.good += cs.good
			if isBlock(c) {
				blockChildren = true
				blockText += cs.text
			}
		}
		block := n.Type == html.ElementNode && isBlock(n)
		// A leaf block's own text is running text when links make up less
		// than half of it and it has a few words in it.
		if block && !blockChildren {
			if s.text >= 20 && s.link*2 < s.text && isProse(textOf(n)) {
				s.good = s.text
			} else {
				s.good = 0
			}
		} else if block {
			// Mixed blocks: count the inline text at this level too.
			own := s.text - blockText
			if own >= 20 && s.link*2 < s.text {
				s.good += own
			}
		}
		if n.Type == html.ElementNode {
			stats[n] = s
		}
		return s
	}
	visit(root, false)
	return stats
}

// isProse reports whether a block's text reads as running text (a
// sentence, or a dozen words) rather than a banner, tagline, breadcrumb or
// copyright line.
func isProse(s string) bool {
	t := strings.TrimSpace(s)
	if copyrightLine.MatchString(t) {
		return false
	}
	return strings.ContainsAny(t, ".!?;:") || hasWords(t, 12)
}

// hasWords reports whether s has at least n words separated by white
// space (as strings.Fields splits it), without building them.
func hasWords(s string, n int) bool {
	for range strings.FieldsSeq(s) {
		if n--; n <= 0 {
			return true
		}
	}
	return n <= 0
}

// countLetters counts the letters and digits in s, a byte at a time
// while the text is ASCII.
func countLetters(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiAlnum(c) {
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
		i += size
	}
	return n
}

// asciiAlnum reports whether an ASCII byte is a letter or a digit.
func asciiAlnum(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' }

// prune removes page furniture below body, in place, and returns the text
// counts of what is left.
func prune(body *html.Node) map[*html.Node]textStats {
	stats := measure(body, nil, nil)
	total := stats[body].text
	changed := map[*html.Node]bool{} // elements something was removed below
	holdsMain := mainAncestors(body)
	var visit func(n *html.Node, inMain bool)
	visit = func(n *html.Node, inMain bool) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			switch c.Type {
			case html.CommentNode:
				n.RemoveChild(c) // no text to count: the counts stand
			case html.ElementNode:
				if !holdsMain[c] && isFurniture(c, inMain, stats[c], total) {
					n.RemoveChild(c)
					for p := n; p != nil && !changed[p]; p = p.Parent {
						changed[p] = true
					}
				} else {
					visit(c, inMain || c.DataAtom == atom.Main || c.DataAtom == atom.Article || strings.EqualFold(attr(c, "role"), "main"))
				}
			}
			c = next
		}
	}
	visit(body, false)
	return measure(body, stats, changed)
}

// accordionTrigger reports whether a button opens a collapsed section: its
// label is that section's title, so it is kept.
func accordionTrigger(n *html.Node) bool {
	if n.DataAtom != atom.Button {
		return false
	}
	if hasAttr(n, "aria-expanded") || hasAttr(n, "aria-controls") {
		return true
	}
	found := false
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil && !found; c = c.NextSibling {
			if c.Type == html.ElementNode && headingLevel(c) > 0 {
				found = true
				return
			}
			visit(c)
		}
	}
	visit(n)
	return found
}

// mainAncestors returns the elements that have a main, article or
// role=main element below them: they are never furniture, whatever their
// class names say (utility CSS like "pt-header-h" would fool the names).
func mainAncestors(body *html.Node) map[*html.Node]bool {
	out := map[*html.Node]bool{}
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.DataAtom == atom.Main || c.DataAtom == atom.Article || strings.EqualFold(attr(c, "role"), "main") {
				for p := c.Parent; p != nil && !out[p]; p = p.Parent {
					out[p] = true
				}
			}
			visit(c)
		}
	}
	visit(body)
	return out
}

// isFurniture decides whether element n is page furniture to remove.
func isFurniture(n *html.Node, inMain bool, s textStats, total int) bool {
	if dropTags[n.DataAtom] && !accordionTrigger(n) {
		return true
	}
	// Hidden elements are dropped unless they hold a fair amount of running
	// text (100 letters): collapsed accordion panels and "read more" sections are policy
	// text a reader opens; hidden templates, error messages and menus are not.
	hidden := hasAttr(n, "hidden") || strings.EqualFold(attr(n, "aria-hidden"), "true")
	if st := attr(n, "style"); st != "" && hiddenStyle.MatchString(st) {
		hidden = true
	}
	if hidden && s.good < 100 {
		return true
	}
	if furnitureRoles[strings.ToLower(attr(n, "role"))] {
		// A header inside the main content is the document's own, whatever
		// role it was given (WAI-ARIA: banner is the site's), when it holds
		// running text.
		return !(inMain && n.DataAtom == atom.Header && s.good > 0)
	}
	switch n.DataAtom {
	case atom.Header:
		// A site header is links and a logo; a page or section header
		// (title, date, no links) is kept wherever it sits, and when it
		// also holds running text (an intro naming the controller) its
		// class names ("page-header") do not count against it.
		if !inMain && !(containsHeading(n, 6) && s.link*10 < s.text*3) {
			return true
		}
		if !inMain && s.good > 0 {
			return false
		}
	case atom.Footer:
		if !inMain {
			return true
		}
	case atom.Form:
		// A search form is small; a form that wraps the page (ASP.NET) is not.
		if (strings.EqualFold(attr(n, "role"), "search") || hasSearchInput(n)) && s.good < 200 && s.text*3 < total {
			return true
		}
	case atom.A:
		if strings.HasPrefix(attr(n, "href"), "#") && skipLink.MatchString(textOf(n)) {
			return true
		}
	case atom.Body, atom.Html, atom.Main, atom.Article:
		return false
	}
	if label := strings.ToLower(attr(n, "aria-label")); strings.Contains(label, "breadcrumb") || strings.Contains(label, "cookie") {
		return true
	}
	if headingLevel(n) > 0 {
		return false // never remove a heading by its name
	}
	return furnitureByName(n, inMain, s, total)
}

// furnitureByName decides from class and id names. It is the weakest
// evidence, so it is hedged: inside the main content it removes only what
// has no running text at all; a section with a heading and prose is never
// removed for a name that could be its topic ("sharing", "social",
// "newsletter"); and nothing holding 30 % of the page's text goes.
func furnitureByName(n *html.Node, inMain bool, s textStats, total int) bool {
	names := attr(n, "class")
	// An id counts as a name only when short: long ids are slugs of the
	// section's title ("sharing-and-disclosure-of-information").
	if id := attr(n, "id"); !hasParts(id, 4) {
		names += " " + id
	}
	if strings.TrimSpace(names) == "" {
		return false
	}
	share := 1.0
	if total > 0 {
		share = float64(s.text) / float64(total)
	}
	var kinds uint8
	for tok := range strings.FieldsSeq(names) {
		kinds |= nameKinds(tok)
	}
	section := s.good >= 60 && containsHeading(n, 6) // a policy section, by its shape
	// Cookie and consent banners (and consent vendors' widgets).
	if kinds&consentName != 0 && !section && s.text < 1500 && share < 0.5 && !(inMain && s.good > 0) {
		return true
	}
	if share >= 0.3 || inMain && s.good > 0 {
		return false
	}
	switch {
	case kinds&contentName != 0:
		return false
	case kinds&siteName != 0:
		return true
	case kinds&furnitureName != 0:
		return !section
	}
	return false
}

func hasSearchInput(n *html.Node) bool {
	found := false
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if found {
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Input && strings.EqualFold(attr(n, "type"), "search") {
			found = true
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return found
}

// mainContent picks the elements that hold the policy text: the element
// that holds the policy, after the document's own header when it stands
// apart (see docHeader). flat reports that no element narrower than body
// holds it (a page without structure, such as rendered Markdown), so the
// caller trims menus and footers from the clause sequence instead. stats
// are the text counts of the tree below body, as prune returns them.
func mainContent(body *html.Node, stats map[*html.Node]textStats) (content []*html.Node, flat bool) {
	n, flat := policyElement(body, stats)
	if flat {
		return []*html.Node{n}, true
	}
	if h := docHeader(n, body, stats); h != nil {
		return []*html.Node{h, n}, false
	}
	return []*html.Node{n}, false
}

// docHeader returns the document's own header when the element chosen as
// the policy left it out: the nearest element before n (or before an
// ancestor of n, below body) that has any text, when that is a <header>
// holding running text — the intro that often names the controller — with
// few links (under 30 % of its text) and at most 1,000 letters. A site
// header (links, a logo) was pruned already or fails the link share.
func docHeader(n, body *html.Node, stats map[*html.Node]textStats) *html.Node {
	for a := n; a != body && a.Parent != nil; a = a.Parent {
		for c := a.PrevSibling; c != nil; c = c.PrevSibling {
			if c.Type != html.ElementNode || stats[c].text == 0 {
				continue
			}
			s := stats[c]
			if c.DataAtom == atom.Header && s.good > 0 && s.link*10 < s.text*3 && s.text <= 1000 {
				return c
			}
			return nil
		}
	}
	return nil
}

// policyElement picks the element that holds the policy text; flat as for
// mainContent.
func policyElement(body *html.Node, stats map[*html.Node]textStats) (content *html.Node, flat bool) {
	total := stats[body].good
	if total == 0 {
		return body, true
	}
	// A marked-up main region wins when it holds a fair share of the text.
	var best *html.Node
	bestGood := 0
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if n.DataAtom == atom.Main || n.DataAtom == atom.Article || strings.EqualFold(attr(n, "role"), "main") {
			if g := stats[n].good; g > bestGood {
				best, bestGood = n, g
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(body)
	if best != nil && float64(bestGood) >= 0.5*float64(total) {
		return best, false
	}
	// Otherwise descend while one child holds nearly all the running text
	// (and, on a short page where a share of running text means little, most
	// of all the text too).
	n := body
	for {
		g := stats[n].good
		var next *html.Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && float64(stats[c].good) >= 0.9*float64(g) && (g >= 1000 || float64(stats[c].text) >= 0.8*float64(stats[n].text)) {
				next = c
				break
			}
		}
		if next == nil || !isContainer(next) {
			return liftToTitle(n, body, stats), n == body
		}
		n = next
	}
}

// liftToTitle moves the chosen content up when the descent left the page's
// title behind: through levels where it has no siblings with text, and to a
// parent whose other children hold an h1 or h2 and little else (no running
// text, under 300 letters, not mostly links).
func liftToTitle(n, limit *html.Node, stats map[*html.Node]textStats) *html.Node {
	for n != limit && n.Parent != nil {
		title, text, link := false, 0, 0
		for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
			if c == n || c.Type != html.ElementNode {
				continue
			}
			s := stats[c]
			if s.good > 0 {
				return n
			}
			text += s.text
			link += s.link
			if containsHeading(c, 2) {
				title = true
			}
		}
		if text > 0 && (!title || text > 300 || link*2 >= text) {
			return n
		}
		n = n.Parent // siblings empty, or just the title
	}
	return n
}

// containsHeading reports whether n is or holds a heading of level 1..max.
func containsHeading(n *html.Node, max int) bool {
	if l := headingLevel(n); l > 0 && l <= max {
		return true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && containsHeading(c, max) {
			return true
		}
	}
	return false
}

// isContainer reports whether n can hold a whole policy (so descending into
// it does not cut one paragraph off from the rest).
func isContainer(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Span, atom.A, atom.Strong, atom.B, atom.Em, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Blockquote:
		return false
	}
	return true
}
