package extract

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The layout reader turns positioned text (a PDF page as poppler lays it
// out, or a pdf2htmlEX page) into clauses. Both give runs of text with a
// box, a font size and a face; the reader rebuilds lines, drops page
// furniture, cuts the lines into blocks by the white space between them,
// and names each block a heading, list item or paragraph from its look.
// See docs/decisions/0030-pdf-input.md.

// textRun is a piece of text with its place on the page: a whole line or
// the part of one set in one face.
type textRun struct {
	// x, y are the left and top of the run's box, y growing down the page.
	x, y, w, h float64
	// size is the font size, in the same unit as the box.
	size float64
	// bold is true when the face is known to be bold.
	bold bool
	// face identifies the font, to tell a heading face from the body's.
	face string
	text string
}

// textPage is one page of runs.
type textPage struct {
	height float64
	runs   []textRun
}

// textLine is a line of a page: runs that share a baseline, left to right.
type textLine struct {
	page                     int
	top, bottom, left, right float64
	size                     float64
	bold                     bool
	face                     string
	text                     string
}

// layoutClauses reads the clauses of positioned pages in reading order.
func layoutClauses(pages []textPage) []rawClause {
	var lines []textLine
	for i, p := range pages {
		lines = append(lines, pageLines(i, p)...)
	}
	lines = dropFurniture(lines, pages)
	if len(lines) == 0 {
		return nil
	}
	m := measureBody(lines)
	blocks := splitBlocks(lines, m)
	return classify(blocks, m)
}

// pageLines groups a page's runs into lines: runs whose vertical middles
// fall inside one another's boxes share a line, and are read left to
// right. Lines come out top to bottom.
func pageLines(page int, p textPage) []textLine {
	runs := slices.Clone(p.runs)
	slices.SortStableFunc(runs, func(a, b textRun) int { return cmp.Compare(a.y+a.h/2, b.y+b.h/2) })
	var out []textLine
	var cur []textRun
	flush := func() {
		if len(cur) > 0 {
			if l, ok := joinRuns(page, cur); ok {
				out = append(out, l)
			}
			cur = nil
		}
	}
	for _, r := range runs {
		if r.h <= 0 || strings.TrimSpace(r.text) == "" {
			continue
		}
		if len(cur) > 0 {
			first := cur[0]
			mid := r.y + r.h/2
			if mid < first.y || mid > first.y+first.h {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// joinRuns makes one line of runs on a baseline, putting a space between
// two runs where the gap between them is wider than a fifth of the font
// size (runs split at a change of face touch).
func joinRuns(page int, runs []textRun) (textLine, bool) {
	slices.SortStableFunc(runs, func(a, b textRun) int { return cmp.Compare(a.x, b.x) })
	l := textLine{page: page, top: runs[0].y, bottom: runs[0].y + runs[0].h, left: runs[0].x, right: runs[0].x + runs[0].w, bold: true}
	var b strings.Builder
	faces := map[string]int{}
	sizes := map[float64]int{}
	prevEnd := runs[0].x
	for i, r := range runs {
		text := strings.Join(strings.Fields(r.text), " ")
		if text == "" {
			continue
		}
		gap := r.x - prevEnd
		if i > 0 && b.Len() > 0 && (gap > r.size/5 || unicode.IsSpace(lastRune(r.text)) || unicode.IsSpace(firstRune(r.text)) || endsSpaced(runs[i-1].text)) {
			b.WriteByte(' ')
		}
		b.WriteString(text)
		n := utf8.RuneCountInString(text)
		faces[r.face] += n
		sizes[r.size] += n
		if hasWordChar(text) && !r.bold {
			l.bold = false
		}
		l.top, l.bottom = min(l.top, r.y), max(l.bottom, r.y+r.h)
		l.left, l.right = min(l.left, r.x), max(l.right, r.x+r.w)
		prevEnd = max(prevEnd, r.x+r.w)
	}
	l.text = strings.TrimSpace(b.String())
	l.face, l.size = mostOf(faces), mostOf(sizes)
	return l, hasWordChar(l.text)
}

func endsSpaced(s string) bool { return s != "" && unicode.IsSpace(lastRune(s)) }

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// mostOf returns the key with the largest count (the smallest key on a
// tie, so that the result does not depend on map order).
func mostOf[K cmp.Ordered](counts map[K]int) K {
	var best K
	n := -1
	for k, c := range counts {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}

// pageNumber matches a line that is only a page number: "3", "- 3 -",
// "Page 3", "Page 3 of 9", "3/9", "3 | Privacy Policy" is not one.
var pageNumber = regexp.MustCompile(`(?i)^[-–—\s]*(?:(?:page|p\.|seite|página|pagina)\s*)?\d{1,4}(?:\s*(?:/|of|sur|von|de|di)\s*\d{1,4})?[-–—\s]*$`)

// furnitureBand is the share of the page height at the top and the bottom
// where running headers, footers and page numbers sit.
const furnitureBand = 0.1

// dropFurniture removes running headers and footers: lines in the top or
// bottom band of a page that are page numbers, or whose text (digits
// aside) recurs in the bands of at least half the pages, and of two at
// least.
func dropFurniture(lines []textLine, pages []textPage) []textLine {
	inBand := func(l textLine) bool {
		h := pages[l.page].height
		return h > 0 && (l.bottom <= h*furnitureBand || l.top >= h*(1-furnitureBand))
	}
	seen := map[string]map[int]bool{}
	for _, l := range lines {
		if inBand(l) {
			k := furnitureKey(l.text)
			if seen[k] == nil {
				seen[k] = map[int]bool{}
			}
			seen[k][l.page] = true
		}
	}
	out := lines[:0:0]
	for _, l := range lines {
		if inBand(l) {
			n := len(seen[furnitureKey(l.text)])
			if pageNumber.MatchString(l.text) || n >= 2 && 2*n >= len(pages) {
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

// furnitureKey is a line's text with digits and case folded away, so that
// "Page 2 of 9" and "Page 3 of 9" are the same furniture.
func furnitureKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '#'
		}
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// bodyMetrics describes the running text: its size, face and the usual
// distance from one line's top to the next.
type bodyMetrics struct {
	size  float64
	face  string
	pitch float64
	// sizes are the sizes larger than the body's that some line uses,
	// largest first: the heading sizes.
	sizes []float64
}

func measureBody(lines []textLine) bodyMetrics {
	sizes, faces := map[float64]int{}, map[string]int{}
	for _, l := range lines {
		n := utf8.RuneCountInString(l.text)
		sizes[roundHalf(l.size)] += n
		faces[l.face] += n
	}
	m := bodyMetrics{size: mostOf(sizes), face: mostOf(faces)}
	var steps []float64
	for i := 1; i < len(lines); i++ {
		a, b := lines[i-1], lines[i]
		if a.page == b.page && roundHalf(a.size) == m.size && roundHalf(b.size) == m.size && b.top > a.top {
			steps = append(steps, b.top-a.top)
		}
	}
	if len(steps) > 0 {
		slices.Sort(steps)
		m.pitch = steps[len(steps)/4] // the tighter steps are the lines within a paragraph
	} else {
		m.pitch = m.size * 1.2
	}
	for s := range sizes {
		if s >= m.size*1.15 {
			m.sizes = append(m.sizes, s)
		}
	}
	slices.SortFunc(m.sizes, func(a, b float64) int { return cmp.Compare(b, a) })
	return m
}

func roundHalf(f float64) float64 { return float64(int(f*2+0.5)) / 2 }

// textBlock is a run of lines read as one clause.
type textBlock struct {
	lines []textLine
	text  string
}

// numbering matches section numbering at the start of a line: "1.",
// "2.3", "2.3.1.", "A.", "IV.", "Article 5", "Section 2.1"; not a bare
// number, which a wrapped line can start with ("6 January 1978").
var numbering = regexp.MustCompile(`^(?:(?i:article|section|part|chapter|clause|art\.)\s+(\d{1,3}(?:\.\d{1,3}){0,4})\.?|(\d{1,3}(?:\.\d{1,3}){1,4}\.?|\d{1,3}\.|[A-Z]\.|[IVX]{1,5}\.))(?:\s|$)`)

// splitBlocks cuts the lines into blocks. A block ends where the space to
// the next line is clearly wider than the line pitch, where the size or
// weight changes, and before a line that starts a list item or a numbered
// section. A block that ends a page without a full stop continues on the
// next page when that starts in lower case.
func splitBlocks(lines []textLine, m bodyMetrics) []textBlock {
	var out []textBlock
	var cur []textLine
	flush := func() {
		if len(cur) > 0 {
			out = append(out, textBlock{lines: cur, text: joinLines(cur)})
			cur = nil
		}
	}
	for _, l := range lines {
		if len(cur) > 0 && breaksBefore(cur[len(cur)-1], l, m) {
			flush()
		}
		cur = append(cur, l)
	}
	flush()
	return joinAcrossPages(out)
}

// breaksBefore reports whether line b starts a new block after line a.
func breaksBefore(a, b textLine, m bodyMetrics) bool {
	switch {
	case b.page != a.page:
		return true
	case roundHalf(a.size) != roundHalf(b.size) || a.bold != b.bold:
		return true
	case a.face != b.face && (a.face == m.face || b.face == m.face):
		// From the body's face to another (a heading face where bold is
		// not known, as in pdf2htmlEX pages), or back.
		return true
	case listMarker.MatchString(b.text) || bulletOnly.MatchString(b.text) || numbering.MatchString(b.text):
		return true
	}
	pitch := max(m.pitch, (a.bottom-a.top)*1.05)
	return b.top-a.top > pitch*1.4 || b.top < a.top
}

// joinLines joins a block's lines with spaces, except after a line that
// ends in a hyphen after a letter ("out-" + "of-date").
func joinLines(lines []textLine) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			prev := lines[i-1].text
			if !(strings.HasSuffix(prev, "-") && len(prev) > 1 && unicode.IsLetter(lastRune(prev[:len(prev)-1]))) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l.text)
	}
	return b.String()
}

// joinAcrossPages merges a block that ends a page mid-sentence with the
// block that starts the next page in lower case.
func joinAcrossPages(blocks []textBlock) []textBlock {
	out := blocks[:0:0]
	for _, b := range blocks {
		if n := len(out); n > 0 {
			prev := out[n-1]
			last, first := prev.lines[len(prev.lines)-1], b.lines[0]
			if first.page == last.page+1 && !strings.ContainsRune(".:;!?", lastRune(prev.text)) &&
				unicode.IsLower(firstRune(b.text)) && roundHalf(first.size) == roundHalf(last.size) && first.bold == last.bold {
				out[n-1].lines = append(slices.Clone(prev.lines), b.lines...)
				out[n-1].text = joinLines(out[n-1].lines)
				continue
			}
		}
		out = append(out, b)
	}
	return out
}

// classify names each block. A heading is a short block set larger than
// the body, or set bold or in another face than the body and not ending
// like a sentence; its level comes from its size (the largest heading
// size is level 1) or its numbering ("2.3" is one deeper than "2."), and
// the first heading of a document without larger type is its title. A
// block that starts with a bullet or list number is an item; the rest
// are paragraphs.
func classify(blocks []textBlock, m bodyMetrics) []rawClause {
	out := make([]rawClause, 0, len(blocks))
	seenHeading := false
	for _, b := range blocks {
		display := displayText(b.text)
		if !hasWordChar(display) {
			continue
		}
		if level, ok := headingOf(b, display, m); ok {
			if !seenHeading && level == 0 && len(m.sizes) == 0 {
				level = 1
			}
			seenHeading = true
			out = append(out, rawClause{kind: Heading, level: level, display: display})
			continue
		}
		kind := Paragraph
		if listMarker.MatchString(display) || bulletOnly.MatchString(display) {
			kind = Item
		}
		out = append(out, rawClause{kind: kind, display: display})
	}
	return out
}

// headingOf says whether a block is a heading, and its level (0 when the
// level follows from the headings around it).
func headingOf(b textBlock, display string, m bodyMetrics) (int, bool) {
	first := b.lines[0]
	words := len(strings.Fields(display))
	if words > 25 || len(b.lines) > 3 || isDateLine(display) {
		return 0, false
	}
	size := roundHalf(first.size)
	if i := slices.Index(m.sizes, size); i >= 0 {
		return min(i+1, 6), true
	}
	if size < m.size || !(first.bold || first.face != m.face) {
		return 0, false
	}
	if sentenceEnd.MatchString(display) && !strings.HasSuffix(display, "?") {
		return 0, false
	}
	if num := numbering.FindStringSubmatch(display); num != nil && strings.ContainsAny(num[1]+num[2], "0123456789") {
		depth := strings.Count(strings.TrimSuffix(num[1]+num[2], "."), ".") + 1
		return min(max(len(m.sizes), 1)+depth, 6), true
	}
	return 0, true
}
