package warc

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors returned by a Writer. Test them with errors.Is.
var (
	// ErrInvalid means a capture or a field holds something that cannot be
	// written without breaking the record: a CR, LF or other control
	// character, a bad header name, a URL that is not an absolute http(s)
	// URL, an address that is not an IP. Nothing of the capture is
	// written.
	ErrInvalid = errors.New("warc: invalid record content")
	// ErrOrder means records were asked for out of order: a capture
	// before the warcinfo record, or a second warcinfo record.
	ErrOrder = errors.New("warc: records out of order")
	// ErrClosed means the Writer was used after Close.
	ErrClosed = errors.New("warc: writer closed")
)

// Version is the WARC version line's version.
const Version = "WARC/1.1"

// SpecURL is the WARC 1.1 specification, the warcinfo's conformsTo.
const SpecURL = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

// dateLayout is WARC-Date: UTC, RFC 3339 with microseconds (WARC 1.1
// allows a fraction of a second; six digits is what archiving tools write
// and read).
const dateLayout = "2006-01-02T15:04:05.000000Z"

// Options configures a Writer. Zero fields take NewWriter's defaults.
type Options struct {
	// Gzip writes every record as its own gzip member (a .warc.gz file).
	Gzip bool
	// Now dates the warcinfo record. Default time.Now.
	Now func() time.Time
	// Filename, when set, is the warcinfo record's WARC-Filename.
	Filename string
	// Rand is the source of the record IDs' randomness. Default
	// crypto/rand.Reader; tests give a fixed stream for golden files.
	Rand io.Reader
}

// Field is one named field: a warcinfo field or a WARC header.
type Field struct {
	Name, Value string
}

// Capture is one HTTP exchange to archive.
type Capture struct {
	// Name identifies the capture in errors ("fetch 12").
	Name string
	// URL is the URL the response came from (after redirects): the
	// records' WARC-Target-URI and the request line's target.
	URL string
	// Date is when the request was sent: the records' WARC-Date.
	Date time.Time
	// RemoteAddr is the peer's address ("192.0.2.1:443" or a bare IP);
	// empty when unknown. Only the IP is written.
	RemoteAddr string
	// Method is the request method. Default GET.
	Method string
	// RequestProto is the protocol of the request line. Default
	// HTTP/1.1.
	RequestProto string
	// Proto is the response's protocol ("HTTP/1.1", "HTTP/2.0",
	// "HTTP/1.0" from an old server). Default HTTP/1.1.
	Proto string
	// RequestHeader holds the headers sent, Host included.
	RequestHeader http.Header
	// Status is the response's status code.
	Status int
	// Header holds the response headers as received.
	Header http.Header
	// Body is the response body as decoded by the client (no
	// Content-Encoding or Transfer-Encoding left on it).
	Body []byte
	// Truncated, when set, is the response's WARC-Truncated reason
	// ("length", "time", "disconnect" or "unspecified"): Body is not the
	// whole body.
	Truncated string
	// Conversion, when not nil, is written after the response as a
	// conversion record: another form of the response's content, made
	// from it by an archival process (for a page read in a browser, the
	// DOM the browser built from the document). It refers to the
	// response by WARC-Refers-To, as WARC 1.1 (section 6.8) has a
	// conversion record name the record it was converted from.
	Conversion *Conversion
	// Metadata, when not nil, is written as a metadata record
	// (application/json) referring to the response. Its values must
	// marshal with encoding/json; keys come out sorted.
	Metadata map[string]any
}

// Conversion is a converted form of a capture's response content.
type Conversion struct {
	// ContentType is the converted content's media type
	// ("text/html; charset=utf-8").
	ContentType string
	// Block is the converted content.
	Block []byte
	// Truncated, when set, is the record's WARC-Truncated reason: Block
	// is not the whole of it.
	Truncated string
}

// Records are the IDs of the records written for one capture.
type Records struct {
	Request, Response string
	// Metadata is empty when the capture had no Metadata.
	Metadata string
	// Conversion is empty when the capture had no Conversion.
	Conversion string
}

// Writer writes WARC records to an io.Writer. It is not safe for
// concurrent use.
type Writer struct {
	out    io.Writer
	opts   Options
	infoID string
	err    error // sticky: the first write error
	closed bool
}

// NewWriter returns a Writer that writes to out, defaults filled in.
func NewWriter(out io.Writer, opts Options) *Writer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Writer{out: out, opts: opts}
}

