package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"
)

// TestBlobReadBounded: a stored frame that inflates past the blob bound — a
// damaged blob, or a dictionary-compressed one whose dictionary is — is
// refused as corrupt, and the read allocates about the bound, not what the
// frame claims (a bit flip made such a read allocate gigabytes and the
// kernel kill the process). Writes refuse content past the bound.
func TestBlobReadBounded(t *testing.T) {
	const bound = 1 << 20
	db, err := Open(filepath.Join(t.TempDir(), "blob.db"), Options{MaxBlobBytes: bound})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Zeros, streamed so the frame does not declare its size: the decoder
	// finds out only by inflating, as with a flipped bit in a block. The
	// frame is a few kilobytes and inflates to 64 times the bound. Its key
	// need not match: the read must stop before it could find out.
	const claimed = 64 * bound
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for range claimed / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	bigKey := sha256.Sum256([]byte("a damaged blob"))
	small := []byte("a dictionary that is itself fine")
	smallKey := sha256.Sum256(small)
	dictKey := sha256.Sum256([]byte("dictionary-compressed"))
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		if err := b.Put(smallKey[:], db.enc.EncodeAll(small, []byte{codecZstd})); err != nil {
			return err
		}
		if err := b.Put(bigKey[:], append([]byte{codecZstd}, frame...)); err != nil {
			return err
		}
		v := append(append([]byte{codecZstdDict}, smallKey[:]...), frame...)
		return b.Put(dictKey[:], v)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"plain frame", bigKey[:]}, {"dictionary frame", dictKey[:]}} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := db.bolt.View(func(tx *bbolt.Tx) error {
				_, err := db.getBlob(tx, tc.key)
				return err
			})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("read of a frame inflating to %d bytes: %v, want ErrCorrupt", claimed, err)
			}
			// The decoder's output doubles as it grows, so reaching the
			// bound costs about 6 times the bound in allocations; an
			// unbounded read costs more than the claimed size.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16*bound {
				t.Errorf("read allocated %d bytes, want at most 16 times the bound (%d)", grew, 16*bound)
			}
		})
	}
	if _, err := db.encodeBlob(bytes.Repeat([]byte{'x'}, bound+1), nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("encoding %d bytes: %v, want ErrInvalid", bound+1, err)
	}
}
