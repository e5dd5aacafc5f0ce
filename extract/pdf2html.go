package extract

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pdf2htmlEX turns a PDF into HTML that draws each line of text as an
// absolutely positioned div:
//
//	<div id="pf1" class="pf w0 h0"><div class="pc pc1 w0 h0">
//	  <div class="t m0 x1 h2 y1 ff1 fs0 fc0 sc0 ls0 ws0">PERSONAL DATA</div>
//
// where .x1 sets left, .y1 bottom (from the page's foot), .fs0 the font
// size, .m0 a transform matrix that scales it, .ff1 the face and .h0 on
// the page its height. Read as HTML, such a page is one flat heap of
// lines; read by position, it has paragraphs and headings like the PDF it
// came from. Pages made by it say so in a generator meta tag or a leading
// comment.

// isPDF2HTML reports whether a parsed page was made by pdf2htmlEX.
func isPDF2HTML(root *html.Node) bool {
	found := false
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		if found || depth > 4 {
			return
		}
		switch {
		case n.Type == html.CommentNode && strings.Contains(n.Data, "Created by pdf2htmlEX"):
			found = true
		case n.Type == html.ElementNode && n.DataAtom == atom.Meta && strings.EqualFold(attr(n, "name"), "generator") && strings.HasPrefix(attr(n, "content"), "pdf2htmlEX"):
			found = true
		case n.Type == html.ElementNode && n.DataAtom == atom.Body:
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, depth+1)
		}
	}
	visit(root, 0)
	return found
}

// cssRule matches one rule of pdf2htmlEX's generated classes: ".x1{left:221.18px;}".
var cssRule = regexp.MustCompile(`\.((?:x|y|h|w|fs|m|ff|c)[0-9a-f]+)\{([^{}]*)\}`)

// cssNumber matches the first number of a declaration value.
var cssNumber = regexp.MustCompile(`-?\d+(?:\.\d+)?`)

// pdf2htmlStyle holds the values of the generated classes. pdf2htmlEX
// writes the screen rules first and repeats them for print in other
// units, so the first rule of a class is the one kept.
type pdf2htmlStyle struct {
	num   map[string]float64 // x, y, h, w, fs classes: their one length
	scale map[string]float64 // m classes: the vertical scale of the matrix
	bold  map[string]bool    // ff classes set bold
}

func readPDF2HTMLStyle(root *html.Node) pdf2htmlStyle {
	s := pdf2htmlStyle{num: map[string]float64{}, scale: map[string]float64{}, bold: map[string]bool{}}
	var css strings.Builder
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Style {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					css.WriteString(c.Data)
				}
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(root)
	for _, m := range cssRule.FindAllStringSubmatch(css.String(), -1) {
		class, decl := m[1], m[2]
		switch {
		case strings.HasPrefix(class, "ff"):
			if _, ok := s.bold[class]; !ok {
				s.bold[class] = strings.Contains(decl, "font-weight:bold") || strings.Contains(decl, "font-weight:700")
			}
		case class[0] == 'm':
			if _, ok := s.scale[class]; !ok {
				s.scale[class] = matrixScale(decl)
			}
		default:
			if _, ok := s.num[class]; !ok {
				if v := cssNumber.FindString(decl); v != "" {
					f, _ := strconv.ParseFloat(v, 64)
					s.num[class] = f
				}
			}
		}
	}
	return s
}

// matrixScale reads the vertical scale of "transform:matrix(a,b,c,d,e,f)"
// (d, for the unrotated text policies are set in); 1 when absent.
func matrixScale(decl string) float64 {
	i := strings.Index(decl, "matrix(")
	if i < 0 {
		return 1
	}
	nums := cssNumber.FindAllString(decl[i:], 4)
	if len(nums) < 4 {
		return 1
	}
	d, err := strconv.ParseFloat(nums[3], 64)
	if err != nil || d == 0 {
		return 1
	}
	if d < 0 {
		d = -d
	}
	return d
}

