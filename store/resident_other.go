//go:build !linux

package store

import "go.etcd.io/bbolt"

// releaseResident does nothing here (see resident_linux.go).
func releaseResident(*bbolt.Tx) {}

func releaseMap([]byte) {}
