package store

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMoveKilled kills (SIGKILL) a process in the middle of the move to
// schema 10, after its second batch committed, then opens the file again:
// the move goes on from there and the log check is clean, with every
// fetch at its log record. The child is this test binary, run again.
func TestMoveKilled(t *testing.T) {
	if path := os.Getenv("CLAUSEWATCH_MOVE_CHILD"); path != "" {
		Open(path, Options{moveBatch: 8, moveHook: func(batch int) error {
			if batch == 2 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal ends the process
			}
			return nil
		}})
		t.Fatal("the move finished before the kill")
	}
	path := filepath.Join(t.TempDir(), "k.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newFetchHistory(t, db, 3)
	for range 50 {
		h.record()
	}
	if err := db.bolt.Update(downgradeToSchema9); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run", "^TestMoveKilled$")
	cmd.Env = append(os.Environ(), "CLAUSEWATCH_MOVE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if moved, left := countMoved(t, path); moved != 16 || left != 34 {
		t.Errorf("after the kill: %d records moved, %d left; want 16 and 34", moved, left)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h.db = db
	if rep, err := db.CheckLog(t.Context()); err != nil || !rep.OK() || rep.Fetches != 50 {
		t.Fatalf("log check after the killed move: %+v, %v", rep, err)
	}
	h.compare()
	if err := db.Check(t.Context()); err != nil {
		t.Errorf("check: %v", err)
	}
}
