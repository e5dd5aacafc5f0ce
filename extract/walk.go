package extract

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// skipTags are never walked for text, even inside selected content.
var skipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Canvas: true, atom.Video: true, atom.Audio: true, atom.Button: true, atom.Select: true,
	atom.Input: true, atom.Textarea: true, atom.Head: true, atom.Link: true, atom.Meta: true,
	atom.Img: true, atom.Picture: true, atom.Source: true, atom.Map: true,
}

// blockTags start and end a block of text.
var blockTags = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Body: true, atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true,
	atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Td: true, atom.Th: true,
	atom.Ul: true, atom.Caption: true, atom.Center: true, atom.Legend: true, atom.Menu: true,
	atom.Html: true, atom.Option: true,
}

// srOnly matches the class names of text meant for screen readers only
// ("(opens in a new window)"), which a reader of the page never sees.
var srOnly = wordSet(`sr-only visually-hidden visuallyhidden screen-reader-text screenreader-text
	screen-reader-only screenreader-only a11y-hidden assistive-text offscreen u-hidden-visually
	hidden-visually element-invisible`)

// invisible reports whether an element's text is never shown to a sighted
// reader: screen-reader-only text, and the placeholder summary a browser
// inserts for a details element ("See Details", data-default-summary).
func invisible(n *html.Node) bool {
	if n.DataAtom == atom.Summary && hasAttr(n, "data-default-summary") {
		return true
	}
	for c := range strings.FieldsSeq(attr(n, "class")) {
		if srOnly[strings.ToLower(c)] {
			return true
		}
	}
	return false
}

// isBlock reports whether n is a block-level element.
func isBlock(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.DataAtom == 0 && strings.Contains(n.Data, "-") {
		// Custom elements (<policy-section>) lay out as blocks in practice.
		return true
	}
	return blockTags[n.DataAtom] || laidOutAsBlock(n)
}

// piece is one run of inline text, with what the walker knew about it.
type piece struct {
	text    string
	br      bool // a line break, not text
	bold    bool
	italic  bool
	heading int  // heading level of the enclosing heading element, 0 if none
	item    bool // inside a list item
	summary bool // inside <summary> (an accordion's title)
	link    bool // inside a link
	linkID  int  // which link, to count separate links
}

// rawClause is a clause before heading paths are assigned.
type rawClause struct {
	kind      Kind
	level     int // heading level; 0 for a bold or title-cased heading whose level follows from context
	display   string
	linkShare float64 // share of the text that is link text
	links     int     // number of separate links
}

// walker collects the clauses of a content subtree in reading order.
type walker struct {
	buf   []piece
	out   []rawClause
	links int // links seen so far, to number them
	size  int // bytes of text in out
	// stopped is set once out holds far more than a Document can keep
	// (finishClauses drops a few raw clauses, so the walk goes on past
	// the caps, but not to the end of a page of 150,000 clauses).
	stopped bool
}

// The walk stops after this many raw clauses or bytes of their text.
const (
	walkClauses = 2 * MaxClauses
	walkText    = 2 * MaxText
)

// add appends a raw clause, and stops the walk past the walk limits.
func (w *walker) add(rc rawClause) {
	if w.stopped {
		return
	}
	w.out = append(w.out, rc)
	w.size += len(rc.display)
	if len(w.out) >= walkClauses || w.size >= walkText {
		w.stopped = true
	}
}

func newWalker() *walker { return &walker{} }

// position is what the walker knows about where a node sits.
type position struct {
	bold    bool
	italic  bool
	heading int
	item    bool
	summary bool
	link    bool
	linkID  int
}

func (w *walker) walk(n *html.Node) { w.visit(n, position{}) }

func (w *walker) visit(n *html.Node, ctx position) {
	if w.stopped {
		return
	}
	switch n.Type {
	case html.TextNode:
		if n.Data != "" {
			w.buf = append(w.buf, piece{text: n.Data, bold: ctx.bold, italic: ctx.italic, heading: ctx.heading, item: ctx.item, summary: ctx.summary, link: ctx.link, linkID: ctx.linkID})
		}
		return
	case html.ElementNode, html.DocumentNode:
	default:
		return
	}
	if n.Type == html.ElementNode {
		if skipTags[n.DataAtom] && !accordionTrigger(n) || invisible(n) {
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.buf = append(w.buf, piece{br: true})
			return
		case atom.Pre:
			w.flush()
			w.appendPlain(blockText(n), ctx)
			return
		case atom.Table:
			if isDataTable(n) {
				w.flush()
				w.rows(n)
				return
			}
		}
		if l := headingLevel(n); l > 0 {
			ctx.heading = l
		}
		switch n.DataAtom {
		case atom.Li, atom.Dd:
			if n.DataAtom == atom.Li {
				ctx.item = true
			}
		case atom.Summary:
			ctx.summary = true
		}
		if isBold(n) {
			ctx.bold = true
		}
		if n.DataAtom == atom.I || n.DataAtom == atom.Em {
			ctx.italic = true
		}
		if n.DataAtom == atom.A && hasAttr(n, "href") && !contactLink(attr(n, "href")) {
			w.links++
			ctx.link, ctx.linkID = true, w.links
		}
	}
	block := n.Type == html.ElementNode && (isBlock(n) || headingLevel(n) > 0)
	if block {
		w.flush()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if elementBoundary(c) && w.addressBefore(c) {
			w.buf = append(w.buf, piece{text: " ", bold: ctx.bold, heading: ctx.heading, item: ctx.item})
		}
		w.visit(c, ctx)
	}
	if block {
		w.flush()
	}
}

