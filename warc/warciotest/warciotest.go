// Package warciotest reads a WARC file back with an independent reader,
// webrecorder's warcio (npm), for the tests of package warc and of the
// export command. It runs warc/testdata/warcio/read.mjs under node and
// decodes the JSON line it prints for each record.
//
// The reader is installed with
//
//	npm ci --prefix warc/testdata/warcio --no-audit --no-fund
//
// (CI does this when node and npm are present). Where node or the
// installed project is missing, Read skips the test and says how to
// install it.
package warciotest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Record is what read.mjs prints for one record: the fields as warcio
// parsed them, the digests as stated, and the digests read.mjs computed
// itself ("sha256:"/"sha1:" + hex) with its verdict on the stated ones.
type Record struct {
	Type          string `json:"type"`
	ID            string `json:"id"`
	Target        string `json:"target"`
	Date          string `json:"date"`
	ContentType   string `json:"content_type"`
	ContentLength int    `json:"content_length"`
	ConcurrentTo  string `json:"concurrent_to"`
	RefersTo      string `json:"refers_to"`
	WarcinfoID    string `json:"warcinfo_id"`
	IP            string `json:"ip"`
	Truncated     string `json:"truncated"`
	BlockDigest   string `json:"block_digest"`
	PayloadDigest string `json:"payload_digest"`
	Offset        int64  `json:"offset"`
	BlockLength   int    `json:"block_length"`
	BlockSHA256   string `json:"block_sha256"`
	BlockSHA1     string `json:"block_sha1"`
	// BlockOK and PayloadOK are read.mjs's verdicts on the stated
	// digests; nil when none was stated.
	BlockOK   *bool `json:"block_ok"`
	PayloadOK *bool `json:"payload_ok"`
	// The HTTP message of request and response records, as warcio parsed
	// it.
	HTTPStatusLine string            `json:"http_statusline"`
	HTTPStatus     int               `json:"http_status"`
	HTTPHeaders    map[string]string `json:"http_headers"`
	PayloadLength  int               `json:"payload_length"`
	PayloadSHA256  string            `json:"payload_sha256"`
	PayloadSHA1    string            `json:"payload_sha1"`
	// PayloadSplitAgrees: warcio's payload is what follows the first
	// CRLFCRLF of the raw block.
	PayloadSplitAgrees bool `json:"payload_split_agrees"`
	// BlockText is the block of JSON and warc-fields records.
	BlockText string `json:"block_text"`
}

// Summary is read.mjs's last line.
type Summary struct {
	Records int `json:"records"`
	// Compressed is "gzip" when warcio read the file as gzip members.
	Compressed string   `json:"compressed"`
	Warnings   []string `json:"warnings"`
}

// Dir is the node project that holds read.mjs.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "warcio")
}

// Read runs warcio over the WARC file path and returns its records, or
// skips t when the reader is not installed. It fails t when warcio cannot
// read the file.
func Read(t testing.TB, path string) ([]Record, Summary) {
	t.Helper()
	dir := Dir()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: install nodejs and npm, then run: npm ci --prefix warc/testdata/warcio --no-audit --no-fund")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "warcio")); err != nil {
		t.Skip("warcio not installed: run: npm ci --prefix warc/testdata/warcio --no-audit --no-fund")
	}
	cmd := exec.Command(node, filepath.Join(dir, "read.mjs"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("warcio could not read %s: %v\n%s", path, err, stderr.String())
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var recs []Record
	var sum Summary
	for i, l := range lines {
		if i == len(lines)-1 {
			if err := json.Unmarshal(l, &sum); err != nil {
				t.Fatalf("warcio summary line %q: %v", l, err)
			}
			break
		}
		var r Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("warcio record line %q: %v", l, err)
		}
		recs = append(recs, r)
	}
	if sum.Records != len(recs) {
		t.Fatalf("warcio: summary counts %d records, %d printed", sum.Records, len(recs))
	}
	return recs, sum
}

// Check fails t for every record whose stated digests do not hold, whose
// block length disagrees with its Content-Length, or whose HTTP payload
// warcio split differently; and for any warning warcio printed.
func Check(t testing.TB, recs []Record, sum Summary) {
	t.Helper()
	for _, w := range sum.Warnings {
		t.Errorf("warcio warned: %s", w)
	}
	for i, r := range recs {
		if r.ID == "" || r.Type == "" || r.Date == "" {
			t.Errorf("record %d: type %q, ID %q, date %q", i, r.Type, r.ID, r.Date)
		}
		if r.BlockLength != r.ContentLength {
			t.Errorf("record %d (%s): block %d bytes, Content-Length %d", i, r.Type, r.BlockLength, r.ContentLength)
		}
		if r.BlockDigest == "" || r.BlockDigest != r.BlockSHA256 || r.BlockOK == nil || !*r.BlockOK {
			t.Errorf("record %d (%s): stated block digest %q, computed %q", i, r.Type, r.BlockDigest, r.BlockSHA256)
		}
		switch r.Type {
		case "response":
			if r.PayloadDigest == "" || r.PayloadDigest != r.PayloadSHA256 || r.PayloadOK == nil || !*r.PayloadOK {
				t.Errorf("record %d (response): stated payload digest %q, computed %q", i, r.PayloadDigest, r.PayloadSHA256)
			}
			fallthrough
		case "request":
			if !r.PayloadSplitAgrees {
				t.Errorf("record %d (%s): warcio's payload is not what follows the HTTP headers", i, r.Type)
			}
			if r.HTTPStatusLine == "" {
				t.Errorf("record %d (%s): warcio parsed no HTTP message", i, r.Type)
			}
		}
	}
}
