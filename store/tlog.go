package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// LogEntry is what the transparency log holds of one fetch: the facts a
// sceptic needs to tie a capture's bytes to a time, canonically encoded
// (LogLeaf) and hashed as an RFC 6962 leaf. Derived fields that may be
// rebuilt later (versions, reasons, extracted documents) are left out.
type LogEntry struct {
	// V is the entry format; 1.
	V      int    `json:"v"`
	Fetch  uint64 `json:"fetch"`
	Source uint64 `json:"source"`
	// Start and End are when the request was sent and the body read (UTC).
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	URL      string    `json:"url"`
	FinalURL string    `json:"final_url,omitempty"`
	Status   int       `json:"status,omitempty"`
	Proto    string    `json:"proto,omitempty"`
	Outcome  Outcome   `json:"outcome"`
	// RequestHeader and Header are the request and response headers kept.
	RequestHeader map[string][]string `json:"request_header,omitempty"`
	Header        map[string][]string `json:"header,omitempty"`
	RemoteAddr    string              `json:"remote_addr,omitempty"`
	TLS           *TLS                `json:"tls,omitempty"`
	// BodySHA256 is the hex SHA-256 of the raw (decoded) body; TextSHA256
	// of the clause text extract read from it.
	BodySHA256 string `json:"body_sha256,omitempty"`
	BodySize   int    `json:"body_size,omitempty"`
	TextSHA256 string `json:"text_sha256,omitempty"`
	Extractor  string `json:"extractor,omitempty"`
	// RenderSHA256 is the key of the fetch's RenderCapture when the page
	// was read in a browser (format 2 only): the leaf then commits to the
	// rendered DOM (BodySHA256), and through the capture to the document
	// response as the browser got it and the requests the page made.
	RenderSHA256 string `json:"render_sha256,omitempty"`
}

// EntryOf is the log entry of a fetch.
func EntryOf(f Fetch) LogEntry {
	e := LogEntry{
		V: 1, Fetch: f.ID, Source: f.SourceID, Start: f.Start.UTC(), End: f.End.UTC(),
		URL: f.URL, FinalURL: f.FinalURL, Status: f.Status, Proto: f.Proto, Outcome: f.Outcome,
		RequestHeader: f.RequestHeader, Header: f.Header, RemoteAddr: f.RemoteAddr,
		BodySHA256: f.BodySHA256, BodySize: f.BodySize, TextSHA256: f.TextSHA256, Extractor: f.Extractor,
	}
	if f.RenderSHA256 != "" {
		// Format 2 is format 1 with the render capture: a leaf without one
		// is format 1, byte for byte as before.
		e.V, e.RenderSHA256 = 2, f.RenderSHA256
	}
	if f.TLS != nil {
		t := *f.TLS
		t.NotAfter = t.NotAfter.UTC()
		e.TLS = &t
	}
	return e
}

// LogLeaf is the canonical encoding of a fetch's log entry: JSON with keys
// in a fixed order (struct order, map keys sorted), times in UTC, and a
// final newline. Its tlog.RecordHash is the leaf hash.
func LogLeaf(f Fetch) []byte { return encodeEntry(EntryOf(f)) }

// encodeEntry encodes an entry as LogLeaf does.
func encodeEntry(e LogEntry) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		// Only unsupported values fail, and LogEntry has none.
		panic(fmt.Sprintf("encode log entry: %v", err))
	}
	return buf.Bytes()
}