// addressBefore reports whether the buffered text ends with an address
// that the text of c, next, would run into (see addressJoin). The cheap
// tests go first: it runs at every element boundary.
func (w *walker) addressBefore(c *html.Node) bool {
	k := len(w.buf)
	if k == 0 || w.buf[k-1].br || !endsInWord(w.buf[k-1].text) || !startsAfterAddress(firstText(c)) {
		return false
	}
	return endsInAddress(w.lastWord())
}

// lastWord returns the buffered text back to its last white space or line
// break (at most 200 bytes or 16 pieces back): the word an element that
// follows would touch.
func (w *walker) lastWord() string {
	var parts []string
	size := 0
	for i := len(w.buf) - 1; i >= 0 && i >= len(w.buf)-16 && size < 200; i-- {
		p := w.buf[i]
		if p.br {
			break
		}
		parts = append(parts, p.text)
		size += len(p.text)
		if strings.ContainsFunc(p.text, unicode.IsSpace) {
			break
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, "")
}

// flush turns the buffered inline text into clauses.
func (w *walker) flush() {
	if len(w.buf) == 0 || w.stopped {
		w.buf = w.buf[:0]
		return
	}
	buf := w.buf
	w.buf = w.buf[:0:0]
	// Split at line breaks; a blank line (two breaks) separates paragraphs.
	var lines [][]piece
	cur := []piece{}
	for _, p := range buf {
		if p.br {
			lines = append(lines, cur)
			cur = []piece{}
			continue
		}
		cur = append(cur, p)
	}
	lines = append(lines, cur)

	var para []piece
	emitPara := func() {
		if len(para) > 0 {
			w.emit(para)
		}
		para = nil
	}
	for i, line := range lines {
		if blankPieces(line) {
			emitPara()
			continue
		}
		// A bold or italic first line followed by a line break and more
		// text is a heading over it.
		if i < len(lines)-1 && len(para) == 0 && allEmphasised(line) && !line[0].item && line[0].heading == 0 && headingLike(displayText(joinPieces(line))) {
			w.emitAs(line, true)
			continue
		}
		if len(para) > 0 {
			para = append(para, piece{text: " ", bold: true, heading: line[0].heading, item: line[0].item})
		}
		para = append(para, line...)
	}
	emitPara()
}

// emit adds one clause made of pieces.
func (w *walker) emit(ps []piece) { w.emitAs(ps, false) }

// emitAs adds one clause made of pieces; heading forces a heading.
func (w *walker) emitAs(ps []piece, heading bool) {
	display := displayText(joinPieces(ps))
	if display == "" || !hasWordChar(display) {
		return
	}
	first := ps[0]
	for _, p := range ps {
		if strings.TrimSpace(p.text) != "" {
			first = p
			break
		}
	}
	rc := rawClause{kind: Paragraph, display: display, linkShare: linkShare(ps), links: countLinks(ps)}
	switch {
	case first.heading > 0:
		rc.kind, rc.level = Heading, first.heading
	case first.summary && headingLike(display):
		rc.kind = Heading
	case first.item:
		rc.kind = Item
	case heading, allBold(ps) && headingLike(display):
		rc.kind = Heading
	case bulletOnly.MatchString(display):
		rc.kind = Item
	}
	w.add(rc)
}

// contactLink reports whether a link is contact information (mail, phone)
// rather than navigation: its text is policy content.
func contactLink(href string) bool {
	h := strings.ToLower(strings.TrimSpace(href))
	return strings.HasPrefix(h, "mailto:") || strings.HasPrefix(h, "tel:")
}

// countLinks returns how many separate links the pieces hold.
func countLinks(ps []piece) int {
	seen := map[int]bool{}
	for _, p := range ps {
		if p.link && hasWordChar(p.text) {
			seen[p.linkID] = true
		}
	}
	return len(seen)
}

// linkShare returns the share of letters and digits that are link text.
func linkShare(ps []piece) float64 {
	all, link := 0, 0
	for _, p := range ps {
		c := countLetters(p.text)
		all += c
		if p.link {
			link += c
		}
	}
	if all == 0 {
		return 0
	}
	return float64(link) / float64(all)
}

// appendPlain adds the clauses of preformatted flat text.
func (w *walker) appendPlain(text string, ctx position) {
	for _, c := range plainClauses(text) {
		if ctx.item && c.kind == Paragraph {
			c.kind = Item
		}
		w.add(c)
	}
}

// rows adds one Row clause per row of a data table.
func (w *walker) rows(table *html.Node) {
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil && !w.stopped; c = c.NextSibling {
			if c.Type != html.ElementNode || skipTags[c.DataAtom] {
				continue
			}
			switch c.DataAtom {
			case atom.Tr:
				var cells []string
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) {
						if t := displayText(blockText(td)); t != "" {
							cells = append(cells, t)
						}
					}
				}
				if len(cells) > 0 {
					row := strings.Join(cells, " | ")
					if hasWordChar(row) {
						w.add(rawClause{kind: Row, display: row})
					}
				}
			case atom.Caption:
				if t := displayText(blockText(c)); hasWordChar(t) {
					w.add(rawClause{kind: Paragraph, display: t})
				}
			case atom.Table:
				// A table nested straight inside a table section: its own rows.
				w.rows(c)
			default:
				visit(c)
			}
		}
	}
	visit(table)
}

