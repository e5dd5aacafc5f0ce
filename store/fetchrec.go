package store

import (
	"encoding/hex"
	"fmt"
	"time"
)

// The compact fetch record (schema 6, decision record 0025). A fetch is
// stored as a format byte and the fields that are its own; what it shares
// with other fetches of its source is referenced:
//
//   - its ID and start time are in its key, its source in its bucket;
//   - the request (URL, final URL, protocol, remote address, extractor,
//     request headers, user agent, accept-language, TLS facts) is a
//     context set, stored once per source and content-addressed;
//   - the response headers are a delta against a header set of the source
//     (usually the Date header alone, as a one-byte offset from the start);
//   - the body, document and text hashes, when they equal the version's
//     the fetch saw, are that version's.
//
// LogLeaf of the decoded fetch is the leaf logged when it was stored, byte
// for byte: putFetch checks that before it writes a compact record.
// Records written before schema 6 are JSON (first byte '{') and are read
// as they are.

// fetchFormat is the first byte of a compact fetch record.
const fetchFormat = 1

// The kinds of set (their first byte).
const (
	setContext = 'c'
	setHeader  = 'h'
)

// The flags of a compact record: which fields follow, in this order.
const (
	fStart       = 1 << iota // start time not the key's: varint seconds, uvarint nanoseconds
	fEndAbs                  // end as an absolute time (else varint nanoseconds after start)
	fStatus                  // varint
	fOutcome                 // outcome code byte; 0 is followed by the outcome as a string
	fReason                  // string
	fError                   // string
	fAttempts                // varint
	fHashes                  // a byte of 2-bit codes for body, document, text, then each hash
	fBodySize                // varint
	fWords                   // varint
	fVersion                 // uvarint version seq
	fGeneration              // uvarint generation of the version the hashes refer to
	fContext                 // uvarint context set
	fHeaderBase              // uvarint header set the delta applies to
	fHeaderDelta             // header delta
	fV                       // varint V, when not 1
	fRender                  // 32 bytes: the render capture's key
)

// Hash codes.
const (
	hashNone    = 0 // empty
	hashVersion = 1 // the version's
	hashRaw     = 2 // 32 bytes (lower-case hex when read)
	hashString  = 3 // any other string
)

var outcomes = []Outcome{"", OutcomeNew, OutcomeChanged, OutcomeUnchanged, OutcomeNotModified, OutcomePending, OutcomeFlip, OutcomeSuspect, OutcomeFailed}

// fetchContext is the part of a fetch its source's other fetches mostly
// share.
type fetchContext struct {
	URL, FinalURL, Proto, RemoteAddr, Extractor string
	RequestHeader                               map[string][]string
	UserAgent, AcceptLanguage                   string
	TLS                                         *TLS
}

func contextOf(f Fetch) fetchContext {
	return fetchContext{URL: f.URL, FinalURL: f.FinalURL, Proto: f.Proto, RemoteAddr: f.RemoteAddr, Extractor: f.Extractor,
		RequestHeader: f.RequestHeader, UserAgent: f.UserAgent, AcceptLanguage: f.AcceptLanguage, TLS: f.TLS}
}

func (c fetchContext) empty() bool {
	return c.URL == "" && c.FinalURL == "" && c.Proto == "" && c.RemoteAddr == "" && c.Extractor == "" &&
		c.RequestHeader == nil && c.UserAgent == "" && c.AcceptLanguage == "" && c.TLS == nil
}

// encodeContext is a context set's value.
func encodeContext(c fetchContext) []byte {
	e := &encoder{b: []byte{setContext}}
	e.str(c.URL)
	switch c.FinalURL {
	case "":
		e.byte(0)
	case c.URL:
		e.byte(1)
	default:
		e.byte(2)
		e.str(c.FinalURL)
	}
	e.str(c.Proto)
	e.str(c.RemoteAddr)
	e.str(c.Extractor)
	e.byte(boolByte(c.RequestHeader != nil))
	e.header(c.RequestHeader)
	e.echo(c.UserAgent, c.RequestHeader, "User-Agent")
	e.echo(c.AcceptLanguage, c.RequestHeader, "Accept-Language")
	if c.TLS == nil {
		e.byte(0)
		return e.b
	}
	e.byte(1)
	t := c.TLS
	for _, s := range []string{t.Version, t.CipherSuite, t.ServerName, t.PeerSHA256, t.Subject, t.Issuer} {
		e.str(s)
	}
	e.time(t.NotAfter)
	return e.b
}

