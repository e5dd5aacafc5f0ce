//go:build !linux

package main

import "net"

// checkPeer accepts every client: off Linux the socket's mode (0600) is
// what keeps other users out.
func checkPeer(*net.UnixConn) error { return nil }
