package warc_test

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/warc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// counter is a deterministic stand-in for crypto/rand, so record IDs are
// the same on every run.
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		c.n++
		p[i] = c.n
	}
	return len(p), nil
}

var clock = func() time.Time { return time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC) }

// sample is a capture whose server sent a gzipped, chunked body: the
// record must state the decoded body's framing.
func sample() warc.Capture {
	return warc.Capture{
		Name:       "fetch 7",
		URL:        "https://www.example.com/legal/privacy?lang=en",
		Date:       time.Date(2024, 5, 17, 9, 30, 1, 123456789, time.FixedZone("CEST", 2*3600)),
		RemoteAddr: "[2001:db8::1]:443",
		Proto:      "HTTP/1.1",
		RequestHeader: http.Header{
			"User-Agent":      {"clausewatch/0.1"},
			"Accept":          {"text/html"},
			"Accept-Encoding": {"gzip, br"},
			"Host":            {"www.example.com"},
		},
		Status: 200,
		Header: http.Header{
			"Content-Type":      {"text/html; charset=utf-8"},
			"Content-Encoding":  {"gzip"},
			"Transfer-Encoding": {"chunked"},
			"Content-Length":    {"41"},
			"Vary":              {"Accept-Encoding", "Accept-Language"},
			"Etag":              {`"abc"`},
		},
		Body:     []byte("<html><body><p>We keep your data.</p></body></html>\n"),
		Metadata: map[string]any{"fetch": map[string]any{"id": 7, "outcome": "new"}, "note": "<ok> & fine"},
	}
}

// write returns the WARC of info fields and captures.
func write(t *testing.T, opts warc.Options, captures ...warc.Capture) ([]byte, []warc.Records) {
	t.Helper()
	var buf bytes.Buffer
	if opts.Rand == nil {
		opts.Rand = &counter{}
	}
	if opts.Now == nil {
		opts.Now = clock
	}
	w := warc.NewWriter(&buf, opts)
	if _, err := w.WriteInfo([]warc.Field{{"clausewatch-instance", "0123abcd"}}); err != nil {
		t.Fatal(err)
	}
	var ids []warc.Records
	for _, c := range captures {
		r, err := w.WriteCapture(c)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), ids
}

// record is one record as this test's own reader splits it.
type record struct {
	fields map[string]string
	order  []string
	block  []byte
}

// parse splits a plain WARC into records independently of the writer: the
// version line, fields up to a blank line, Content-Length bytes of block,
// then exactly CRLF CRLF.
func parse(t *testing.T, data []byte) []record {
	t.Helper()
	var out []record
	for len(data) > 0 {
		line, rest, ok := bytes.Cut(data, []byte("\r\n"))
		if !ok || string(line) != "WARC/1.1" {
			t.Fatalf("record %d: version line %q", len(out), line)
		}
		data = rest
		r := record{fields: map[string]string{}}
		for {
			line, rest, ok = bytes.Cut(data, []byte("\r\n"))
			if !ok {
				t.Fatalf("record %d: unterminated header", len(out))
			}
			data = rest
			if len(line) == 0 {
				break
			}
			name, value, ok := strings.Cut(string(line), ": ")
			if !ok {
				t.Fatalf("record %d: field line %q", len(out), line)
			}
			if _, dup := r.fields[name]; dup {
				t.Fatalf("record %d: field %s twice", len(out), name)
			}
			r.fields[name] = value
			r.order = append(r.order, name)
		}
		n, err := strconv.Atoi(r.fields["Content-Length"])
		if err != nil || n > len(data) {
			t.Fatalf("record %d: Content-Length %q with %d bytes left", len(out), r.fields["Content-Length"], len(data))
		}
		r.block, data = data[:n], data[n:]
		if !bytes.HasPrefix(data, []byte("\r\n\r\n")) {
			t.Fatalf("record %d: block not followed by CRLF CRLF: %q", len(out), data[:min(len(data), 20)])
		}
		data = data[4:]
		out = append(out, r)
	}
	return out
}

func sha256Label(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// TestWARCGolden pins the exact bytes of a warcinfo and one capture.
func TestWARCGolden(t *testing.T) {
	got, _ := write(t, warc.Options{Filename: "example.warc"}, sample())
	path := filepath.Join("testdata", "capture.warc")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./warc -run TestWARCGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update if the change is meant):\n got: %q\nwant: %q", path, got, want)
	}
}