// WriteInfo writes the warcinfo record, which must come first and only
// once: software, format and conformsTo, then fields in order (the
// database instance, the source, the operator...). Values, and
// Options.Filename, are free text: control characters in them are
// percent-encoded (see freeText), not refused. It returns the record's
// ID, which every later record names in WARC-Warcinfo-ID.
func (w *Writer) WriteInfo(fields []Field) (string, error) {
	if err := w.usable(); err != nil {
		return "", err
	}
	if w.infoID != "" {
		return "", fmt.Errorf("warcinfo: %w: already written", ErrOrder)
	}
	all := append([]Field{{"software", "clausewatch"}, {"format", "WARC File Format 1.1"}, {"conformsTo", SpecURL}}, fields...)
	var block bytes.Buffer
	for _, f := range all {
		if !token(f.Name) {
			return "", fmt.Errorf("warcinfo: %w: field name %q", ErrInvalid, f.Name)
		}
		block.WriteString(f.Name + ": " + freeText(f.Value) + "\r\n")
	}
	id, err := w.newID()
	if err != nil {
		return "", err
	}
	head := []Field{{"WARC-Type", "warcinfo"}, {"WARC-Record-ID", id}, {"WARC-Date", w.opts.Now().UTC().Format(dateLayout)}}
	if w.opts.Filename != "" {
		head = append(head, Field{"WARC-Filename", freeText(w.opts.Filename)})
	}
	head = append(head, Field{"Content-Type", "application/warc-fields"})
	if err := w.write(w.record(head, block.Bytes(), "")); err != nil {
		return "", err
	}
	w.infoID = id
	return id, nil
}

// WriteCapture writes a capture's request, response, conversion (when it
// has a Conversion) and metadata (when it has Metadata) records, in one
// Write to the underlying writer. A
// capture that cannot be written safely is refused whole with an error
// wrapping ErrInvalid that names it.
func (w *Writer) WriteCapture(c Capture) (Records, error) {
	if err := w.usable(); err != nil {
		return Records{}, err
	}
	if w.infoID == "" {
		return Records{}, fmt.Errorf("capture %s: %w: write the warcinfo record first", c.Name, ErrOrder)
	}
	built, err := w.buildCapture(c)
	if err != nil {
		return Records{}, fmt.Errorf("capture %s: %w", c.Name, err)
	}
	if err := w.write(built.data); err != nil {
		return Records{}, fmt.Errorf("capture %s: %w", c.Name, err)
	}
	return built.ids, nil
}

// Close ends the archive. Every record is already written whole (and
// with Gzip, its member closed), so Close only reports the first write
// error and refuses later writes; it does not close the underlying
// writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.err
}

// usable reports why the writer cannot write, if it cannot.
func (w *Writer) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// write writes data whole, remembering a failure.
func (w *Writer) write(data []byte) error {
	if _, err := w.out.Write(data); err != nil {
		w.err = fmt.Errorf("warc: write: %w", err)
		return w.err
	}
	return nil
}

// builtCapture is a capture's records, ready to write.
type builtCapture struct {
	data []byte
	ids  Records
}

