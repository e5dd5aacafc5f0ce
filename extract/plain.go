package extract

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// Text extracts a Document from plain text. Paragraphs are lines, or blocks
// of lines separated by blank lines when the text is hard-wrapped; lines that
// start with a bullet or number are list items; short title-cased lines and
// short questions are headings. Menus and footers captured with the text
// (runs of short lines, bare URLs) are trimmed from both ends.
func Text(data []byte) (*Document, error) {
	if !utf8.Valid(data) {
		if bytes.IndexByte(data, 0) >= 0 {
			return nil, ErrNotText
		}
		decoded, err := decodeText(data, "")
		if err != nil {
			return nil, err
		}
		data = decoded
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	raw := plainClauses(string(data))
	all, _ := finishClauses(raw, false)
	doc := &Document{Format: FormatText}
	doc.Updated, doc.UpdatedText = findUpdated(all)
	raw = trimRegion(raw)
	if len(raw) > 0 && raw[0].kind == Heading && raw[0].level == 0 {
		raw[0].level = 1 // the first line, a heading, is the document's title
	}
	doc.Clauses, doc.Truncated = finishClauses(raw, false)
	if len(doc.Clauses) == 0 {
		return nil, ErrEmpty
	}
	for _, c := range doc.Clauses {
		if c.Kind == Heading {
			doc.Title = c.Display
			break
		}
	}
	return doc, nil
}

// Markdown extracts a Document from Markdown by rendering it to HTML
// (CommonMark with GitHub tables) and extracting that.
func Markdown(data []byte, opts Options) (*Document, error) {
	// Raw HTML blocks are policy text too (nothing here renders them).
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	var buf bytes.Buffer
	buf.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>")
	if err := md.Convert(data, &buf); err != nil {
		return nil, fmt.Errorf("%w: render markdown: %v", ErrMalformed, err)
	}
	buf.WriteString("</body></html>")
	opts.ContentType = "text/html; charset=utf-8"
	doc, err := HTML(buf.Bytes(), opts)
	if err != nil {
		return nil, err
	}
	doc.Format = FormatMarkdown
	return doc, nil
}

var (
	// plainListItem matches a line that starts a list item in flat text.
	plainListItem = regexp.MustCompile(`^\s*(?:[-*+•·▪◦‣⁃○●■►▶➢]\s+|\(?(?:\d{1,3}|[a-z])[.)]\s+|\((?:\d{1,3}|[a-z]|[ivx]{1,4})\)\s+)`)
	// bareURL matches a line that is only a URL.
	bareURL = regexp.MustCompile(`^(?:https?://|www\.)\S+$`)
	// underline matches setext underlines and horizontal rules.
	underline = regexp.MustCompile(`^\s*(?:=+|-{3,}|\*{3,}|_{3,})\s*$`)
)

// plainClauses splits flat text into raw clauses.
func plainClauses(text string) []rawClause {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	wrapped := isHardWrapped(lines)

	var blocks []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, " "))
			cur = nil
		}
	}
	for _, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || underline.MatchString(t):
			flush()
		case !wrapped:
			flush()
			cur = append(cur, t)
		case plainListItem.MatchString(t):
			flush()
			cur = append(cur, t)
		default:
			cur = append(cur, t)
		}
	}
	flush()

	var out []rawClause
	for i, b := range blocks {
		display := displayText(b)
		if !hasWordChar(display) {
			continue
		}
		next := ""
		if i+1 < len(blocks) {
			next = blocks[i+1]
		}
		switch {
		case plainListItem.MatchString(display):
			out = append(out, rawClause{kind: Item, display: display})
		case next != "" && (titleCased(display) || questionHeading(display)) && !isDateLine(display):
			out = append(out, rawClause{kind: Heading, display: display})
		default:
			out = append(out, rawClause{kind: Paragraph, display: display})
		}
	}
	return out
}