// ParseLeaf decodes a log leaf and checks it is in canonical form (so one
// entry has exactly one encoding: times in UTC, keys in order).
func ParseLeaf(leaf []byte) (LogEntry, error) {
	var e LogEntry
	dec := json.NewDecoder(bytes.NewReader(leaf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return LogEntry{}, fmt.Errorf("log entry: %w", err)
	}
	if e.V != 1 && e.V != 2 {
		return LogEntry{}, fmt.Errorf("log entry: format %d, want 1 or 2", e.V)
	}
	if (e.V == 2) != (e.RenderSHA256 != "") {
		return LogEntry{}, fmt.Errorf("log entry: format %d with render capture %q: format 2 carries one, format 1 none", e.V, e.RenderSHA256)
	}
	if e.Start.Location() != time.UTC || e.End.Location() != time.UTC || (e.TLS != nil && e.TLS.NotAfter.Location() != time.UTC) ||
		!bytes.Equal(encodeEntry(e), leaf) {
		return LogEntry{}, fmt.Errorf("log entry: not in canonical form")
	}
	return e, nil
}

// logSize is the number of records in the log.
func logSize(tx *bbolt.Tx) int64 {
	return int64(fromU64(tx.Bucket(bucketMeta).Get(keyLogSize)))
}

// appendLeaf appends f's entry to the tree as record f.ID-1 (the log's
// records are the fetches in ID order): its leaf hash and the interior
// hashes it completes go into their tiles, and the size moves on.
func appendLeaf(tx *bbolt.Tx, f Fetch) error {
	b := tiles(tx)
	n := logSize(tx)
	if f.ID != uint64(n)+1 {
		return fmt.Errorf("%w: fetch %d cannot be log record %d (record n is fetch n+1)", ErrCorrupt, f.ID, n)
	}
	stored, err := tlog.StoredHashes(n, LogLeaf(f), tileReader{b})
	if err != nil {
		return fmt.Errorf("log record %d: %w", n, err)
	}
	if err := putStoredHashes(b, n, stored); err != nil {
		return fmt.Errorf("log record %d: %w", n, err)
	}
	return tx.Bucket(bucketMeta).Put(keyLogSize, u64(uint64(n+1)))
}

// signTree signs a checkpoint of the log as it stands in tx, stores it as
// the latest, and also among the kept ones when keep is set or when it is
// the first of its UTC day.
func (d *DB) signTree(tx *bbolt.Tx, keep bool) error {
	if d.key == nil {
		return fmt.Errorf("%w: none loaded (the database is open read-only)", ErrKey)
	}
	n := logSize(tx)
	root, err := tlog.TreeHash(n, tileReader{tiles(tx)})
	if err != nil {
		return fmt.Errorf("log root at size %d: %w", n, err)
	}
	c := Checkpoint{Origin: d.origin, Size: n, Hash: root, Time: d.now().UTC()}
	signed, err := signCheckpoint(c, d.key.signer)
	if err != nil {
		return fmt.Errorf("sign checkpoint: %w", err)
	}
	if err := tx.Bucket(bucketMeta).Put(keyCheckpoint, signed); err != nil {
		return err
	}
	kept := tx.Bucket(bucketCheckpoints)
	if !keep {
		_, last := kept.Cursor().Last()
		if last == nil {
			keep = true
		} else if lc, err := parseSigned(last); err != nil || lc.Time.UTC().Format(time.DateOnly) != c.Time.Format(time.DateOnly) {
			keep = true
		}
	}
	if keep {
		return kept.Put(u64(uint64(n)), signed)
	}
	return nil
}

// parseSigned parses a signed checkpoint's text without checking the
// signature (the store's own records; verifiers use OpenCheckpoint).
func parseSigned(signed []byte) (Checkpoint, error) {
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return Checkpoint{}, fmt.Errorf("malformed signed checkpoint")
	}
	return ParseCheckpoint(append(bytes.Clone(text), '\n'))
}

// backfillLog appends, oldest fetch first, every fetch that is not yet in
// the log: the fetches of a database made before the log existed.
func (d *DB) backfillLog(tx *bbolt.Tx) error {
	n := uint64(logSize(tx))
	var fs []Fetch
	err := eachFetch(tx, func(s storedFetch, rs *fetchReaders) error {
		if s.id <= n {
			return nil
		}
		f, err := rs.read(s)
		if err != nil {
			return fmt.Errorf("fetch %d: %w", s.id, err)
		}
		fs = append(fs, f)
		return nil
	})
	if err != nil || len(fs) == 0 {
		return err
	}
	slices.SortFunc(fs, func(a, b Fetch) int { return cmp.Compare(a.ID, b.ID) })
	for _, f := range fs {
		if err := appendLeaf(tx, f); err != nil {
			return err
		}
	}
	return d.signTree(tx, true)
}

