//go:build linux

package diff_test

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time of the calling thread (RUSAGE_THREAD): with the
// goroutine locked to its thread, the difference of two readings is the
// work done between them, which a busy machine's other processes do not
// inflate as they do the wall-clock time.
func threadCPU() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