// TestWARCRecords checks every record of several captures with this test's
// own reader: Content-Length, digests recomputed, links between records,
// dates and the HTTP blocks.
func TestWARCRecords(t *testing.T) {
	empty := sample()
	empty.Name, empty.Status, empty.Body, empty.Header = "fetch 8", 304, nil, http.Header{"Etag": {`"abc"`}}
	binary := sample()
	binary.Name, binary.Body, binary.Metadata, binary.RemoteAddr, binary.Proto = "fetch 9", []byte{0, 1, 2, '\r', '\n', 0xff}, nil, "", ""
	h2 := sample()
	h2.Name, h2.Proto, h2.RequestProto, h2.RemoteAddr = "fetch 10", "HTTP/2.0", "HTTP/2.0", "192.0.2.7"
	for _, tt := range []struct {
		name string
		c    warc.Capture
		ip   string // WARC-IP-Address
	}{
		{"gzipped page", sample(), "2001:db8::1"},
		{"304 without body", empty, "2001:db8::1"},
		{"binary body, no metadata, no address, no protocol", binary, ""},
		{"HTTP/2, bare IP", h2, "192.0.2.7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data, ids := write(t, warc.Options{}, tt.c)
			recs := parse(t, data)
			wantN := 4
			if tt.c.Metadata == nil {
				wantN = 3
			}
			if len(recs) != wantN {
				t.Fatalf("got %d records, want %d", len(recs), wantN)
			}
			info := recs[0]
			for i, r := range recs {
				if got := r.fields["Content-Length"]; got != strconv.Itoa(len(r.block)) {
					t.Errorf("record %d: Content-Length %s, block %d bytes", i, got, len(r.block))
				}
				if got, want := r.fields["WARC-Block-Digest"], sha256Label(r.block); got != want {
					t.Errorf("record %d: block digest %s, want %s", i, got, want)
				}
				if i > 0 && r.fields["WARC-Warcinfo-ID"] != info.fields["WARC-Record-ID"] {
					t.Errorf("record %d: warcinfo ID %s, want %s", i, r.fields["WARC-Warcinfo-ID"], info.fields["WARC-Record-ID"])
				}
				if r.order[0] != "WARC-Type" || r.order[len(r.order)-1] != "Content-Length" {
					t.Errorf("record %d: field order %v", i, r.order)
				}
			}
			req, resp := recs[1], recs[2]
			if req.fields["WARC-Type"] != "request" || resp.fields["WARC-Type"] != "response" {
				t.Fatalf("types %s, %s", req.fields["WARC-Type"], resp.fields["WARC-Type"])
			}
			if req.fields["WARC-Record-ID"] != ids[0].Request || resp.fields["WARC-Record-ID"] != ids[0].Response || req.fields["WARC-Concurrent-To"] != ids[0].Response {
				t.Errorf("IDs: request %s → %s, response %s; returned %+v", req.fields["WARC-Record-ID"], req.fields["WARC-Concurrent-To"], resp.fields["WARC-Record-ID"], ids[0])
			}
			if got, want := resp.fields["WARC-Date"], tt.c.Date.UTC().Format("2006-01-02T15:04:05.000000Z"); got != want || req.fields["WARC-Date"] != want {
				t.Errorf("WARC-Date %s, want %s", got, want)
			}
			if _, err := time.Parse(time.RFC3339Nano, resp.fields["WARC-Date"]); err != nil {
				t.Errorf("WARC-Date is not RFC 3339: %v", err)
			}
			head, body, ok := bytes.Cut(resp.block, []byte("\r\n\r\n"))
			if !ok || !bytes.Equal(body, tt.c.Body) {
				t.Errorf("response payload %q, want %q", body, tt.c.Body)
			}
			if got, want := resp.fields["WARC-Payload-Digest"], sha256Label(tt.c.Body); got != want {
				t.Errorf("payload digest %s, want %s", got, want)
			}
			if _, ok := req.fields["WARC-Payload-Digest"]; ok {
				t.Errorf("request has a payload digest")
			}
			hr, err := http.ReadResponse(bufioReader(append(head, "\r\n\r\n"...)), nil)
			if err != nil {
				t.Fatalf("response head does not parse as HTTP: %v\n%s", err, head)
			}
			if want := cmp.Or(tt.c.Proto, "HTTP/1.1"); hr.Proto != want {
				t.Errorf("response protocol %s, want %s", hr.Proto, want)
			}
			if resp.fields["WARC-IP-Address"] != tt.ip || req.fields["WARC-IP-Address"] != tt.ip {
				t.Errorf("WARC-IP-Address %q and %q from %q, want %q", req.fields["WARC-IP-Address"], resp.fields["WARC-IP-Address"], tt.c.RemoteAddr, tt.ip)
			}
			if hr.StatusCode != tt.c.Status || hr.Header.Get("Content-Encoding") != "" || len(hr.TransferEncoding) != 0 {
				t.Errorf("response head: status %d, Content-Encoding %q, Transfer-Encoding %v", hr.StatusCode, hr.Header.Get("Content-Encoding"), hr.TransferEncoding)
			}
			if tt.c.Status != 304 && hr.ContentLength != int64(len(tt.c.Body)) {
				t.Errorf("response Content-Length %d, body %d bytes", hr.ContentLength, len(tt.c.Body))
			}
			hq, err := http.ReadRequest(bufioReader(req.block))
			if err != nil {
				t.Fatalf("request block does not parse as HTTP: %v\n%s", err, req.block)
			}
			if want := cmp.Or(tt.c.RequestProto, "HTTP/1.1"); hq.Proto != want {
				t.Errorf("request protocol %s, want %s", hq.Proto, want)
			}
			if hq.Method != "GET" || hq.RequestURI != "/legal/privacy?lang=en" || hq.Host != "www.example.com" || hq.Header.Get("Accept-Encoding") != "gzip, br" {
				t.Errorf("request: %s %s host %s, header %v", hq.Method, hq.RequestURI, hq.Host, hq.Header)
			}
			if tt.c.Metadata != nil {
				meta := recs[3]
				if meta.fields["WARC-Refers-To"] != ids[0].Response || meta.fields["Content-Type"] != "application/json" || meta.fields["WARC-Record-ID"] != ids[0].Metadata {
					t.Errorf("metadata fields %v; IDs %+v", meta.fields, ids[0])
				}
				var m map[string]any
				if err := json.Unmarshal(meta.block, &m); err != nil || m["note"] != "<ok> & fine" {
					t.Errorf("metadata block %s: %v", meta.block, err)
				}
			}
		})
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// TestWARCResponseHead checks how the framing headers are restated for the
// decoded body.
func TestWARCResponseHead(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   string // the header lines, in order
	}{
		{"plain, length right", 200, http.Header{"Content-Length": {"5"}, "Content-Type": {"text/plain"}}, "hello",
			"Content-Length: 5|Content-Type: text/plain"},
		{"no length sent (chunked)", 200, http.Header{"Content-Type": {"text/plain"}}, "hello",
			"Content-Length: 5|Content-Type: text/plain"},
		{"gzip: encoding and length kept as originals", 200, http.Header{"Content-Encoding": {"gzip"}, "Content-Length": {"3"}}, "hello",
			"Content-Length: 5|X-Archive-Orig-Content-Encoding: gzip|X-Archive-Orig-Content-Length: 3"},
		{"transfer-encoding", 200, http.Header{"Transfer-Encoding": {"chunked"}}, "hello",
			"Content-Length: 5|X-Archive-Orig-Transfer-Encoding: chunked"},
		{"304 keeps its length", 304, http.Header{"Content-Length": {"1234"}, "Etag": {`"x"`}}, "",
			`Content-Length: 1234|Etag: "x"`},
		{"204 gets no length", 204, http.Header{}, "", ""},
		{"404 with body", 404, http.Header{"Content-Length": {"9"}}, "not found",
			"Content-Length: 9"},
		{"values kept in order", 200, http.Header{"Vary": {"b", "a"}}, "",
			"Content-Length: 0|Vary: b|Vary: a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := sample()
			c.Status, c.Header, c.Body, c.Metadata = tt.status, tt.header, []byte(tt.body), nil
			data, _ := write(t, warc.Options{}, c)
			recs := parse(t, data)
			head, body, _ := bytes.Cut(recs[2].block, []byte("\r\n\r\n"))
			lines := strings.Split(string(head), "\r\n")
			if want := fmt.Sprintf("HTTP/1.1 %d %s", tt.status, http.StatusText(tt.status)); lines[0] != want {
				t.Errorf("status line %q, want %q", lines[0], want)
			}
			if got := strings.Join(lines[1:], "|"); got != tt.want {
				t.Errorf("headers\n got %s\nwant %s", got, tt.want)
			}
			if string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
		})
	}
}