// decodeContext reads a context set.
func decodeContext(data []byte) (fetchContext, error) {
	d := &decoder{b: data}
	if k := d.byte(); k != setContext {
		return fetchContext{}, fmt.Errorf("not a context set (kind %q)", k)
	}
	var c fetchContext
	c.URL = d.str()
	switch d.byte() {
	case 0:
	case 1:
		c.FinalURL = c.URL
	case 2:
		c.FinalURL = d.str()
	default:
		d.fail("final URL code out of range")
	}
	c.Proto, c.RemoteAddr, c.Extractor = d.str(), d.str(), d.str()
	present := d.byte()
	if present > 1 {
		d.fail("request header code out of range")
	}
	c.RequestHeader = d.header()
	if present == 1 && c.RequestHeader == nil {
		c.RequestHeader = map[string][]string{}
	}
	c.UserAgent = d.echo(c.RequestHeader, "User-Agent")
	c.AcceptLanguage = d.echo(c.RequestHeader, "Accept-Language")
	switch d.byte() {
	case 0:
	case 1:
		t := &TLS{}
		for _, s := range []*string{&t.Version, &t.CipherSuite, &t.ServerName, &t.PeerSHA256, &t.Subject, &t.Issuer} {
			*s = d.str()
		}
		t.NotAfter = d.time()
		c.TLS = t
	default:
		d.fail("TLS code out of range")
	}
	if err := d.done(); err != nil {
		return fetchContext{}, fmt.Errorf("context set: %w", err)
	}
	return c, nil
}

// echo writes a string that usually repeats a request header's only
// value: 0 empty, 1 the header's value, 2 a string follows.
func (e *encoder) echo(s string, h map[string][]string, name string) {
	switch vs := h[name]; {
	case s == "":
		e.byte(0)
	case len(vs) == 1 && vs[0] == s:
		e.byte(1)
	default:
		e.byte(2)
		e.str(s)
	}
}

func (d *decoder) echo(h map[string][]string, name string) string {
	switch d.byte() {
	case 0:
		return ""
	case 1:
		if vs := h[name]; len(vs) == 1 {
			return vs[0]
		}
		d.fail("no single %s header to repeat", name)
	case 2:
		return d.str()
	default:
		d.fail("%s code out of range", name)
	}
	return ""
}

// encodeHeaderSet is a header set's value.
func encodeHeaderSet(h map[string][]string) []byte {
	e := &encoder{b: []byte{setHeader}}
	e.header(h)
	return e.b
}

// decodeHeaderSet reads a header set.
func decodeHeaderSet(data []byte) (map[string][]string, error) {
	d := &decoder{b: data}
	if k := d.byte(); k != setHeader {
		return nil, fmt.Errorf("not a header set (kind %q)", k)
	}
	h := d.header()
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("header set: %w", err)
	}
	return h, nil
}

// fetchRefs are what a compact record refers to, as the writer found
// them: the context and header sets (0: none), the header set's content,
// and the version the fetch saw with its generation (nil: none found).
type fetchRefs struct {
	context, header uint64
	base            map[string][]string
	gen             uint64
	version         *Version
}

