package extract

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// HTML extracts a Document from an HTML page. The charset is taken from a
// byte-order mark, opts.ContentType or a <meta> declaration, in that order,
// and defaults to UTF-8 (windows-1252 when the bytes are not valid UTF-8).
func HTML(data []byte, opts Options) (*Document, error) {
	remove, err := compileSelectors(opts.Remove)
	if err != nil {
		return nil, err
	}
	keep, err := compileSelectors(opts.Select)
	if err != nil {
		return nil, err
	}
	text, err := decodeHTML(data, opts.ContentType)
	if err != nil {
		return nil, err
	}
	root, err := html.Parse(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("%w: parse html: %v", ErrMalformed, err)
	}
	doc := &Document{Format: FormatHTML}
	readHead(root, doc)
	revealProtectedEmails(root)

	gq := goquery.NewDocumentFromNode(root)
	for _, sel := range remove {
		gq.FindMatcher(sel).Remove()
	}

	if len(keep) == 0 && isPDF2HTML(root) {
		return pdf2htmlDocument(root, doc, opts)
	}
	body := findBody(root)
	if len(keep) > 0 {
		content := selectNodes(gq, keep)
		if len(content) == 0 {
			return nil, fmt.Errorf("%w: %s", ErrNoMatch, strings.Join(opts.Select, ", "))
		}
		doc.Clauses, doc.Truncated = readClauses(content, false, true)
	} else {
		content, flat := mainContent(body, prune(body))
		doc.Clauses, doc.Truncated = readClauses(content, flat, false)
		if opts.Section != "" && !flat && findSection(doc.Clauses, opts.Section) < 0 {
			// The section may sit outside what the generic guess took for
			// the policy (one document of several): look in the whole page.
			doc.Clauses, doc.Truncated = readClauses([]*html.Node{body}, true, false)
		}
	}
	if len(doc.Clauses) == 0 {
		return nil, ErrEmpty
	}
	if opts.Section != "" {
		if err := pickSection(doc, opts.Section); err != nil {
			return nil, err
		}
		return doc, nil
	}
	if doc.Title == "" {
		for _, c := range doc.Clauses {
			if c.Kind == Heading {
				doc.Title = c.Display
				break
			}
		}
	}
	doc.Updated, doc.UpdatedText = findUpdated(doc.Clauses)
	return doc, nil
}

// readClauses reads the clauses of the content elements in page order.
// flat says no element narrower than body holds the policy, so menus and
// footers are trimmed from the clause sequence; selected says the content
// was chosen by selectors, which are trusted as they are.
func readClauses(content []*html.Node, flat, selected bool) ([]Clause, bool) {
	w := newWalker()
	for _, n := range content {
		w.walk(n)
		w.flush()
	}
	raw := w.out
	if flat {
		raw = trimRegion(raw)
	} else if !selected {
		raw = trimLinkEdges(raw)
	}
	return finishClauses(raw, w.stopped)
}

// decodeHTML converts the page to UTF-8.
func decodeHTML(data []byte, contentType string) ([]byte, error) {
	enc, name, _ := charset.DetermineEncoding(data, contentType)
	if name == "utf-8" || mislabelledUTF8(data, name) {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		return data, nil
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: decode %s: %v", ErrMalformed, name, err)
	}
	return out, nil
}

// readHead fills the document's title and language.
func readHead(root *html.Node, doc *Document) {
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if doc.Lang == "" {
					doc.Lang = strings.TrimSpace(attr(n, "lang"))
				}
				if doc.Lang == "" {
					doc.Lang = strings.TrimSpace(attr(n, "xml:lang"))
				}
			case atom.Title:
				if doc.Title == "" {
					doc.Title = displayText(textOf(n))
				}
			case atom.Body:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(root)
}

// findBody returns the body element, or root when there is none.
func findBody(root *html.Node) *html.Node {
	var found *html.Node
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			found = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(root)
	if found == nil {
		return root
	}
	return found
}

// selectNodes returns the outermost elements matching any selector, in
// document order.
func selectNodes(gq *goquery.Document, sels []cascadia.Selector) []*html.Node {
	matched := map[*html.Node]bool{}
	for _, sel := range sels {
		for _, n := range gq.FindMatcher(sel).Nodes {
			matched[n] = true
		}
	}
	var out []*html.Node
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if matched[n] {
			out = append(out, n)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(gq.Nodes[0])
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// textOf returns all the text below n, as the DOM has it.
func textOf(n *html.Node) string {
	var b strings.Builder
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return b.String()
}

// headingLevel returns the heading level an element declares: h1–h6, an
// ARIA heading, or a class named after a heading ("h3"). 0 if none.
func headingLevel(n *html.Node) int {
	switch n.DataAtom {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	if strings.EqualFold(attr(n, "role"), "heading") {
		if l, err := strconv.Atoi(attr(n, "aria-level")); err == nil && l >= 1 && l <= 6 {
			return l
		}
		return 2
	}
	if n.DataAtom == atom.P || n.DataAtom == atom.Div || n.DataAtom == atom.Span {
		for c := range strings.FieldsSeq(attr(n, "class")) {
			if len(c) == 2 && c[0] == 'h' && c[1] >= '1' && c[1] <= '6' {
				return int(c[1] - '0')
			}
		}
	}
	return 0
}

// boldStyle matches inline styles and utility classes that make text bold.
var (
	boldStyle = regexp.MustCompile(`(?i)font-weight\s*:\s*(bold|bolder|[6-9]00)`)
	boldClass = wordSet(`bold strong font-bold fw-bold fw-semibold font-semibold font-weight-bold
		text-bold has-bold fw-600 fw-700 fw-800 fw-900 font-600 font-700 font-800 font-900`)
)

// isBold reports whether an inline element makes its text bold.
func isBold(n *html.Node) bool {
	switch n.DataAtom {
	case atom.B, atom.Strong:
		return true
	}
	if s := attr(n, "style"); s != "" && boldStyle.MatchString(s) {
		return true
	}
	for c := range strings.FieldsSeq(attr(n, "class")) {
		if boldClass[strings.ToLower(c)] {
			return true
		}
	}
	return false
}

// trimLinkEdges drops link lists (menus, footer links) left at the start and
// end of the content: list items that are mostly link text, and paragraphs of
// several links with little else ("Privacy | Terms | Contact"). A sentence
// with a link in it, or a contact line with a mail link, is not a link list.
// A heading whose whole section was such a list ("Table of contents") goes
// with it, as does any heading left last with nothing under it.
func trimLinkEdges(raw []rawClause) []rawClause {
	linky := func(c rawClause) bool {
		switch c.kind {
		case Item:
			return c.linkShare >= 0.6
		case Paragraph:
			return c.linkShare >= 0.6 && c.links >= 2 && !sentenceEnd.MatchString(c.display)
		}
		return false
	}
	start := 0
	for start < len(raw) && linky(raw[start]) {
		start++
	}
	end := len(raw)
	for {
		trimmed := false
		for end > start && linky(raw[end-1]) {
			end--
			trimmed = true
		}
		headings := false
		for end > start && raw[end-1].kind == Heading {
			end-- // a title with nothing under it (its list was pruned or trimmed)
			headings = true
		}
		if !trimmed && !headings {
			break
		}
	}
	return raw[start:end]
}
