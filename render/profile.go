package render

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// profilePrefix starts the name of every profile directory a Browser
// makes, followed by the owning process's ID and a dash:
// clausewatch-render-pid1234-<random>. The ID is what lets a later
// process tell a directory left by a crashed daemon (its owner is dead)
// from one in use (its owner lives).
const profilePrefix = "clausewatch-render-pid"

// makeProfile creates a fresh profile directory in dir, named for this
// process.
func makeProfile(dir string) (string, error) {
	return os.MkdirTemp(dir, profilePrefix+strconv.Itoa(os.Getpid())+"-")
}

// profileOwner reads the owner's process ID from a profile directory's
// name; false when the name is not one makeProfile gives.
func profileOwner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, profilePrefix)
	if !ok {
		return 0, false
	}
	digits, random, ok := strings.Cut(rest, "-")
	if !ok || random == "" || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// sweepProfiles removes, from dir, the profile directories whose owner
// process is dead: a daemon killed without a chance to clean up leaves its
// Chromium profile behind, and the next browser start takes it away. A
// directory whose owner lives (this process included: another Browser may
// use it), whose name is not makeProfile's, or that is not a directory is
// left alone. Liveness is read from /proc; where there is no /proc
// nothing is swept, rather than guessing. It returns what it removed.
func sweepProfiles(dir string, log *slog.Logger) []string {
	if _, err := os.Stat("/proc/self"); err != nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("profile sweep: cannot list the temporary directory", "dir", dir, "err", err)
		return nil
	}
	var removed []string
	for _, e := range entries {
		pid, ok := profileOwner(e.Name())
		if !ok || !e.IsDir() || e.Type()&os.ModeSymlink != 0 || processAlive(pid) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(path); err != nil {
			log.Warn("profile sweep: cannot remove a stale profile", "dir", path, "owner", pid, "err", err)
			continue
		}
		log.Info("removed the profile directory of a dead process", "dir", path, "owner", pid)
		removed = append(removed, path)
	}
	return removed
}

// processAlive reports whether pid names a running process (a zombie has
// stopped running: it holds no files open and writes nothing).
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	p, ok := readStat(pid)
	return ok && p.state != 'Z' && p.state != 'X'
}

// profileError wraps a failure to make the profile directory.
func profileError(dir string, err error) error {
	return fmt.Errorf("render: profile directory in %s: %w", dir, err)
}
