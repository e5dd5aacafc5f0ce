package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
)

// fixturePage is the page every source serves: IMS's 2022 policy.
const fixturePage = "pages/ims/2022-05-17.html"

// serveFixtures is the fixture process: it listens on hosts loopback
// addresses, prints each base URL on a line of its own and then "ready",
// and serves until stdin closes (the harness went away) or ctx ends.
func serveFixtures(ctx context.Context, hosts int, stdout io.Writer) error {
	page, err := fs.ReadFile(fixtures.FS(), fixturePage)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(page)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if i%2 == 0 {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Write(page)
	})
	var servers []*http.Server
	for h := range hosts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.1.%d:0", h+1))
		if err != nil && h == 0 {
			l, err = net.Listen("tcp", "127.0.0.1:0") // one loopback address only
			hosts = 1
		}
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		servers = append(servers, srv)
		go srv.Serve(l)
		fmt.Fprintf(stdout, "http://%s\n", l.Addr())
		if hosts == 1 {
			break
		}
	}
	fmt.Fprintln(stdout, "ready")
	stdinClosed := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	}
	for _, s := range servers {
		s.Close()
	}
	return nil
}

// fixtureProcess is the fixture server running in a process of its own.
type fixtureProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	urls  []string
}

// startFixtures starts this program again with -fixture and reads its
// base URLs.
func startFixtures(ctx context.Context, hosts int) (*fixtureProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-fixture", "-hosts", strconv.Itoa(hosts))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the fixture server: %w", err)
	}
	p := &fixtureProcess{cmd: cmd, stdin: stdin}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "ready" {
			go io.Copy(io.Discard, out)
			return p, nil
		}
		p.urls = append(p.urls, sc.Text())
	}
	p.stop()
	return nil, errors.New("the fixture server exited before it was ready")
}

// pid is the fixture process's ID.
func (p *fixtureProcess) pid() int { return p.cmd.Process.Pid }

// stop closes the fixture server's stdin and waits for it to exit.
func (p *fixtureProcess) stop() {
	p.stdin.Close()
	p.cmd.Wait()
}
