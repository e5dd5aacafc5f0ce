package store

import "syscall"

// dropPages unmaps the n bytes of a file mapping at addr from the
// process's page tables (madvise MADV_DONTNEED): they leave its resident
// set, stay in the page cache, and the next read maps them again (a
// minor fault). On a shared mapping of a file this changes no byte a
// read sees; addr must stay mapped while it runs.
func dropPages(addr uintptr, n int) error {
	if n <= 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, uintptr(n), syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