// TestWARCRefused: a capture that would break the record's framing is refused
// whole, with an error that names it, and nothing of it is written.
func TestWARCRefused(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *warc.Capture)
		want   string
	}{
		{"CRLF in a response header", func(c *warc.Capture) { c.Header["X-Evil"] = []string{"a\r\nWARC-Type: resource"} }, "response header X-Evil"},
		{"LF in a request header", func(c *warc.Capture) { c.RequestHeader["Cookie"] = []string{"a\nb"} }, "request header Cookie"},
		{"NUL in a header", func(c *warc.Capture) { c.Header["X-Nul"] = []string{"a\x00b"} }, "X-Nul"},
		{"colon in a header name", func(c *warc.Capture) { c.Header["X-A: b"] = []string{"c"} }, `header name "X-A: b"`},
		{"CRLF in the URL", func(c *warc.Capture) { c.URL = "https://example.com/a\r\nWARC-Type: x" }, "URL"},
		{"space in the URL", func(c *warc.Capture) { c.URL = "https://example.com/a b" }, "URL"},
		{"relative URL", func(c *warc.Capture) { c.URL = "/privacy" }, "not an absolute"},
		{"junk address", func(c *warc.Capture) { c.RemoteAddr = "1.2.3.4\r\nX: y" }, "remote address"},
		{"bad protocol", func(c *warc.Capture) { c.Proto = "HTTP/1.1\r\nX" }, "protocol"},
		{"no status", func(c *warc.Capture) { c.Status = 0 }, "status 0"},
		{"no date", func(c *warc.Capture) { c.Date = time.Time{} }, "no date"},
		{"bad truncation", func(c *warc.Capture) { c.Truncated = "too long" }, "truncation"},
		{"CRLF in a conversion's type", func(c *warc.Capture) {
			c.Conversion = &warc.Conversion{ContentType: "text/html\r\nWARC-Type: response", Block: []byte("x")}
		}, "conversion content type"},
		{"no conversion type", func(c *warc.Capture) { c.Conversion = &warc.Conversion{Block: []byte("x")} }, "conversion content type"},
		{"bad conversion truncation", func(c *warc.Capture) {
			c.Conversion = &warc.Conversion{ContentType: "text/html", Block: []byte("x"), Truncated: "a b"}
		}, "conversion truncation"},
		{"metadata that is not JSON", func(c *warc.Capture) { c.Metadata = map[string]any{"f": func() {}} }, "metadata"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := warc.NewWriter(&buf, warc.Options{Now: clock})
			if _, err := w.WriteInfo(nil); err != nil {
				t.Fatal(err)
			}
			before := buf.Len()
			c := sample()
			tt.change(&c)
			_, err := w.WriteCapture(c)
			if err == nil || !strings.Contains(err.Error(), "capture fetch 7") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want one naming capture fetch 7 and %q", err, tt.want)
			}
			if tt.name != "metadata that is not JSON" && !errors.Is(err, warc.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if buf.Len() != before {
				t.Errorf("%d bytes written for a refused capture", buf.Len()-before)
			}
			// The writer goes on: the next good capture is written.
			if _, err := w.WriteCapture(sample()); err != nil {
				t.Errorf("good capture after a refused one: %v", err)
			}
		})
	}
	var buf bytes.Buffer
	w := warc.NewWriter(&buf, warc.Options{})
	if _, err := w.WriteInfo([]warc.Field{{"bad name", "x"}}); !errors.Is(err, warc.ErrInvalid) {
		t.Errorf("bad warcinfo field name: %v", err)
	}
}

