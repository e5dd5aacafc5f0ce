package store

import (
	"bytes"
	"context"

	"go.etcd.io/bbolt"
)

// EachBlob calls fn with every blob's key (the SHA-256 of its content)
// and stored value (codec byte and zstd frame, blob.go), in key order,
// in one read transaction: for copying the database into another
// backend byte for byte ("clausewatch migrate"). fn gets copies it may
// keep.
func (d *DB) EachBlob(ctx context.Context, fn func(key, value []byte) error) error {
	return d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(bytes.Clone(k), bytes.Clone(v))
		})
	})
}
