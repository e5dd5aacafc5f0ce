package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// The admin protocol, spoken over the unix socket a daemon keeps beside
// its database (decision record 0031). The client sends one request
// frame: its arguments, working directory and environment. The daemon
// runs the command and sends what it writes, as stdout and stderr frames
// in the order it writes them, then one exit frame. The client sends
// nothing more; when it closes its end, the daemon cancels the command.
// A frame is a kind byte, a big-endian uint32 length and that many bytes.

// Frame kinds.
const (
	frameRequest = 'q' // client → daemon: an adminRequest, JSON
	frameStdout  = 'o' // daemon → client: bytes written to standard output
	frameStderr  = 'e' // daemon → client: bytes written to standard error
	frameExit    = 'x' // daemon → client: an adminExit, JSON; the last frame
)

const (
	// adminVersion is the protocol's version; a daemon refuses others.
	adminVersion = 1
	// maxFrame bounds one frame's payload; longer writes are split.
	maxFrame = 1 << 20
	// dialTimeout bounds connecting to the socket (a daemon answers at
	// once: the kernel queues the connection).
	dialTimeout = 2 * time.Second
)

// adminRequest is what a client asks a daemon to run.
type adminRequest struct {
	Version int      `json:"version"`
	Args    []string `json:"args"` // the command line after the program name
	Dir     string   `json:"dir"`  // the client's working directory
	Env     []string `json:"env"`  // the client's environment, KEY=VALUE
}

// adminExit is how a command run by the daemon ended: run's error as the
// client's own run would have returned it.
type adminExit struct {
	Code int    `json:"code"`
	Msg  string `json:"msg,omitempty"`
}

// errNoDaemon means no daemon answers on a database's admin socket: there
// is no socket, or it is left from a daemon that is gone.
var errNoDaemon = errors.New("no daemon answers on its admin socket")

// viaDaemon is returned by command.open when a daemon holds the database
// and answers on its socket: run sends the command to it over conn.
type viaDaemon struct {
	conn net.Conn
}

func (v *viaDaemon) Error() string {
	return "the database is held by a daemon; the command goes through it"
}

// adminSocket is the admin socket of the database at db.
func adminSocket(db string) string { return db + ".sock" }

// dialAdmin connects to a daemon's admin socket. It fails with
// errNoDaemon when there is no socket or nobody listens on it.
func dialAdmin(ctx context.Context, sock string) (net.Conn, error) {
	if _, err := os.Lstat(sock); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", errNoDaemon, sock)
	}
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "unix", sock)
	switch {
	case err == nil:
		return conn, nil
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s is left from a daemon that is gone", errNoDaemon, sock)
	default:
		return nil, fmt.Errorf("the daemon's admin socket %s: %w", sock, err)
	}
}

// forward runs args in the daemon at the other end of conn: it copies
// what the command writes to e's streams and returns its error as the
// command would have. Cancelling ctx (the client's Ctrl-C) closes the
// connection, which cancels the command in the daemon.
func forward(ctx context.Context, e *env, conn net.Conn, args []string) error {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	dir, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("%s: working directory, for the daemon: %w", args[0], err)
	}
	req, err := json.Marshal(adminRequest{Version: adminVersion, Args: args, Dir: dir, Env: os.Environ()})
	if err != nil {
		return err
	}
	lost := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", args[0], context.Cause(ctx))
		}
		return fmt.Errorf("%s: the daemon holding the database stopped before the command finished: %w", args[0], err)
	}
	// A daemon that refuses the client at once answers and closes before
	// reading the request: a failed write still leaves its answer to read.
	sendErr := writeFrame(conn, frameRequest, req)
	r := bufio.NewReader(conn)
	for {
		kind, payload, err := readFrame(r)
		if err != nil {
			return lost(errors.Join(sendErr, err))
		}
		switch kind {
		case frameStdout:
			if _, err := e.stdout.Write(payload); err != nil {
				return err
			}
		case frameStderr:
			if _, err := e.stderr.Write(payload); err != nil {
				return err
			}
		case frameExit:
			var x adminExit
			if err := json.Unmarshal(payload, &x); err != nil {
				return fmt.Errorf("%s: the daemon's answer: %w", args[0], err)
			}
			if x.Code == 0 {
				return nil
			}
			return &exitError{code: x.Code, msg: x.Msg}
		default:
			return fmt.Errorf("%s: the daemon's answer: unknown frame %q", args[0], kind)
		}
	}
}

// writeFrame writes one frame with a single write (writev).
func writeFrame(w io.Writer, kind byte, payload []byte) error {
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	bufs := net.Buffers{head[:], payload}
	_, err := bufs.WriteTo(w)
	return err
}

// readFrame reads one frame, refusing one longer than maxFrame.
func readFrame(r io.Reader) (kind byte, payload []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes, more than %d", n, maxFrame)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("frame cut short: %w", err)
	}
	return head[0], payload, nil
}
