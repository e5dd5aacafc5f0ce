package store

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

var layoutSources = flag.Int("layout-sources", 1000, "sources in BenchmarkFetchLayouts")

// layoutBulkEvery is K for the bulk-index layout: every K rounds the
// index entries of the last K rounds are written at once, in key order.
const layoutBulkEvery = 16

// fetchLayout is one way to lay out fetch records: put stores one record
// (117 bytes, as an unchanged compact record is); flush, when set, runs
// after every round in a transaction of its own.
type fetchLayout struct {
	name  string
	put   func(tx *bbolt.Tx, src, round, id uint64, val []byte) error
	flush func(tx *bbolt.Tx, round uint64) error
}

func appendU64(b []byte, n ...uint64) []byte {
	for _, x := range n {
		b = binary.BigEndian.AppendUint64(b, x)
	}
	return b
}

// globalPut appends to one bucket keyed by time, ID, then source.
func globalPut(tx *bbolt.Tx, src, round, id uint64, v []byte) error {
	b := tx.Bucket([]byte("f"))
	b.FillPercent = 1
	return b.Put(appendU64(nil, round, id, src), v)
}

var fetchLayouts = []fetchLayout{
	{name: "per-source", put: func(tx *bbolt.Tx, src, round, id uint64, v []byte) error {
		b, err := tx.Bucket([]byte("f")).CreateBucketIfNotExists(appendU64(nil, src))
		if err != nil {
			return err
		}
		b.FillPercent = 1
		return b.Put(appendU64(nil, round, id), v)
	}},
	{name: "global", put: globalPut},
	{name: "global+index", put: func(tx *bbolt.Tx, src, round, id uint64, v []byte) error {
		if err := globalPut(tx, src, round, id, v); err != nil {
			return err
		}
		return tx.Bucket([]byte("i")).Put(appendU64(nil, src, round, id), nil)
	}},
	{name: fmt.Sprintf("global+bulk-index-%d", layoutBulkEvery), put: globalPut, flush: func(tx *bbolt.Tx, round uint64) error {
		if round%layoutBulkEvery != 0 {
			return nil
		}
		i := tx.Bucket([]byte("i"))
		i.FillPercent = 1
		var keys [][]byte
		c := tx.Bucket([]byte("f")).Cursor()
		for k, _ := c.Seek(appendU64(nil, round-layoutBulkEvery+1)); k != nil; k, _ = c.Next() {
			keys = append(keys, appendU64(nil, binary.BigEndian.Uint64(k[16:]), binary.BigEndian.Uint64(k[:8]), binary.BigEndian.Uint64(k[8:16])))
		}
		slices.SortFunc(keys, bytes.Compare)
		for _, k := range keys {
			if err := i.Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	}},
}

// BenchmarkFetchLayouts compares candidate layouts of fetch records
// (decision record 0041) on a bare bbolt file: -layout-sources sources
// each get one record per round, 64 per transaction as group commit
// writes them, after a warm-up of 8, 28, 100 and 400 rounds; it reports
// the pages bbolt writes per record over the next 16 rounds (freelist
// and meta pages included, fsync off). "per-source" is the layout of
// schema 8 and 9.
//
//	go test ./store -run '^$' -bench FetchLayouts -benchtime 1x
func BenchmarkFetchLayouts(b *testing.B) {
	for _, l := range fetchLayouts {
		for _, warm := range []uint64{8, 28, 100, 400} {
			b.Run(fmt.Sprintf("%s/warm-%d", l.name, warm), func(b *testing.B) {
				benchLayout(b, l, warm)
			})
		}
	}
}

func benchLayout(b *testing.B, l fetchLayout, warm uint64) {
	n := *layoutSources
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "layout.db"), 0o600, &bbolt.Options{NoSync: true, InitialMmapSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"f", "i"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 117)
	var id, r uint64
	round := func() {
		r++
		for start := 0; start < n; start += 64 {
			err := db.Update(func(tx *bbolt.Tx) error {
				for s := start; s < min(start+64, n); s++ {
					id++
					if err := l.put(tx, uint64(s), r, id, val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if l.flush != nil {
			if err := db.Update(func(tx *bbolt.Tx) error { return l.flush(tx, r) }); err != nil {
				b.Fatal(err)
			}
		}
	}
	for r < warm {
		round()
	}
	b.ResetTimer()
	var writes int64
	for range b.N {
		s0 := db.Stats()
		for range layoutBulkEvery {
			round()
		}
		s1 := db.Stats()
		writes += s1.TxStats.GetWrite() - s0.TxStats.GetWrite()
	}
	b.ReportMetric(float64(writes)/float64(b.N*layoutBulkEvery*n), "page-writes/check")
	b.ReportMetric(0, "ns/op")
}