// questionHeading reports whether a line is a short question used as a
// section title ("What do we collect and why?").
func questionHeading(s string) bool {
	return strings.HasSuffix(s, "?") && len(strings.Fields(s)) <= 12 && utf8.RuneCountInString(s) <= 100
}

// isHardWrapped reports whether paragraphs are blocks of lines separated
// by blank lines (as in wrapped plain text), rather than one per line.
func isHardWrapped(lines []string) bool {
	nonBlank, continued, long, blank := 0, 0, 0, 0
	prevBlank := true
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			prevBlank = true
			continue
		}
		if prevBlank && nonBlank > 0 {
			blank++ // a blank line between two text lines
		}
		nonBlank++
		if !prevBlank {
			continued++
		}
		if utf8.RuneCountInString(t) > 100 {
			long++
		}
		prevBlank = false
	}
	if nonBlank == 0 {
		return false
	}
	// Long lines mean one paragraph per line; many continuation lines of
	// moderate length mean wrapping.
	return blank > 0 && long*10 < nonBlank && continued*3 > nonBlank
}

// trimRegion drops the menus and footers around the policy in a page
// without structure (flat text, rendered Markdown, a body of bare
// paragraphs). It keeps the run of clauses with the most running text: a
// maximum-sum window in which sentences count for their length (capped) and
// short lines, link lists and URLs count against. A run of short or link
// lines counts against at most runCap in all, so a table of contents between
// the introduction and the body does not cut the introduction off. Up to
// three title or date lines right above the window are kept with it.
func trimRegion(raw []rawClause) []rawClause {
	if len(raw) == 0 {
		return raw
	}
	const runCap = -400
	weights := make([]int, len(raw))
	for i, c := range raw {
		weights[i] = regionWeight(c)
	}
	// Three or more short lines in a row are a menu or a footer link list.
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && weights[j] < 0 && weights[j] > -50 {
			j++
		}
		if j-i >= 3 {
			per := -40
			if per*(j-i) < runCap {
				per = runCap / (j - i)
			}
			for k := i; k < j; k++ {
				weights[k] = per
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	bestSum, bestStart, bestEnd := 0, 0, -1
	sum, start := 0, 0
	for i, w := range weights {
		if sum <= 0 {
			sum, start = 0, i
		}
		sum += w
		if sum > bestSum {
			bestSum, bestStart, bestEnd = sum, start, i
		}
	}
	if bestEnd < 0 {
		return raw
	}
	// Titles and the date line sit just above the first paragraph.
	for k := 0; k < 3 && bestStart > 0; k++ {
		prev := raw[bestStart-1]
		if weights[bestStart-1] <= -50 || prev.linkShare >= 0.6 || utf8.RuneCountInString(prev.display) > 120 {
			break
		}
		bestStart--
	}
	return raw[bestStart : bestEnd+1]
}

// regionWeight scores one clause for trimRegion.
func regionWeight(c rawClause) int {
	t := c.display
	words := strings.Fields(t)
	switch {
	case bareURL.MatchString(t):
		return -50
	case len(words) == 1 && utf8.RuneCountInString(t) > 40, runTogether(t) >= 4 && runTogether(t)*4 >= len(words):
		return -100 // a menu whose items ran together
	case c.kind != Heading && c.linkShare >= 0.6:
		return -20
	case len(words) >= 8:
		n := countLetters(t)
		if n > 300 {
			n = 300
		}
		return n
	case c.kind == Heading:
		return -10
	default:
		return -20
	}
}

// runTogether counts places where a lower-case letter is followed straight
// away by an upper-case one ("EventsNewsGlobal"): menus captured as text
// lose the spaces between their items.
func runTogether(s string) int {
	n := 0
	var prev rune
	for _, r := range s {
		if unicode.IsLower(prev) && unicode.IsUpper(r) {
			n++
		}
		prev = r
	}
	return n
}

// isDateLine reports whether a short line is the policy's date statement.
func isDateLine(s string) bool {
	m := cueMatches(s, 1)
	return m != nil && m[0][0] < 10 && parseDate(s[m[0][1]:]) != ""
}