// isDataTable tells a table of data (one clause per row) from a layout
// table (whose cells hold ordinary content).
func isDataTable(t *html.Node) bool {
	if r := strings.ToLower(attr(t, "role")); r == "presentation" || r == "none" {
		return false
	}
	rows, multi := 0, 0
	layout := false
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		for c := n.FirstChild; c != nil && !layout; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Table:
				layout = true
				return
			case atom.H1, atom.H2, atom.H3:
				layout = true
				return
			case atom.Tr:
				if depth == 0 {
					rows++
					cells := 0
					for td := c.FirstChild; td != nil; td = td.NextSibling {
						if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) && countLetters(textOf(td)) > 0 {
							cells++
						}
					}
					if cells >= 2 {
						multi++
					}
				}
			}
			d := depth
			if c.DataAtom == atom.Td || c.DataAtom == atom.Th {
				d++
			}
			visit(c, d)
		}
	}
	visit(t, 0)
	if layout || rows == 0 {
		return false
	}
	return multi*2 >= rows
}

// blockText returns the text below n with a space wherever a block or line
// break separates two runs, so "<li>a</li><li>b</li>" reads "a b".
func blockText(n *html.Node) string {
	var b strings.Builder
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if skipTags[n.DataAtom] {
				return
			}
			if n.DataAtom == atom.Br {
				b.WriteByte('\n')
				return
			}
		}
		block := isBlock(n)
		if block {
			b.WriteByte('\n')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if b.Len() > 0 && elementBoundary(c) && endsInWord(b.String()) && addressJoin(tail(b.String()), firstText(c)) {
				b.WriteByte(' ')
			}
			visit(c)
		}
		if block {
			b.WriteByte('\n')
		}
	}
	visit(n)
	return b.String()
}

// tail returns the last 200 bytes of s or so, for looking at its last word.
func tail(s string) string {
	if len(s) <= 200 {
		return s
	}
	i := len(s) - 200
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

func joinPieces(ps []piece) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.text)
	}
	return b.String()
}

func blankPieces(ps []piece) bool {
	for _, p := range ps {
		if strings.TrimSpace(p.text) != "" && strings.Trim(p.text, " \t\r\n\u00a0") != "" {
			return false
		}
	}
	return true
}

// allBold reports whether every visible run is bold.
func allBold(ps []piece) bool {
	seen := false
	for _, p := range ps {
		if !hasWordChar(p.text) {
			continue
		}
		if !p.bold {
			return false
		}
		seen = true
	}
	return seen
}

// allEmphasised reports whether every visible run is bold or italic.
func allEmphasised(ps []piece) bool {
	seen := false
	for _, p := range ps {
		if !hasWordChar(p.text) {
			continue
		}
		if !p.bold && !p.italic {
			return false
		}
		seen = true
	}
	return seen
}

func hasWordChar(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiAlnum(c) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
		i += size
	}
	return false
}

// sentenceEnd matches text that ends like a sentence rather than a title.
var sentenceEnd = regexp.MustCompile(`[.;,!]["')\]]?$`)

// headingLike reports whether a short piece of text can be a heading: at most
// 15 words and 120 characters, not ending like a sentence.
func headingLike(s string) bool {
	if utf8.RuneCountInString(s) > 120 || hasWords(s, 16) {
		return false
	}
	if sentenceEnd.MatchString(s) && !numberedTitle.MatchString(s) {
		return false
	}
	if isDateLine(s) {
		return false // "Last updated: May 6, 2019" is a statement, not a title
	}
	return hasWordChar(s)
}

// numberedTitle matches "1." or "Section 4." style titles that end in a
// period but are titles all the same.
var numberedTitle = regexp.MustCompile(`^(?:(?:section|article|part|chapter)\s+)?[0-9ivxlcIVXLC]{1,5}\.$`)