// encodeFetch is f's compact record, with the references r.
func encodeFetch(f Fetch, r fetchRefs) []byte {
	var flags uint64
	body := &encoder{}
	set := func(flag uint64, ok bool) bool {
		if ok {
			flags |= flag
		}
		return ok
	}
	start := time.Unix(0, f.Start.UnixNano())
	if set(fStart, !start.Equal(f.Start)) {
		body.time(f.Start)
	}
	if end := f.Start.Add(f.End.Sub(f.Start)); set(fEndAbs, !end.Equal(f.End)) {
		body.time(f.End)
	} else {
		body.varint(int64(f.End.Sub(f.Start)))
	}
	if set(fStatus, f.Status != 0) {
		body.varint(int64(f.Status))
	}
	if set(fOutcome, f.Outcome != "") {
		code := outcomeCode(f.Outcome)
		body.byte(code)
		if code == 0 {
			body.str(string(f.Outcome))
		}
	}
	if set(fReason, f.Reason != "") {
		body.str(f.Reason)
	}
	if set(fError, f.Error != "") {
		body.str(f.Error)
	}
	if set(fAttempts, f.Attempts != 0) {
		body.varint(int64(f.Attempts))
	}
	var ver Version
	if r.version != nil {
		ver = *r.version
	}
	codes, hashes := &encoder{b: []byte{0}}, []struct{ have, version string }{{f.BodySHA256, ver.BodySHA256}, {f.DocSHA256, ver.DocSHA256}, {f.TextSHA256, ver.TextSHA256}}
	usesVersion := false
	for i, h := range hashes {
		code := hashCodeOf(h.have, h.version, r.version != nil)
		codes.b[0] |= code << (2 * i)
		switch code {
		case hashVersion:
			usesVersion = true
		case hashRaw:
			raw, _ := hex.DecodeString(h.have)
			codes.raw(raw)
		case hashString:
			codes.str(h.have)
		}
	}
	if set(fHashes, codes.b[0] != 0) {
		body.raw(codes.b)
	}
	if set(fBodySize, f.BodySize != 0) {
		body.varint(int64(f.BodySize))
	}
	if set(fWords, f.Words != 0) {
		body.varint(int64(f.Words))
	}
	if set(fVersion, f.Version != 0) {
		body.uvarint(f.Version)
	}
	if set(fGeneration, usesVersion) {
		body.uvarint(r.gen)
	}
	if set(fContext, r.context != 0) {
		body.uvarint(r.context)
	}
	if set(fHeaderBase, r.header != 0) {
		body.uvarint(r.header)
	}
	if set(fHeaderDelta, !sameHeader(f.Header, r.base)) {
		body.headerDelta(f.Header, r.base, &f.Start)
	}
	if set(fV, f.V != 1) {
		body.varint(int64(f.V))
	}
	if set(fRender, f.RenderSHA256 != "") {
		if raw := mustHex(f.RenderSHA256); len(raw) == 32 {
			body.raw(raw)
		} else {
			flags &^= fRender // not a hash: putFetch sees the mismatch and stores JSON
		}
	}
	e := &encoder{b: []byte{fetchFormat}}
	e.uvarint(flags)
	e.raw(body.b)
	return e.b
}

func outcomeCode(o Outcome) byte {
	for i, x := range outcomes {
		if i > 0 && x == o {
			return byte(i)
		}
	}
	return 0
}

func hashCodeOf(have, version string, haveVersion bool) byte {
	switch {
	case have == "":
		return hashNone
	case haveVersion && have == version:
		return hashVersion
	case len(have) == 64 && hex.EncodeToString(mustHex(have)) == have:
		return hashRaw
	}
	return hashString
}

// mustHex decodes hex, nil when it is not.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// fetchResolver finds what compact records refer to.
type fetchResolver interface {
	context(seq uint64) (fetchContext, error)
	headers(seq uint64) (map[string][]string, error)
	version(gen, seq uint64) (Version, error)
}

