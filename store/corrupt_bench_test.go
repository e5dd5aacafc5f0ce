package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// BenchmarkCheckTree measures the page walk Open adds, on a bbolt file
// of 200,000 small records in 100 nested buckets plus 200 values of
// 64 KiB in overflow pages: what it costs grows with the tree's pages,
// not with the bytes in overflow pages. For scale, bbolt-scan reads
// every record of the same file through bbolt:
//
//	go test ./store -run '^$' -bench CheckTree
func BenchmarkCheckTree(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	big := make([]byte, 64<<10)
	err = db.Update(func(tx *bbolt.Tx) error {
		top, err := tx.CreateBucket([]byte("records"))
		if err != nil {
			return err
		}
		blobs, err := tx.CreateBucket([]byte("blobs"))
		if err != nil {
			return err
		}
		for i := range 200 {
			if err := blobs.Put(fmt.Appendf(nil, "blob-%04d", i), big); err != nil {
				return err
			}
		}
		for s := range 100 {
			sub, err := top.CreateBucket(binary.BigEndian.AppendUint64(nil, uint64(s)))
			if err != nil {
				return err
			}
			for i := range 2000 {
				if err := sub.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), make([]byte, 100)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			if err := checkTree(path); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(info.Size())/(1<<20), "MiB")
	})
	// For scale: what reading every record through bbolt costs.
	b.Run("bbolt-scan", func(b *testing.B) {
		for b.Loop() {
			db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			err = db.View(func(tx *bbolt.Tx) error {
				var scan func(bk *bbolt.Bucket)
				scan = func(bk *bbolt.Bucket) {
					c := bk.Cursor()
					for k, v := c.First(); k != nil; k, v = c.Next() {
						if v == nil {
							scan(bk.Bucket(k))
						}
					}
				}
				return tx.ForEach(func(_ []byte, bk *bbolt.Bucket) error { scan(bk); return nil })
			})
			db.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