// TestWARCInfoEscapes: warcinfo values and the file name are free text
// (a source's name, say), so control characters in them — CR and LF
// would end the field, ESC and the rest reach whoever reads the header —
// are percent-encoded, and the record stays well formed.
func TestWARCInfoEscapes(t *testing.T) {
	tests := []struct{ value, want string }{
		{"a\r\nWARC-Type: resource", "a%0D%0AWARC-Type: resource"},
		{"evil\x1b]0;pwned\x07\x1b[2J", "evil%1B]0;pwned%07%1B[2J"},
		{"fake\nrow", "fake%0Arow"},
		{"del\x7f nul\x00", "del%7F nul%00"},
		{"c1 \u0085 \u009b", "c1 %C2%85 %C2%9B"},
		{"bad utf-8 \xff", "bad utf-8 %FF"},
		{"tab\tkept, 100% and ünïcode kept", "tab\tkept, 100% and ünïcode kept"},
	}
	var fields []warc.Field
	for i, tt := range tests {
		fields = append(fields, warc.Field{Name: "f" + strconv.Itoa(i), Value: tt.value})
	}
	var buf bytes.Buffer
	w := warc.NewWriter(&buf, warc.Options{Filename: "a\nb.warc", Now: func() time.Time { return time.Unix(0, 0) }})
	if _, err := w.WriteInfo(fields); err != nil {
		t.Fatalf("WriteInfo: %v", err)
	}
	recs := parse(t, buf.Bytes())
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	if got := recs[0].fields["WARC-Filename"]; got != "a%0Ab.warc" {
		t.Errorf("WARC-Filename %q, want %q", got, "a%0Ab.warc")
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(recs[0].block), "\r\n"), "\r\n") {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("warcinfo line %q", line)
		}
		got[name] = value
	}
	for i, tt := range tests {
		if g := got["f"+strconv.Itoa(i)]; g != tt.want {
			t.Errorf("field %q: got %q, want %q", tt.value, g, tt.want)
		}
	}
}