// PublicKey returns the verifier key of the log's signing key, as
// "clausewatch key" prints it and "clausewatch verify --key" takes it.
func (d *DB) PublicKey(ctx context.Context) (string, error) {
	var vkey string
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		vkey = string(tx.Bucket(bucketMeta).Get(keyLogVKey))
		if vkey == "" {
			return fmt.Errorf("%w: the database has no log key yet", ErrKey)
		}
		return nil
	})
	return vkey, err
}

// KeyFile returns the path of the log's signing key file.
func (d *DB) KeyFile() string { return d.keyFile }

// LogSize returns the number of records in the transparency log.
func (d *DB) LogSize(ctx context.Context) (int64, error) {
	var n int64
	err := d.view(ctx, func(tx *bbolt.Tx) error { n = logSize(tx); return nil })
	return n, err
}

// LogIndex returns the log record number of a fetch: its ID less one,
// once it is in the log.
func (d *DB) LogIndex(ctx context.Context, fetchID uint64) (int64, error) {
	var n int64
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if fetchID == 0 || fetchID > uint64(logSize(tx)) {
			return fmt.Errorf("fetch %d in the log: %w", fetchID, ErrNotFound)
		}
		n = int64(fetchID) - 1
		return nil
	})
	return n, err
}

// LatestCheckpoint returns the newest signed checkpoint.
func (d *DB) LatestCheckpoint(ctx context.Context) (SignedCheckpoint, error) {
	var sc SignedCheckpoint
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		signed := tx.Bucket(bucketMeta).Get(keyCheckpoint)
		if signed == nil {
			return fmt.Errorf("checkpoint: %w (the log is empty)", ErrNotFound)
		}
		c, err := parseSigned(signed)
		if err != nil {
			return fmt.Errorf("%w: latest checkpoint: %v", ErrCorrupt, err)
		}
		sc = SignedCheckpoint{Checkpoint: c, Note: bytes.Clone(signed)}
		return nil
	})
	return sc, err
}

// Checkpoints returns the kept checkpoints, smallest tree first: the
// first of every UTC day, and those signed with a fetch that started a
// version or first saw a new text.
func (d *DB) Checkpoints(ctx context.Context) ([]SignedCheckpoint, error) {
	var out []SignedCheckpoint
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCheckpoints).ForEach(func(k, v []byte) error {
			c, err := parseSigned(v)
			if err != nil {
				return fmt.Errorf("%w: checkpoint of size %d: %v", ErrCorrupt, fromU64(k), err)
			}
			out = append(out, SignedCheckpoint{Checkpoint: c, Note: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}

// ProveRecord returns the inclusion proof of record n in the tree of the
// given size.
func (d *DB) ProveRecord(ctx context.Context, size, n int64) (tlog.RecordProof, error) {
	var p tlog.RecordProof
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if size > logSize(tx) || n < 0 || n >= size {
			return fmt.Errorf("%w: record %d of a tree of %d (the log has %d)", ErrInvalid, n, size, logSize(tx))
		}
		var err error
		p, err = tlog.ProveRecord(size, n, tileReader{tiles(tx)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("prove log record %d: %w", n, err)
	}
	return p, nil
}

// ProveTree returns the consistency proof that the tree of size old is a
// prefix of the tree of size size.
func (d *DB) ProveTree(ctx context.Context, size, old int64) (tlog.TreeProof, error) {
	var p tlog.TreeProof
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if size > logSize(tx) || old < 1 || old > size {
			return fmt.Errorf("%w: tree %d from %d (the log has %d)", ErrInvalid, size, old, logSize(tx))
		}
		var err error
		p, err = tlog.ProveTree(size, old, tileReader{tiles(tx)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("prove log consistency %d→%d: %w", old, size, err)
	}
	return p, nil
}
