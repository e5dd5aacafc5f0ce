package store

import (
	"bytes"

	"go.etcd.io/bbolt"
)

// storedRecord is fetch id's record as the fetch log holds it (without
// its source and start), nil when there is none.
func storedRecord(tx *bbolt.Tx, id uint64) []byte {
	v := tx.Bucket(bucketFetchLog).Get(u64(id))
	if len(v) < fetchPrefix {
		return nil
	}
	return v[fetchPrefix:]
}

// eachRecord calls fn with each of src's records in the fetch log, keyed
// as the record decoders take them (fetchKey).
func eachRecord(tx *bbolt.Tx, src uint64, fn func(k, v []byte) error) error {
	return tx.Bucket(bucketFetchLog).ForEach(func(k, v []byte) error {
		s, err := splitFetch(k, v)
		if err != nil || s.src != src {
			return err
		}
		return fn(s.key, s.rec)
	})
}

// putRecordJSON stores f as a JSON record in the fetch log, as a
// schema-5 build stored records (or as something written around the log).
func putRecordJSON(tx *bbolt.Tx, f Fetch) error {
	data, err := jsonMarshal(f)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketFetchLog).Put(u64(f.ID), fetchLogValue(f.SourceID, f.Start, data))
}

// downgradeToSchema9 lays a database's fetches out as schema 9 did: a
// bucket per source under fetches, keyed by start and ID, the numbering
// in the fetches bucket's sequence; no fetch log, index or latest fetch.
func downgradeToSchema9(tx *bbolt.Tx) error {
	log := tx.Bucket(bucketFetchLog)
	if log == nil {
		return nil
	}
	fetches, err := tx.CreateBucket(bucketFetches)
	if err != nil {
		return err
	}
	if err := fetches.SetSequence(log.Sequence()); err != nil {
		return err
	}
	err = log.ForEach(func(k, v []byte) error {
		s, err := splitFetch(k, v)
		if err != nil {
			return err
		}
		b, err := fetches.CreateBucketIfNotExists(u64(s.src))
		if err != nil {
			return err
		}
		return b.Put(s.key, bytes.Clone(s.rec))
	})
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketFetchLog, bucketFetchIndex, bucketFetchLast} {
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Delete(keyFetchIndexed); err != nil {
		return err
	}
	return meta.Put(keySchema, u64(9))
}
