package store

import (
	"syscall"

	"go.etcd.io/bbolt"
)

// releaseResident drops bbolt's map of the file from the process's
// resident set, up to the high-water mark tx sees: the pages stay in the
// page cache, and the next read of one maps it again from there (a minor
// fault, no disk read). bbolt maps the file read-only and writes with
// pwrite, so nothing is lost. Without it every page a long-running
// process has read — and, through the kernel's fault-around, up to 15
// neighbours of each — stays counted in its RSS, which then grows with
// the file (decision record 0054). It must run inside a transaction: an
// open transaction keeps bbolt from remapping the file under it.
func releaseResident(tx *bbolt.Tx) {
	info := tx.DB().Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}

// releaseMap drops the pages of b, a read-only map of a file, from the
// process's resident set (they stay in the page cache): the walk at Open
// would otherwise leave its peak RSS at the whole tree's size, however
// little the process uses afterwards.
func releaseMap(b []byte) { syscall.Madvise(b, syscall.MADV_DONTNEED) }
