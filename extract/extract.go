package extract

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
)

// Version identifies the extraction rules. It changes whenever a change to
// this package can change the clauses produced for the same bytes, so that
// stored documents can say which rules made them and be re-extracted.
const Version = "extract/1"

// Kind says what sort of block a clause came from.
type Kind string

// The kinds of clause.
const (
	// Heading is a section title: h1–h6, role=heading, a paragraph whose
	// whole text is bold, or a short title-cased line in flat text.
	Heading Kind = "heading"
	// Paragraph is a block of running text.
	Paragraph Kind = "paragraph"
	// Item is a list item (numbering and bullet glyph removed from Text).
	Item Kind = "item"
	// Row is one row of a data table, cells joined by " | ".
	Row Kind = "row"
)

// Format names the kind of input a Document was extracted from.
type Format string

// The input formats.
const (
	FormatHTML     Format = "html"
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
)

// Clause is one unit of policy text: a heading, paragraph, list item or
// table row, in page order.
type Clause struct {
	// Kind is the sort of block the clause came from.
	Kind Kind `json:"kind"`
	// Level is the heading level (1–6, 7 for an unlabelled bold heading
	// before any real one) for headings, and 0 otherwise.
	Level int `json:"level,omitempty"`
	// Path is the trail of headings above the clause, outermost first, in
	// normalised form. It does not include the clause itself.
	Path []string `json:"path"`
	// Text is the normalised text (see Normalize), the form compared
	// between versions.
	Text string `json:"text"`
	// Display is the text as the page showed it, white space folded. Diffs
	// show it so a reader sees what the page said.
	Display string `json:"display"`
}

// Document is a policy page reduced to its clauses.
type Document struct {
	// Title is the page or policy title.
	Title string `json:"title"`
	// Updated is the policy's own "last updated / effective / posted" date
	// as YYYY-MM-DD, or "" when the page states none that could be read.
	Updated string `json:"updated"`
	// UpdatedText is the statement the date was read from, as written.
	UpdatedText string `json:"updated_text,omitempty"`
	// Lang is the page's declared language (html lang), if any.
	Lang string `json:"lang,omitempty"`
	// Format is the input format the document was extracted from.
	Format Format `json:"format"`
	// Clauses are the policy's clauses in reading order.
	Clauses []Clause `json:"clauses"`
}

// Options tunes one extraction. The zero value extracts with the generic
// rules only.
type Options struct {
	// ContentType is the media type the page was served with, if known
	// ("text/html; charset=iso-8859-1"). It picks the format and charset;
	// without it both are sniffed from the bytes.
	ContentType string
	// Select, when not empty, keeps only the elements matching these CSS
	// selectors (in page order) as the policy text, instead of the generic
	// main-content guess.
	Select []string
	// Remove drops the elements matching these CSS selectors before
	// anything else is done.
	Remove []string
}

// Errors returned by extraction. Test them with errors.Is.
var (
	// ErrEmpty means the input held no policy text at all.
	ErrEmpty = errors.New("extract: no text found")
	// ErrNotText means the input is neither HTML, plain text nor Markdown
	// (an image, an archive, binary data).
	ErrNotText = errors.New("extract: input is not HTML or text")
	// ErrUnsupported means the input is a document format that is
	// recognised but not yet extracted (PDF).
	ErrUnsupported = errors.New("extract: unsupported document format")
	// ErrSelector means a Select or Remove selector is not valid CSS.
	ErrSelector = errors.New("extract: invalid CSS selector")
)

// Bytes extracts a Document from a page in any supported format, chosen by
// opts.ContentType when it names one and by sniffing the bytes otherwise.
func Bytes(data []byte, opts Options) (*Document, error) {
	format, err := detectFormat(data, opts.ContentType)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatText:
		return Text(data)
	case FormatMarkdown:
		return Markdown(data, opts)
	default:
		return HTML(data, opts)
	}
}

// detectFormat decides how to read data.
func detectFormat(data []byte, contentType string) (Format, error) {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err == nil {
			switch {
			case mt == "text/html" || mt == "application/xhtml+xml":
				return FormatHTML, nil
			case mt == "text/markdown" || mt == "text/x-markdown":
				return FormatMarkdown, nil
			case mt == "application/pdf":
				return "", fmt.Errorf("%w: PDF", ErrUnsupported)
			case mt == "text/plain":
				return sniffText(data)
			}
		}
	}
	sniffed := http.DetectContentType(data)
	switch {
	case strings.HasPrefix(sniffed, "text/html"), strings.HasPrefix(sniffed, "text/xml"):
		return FormatHTML, nil
	case strings.HasPrefix(sniffed, "application/pdf"):
		return "", fmt.Errorf("%w: PDF", ErrUnsupported)
	case strings.HasPrefix(sniffed, "text/plain"):
		return sniffText(data)
	}
	return "", fmt.Errorf("%w: looks like %s", ErrNotText, sniffed)
}

// sniffText tells HTML without a leading tag, Markdown and plain text apart.
func sniffText(data []byte) (Format, error) {
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	if !utf8.Valid(head) && bytes.IndexByte(head, 0) >= 0 {
		return "", fmt.Errorf("%w: binary data", ErrNotText)
	}
	lower := bytes.ToLower(head)
	for _, tag := range [][]byte{[]byte("<html"), []byte("<body"), []byte("<p>"), []byte("<div"), []byte("<p "), []byte("<h1"), []byte("<h2"), []byte("<table")} {
		if bytes.Contains(lower, tag) {
			return FormatHTML, nil
		}
	}
	if looksMarkdown(head) {
		return FormatMarkdown, nil
	}
	return FormatText, nil
}

// looksMarkdown reports whether text uses Markdown syntax enough to be read
// as Markdown: ATX or setext headings, links, or emphasis markers at the
// start of lines.
func looksMarkdown(data []byte) bool {
	score := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		l := bytes.TrimSpace(line)
		switch {
		case bytes.HasPrefix(l, []byte("# ")), bytes.HasPrefix(l, []byte("## ")), bytes.HasPrefix(l, []byte("### ")):
			score += 2
		case len(l) >= 3 && (bytes.Count(l, []byte("=")) == len(l) || bytes.Count(l, []byte("-")) == len(l)):
			score++
		case bytes.HasPrefix(l, []byte("**")) && bytes.HasSuffix(l, []byte("**")):
			score++
		}
		if bytes.Contains(l, []byte("](")) {
			score++
		}
		if score >= 3 {
			return true
		}
	}
	return false
}

// compileSelectors parses CSS selectors, naming the one that fails.
func compileSelectors(list []string) ([]cascadia.Selector, error) {
	var out []cascadia.Selector
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		sel, err := cascadia.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrSelector, s, err)
		}
		out = append(out, sel)
	}
	return out, nil
}
