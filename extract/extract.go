package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// Version identifies the extraction rules. It changes whenever a change to
// this package can change the clauses produced for the same bytes, or
// what a stored document says of them (extract/5: its language, and the
// Spanish date cue; decision record 0039), so that stored documents can
// say which rules made them and be re-extracted.
const Version = "extract/5"

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
	FormatPDF      Format = "pdf"
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
	// Lang is the page's language: as declared (html lang, xml:lang),
	// else the Content-Language header, else detected from the text
	// (ISO 639-1), or "" when none of these tells.
	Lang string `json:"lang,omitempty"`
	// Format is the input format the document was extracted from.
	Format Format `json:"format"`
	// Clauses are the policy's clauses in reading order.
	Clauses []Clause `json:"clauses"`
	// Truncated is true when the page went beyond MaxClauses or MaxText:
	// Clauses hold the clauses up to the cap, then a last clause saying
	// where the document was cut (see TruncationNote).
	Truncated bool `json:"truncated,omitempty"`
}

// The caps on one document. The largest real policy in the corpus has 740
// clauses and 175 KB of text; a page far beyond that is not a policy but
// a runaway or hostile page, and reading it whole would cost every later
// step (the diff, storage, the change page) in proportion. See
// docs/decisions/0019-work-bounds.md.
const (
	// MaxClauses is the most clauses a Document holds (the truncation
	// note aside).
	MaxClauses = 5000
	// MaxText is the most bytes of clause text (Display) a Document
	// holds.
	MaxText = 1 << 20
)

// TruncationNote is the text of the clause that ends a Document cut at a
// cap after n clauses.
func TruncationNote(n int) string {
	return fmt.Sprintf("[clausewatch: document truncated after %d clauses]", n)
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
	// ContentLanguage is the Content-Language header the page was served
	// with, if known: the document's language when the page declares none.
	ContentLanguage string
	// Section, when not empty, keeps only the document under the heading
	// it names, for pages that hold several ("legal centres"): the heading
	// whose text equals it, ignoring case and white space, or else the
	// first heading that contains it, and everything below that heading up
	// to the next heading of the same or a higher level. It applies after
	// Select and Remove, and to every format. A page without such a
	// heading is a SectionError.
	Section string
	// PDF reads PDF input (detected from the bytes, whatever the
	// Content-Type). nil means a PDFReader with its defaults.
	PDF *PDFReader
}

// Errors returned by extraction. Test them with errors.Is.
var (
	// ErrEmpty means the input held no policy text at all.
	ErrEmpty = errors.New("extract: no text found")
	// ErrNotText means the input is neither HTML, plain text nor Markdown
	// (an image, an archive, binary data).
	ErrNotText = errors.New("extract: input is not HTML or text")
	// ErrUnsupported means the input is a document format that is
	// recognised but cannot be extracted here: a PDF where poppler's
	// pdftohtml is not installed (the error names the program).
	ErrUnsupported = errors.New("extract: unsupported document format")
	// ErrScanned means a PDF has no text layer: its pages are images
	// (a scan), and there is no text to read without OCR.
	ErrScanned = errors.New("extract: scanned PDF, no text layer")
	// ErrTooLarge means a PDF is beyond the reader's bounds: bytes, pages,
	// output or time (see PDFReader).
	ErrTooLarge = errors.New("extract: document too large")
	// ErrSelector means a Select or Remove selector is not valid CSS (or
	// is empty, or was given for plain text).
	ErrSelector = errors.New("extract: invalid CSS selector")
	// ErrMalformed means the input could not be decoded or parsed: a byte
	// sequence invalid in its declared charset, HTML nested past the
	// parser's limit, Markdown the renderer rejects.
	ErrMalformed = errors.New("extract: malformed input")
	// ErrNoMatch means the Select selectors matched nothing on the page.
	ErrNoMatch = errors.New("extract: select matched nothing")
	// ErrNoSection means the page has no heading that Options.Section
	// names; the error is a *SectionError, which lists the headings.
	ErrNoSection = errors.New("extract: section not found")
)

// Bytes extracts a Document from a page in any supported format. The
// format is chosen from the bytes' magic numbers first (a PDF or an image
// is never read as text, whatever the server says), then opts.ContentType,
// then by sniffing. Text in UTF-16 with a byte-order mark is converted
// first; plain text and Markdown in another charset are decoded from the
// Content-Type charset, or as windows-1252 when they are not valid UTF-8.
// Select and Remove apply to HTML and Markdown only; Section to all. A PDF
// is read with opts.PDF (see PDFReader.Document), bounded by its Timeout.
// The document's language is the page's own (html lang, xml:lang), else
// opts.ContentLanguage, else detected from its text (DetectLang).
func Bytes(data []byte, opts Options) (*Document, error) {
	doc, err := byFormat(data, opts)
	if err == nil {
		setLang(doc, opts.ContentLanguage)
	}
	return doc, err
}