// buildCapture checks a capture and lays out its records.
func (w *Writer) buildCapture(c Capture) (builtCapture, error) {
	target, err := checkURL(c.URL)
	if err != nil {
		return builtCapture{}, err
	}
	if c.Date.IsZero() {
		return builtCapture{}, fmt.Errorf("%w: no date", ErrInvalid)
	}
	ip, err := peerIP(c.RemoteAddr)
	if err != nil {
		return builtCapture{}, err
	}
	method := cmp.Or(c.Method, http.MethodGet)
	if !token(method) {
		return builtCapture{}, fmt.Errorf("%w: method %q", ErrInvalid, method)
	}
	proto, reqProto := cmp.Or(c.Proto, "HTTP/1.1"), cmp.Or(c.RequestProto, "HTTP/1.1")
	for _, p := range []string{proto, reqProto} {
		if rest, ok := strings.CutPrefix(p, "HTTP/"); !ok || !token(rest) {
			return builtCapture{}, fmt.Errorf("%w: protocol %q", ErrInvalid, p)
		}
	}
	if c.Status < 100 || c.Status > 999 {
		return builtCapture{}, fmt.Errorf("%w: status %d", ErrInvalid, c.Status)
	}
	if c.Truncated != "" && !token(c.Truncated) {
		return builtCapture{}, fmt.Errorf("%w: truncation reason %q", ErrInvalid, c.Truncated)
	}

	reqBlock, err := requestBlock(method, target.RequestURI(), reqProto, c.RequestHeader)
	if err != nil {
		return builtCapture{}, err
	}
	respHead, err := responseHead(proto, c.Status, c.Header, len(c.Body))
	if err != nil {
		return builtCapture{}, err
	}
	var meta []byte
	if c.Metadata != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c.Metadata); err != nil {
			return builtCapture{}, fmt.Errorf("metadata: %w", err)
		}
		meta = b.Bytes()
	}

	if err := checkConversion(c.Conversion); err != nil {
		return builtCapture{}, err
	}

	var ids Records
	idList := []*string{&ids.Request, &ids.Response, &ids.Metadata}
	if c.Conversion != nil {
		// Drawn last, so that a capture without one gets the IDs it
		// always got.
		idList = append(idList, &ids.Conversion)
	}
	for _, id := range idList {
		if *id, err = w.newID(); err != nil {
			return builtCapture{}, err
		}
	}
	date := c.Date.UTC().Format(dateLayout)
	var out []byte
	head := []Field{{"WARC-Type", "request"}, {"WARC-Record-ID", ids.Request}, {"WARC-Date", date}, {"WARC-Target-URI", c.URL}}
	if ip != "" {
		head = append(head, Field{"WARC-IP-Address", ip})
	}
	head = append(head, Field{"WARC-Concurrent-To", ids.Response}, Field{"WARC-Warcinfo-ID", w.infoID}, Field{"Content-Type", "application/http;msgtype=request"})
	out = append(out, w.record(head, reqBlock, "")...)

	head = []Field{{"WARC-Type", "response"}, {"WARC-Record-ID", ids.Response}, {"WARC-Date", date}, {"WARC-Target-URI", c.URL}}
	if ip != "" {
		head = append(head, Field{"WARC-IP-Address", ip})
	}
	head = append(head, Field{"WARC-Warcinfo-ID", w.infoID})
	if c.Truncated != "" {
		head = append(head, Field{"WARC-Truncated", c.Truncated})
	}
	head = append(head, Field{"Content-Type", "application/http;msgtype=response"})
	out = append(out, w.record(head, append(respHead, c.Body...), Digest(c.Body))...)

	if cv := c.Conversion; cv != nil {
		head = []Field{{"WARC-Type", "conversion"}, {"WARC-Record-ID", ids.Conversion}, {"WARC-Date", date}, {"WARC-Target-URI", c.URL},
			{"WARC-Refers-To", ids.Response}, {"WARC-Warcinfo-ID", w.infoID}}
		if cv.Truncated != "" {
			head = append(head, Field{"WARC-Truncated", cv.Truncated})
		}
		head = append(head, Field{"Content-Type", cv.ContentType})
		// A conversion record's payload is its whole block.
		out = append(out, w.record(head, cv.Block, Digest(cv.Block))...)
	}

	if meta == nil {
		ids.Metadata = ""
	} else {
		out = append(out, w.record([]Field{
			{"WARC-Type", "metadata"}, {"WARC-Record-ID", ids.Metadata}, {"WARC-Date", date}, {"WARC-Target-URI", c.URL},
			{"WARC-Refers-To", ids.Response}, {"WARC-Warcinfo-ID", w.infoID}, {"Content-Type", "application/json"},
		}, meta, "")...)
	}
	return builtCapture{data: out, ids: ids}, nil
}

// checkConversion refuses a conversion whose fields cannot stand in a
// record header.
func checkConversion(cv *Conversion) error {
	if cv == nil {
		return nil
	}
	if _, _, err := mime.ParseMediaType(cv.ContentType); err != nil || !fieldValue(cv.ContentType) {
		return fmt.Errorf("%w: conversion content type %q", ErrInvalid, cv.ContentType)
	}
	if cv.Truncated != "" && !token(cv.Truncated) {
		return fmt.Errorf("%w: conversion truncation reason %q", ErrInvalid, cv.Truncated)
	}
	return nil
}

// record lays out one record: version line, fields, the block digest (and
// payloadDigest when there is one), Content-Length, a blank line, the
// block and two CRLFs; gzipped as its own member with Options.Gzip.
func (w *Writer) record(fields []Field, block []byte, payloadDigest string) []byte {
	var b bytes.Buffer
	b.WriteString(Version + "\r\n")
	for _, f := range fields {
		b.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	b.WriteString("WARC-Block-Digest: " + Digest(block) + "\r\n")
	if payloadDigest != "" {
		b.WriteString("WARC-Payload-Digest: " + payloadDigest + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(block)) + "\r\n\r\n")
	b.Write(block)
	b.WriteString("\r\n\r\n")
	if !w.opts.Gzip {
		return b.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes()) // writes to a bytes.Buffer do not fail
	zw.Close()
	return z.Bytes()
}

// Digest is the labelled digest this package writes: "sha256:" and the
// lowercase hex SHA-256 of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newID is a fresh record ID: a random (version 4) UUID as a URN, in
// angle brackets as WARC 1.1 writes it.
func (w *Writer) newID() (string, error) {
	var u [16]byte
	if _, err := io.ReadFull(w.opts.Rand, u[:]); err != nil {
		return "", fmt.Errorf("warc: record ID: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(u[:])
	return "<urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + ">", nil
}
