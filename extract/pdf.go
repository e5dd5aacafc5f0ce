package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// PDFReader reads PDF documents with poppler's pdftohtml, run as a child
// process for each document (docs/decisions/0030-pdf-input.md). The child
// is bounded: the document's size and page count, its address space, its
// output and its time. The zero value is ready to use with the defaults.
type PDFReader struct {
	// Program is the pdftohtml executable, looked up in PATH when it has
	// no slash. Default "pdftohtml" (Debian: package poppler-utils).
	Program string
	// MaxBytes refuses larger documents. Default 64 MiB.
	MaxBytes int
	// MaxPages refuses documents with more pages. Default 500 (the
	// longest real policies run to a few dozen).
	MaxPages int
	// MaxMemory bounds the child's address space, in bytes. Default
	// 1 GiB (pdftohtml needs about 15 MB for a policy).
	MaxMemory int64
	// Timeout bounds the reading of one document. Default 30s.
	Timeout time.Duration
	// TempDir holds the document while the child reads it. Default
	// os.TempDir().
	TempDir string
}

// The defaults of PDFReader.
const (
	defaultPDFProgram   = "pdftohtml"
	defaultPDFMaxBytes  = 64 << 20
	defaultPDFMaxPages  = 500
	defaultPDFMaxMemory = 1 << 30
	defaultPDFTimeout   = 30 * time.Second
	// maxPDFOutput caps what the child may print: the XML of MaxText of
	// text is well under it.
	maxPDFOutput = 64 << 20
)

// IsPDF reports whether data is a PDF document: it starts with the
// "%PDF-" header (after white space or a byte-order mark), whatever the
// URL or the Content-Type say.
func IsPDF(data []byte) bool {
	head := bytes.TrimLeft(data[:min(len(data), 1024)], " \t\r\n\x00\xef\xbb\xbf")
	return bytes.HasPrefix(head, []byte("%PDF-"))
}

func (r *PDFReader) withDefaults() PDFReader {
	c := PDFReader{}
	if r != nil {
		c = *r
	}
	if c.Program == "" {
		c.Program = defaultPDFProgram
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = defaultPDFMaxBytes
	}
	if c.MaxPages <= 0 {
		c.MaxPages = defaultPDFMaxPages
	}
	if c.MaxMemory <= 0 {
		c.MaxMemory = defaultPDFMaxMemory
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultPDFTimeout
	}
	return c
}

// Document extracts a Document from a PDF: its text in reading order,
// cut into headings, list items and paragraphs by layout, with running
// headers, footers and page numbers left out. opts.Section applies;
// selectors do not (ErrSelector). A PDF with no text layer (a scan) is
// ErrScanned; one beyond the reader's bounds is ErrTooLarge; a missing
// pdftohtml is ErrUnsupported, naming the program.
func (r *PDFReader) Document(ctx context.Context, data []byte, opts Options) (*Document, error) {
	if len(opts.Select)+len(opts.Remove) > 0 {
		return nil, fmt.Errorf("%w: selectors apply to HTML and Markdown, and this input is a PDF", ErrSelector)
	}
	pages, err := r.pages(ctx, data)
	if err != nil {
		return nil, err
	}
	return layoutDocument(pages, FormatPDF, "", opts, ErrScanned)
}

// layoutDocument finishes the clauses of positioned pages into a
// Document. empty is the error for pages without text.
func layoutDocument(pages []textPage, format Format, title string, opts Options, empty error) (*Document, error) {
	raw := layoutClauses(pages)
	doc := &Document{Format: format, Title: title}
	doc.Clauses, doc.Truncated = finishClauses(raw, false)
	if len(doc.Clauses) == 0 {
		return nil, empty
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

// pages runs pdftohtml on data and reads its pages.
func (r *PDFReader) pages(ctx context.Context, data []byte) ([]textPage, error) {
	c := r.withDefaults()
	if len(data) > c.MaxBytes {
		return nil, fmt.Errorf("%w: PDF of %d bytes, more than the %d allowed", ErrTooLarge, len(data), c.MaxBytes)
	}
	program, err := exec.LookPath(c.Program)
	if err != nil {
		return nil, fmt.Errorf("%w: reading a PDF needs poppler's %s, which is not installed or not in PATH (Debian: apt-get install poppler-utils): %v", ErrUnsupported, c.Program, err)
	}
	f, err := os.CreateTemp(c.TempDir, "clausewatch-*.pdf")
	if err != nil {
		return nil, fmt.Errorf("extract: PDF temporary file: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("extract: PDF temporary file: %w", werr)
	}
	out, err := c.run(ctx, program, f.Name())
	if err != nil {
		return nil, err
	}
	pages, err := parsePopplerXML(out)
	if err != nil {
		return nil, err
	}
	if len(pages) > c.MaxPages {
		return nil, fmt.Errorf("%w: PDF has more than %d pages", ErrTooLarge, c.MaxPages)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: PDF without pages", ErrMalformed)
	}
	return pages, nil
}

// run starts pdftohtml under a shell that first lowers its address-space
// limit (the one portable way to set a child's rlimit from Go), and
// returns its XML. The first MaxPages+1 pages are read, so that a longer
// document is known to be too long without reading all of it.
func (c PDFReader) run(ctx context.Context, program, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	args := []string{"-c", `ulimit -v "$1" 2>/dev/null; shift; exec "$@"`, "sh", strconv.FormatInt(c.MaxMemory>>10, 10),
		program, "-xml", "-stdout", "-i", "-nodrm", "-hidden", "-noroundcoord", "-l", strconv.Itoa(c.MaxPages + 1), path}
	cmd := exec.CommandContext(ctx, "/bin/sh", args...)
	stdout := &cappedBuffer{max: maxPDFOutput, over: cancel}
	stderr := &cappedBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case stdout.exceeded:
		return nil, fmt.Errorf("%w: PDF text beyond %d MiB", ErrTooLarge, maxPDFOutput>>20)
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: reading the PDF took longer than %s", ErrTooLarge, c.Timeout)
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("extract: PDF: %w", ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("%w: PDF: %s %v (memory bounded to %d MiB): %s", ErrMalformed, c.Program, err, c.MaxMemory>>20, firstLines(stderr.buf.String(), 3))
	}
	return stdout.buf.Bytes(), nil
}

// firstLines returns up to n lines of s that are not pdftohtml's warnings,
// joined by "; ".
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Syntax Warning") {
			continue
		}
		if out = append(out, l); len(out) == n {
			break
		}
	}
	if len(out) == 0 {
		return "no message"
	}
	return strings.Join(out, "; ")
}

// cappedBuffer keeps at most max bytes. Past that it fails the write and
// calls over (which stops the child).
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	over     func()
	exceeded bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		if b.over == nil {
			// stderr: keep the start, drop the rest quietly.
			b.buf.Write(p[:max(0, b.max-b.buf.Len())])
			return len(p), nil
		}
		b.exceeded = true
		b.over()
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}
