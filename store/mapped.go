package store

import (
	"context"
	"fmt"
	"unsafe"

	"go.etcd.io/bbolt"
)

// The resident set of a process that reads a bbolt file is mostly the
// file's pages it has touched: bbolt maps the whole file, and every page
// read stays mapped in, so a round of checks over 10,000 sources, which
// reads each source's state, version and fetch-set pages, ends holding
// nearly the whole file (97 MB of 134 MB at 10,000 sources), growing with
// it. The store unmaps the pages it has read now and then (decision
// record 0053): they stay in the page cache, and what is read again is
// mapped again by a minor fault.

// dropMappedEvery is how many records Record writes between two drops of
// the file's mapped pages: at 10,000 sources a round drops about ten
// times, each time the pages some 1,000 checks touched.
const dropMappedEvery = 1024

// noteRecord counts a record written and drops the mapped pages every
// dropMappedEvery records.
func (d *DB) noteRecord(ctx context.Context) {
	if d.records.Add(1)%dropMappedEvery == 0 {
		// Only memory is at stake when it fails (it cannot, on a mapping
		// bbolt holds): the record is written either way.
		_ = d.dropMapped(ctx)
	}
}

// dropMapped unmaps the file's pages from the process's resident set. It
// runs in a read transaction: bbolt remaps the file (when it grows) only
// once no read transaction is open, so the mapping cannot move under it.
func (d *DB) dropMapped(ctx context.Context) error {
	return d.view(ctx, func(tx *bbolt.Tx) error {
		info := d.bolt.Info()
		if err := dropPages(info.Data, int(tx.Size())); err != nil {
			return fmt.Errorf("drop mapped pages: %w", err)
		}
		return nil
	})
}

// dropWalked is dropPages over a whole mapping of the page walk.
func dropWalked(m []byte) error {
	if len(m) == 0 {
		return nil
	}
	return dropPages(uintptr(unsafe.Pointer(unsafe.SliceData(m))), len(m))
}
