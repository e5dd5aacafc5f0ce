package store

import (
	"flag"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var tailSources = flag.Int("tail-sources", 10000, "sources in BenchmarkSourceFetchKeys")

// BenchmarkSourceFetchKeys measures what finding one source's fetches
// costs (sourceFetchKeys, before any record is decoded) with the tail at
// its default bound — 131,072 fetches of -tail-sources sources, none
// indexed, the worst a read meets between index writes — found by a
// scan of the tail (tail-scan: schema 10 as first built, and what a read
// falls back to) and by the in-memory tail (tail: fetchtail.go), and with
// the same fetches indexed. One op is one source's lookup.
//
//	go test ./store -run '^$' -bench SourceFetchKeys
func BenchmarkSourceFetchKeys(b *testing.B) {
	n := FetchIndexOptions{}.withDefaults().MaxTail
	db, err := Open(filepath.Join(b.TempDir(), "tail.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := make([]byte, 100) // the bytes of a record do not matter here
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		log := tx.Bucket(bucketFetchLog)
		log.FillPercent = 1
		for i := range n {
			id, _ := log.NextSequence()
			src := uint64(i%*tailSources) + 1
			if err := log.Put(u64(id), fetchLogValue(src, at.Add(time.Duration(i)*time.Second), rec)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var tail *fetchTail
	db.bolt.View(func(tx *bbolt.Tx) error { tail = newFetchTail(tx); return nil })
	for _, c := range []struct {
		name  string
		flush bool
		tail  *fetchTail
	}{{"tail-scan", false, nil}, {"tail", false, tail}, {"indexed", true, nil}} {
		if c.flush {
			if err := db.bolt.Update(func(tx *bbolt.Tx) error { _, err := flushIndex(tx); return err }); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			found := 0
			for i := range b.N {
				db.bolt.View(func(tx *bbolt.Tx) error {
					found += len(sourceFetchKeys(tx, c.tail, uint64(i%*tailSources)+1, time.Time{}, time.Time{}))
					return nil
				})
			}
			b.ReportMetric(float64(found)/float64(b.N), "fetches/op")
		})
	}
}
