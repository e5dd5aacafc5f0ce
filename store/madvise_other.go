//go:build !linux

package store

// dropPages does nothing here: the pages a mapping touched stay resident
// until the kernel wants them (see madvise_linux.go).
func dropPages(uintptr, int) error { return nil }
