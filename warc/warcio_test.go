package warc_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/warc"
	"github.com/clausewatch/clausewatch/warc/warciotest"
)

// TestWarcio reads what the Writer writes with an independent reader,
// webrecorder's warcio (skipped with a message when node or the npm
// project is missing): every record parses, in the order and with the
// types written, the stated digests are the ones computed, and the
// response payloads are the bodies.
func TestWarcio(t *testing.T) {
	redirected := sample()
	redirected.Name, redirected.Status, redirected.Body, redirected.Metadata = "fetch 8", 404, []byte("gone\r\n\r\nstill gone"), nil
	redirected.Header = http.Header{"Content-Type": {"text/plain"}}
	notModified := sample()
	notModified.Name, notModified.Status, notModified.Body, notModified.Header = "fetch 9", 304, nil, http.Header{"Etag": {`"abc"`}}
	truncated := sample()
	truncated.Name, truncated.Body, truncated.Truncated = "fetch 10", nil, "unspecified"
	rendered := sample()
	rendered.Name, rendered.Body = "fetch 11", []byte(`<html><body><div id="root"></div><script src="/app.js"></script></body></html>`)
	rendered.Conversion = &warc.Conversion{ContentType: "text/html; charset=utf-8",
		Block: []byte("<html><head></head><body><div id=\"root\"><h1>Privacy</h1><p>We keep your data.</p></div></body></html>")}
	renderedCut := rendered
	renderedCut.Name, renderedCut.Metadata = "fetch 12", nil
	renderedCut.Conversion = &warc.Conversion{ContentType: "text/html", Block: []byte("<html><body><p>We keep"), Truncated: "length"}
	captures := []warc.Capture{sample(), redirected, notModified, truncated, rendered, renderedCut}

	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			data, ids := write(t, warc.Options{Gzip: gz, Filename: "test.warc"}, captures...)
			path := filepath.Join(t.TempDir(), "test.warc")
			if gz {
				path += ".gz"
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			recs, sum := warciotest.Read(t, path)
			warciotest.Check(t, recs, sum)
			if gz != (sum.Compressed == "gzip") {
				t.Errorf("warcio read the file as compressed=%q", sum.Compressed)
			}
			var wantTypes []string
			wantTypes = append(wantTypes, "warcinfo")
			for _, c := range captures {
				wantTypes = append(wantTypes, "request", "response")
				if c.Conversion != nil {
					wantTypes = append(wantTypes, "conversion")
				}
				if c.Metadata != nil {
					wantTypes = append(wantTypes, "metadata")
				}
			}
			var gotTypes []string
			for _, r := range recs {
				gotTypes = append(gotTypes, r.Type)
			}
			if strings.Join(gotTypes, " ") != strings.Join(wantTypes, " ") {
				t.Fatalf("record types\n got %v\nwant %v", gotTypes, wantTypes)
			}
			info := recs[0]
			if !strings.Contains(info.BlockText, "software: clausewatch\r\n") || !strings.Contains(info.BlockText, "conformsTo: "+warc.SpecURL) {
				t.Errorf("warcinfo block %q", info.BlockText)
			}
			i := 1
			for n, c := range captures {
				req, resp := recs[i], recs[i+1]
				if req.ID != ids[n].Request || resp.ID != ids[n].Response || req.ConcurrentTo != resp.ID {
					t.Errorf("%s: IDs request %s → %s, response %s", c.Name, req.ID, req.ConcurrentTo, resp.ID)
				}
				if req.Target != c.URL || resp.Target != c.URL || resp.WarcinfoID != info.ID {
					t.Errorf("%s: targets %s %s, warcinfo %s", c.Name, req.Target, resp.Target, resp.WarcinfoID)
				}
				sum := sha256.Sum256(c.Body)
				if want := "sha256:" + hex.EncodeToString(sum[:]); resp.PayloadSHA256 != want || resp.PayloadLength != len(c.Body) {
					t.Errorf("%s: warcio's payload has %s (%d bytes), the body %s (%d bytes)", c.Name, resp.PayloadSHA256, resp.PayloadLength, want, len(c.Body))
				}
				if resp.HTTPStatus != c.Status || resp.HTTPHeaders["content-encoding"] != "" || resp.IP != "2001:db8::1" || resp.Truncated != c.Truncated {
					t.Errorf("%s: status %d, content-encoding %q, IP %q, truncated %q", c.Name, resp.HTTPStatus, resp.HTTPHeaders["content-encoding"], resp.IP, resp.Truncated)
				}
				if req.HTTPStatusLine != "GET /legal/privacy?lang=en HTTP/1.1" || req.HTTPHeaders["host"] != "www.example.com" {
					t.Errorf("%s: request line %q, host %q", c.Name, req.HTTPStatusLine, req.HTTPHeaders["host"])
				}
				i += 2
				if cv := c.Conversion; cv != nil {
					// The rendered DOM: a conversion of the response,
					// referring to it, its block the DOM.
					conv := recs[i]
					if conv.ID != ids[n].Conversion || conv.RefersTo != resp.ID || conv.Target != c.URL || conv.WarcinfoID != info.ID || conv.Date != resp.Date {
						t.Errorf("%s: conversion %s refers to %s (response %s), target %s, warcinfo %s, date %s", c.Name, conv.ID, conv.RefersTo, resp.ID, conv.Target, conv.WarcinfoID, conv.Date)
					}
					sum := sha256.Sum256(cv.Block)
					want := "sha256:" + hex.EncodeToString(sum[:])
					if conv.BlockSHA256 != want || conv.BlockLength != len(cv.Block) || conv.ContentType != cv.ContentType || conv.Truncated != cv.Truncated {
						t.Errorf("%s: conversion block %s (%d bytes, %s, truncated %q), want %s (%d bytes, %s, truncated %q)", c.Name, conv.BlockSHA256, conv.BlockLength, conv.ContentType, conv.Truncated, want, len(cv.Block), cv.ContentType, cv.Truncated)
					}
					if conv.PayloadDigest != want {
						t.Errorf("%s: conversion payload digest %q, want %q (its block)", c.Name, conv.PayloadDigest, want)
					}
					i++
				}
				if c.Metadata != nil {
					if meta := recs[i]; meta.RefersTo != resp.ID || !strings.Contains(meta.BlockText, `"outcome": "new"`) {
						t.Errorf("%s: metadata refers to %s, block %q", c.Name, meta.RefersTo, meta.BlockText)
					}
					i++
				}
			}
			if gz {
				// Each record starts a gzip member of its own.
				for _, r := range recs {
					if r.Offset < 0 || r.Offset >= int64(len(data)) || data[r.Offset] != 0x1f || data[r.Offset+1] != 0x8b {
						t.Errorf("record %s at offset %d does not start a gzip member", r.ID, r.Offset)
					}
				}
			}
		})
	}
}