// decodeFetch reads a compact fetch record of source src stored at key
// (fetchKey). The maps of the fetch it returns are its own.
func decodeFetch(data []byte, src uint64, key []byte, r fetchResolver) (Fetch, error) {
	if len(key) != 16 {
		return Fetch{}, fmt.Errorf("fetch key of %d bytes, want 16", len(key))
	}
	d := &decoder{b: data}
	if v := d.byte(); v != fetchFormat {
		return Fetch{}, fmt.Errorf("fetch record format %d, this build reads %d", v, fetchFormat)
	}
	flags := d.uvarint()
	if flags >= fRender<<1 {
		return Fetch{}, fmt.Errorf("fetch record flags %#x unknown", flags)
	}
	has := func(flag uint64) bool { return flags&flag != 0 && d.err == nil }
	f := Fetch{V: 1, SourceID: src, ID: fromU64(key[8:]), Start: time.Unix(0, int64(fromU64(key[:8]))).UTC()}
	d.checkTime(f.Start)
	if has(fStart) {
		f.Start = d.time()
	}
	if has(fEndAbs) {
		f.End = d.time()
	} else {
		f.End = f.Start.Add(time.Duration(d.varint()))
		d.checkTime(f.End)
	}
	if has(fStatus) {
		f.Status = d.int()
	}
	if has(fOutcome) {
		code := d.byte()
		switch {
		case code == 0:
			f.Outcome = Outcome(d.str())
		case int(code) < len(outcomes):
			f.Outcome = outcomes[code]
		default:
			d.fail("outcome code %d out of range", code)
		}
	}
	if has(fReason) {
		f.Reason = d.str()
	}
	if has(fError) {
		f.Error = d.str()
	}
	if has(fAttempts) {
		f.Attempts = d.int()
	}
	var codes byte
	var hashes [3]string
	if has(fHashes) {
		codes = d.byte()
		for i := range hashes {
			switch codes >> (2 * i) & 3 {
			case hashRaw:
				hashes[i] = hex.EncodeToString(d.fixed(32))
			case hashString:
				hashes[i] = d.str()
			}
		}
	}
	if has(fBodySize) {
		f.BodySize = d.int()
	}
	if has(fWords) {
		f.Words = d.int()
	}
	if has(fVersion) {
		f.Version = d.uvarint()
	}
	var gen uint64
	if has(fGeneration) {
		gen = d.uvarint()
	}
	refs := decodeRefs{}
	if has(fContext) {
		refs.context = d.uvarint()
	}
	if has(fHeaderBase) {
		refs.header = d.uvarint()
	}
	if d.err != nil {
		return Fetch{}, fmt.Errorf("fetch record: %w", d.err)
	}
	if err := refs.resolve(&f, r); err != nil {
		return Fetch{}, err
	}
	if has(fHeaderDelta) {
		f.Header = d.headerDelta(f.Header, &f.Start)
	}
	if has(fV) {
		f.V = d.int()
	}
	if has(fRender) {
		f.RenderSHA256 = hex.EncodeToString(d.fixed(32))
	}
	if err := d.done(); err != nil {
		return Fetch{}, fmt.Errorf("fetch record: %w", err)
	}
	if err := fillHashes(&f, codes, hashes, gen, r); err != nil {
		return Fetch{}, err
	}
	return f, nil
}

// decodeRefs are the sets a record names.
type decodeRefs struct{ context, header uint64 }

// resolve fills in f's context and base headers.
func (dr decodeRefs) resolve(f *Fetch, r fetchResolver) error {
	if dr.context != 0 {
		c, err := r.context(dr.context)
		if err != nil {
			return fmt.Errorf("fetch record: context set %d: %w", dr.context, err)
		}
		f.URL, f.FinalURL, f.Proto, f.RemoteAddr, f.Extractor = c.URL, c.FinalURL, c.Proto, c.RemoteAddr, c.Extractor
		f.RequestHeader, f.UserAgent, f.AcceptLanguage = cloneHeader(c.RequestHeader), c.UserAgent, c.AcceptLanguage
		if c.TLS != nil {
			t := *c.TLS
			f.TLS = &t
		}
	}
	if dr.header != 0 {
		h, err := r.headers(dr.header)
		if err != nil {
			return fmt.Errorf("fetch record: header set %d: %w", dr.header, err)
		}
		f.Header = cloneHeader(h)
	}
	return nil
}

// fillHashes sets the body, document and text hashes from their codes,
// reading the version for those that are its.
func fillHashes(f *Fetch, codes byte, hashes [3]string, gen uint64, r fetchResolver) error {
	var ver *Version
	for i, dst := range []*string{&f.BodySHA256, &f.DocSHA256, &f.TextSHA256} {
		code := codes >> (2 * i) & 3
		if code != hashVersion {
			*dst = hashes[i]
			continue
		}
		if ver == nil {
			if f.Version == 0 {
				return fmt.Errorf("fetch record: a hash of the version, but no version")
			}
			v, err := r.version(gen, f.Version)
			if err != nil {
				return fmt.Errorf("fetch record: version %d/%d: %w", gen, f.Version, err)
			}
			ver = &v
		}
		*dst = []string{ver.BodySHA256, ver.DocSHA256, ver.TextSHA256}[i]
	}
	return nil
}
