//go:build !linux

package diff_test

import "time"

// threadCPU is not measured outside Linux: the CPU figures read zero.
func threadCPU() time.Duration { return 0 }
