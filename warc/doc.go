// Package warc writes captures as WARC 1.1 records (ISO 28500:2017,
// https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/),
// the web-archiving format that replay tools, indexers and archives read.
//
// A Writer writes one warcinfo record (WriteInfo) and then, for each
// capture (WriteCapture), three or four records:
//
//   - request: application/http;msgtype=request, the request line
//     ("GET /path?q HTTP/1.1", with Capture.RequestProto) and the
//     request headers as sent, Host first, the others sorted by name;
//   - response: application/http;msgtype=response, the status line with
//     the recorded protocol (HTTP/1.1 when none) and reason phrase, the
//     response headers sorted by name, a blank line and the body;
//   - conversion (when the capture has a Conversion): the response's
//     content in another form, made from it by an archival process —
//     for a page read in a headless browser, the rendered DOM — naming
//     the response in WARC-Refers-To, as WARC 1.1 section 6.8 has a
//     conversion record name its source (a resource record may not
//     carry WARC-Refers-To); its WARC-Payload-Digest is its block's;
//   - metadata: application/json, the caller's facts about the capture
//     (clausewatch puts its fetch record there: outcome, TLS facts,
//     hashes), referring to the response.
//
// Each record carries WARC-Record-ID (a random version 4 UUID URN),
// WARC-Date (the capture's start in UTC, RFC 3339 with microseconds, as
// WARC 1.1 allows), WARC-Target-URI, WARC-Warcinfo-ID and a
// WARC-Block-Digest; the request names the response in
// WARC-Concurrent-To, both carry WARC-IP-Address when the peer is known,
// and the response a WARC-Payload-Digest.
//
// # Digests
//
// Digests are SHA-256, written "sha256:" followed by the digest in
// lowercase base16 (hex). The standard leaves the encoding to the
// algorithm ("algorithm-specific"); base16 is the community
// recommendation of the annotated WARC 1.1 specification for SHA-256
// (base32 of 32 bytes ends in "=" padding, which the field grammar's
// token does not allow), and it is what webrecorder's warcio.js writes by
// default (sha-256, prefix "sha256:", hex). Readers that verify digests
// (Python warcio, gowarc, JWAT) accept it. Because clausewatch keys its
// bodies by their hex SHA-256, a response's payload digest is
// "sha256:" + the stored body's key.
//
// # Decoded bodies
//
// A capture's body is the body as decoded by the client: its
// Content-Encoding (gzip, br, deflate) and Transfer-Encoding undone. The
// response record must not claim encodings the bytes no longer have, so
// Content-Encoding and Transfer-Encoding are dropped and kept as
// X-Archive-Orig-Content-Encoding and X-Archive-Orig-Transfer-Encoding
// (the convention of web-archiving tools), and Content-Length is set to
// the body's real length, an original that differs kept as
// X-Archive-Orig-Content-Length. The record is then the exchange as a
// plain HTTP/1.1 reader would need it, with the original framing stated.
//
// # Safety
//
// Nothing from a capture is written unchecked: a URL, header name or
// value, address or field that would break the record's framing (CR, LF
// or other control characters) is refused with an error wrapping
// ErrInvalid that names the capture, and nothing of that capture is
// written. A capture's records go to the underlying writer in one Write
// call. The warcinfo record's values and the file name are free text (a
// source's name, say): their control characters are percent-encoded
// instead, so any name can be exported.
//
// With Options.Gzip every record is its own gzip member (the ".warc.gz"
// convention), so a reader can seek to any record's offset and
// decompress it alone.
//
// Decision record: docs/decisions/0014-warc-writer.md.
package warc
