package store

import (
	"unsafe"

	"go.etcd.io/bbolt"
)

// The resident set of a process that reads a bbolt file is mostly the
// file's pages it has touched: bbolt maps the whole file, every page read
// stays mapped in, and the kernel maps up to 16 neighbours of each page
// faulted in (fault-around). A daemon's rounds touch pages all over the
// file, so without help its RSS ends near the file's size and grows with
// it. The store unmaps what it has read now and then (decision records
// 0053 and 0054): the pages stay in the page cache, and what is read
// again is mapped again by a minor fault, with no disk read. bbolt maps
// the file read-only and writes with pwrite, so no byte a read sees
// changes.
//
// Where: putFetch every releaseFetches fetches written, a history read
// every releaseReads fetches read (fetchtail.go), and the page walk at
// Open every walkDropPages pages (pagewalk.go).

// releaseResident drops bbolt's map of the file, up to the high-water
// mark tx sees, from the process's resident set. It must run inside a
// transaction: an open transaction keeps bbolt from remapping the file
// under it. Only memory is at stake, so a failure is ignored.
func releaseResident(tx *bbolt.Tx) {
	info := tx.DB().Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	_ = dropPages(info.Data, int(tx.Size()))
}

// dropWalked is dropPages over a whole mapping of the page walk.
func dropWalked(m []byte) error {
	if len(m) == 0 {
		return nil
	}
	return dropPages(uintptr(unsafe.Pointer(unsafe.SliceData(m))), len(m))
}
