package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/mod/sumdb/tlog"
)

// What other backends share with this one (package pgstore, decision
// record 0036): the checks of values to store, the secrets, the blob
// codec, the log's key and tiles. Each is the code *DB runs itself, so
// that a value valid in one backend is valid in the other and a blob or
// checkpoint written by one reads the same in the other.

// PrepareSource checks and normalises a source to add (was nil) or the
// update of was, as AddSources and UpdateSource do.
func PrepareSource(s *Source, was *Source) error { return s.validate(was) }

// PrepareSupplier checks and normalises a supplier record.
func PrepareSupplier(s *Supplier) error { return s.validate() }

// PrepareNotification checks a new notification and numbers its tickets.
func PrepareNotification(n *Notification) error { return validateNotification(n) }

// CheckNotificationEdit refuses an edit of a notification's facts.
func CheckNotificationEdit(before, after Notification) error {
	return checkNotificationEdit(before, after)
}

// PrepareSubscription checks and normalises a subscription as
// AddSubscription does.
func PrepareSubscription(s *Subscription) error { return checkSubscription(s) }

// PrepareRubric checks a new rubric release.
func PrepareRubric(r *Rubric) error { return validateRubric(r) }

// PrepareWebhook checks a new webhook and makes its secret if it has none.
func PrepareWebhook(h *Webhook) error { return prepareWebhook(h) }

// PrepareBaseline checks a baseline to pin (trimming its name).
func PrepareBaseline(b *Baseline) error {
	b.Name = strings.TrimSpace(b.Name)
	if err := ValidName(BaselineName, b.Name); err != nil {
		return fmt.Errorf("pin baseline: %w", err)
	}
	return nil
}

// CheckTriage checks a triage state.
func CheckTriage(t Triage) error {
	switch t.State {
	case TriageNew, TriageReviewed, TriageRevet, TriageDismissed:
		return nil
	}
	return fmt.Errorf("%w: triage state %q (want new, reviewed, revet or dismissed)", ErrInvalid, t.State)
}

// ApplyTriage sets c's triage to t and appends the decision to its
// history, keeping what was decided before. Both backends call it inside
// the transaction that writes c.
func ApplyTriage(c *Change, t Triage) {
	from := c.Triage.State
	if from == "" {
		from = TriageNew
	}
	c.TriageHistory = append(c.TriageHistory, TriageEntry{At: t.At, By: t.By, From: from, To: t.State, Note: t.Note})
	c.Triage = t
}

// NewTokenSecret returns a new API token secret ("cw_…").
func NewTokenSecret() (string, error) { return newSecret(tokenPrefix) }

// NewSupplierSecret returns a new supplier capture secret ("cws_…").
func NewSupplierSecret() (string, error) { return newSecret(supplierTokenPrefix) }

// NewSessionSecrets returns a new session secret (the cookie) and CSRF
// token.
func NewSessionSecrets() (secret, csrf string, err error) {
	if secret, err = newSecret("s_"); err != nil {
		return "", "", err
	}
	if csrf, err = newSecret(""); err != nil {
		return "", "", err
	}
	return secret, csrf, nil
}

// SecretHash is the stored form of a secret (hex SHA-256).
func SecretHash(secret string) string { return secretHash(secret) }

// IsTokenSecret reports whether secret has an API token's prefix.
func IsTokenSecret(secret string) bool { return strings.HasPrefix(secret, tokenPrefix) }

// IsSupplierSecret reports whether secret has a supplier token's prefix.
func IsSupplierSecret(secret string) bool { return strings.HasPrefix(secret, supplierTokenPrefix) }

// BlobCodec compresses and reads blobs as this store keeps them: a codec
// byte, then a zstd frame, or the key of a plain blob used as a
// dictionary and then a frame (blob.go). Safe for concurrent use.
type BlobCodec struct{ db *DB }

// NewBlobCodec returns a codec.
func NewBlobCodec() (*BlobCodec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxBlobBytes))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return &BlobCodec{db: &DB{enc: enc, dec: dec, maxBlob: MaxBlobBytes}}, nil
}

// Close releases the codec's decoder.
func (c *BlobCodec) Close() { c.db.dec.Close() }

// Encode compresses content, against dict (the content of the plain blob
// dictKey) when dict is not nil, and returns its key (the SHA-256 of
// content) and stored value.
func (c *BlobCodec) Encode(content, dictKey, dict []byte) (key, value []byte, err error) {
	pb, err := c.db.encodeBlob(content, dictKey, dict)
	return pb.key, pb.value, err
}

