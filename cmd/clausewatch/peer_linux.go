package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer refuses a client that runs as another user than the daemon.
// The socket's mode (0600) already keeps other users out; this keeps out
// root too, whose files the daemon would write as its own user, and holds
// even if the mode were changed.
func checkPeer(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if credErr != nil {
		return fmt.Errorf("peer credentials: %w", credErr)
	}
	if uid := os.Getuid(); int(cred.Uid) != uid {
		return fmt.Errorf("the daemon runs as uid %d and runs commands only for that user, not uid %d: run the command as uid %d", uid, cred.Uid, uid)
	}
	return nil
}