// pdf2htmlPages reads the positioned lines of a pdf2htmlEX page, page by
// page (div.pf), leaving out the outline sidebar.
func pdf2htmlPages(root *html.Node) []textPage {
	st := readPDF2HTMLStyle(root)
	var pages []textPage
	var visit func(n *html.Node, page int, dx, dy float64)
	visit = func(n *html.Node, page int, dx, dy float64) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Div {
			classes := strings.Fields(attr(n, "class"))
			switch {
			case hasClass(classes, "pf"):
				pages = append(pages, textPage{height: st.value(classes, "h")})
				page, dx, dy = len(pages)-1, 0, 0
			case hasClass(classes, "t") && page >= 0:
				pages[page].runs = append(pages[page].runs, st.run(n, classes, pages[page].height, dx, dy))
				return
			case hasClass(classes, "c"):
				// A clipping box: the lines inside are placed from its corner.
				dx, dy = dx+st.value(classes, "x"), dy+st.value(classes, "y")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, page, dx, dy)
		}
	}
	visit(root, -1, 0, 0)
	return pages
}

// run makes a text run of a div.t.
func (st pdf2htmlStyle) run(n *html.Node, classes []string, pageHeight, dx, dy float64) textRun {
	scale := 1.0
	for _, c := range classes {
		if v, ok := st.scale[c]; ok && c[0] == 'm' {
			scale = v
		}
	}
	face := mainFace(n, fontClass(classes, ""))
	size := st.value(classes, "fs") * scale
	if size <= 0 {
		size = st.value(classes, "h")
	}
	bottom := dy + st.value(classes, "y")
	// The width is not known without the font's metrics: 0 makes the
	// line reader put a space between two divs on one line, which is
	// where pdf2htmlEX starts a new one.
	return textRun{x: dx + st.value(classes, "x"), y: pageHeight - bottom - size, h: size, size: size, bold: st.bold[face], face: face, text: textOf(n)}
}

// value returns the length of the first class with the given letter
// prefix and a hex number after it ("x1a" for "x"), or 0.
func (st pdf2htmlStyle) value(classes []string, prefix string) float64 {
	for _, c := range classes {
		if len(c) > len(prefix) && strings.HasPrefix(c, prefix) && isHex(c[len(prefix):]) {
			return st.num[c]
		}
	}
	return 0
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return s != ""
}

func hasClass(classes []string, name string) bool {
	for _, c := range classes {
		if c == name {
			return true
		}
	}
	return false
}

// pdf2htmlDocument reads a pdf2htmlEX page by the place of its lines, as a
// PDF is read. doc holds what the page's head gave (title, language).
func pdf2htmlDocument(root *html.Node, doc *Document, opts Options) (*Document, error) {
	out, err := layoutDocument(pdf2htmlPages(root), FormatHTML, doc.Title, opts, ErrEmpty)
	if err != nil {
		return nil, err
	}
	out.Lang = doc.Lang
	return out, nil
}

// fontClass returns the ff class among classes, or inherited.
func fontClass(classes []string, inherited string) string {
	for _, c := range classes {
		if strings.HasPrefix(c, "ff") && isHex(c[2:]) {
			return c
		}
	}
	return inherited
}

// mainFace returns the face most of a line's letters are set in: a line
// switches faces in spans (an italic term, a bold lead-in).
func mainFace(n *html.Node, face string) string {
	counts := map[string]int{}
	var visit func(n *html.Node, face string)
	visit = func(n *html.Node, face string) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				for _, r := range c.Data {
					if hasWordChar(string(r)) {
						counts[face]++
					}
				}
			case html.ElementNode:
				visit(c, fontClass(strings.Fields(attr(c, "class")), face))
			}
		}
	}
	visit(n, face)
	if len(counts) == 0 {
		return face
	}
	return mostOf(counts)
}