// DictionaryOf returns the key of the dictionary a stored value was
// compressed against, or nil for a plain blob.
func DictionaryOf(value []byte) []byte {
	if len(value) > 1+sha256.Size && value[0] == codecZstdDict {
		return bytes.Clone(value[1 : 1+sha256.Size])
	}
	return nil
}

// Decode reads the stored value of blob key, with lookup giving the
// stored value of its dictionary when it has one, and checks that the
// content hashes to key.
func (c *BlobCodec) Decode(key, value []byte, lookup func(key []byte) ([]byte, error)) ([]byte, error) {
	return c.db.decodeBlob(key, value, lookup)
}

// BlobKey decodes a blob's hex key (ErrInvalid when it is not one).
func BlobKey(hash string) ([]byte, error) { return blobKey(hash) }

// LogKey is a log's signing key, loaded from its key file.
type LogKey struct{ k *logKey }

// LoadLogKey reads the signing key in path for the log of the database
// instance; with create, a missing file is made with a new key.
func LoadLogKey(path, instance string, create bool) (*LogKey, error) {
	k, err := loadKey(path, keyName(instance), create)
	if err != nil {
		return nil, err
	}
	return &LogKey{k: k}, nil
}

// VerifierKey is the public key checkpoints and evidence verify with.
func (k *LogKey) VerifierKey() string { return k.k.vkey }

// SignCheckpoint signs c.
func (k *LogKey) SignCheckpoint(c Checkpoint) ([]byte, error) { return signCheckpoint(c, k.k.signer) }

// SignEvidence signs evidence text (which must start with
// EvidencePrefix), as DB.SignEvidence does.
func (k *LogKey) SignEvidence(text []byte) ([]byte, error) { return signEvidence(k.k, text) }

// LogOrigin names the log of a database instance in its checkpoints.
func LogOrigin(instance string) string { return "clausewatch/" + instance }

// ParseSignedCheckpoint parses a signed checkpoint's text without
// checking the signature (a store's own records).
func ParseSignedCheckpoint(signed []byte) (Checkpoint, error) { return parseSigned(signed) }

// KeepCheckpoint reports whether a checkpoint signed at now is kept for
// good when no record asks for it: when none is kept yet, or the last
// kept one is from another UTC day.
func KeepCheckpoint(lastKept []byte, now time.Time) bool {
	if lastKept == nil {
		return true
	}
	lc, err := parseSigned(lastKept)
	return err != nil || lc.Time.UTC().Format(time.DateOnly) != now.UTC().Format(time.DateOnly)
}

// LogTileHeight is the height of the log's tiles (tiles.go).
const LogTileHeight = tileHeight

// AppendToTiles adds the hashes that record n (with leaf data) completes
// to the tiles of a log of n records, read through tile and written
// through put (tile returns nil for a tile not yet stored).
func AppendToTiles(n int64, leaf []byte, tile func(level int, n int64) ([]byte, error), put func(level int, n int64, data []byte) error) error {
	stored, err := tlog.StoredHashes(n, leaf, TileHashReader(tile))
	if err != nil {
		return fmt.Errorf("log record %d: %w", n, err)
	}
	for level := 0; tileHeight*level < len(stored); level++ {
		i := n >> (tileHeight * level)
		pos := int(i&(1<<tileHeight-1)) * tlog.HashSize
		old, err := tile(level, i>>tileHeight)
		if err != nil {
			return err
		}
		if len(old) < pos {
			return fmt.Errorf("%w: tile %d/%d has %d bytes, hash %d of it is next", ErrCorrupt, level, i>>tileHeight, len(old), pos/tlog.HashSize)
		}
		data := make([]byte, pos, pos+tlog.HashSize)
		copy(data, old[:pos])
		data = append(data, stored[tileHeight*level][:]...)
		if err := put(level, i>>tileHeight, data); err != nil {
			return err
		}
	}
	return nil
}

// TileHashReader reads tree hashes from tiles got through tile.
type TileHashReader func(level int, n int64) ([]byte, error)

// ReadHashes implements tlog.HashReader.
func (r TileHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		t := tlog.TileForIndex(tileHeight, x)
		data, err := r(t.L, t.N)
		if err != nil {
			return nil, err
		}
		if len(data) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("%w: log hash %d missing (tile %d/%d has %d bytes, needs %d)", ErrCorrupt, x, t.L, t.N, len(data), t.W*tlog.HashSize)
		}
		h, err := tlog.HashFromTile(t, data, x)
		if err != nil {
			return nil, fmt.Errorf("%w: log hash %d: %v", ErrCorrupt, x, err)
		}
		out[i] = h
	}
	return out, nil
}
