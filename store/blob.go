package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"
)

// Blob codecs: the first byte of a stored blob.
const (
	// codecZstd: a zstd frame.
	codecZstd byte = 1
	// codecZstdDict: the 32-byte key of a codecZstd blob used as a raw
	// dictionary, then a zstd frame. Dictionaries are never themselves
	// dictionary-compressed, so reading a blob takes at most two lookups.
	codecZstdDict byte = 2
)

// dictID is the ID zstd frames carry for a raw-content dictionary.
const dictID = 1

// MaxBlobBytes is the largest content a blob may hold unless
// Options.MaxBlobBytes says otherwise. Writes refuse more,
// and reads stop decompressing there: a damaged frame (or dictionary)
// cannot make a read allocate beyond it. Bodies are capped well below it
// (fetch.Options.MaxBytes, 10 MiB by default; a render's DOM 10 MiB; a
// PDF 64 MiB at most).
const MaxBlobBytes = 64 << 20

// Hash returns the hex SHA-256 of data: a blob's key.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// blobKey decodes a hex key.
func blobKey(hash string) ([]byte, error) {
	k, err := hex.DecodeString(hash)
	if err != nil || len(k) != sha256.Size {
		return nil, fmt.Errorf("%w: blob key %q", ErrInvalid, hash)
	}
	return k, nil
}

// pendingBlob is content compressed outside a transaction, ready to put.
type pendingBlob struct {
	key   []byte
	value []byte
}

// encodeBlob compresses content, against dict (the content of the blob
// dictKey) when one is given.
func (d *DB) encodeBlob(content []byte, dictKey []byte, dict []byte) (pendingBlob, error) {
	if len(content) > d.maxBlob {
		return pendingBlob{}, fmt.Errorf("%w: blob of %d bytes, more than the %d a blob may hold", ErrInvalid, len(content), d.maxBlob)
	}
	sum := sha256.Sum256(content)
	if dict == nil {
		return pendingBlob{key: sum[:], value: d.enc.EncodeAll(content, []byte{codecZstd})}, nil
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderDictRaw(dictID, dict), zstd.WithWindowSize(windowFor(len(dict)+len(content))))
	if err != nil {
		return pendingBlob{}, fmt.Errorf("zstd with dictionary: %w", err)
	}
	defer enc.Close()
	head := append([]byte{codecZstdDict}, dictKey...)
	return pendingBlob{key: sum[:], value: enc.EncodeAll(content, head)}, nil
}

// windowFor is a zstd window that covers n bytes (a power of two between
// 1 MiB and 64 MiB), so the whole dictionary stays in reach.
func windowFor(n int) int {
	w := 1 << 20
	for w < n && w < 64<<20 {
		w <<= 1
	}
	return w
}

// getBlob reads and decompresses the blob key inside tx, checking that its
// content still hashes to its key.
func (d *DB) getBlob(tx *bbolt.Tx, key []byte) ([]byte, error) {
	v := tx.Bucket(bucketBlobs).Get(key)
	if v == nil {
		return nil, fmt.Errorf("blob %x: %w", key, ErrNotFound)
	}
	return d.decodeBlob(key, v, func(k []byte) ([]byte, error) { return tx.Bucket(bucketBlobs).Get(k), nil })
}

// decodeBlob decompresses the stored value v of blob key, with lookup
// giving the stored value of its dictionary (nil when missing), and
// checks that the content still hashes to key.
func (d *DB) decodeBlob(key, v []byte, lookup func(key []byte) ([]byte, error)) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("blob %x: %w: empty value", key, ErrCorrupt)
	}
	var out []byte
	var err error
	switch v[0] {
	case codecZstd:
		out, err = d.dec.DecodeAll(v[1:], nil)
	case codecZstdDict:
		if len(v) < 1+sha256.Size {
			return nil, fmt.Errorf("blob %x: %w: short dictionary header", key, ErrCorrupt)
		}
		dictKey := v[1 : 1+sha256.Size]
		dv, lerr := lookup(dictKey)
		if lerr != nil {
			return nil, fmt.Errorf("blob %x: dictionary %x: %w", key, dictKey, lerr)
		}
		if len(dv) == 0 || dv[0] != codecZstd {
			return nil, fmt.Errorf("blob %x: %w: dictionary %x missing or not a plain blob", key, ErrCorrupt, dictKey)
		}
		var dict []byte
		if dict, err = d.dec.DecodeAll(dv[1:], nil); err != nil {
			return nil, fmt.Errorf("blob %x: dictionary %x: %w: %v", key, dictKey, ErrCorrupt, err)
		}
		var dec *zstd.Decoder
		if dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderDictRaw(dictID, dict), zstd.WithDecoderMaxMemory(uint64(d.maxBlob))); err != nil {
			return nil, fmt.Errorf("blob %x: %w", key, err)
		}
		out, err = dec.DecodeAll(v[1+sha256.Size:], nil)
		dec.Close()
	default:
		return nil, fmt.Errorf("blob %x: %w: unknown codec %d", key, ErrCorrupt, v[0])
	}
	if err != nil {
		return nil, fmt.Errorf("blob %x: %w: %v", key, ErrCorrupt, err)
	}
	if sum := sha256.Sum256(out); !bytes.Equal(sum[:], key) {
		return nil, fmt.Errorf("blob %x: %w: content hashes to %x", key, ErrCorrupt, sum)
	}
	return out, nil
}

// Blob returns the content stored under hash (a hex SHA-256).
func (d *DB) Blob(ctx context.Context, hash string) ([]byte, error) {
	key, err := blobKey(hash)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = d.view(ctx, func(tx *bbolt.Tx) error {
		out, err = d.getBlob(tx, key)
		return err
	})
	return out, err
}

// dictionaryFor picks the dictionary for a new body of a source: the plain
// blob behind base (base itself, or the dictionary base was compressed
// against). It returns nil when there is none.
func (d *DB) dictionaryFor(tx *bbolt.Tx, base string) (key, content []byte) {
	k, err := blobKey(base)
	if err != nil {
		return nil, nil
	}
	v := tx.Bucket(bucketBlobs).Get(k)
	if len(v) > 1+sha256.Size && v[0] == codecZstdDict {
		k = bytes.Clone(v[1 : 1+sha256.Size])
	}
	content, err = d.getBlob(tx, k)
	if err != nil {
		return nil, nil
	}
	return k, content
}