func byFormat(data []byte, opts Options) (*Document, error) {
	if IsPDF(data) {
		return opts.PDF.Document(context.Background(), data, opts)
	}
	data, utf16 := fromUTF16(data)
	if utf16 {
		opts.ContentType = withoutCharset(opts.ContentType)
	}
	format, err := detectFormat(data, opts.ContentType)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatText:
		if len(opts.Select)+len(opts.Remove) > 0 {
			return nil, fmt.Errorf("%w: selectors apply to HTML and Markdown, and this input is plain text", ErrSelector)
		}
		text, err := decodeText(data, opts.ContentType)
		if err != nil {
			return nil, err
		}
		doc, err := Text(text)
		if err != nil || opts.Section == "" {
			return doc, err
		}
		if err := pickSection(doc, opts.Section); err != nil {
			return nil, err
		}
		return doc, nil
	case FormatMarkdown:
		text, err := decodeText(data, opts.ContentType)
		if err != nil {
			return nil, err
		}
		return Markdown(text, opts)
	default:
		return HTML(data, opts)
	}
}

// fromUTF16 converts text that starts with a UTF-16 byte-order mark to
// UTF-8. ok reports whether it did.
func fromUTF16(data []byte) (out []byte, ok bool) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	default:
		return data, false
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return data, false
	}
	return out, true
}

// withoutCharset drops the charset parameter of a media type (after the
// bytes were converted to UTF-8).
func withoutCharset(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// decodeText converts plain text or Markdown to UTF-8: from the charset the
// Content-Type names, else as UTF-8 when valid, else as windows-1252 (the
// usual charset of legacy pages, and a superset of Latin-1's printable
// characters).
func decodeText(data []byte, contentType string) ([]byte, error) {
	name := "utf-8"
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		name = params["charset"]
	} else if !utf8.Valid(data) {
		name = "windows-1252"
	}
	enc, canonical := charset.Lookup(name)
	if enc == nil {
		return nil, fmt.Errorf("%w: unknown charset %q", ErrNotText, name)
	}
	if canonical == "utf-8" || mislabelledUTF8(data, canonical) {
		return data, nil
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: decode %s: %v", ErrMalformed, canonical, err)
	}
	return out, nil
}

// mislabelledUTF8 reports whether data declared in a single-byte Latin
// charset is really UTF-8: it is valid UTF-8 and has non-ASCII bytes. Text
// written in windows-1252 or ISO-8859-x is almost never valid UTF-8 once it
// has accented letters ("é" is one byte, never followed by a continuation
// byte), while a server that labels its UTF-8 pages "iso-8859-1" is common;
// reading such a page as declared would turn every curly quote into
// "â€™" and report a change in every clause.
func mislabelledUTF8(data []byte, declared string) bool {
	switch {
	case declared == "windows-1252", strings.HasPrefix(declared, "iso-8859-"), strings.HasPrefix(declared, "windows-125"):
	default:
		return false
	}
	ascii := true
	for _, b := range data {
		if b >= 0x80 {
			ascii = false
			break
		}
	}
	return !ascii && utf8.Valid(data)
}

// detectFormat decides how to read data.
func detectFormat(data []byte, contentType string) (Format, error) {
	sniffed := http.DetectContentType(data)
	switch {
	case !strings.HasPrefix(sniffed, "text/"):
		return "", fmt.Errorf("%w: looks like %s", ErrNotText, sniffed)
	}
	if contentType != "" {
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			switch mt {
			case "text/html", "application/xhtml+xml":
				return FormatHTML, nil
			case "text/markdown", "text/x-markdown":
				return FormatMarkdown, nil
			}
		}
	}
	if strings.HasPrefix(sniffed, "text/html") || strings.HasPrefix(sniffed, "text/xml") {
		return FormatHTML, nil
	}
	return sniffText(data)
}

// sniffText tells HTML without a leading doctype, Markdown and plain text
// apart: text that starts with a tag is HTML; Markdown syntax means
// Markdown (raw HTML blocks inside it are kept); a few block tags anywhere
// mean an HTML fragment.
func sniffText(data []byte) (Format, error) {
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	if !utf8.Valid(head) && bytes.IndexByte(head, 0) >= 0 {
		return "", fmt.Errorf("%w: binary data", ErrNotText)
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trimmed) > 1 && trimmed[0] == '<' && (isASCIILetter(trimmed[1]) || trimmed[1] == '!') {
		return FormatHTML, nil
	}
	if looksMarkdown(head) {
		return FormatMarkdown, nil
	}
	lower := bytes.ToLower(head)
	tags := 0
	for _, tag := range []string{"<p>", "<p ", "<div", "<br", "<li", "<h1", "<h2", "<h3", "<table", "<section", "<article", "<ul", "<html", "<body"} {
		tags += bytes.Count(lower, []byte(tag))
	}
	if tags >= 2 {
		return FormatHTML, nil
	}
	return FormatText, nil
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

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
// CheckSelectors reports the first of the Select and Remove selectors that
// does not compile, wrapping ErrSelector, so a source's settings can be
// checked when they are entered rather than at its first fetch.
func CheckSelectors(sel, remove []string) error {
	if _, err := compileSelectors(sel); err != nil {
		return err
	}
	_, err := compileSelectors(remove)
	return err
}

func compileSelectors(list []string) ([]cascadia.Selector, error) {
	var out []cascadia.Selector
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("%w: empty selector", ErrSelector)
		}
		sel, err := cascadia.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrSelector, s, err)
		}
		out = append(out, sel)
	}
	return out, nil
}
