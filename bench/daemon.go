package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// mode is a commit setting the rounds compare.
type mode struct {
	name  string
	batch int
	delay time.Duration
}

// round is what one daemon run measured.
type round struct {
	mode     mode
	n        int // sources the round checked
	failed   int // checks that logged "check failed"
	wall     time.Duration
	written  int64 // write_bytes during the round
	grew     int64 // database file growth, start of the run to its end
	mem      memory
	fileSize int64
	// cpu and fixtureCPU are the CPU time the daemon and the fixture
	// server used during the round.
	cpu, fixtureCPU time.Duration
}

// daemonArgs are the serve flags of a bench round.
func daemonArgs(db string, workers int, m mode) []string {
	return []string{"serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0",
		"--workers", strconv.Itoa(workers), "--listen", "", "--poll", "50ms", "--confirm-delay", "-1s",
		"--commit-batch", strconv.Itoa(m.batch), "--commit-delay", m.delay.String()}
}

// runRound starts serve on db with every source due, waits until it has
// logged n checks, reads its counters, and stops it.
func runRound(ctx context.Context, bin, db string, fixturePID, n, workers int, m mode) (round, error) {
	r := round{mode: m, n: n}
	before, err := fileSize(db)
	if err != nil {
		return r, err
	}
	cmd := exec.CommandContext(ctx, bin, daemonArgs(db, workers, m)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return r, err
	}
	if err := cmd.Start(); err != nil {
		return r, fmt.Errorf("start serve: %w", err)
	}
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}()
	pid := cmd.Process.Pid
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var start time.Time
	var io0 int64
	var cpu0, fx0 time.Duration
	var tail []string // the last lines, for an error
	checked := 0
	for checked < n && sc.Scan() {
		line := sc.Bytes()
		tail = append(tail[max(0, len(tail)-9):], string(line))
		switch {
		case bytes.Contains(line, []byte(`"msg":"schedule synced"`)):
			start = time.Now()
			if io0, err = procIO(pid); err != nil {
				return r, err
			}
			if cpu0, err = procCPU(pid); err != nil {
				return r, err
			}
			if fx0, err = procCPU(fixturePID); err != nil {
				return r, err
			}
		case bytes.Contains(line, []byte(`"msg":"checked"`)):
			checked++
		case bytes.Contains(line, []byte(`"msg":"check failed"`)):
			checked++
			r.failed++
		}
	}
	if checked < n {
		return r, fmt.Errorf("serve stopped after %d of %d checks: %v\n%s", checked, n, errors.Join(sc.Err(), ctx.Err()), joinLines(tail))
	}
	r.wall = time.Since(start)
	io1, err := procIO(pid)
	if err != nil {
		return r, err
	}
	r.written = io1 - io0
	cpu1, err := procCPU(pid)
	if err != nil {
		return r, err
	}
	fx1, err := procCPU(fixturePID)
	if err != nil {
		return r, err
	}
	r.cpu, r.fixtureCPU = cpu1-cpu0, fx1-fx0
	if r.mem, err = procMemory(pid); err != nil {
		return r, err
	}
	go io.Copy(io.Discard, stderr)
	cmd.Process.Signal(syscall.SIGTERM)
	waited = true
	if err := cmd.Wait(); err != nil {
		return r, fmt.Errorf("serve exited: %w", err)
	}
	after, err := fileSize(db)
	r.fileSize, r.grew = after, after-before
	return r, err
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