// TestWARCGzipMembers: with Gzip each record is its own member, which
// decompresses alone to exactly one record; all of them together are the
// plain file.
func TestWARCGzipMembers(t *testing.T) {
	second := sample()
	second.Name, second.Body = "fetch 8", bytes.Repeat([]byte("policy text "), 5000)
	plain, _ := write(t, warc.Options{}, sample(), second)
	zipped, _ := write(t, warc.Options{Gzip: true}, sample(), second)
	if len(zipped) >= len(plain) {
		t.Errorf("gzip output %d bytes, plain %d", len(zipped), len(plain))
	}
	var all []byte
	members := 0
	r := bytes.NewReader(zipped)
	for r.Len() > 0 {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("member %d: %v", members, err)
		}
		zr.Multistream(false)
		one, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("member %d: %v", members, err)
		}
		if recs := parse(t, one); len(recs) != 1 {
			t.Errorf("member %d holds %d records", members, len(recs))
		}
		all = append(all, one...)
		members++
	}
	if members != 1+2*3 {
		t.Errorf("%d gzip members, want 7", members)
	}
	if !bytes.Equal(all, plain) {
		t.Errorf("the members together differ from the plain output")
	}
}

// TestWARCOrder: warcinfo first and once; nothing after Close; a write error
// sticks.
func TestWARCOrder(t *testing.T) {
	var buf bytes.Buffer
	w := warc.NewWriter(&buf, warc.Options{})
	if _, err := w.WriteCapture(sample()); !errors.Is(err, warc.ErrOrder) {
		t.Errorf("capture before warcinfo: %v", err)
	}
	if _, err := w.WriteInfo(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteInfo(nil); !errors.Is(err, warc.ErrOrder) {
		t.Errorf("second warcinfo: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteCapture(sample()); !errors.Is(err, warc.ErrClosed) {
		t.Errorf("capture after Close: %v", err)
	}

	fw := warc.NewWriter(failing{}, warc.Options{})
	if _, err := fw.WriteInfo(nil); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	if err := fw.Close(); err == nil {
		t.Errorf("Close after a write error returned nil")
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWARCRecordIDs: random version 4 UUID URNs, all different.
func TestWARCRecordIDs(t *testing.T) {
	var buf bytes.Buffer
	w := warc.NewWriter(&buf, warc.Options{})
	info, err := w.WriteInfo(nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{info: true}
	for range 50 {
		r, err := w.WriteCapture(sample())
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{r.Request, r.Response, r.Metadata} {
			if len(id) != len("<urn:uuid:00000000-0000-4000-8000-000000000000>") || !strings.HasPrefix(id, "<urn:uuid:") || id[24] != '4' || !strings.ContainsRune("89ab", rune(id[29])) {
				t.Errorf("record ID %s is not a version 4 UUID URN", id)
			}
			if seen[id] {
				t.Errorf("record ID %s twice", id)
			}
			seen[id] = true
		}
	}
}
