package render_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/render"
)

// TestRenderSweepsStaleProfiles: a crashed daemon leaves its Chromium
// profile directory behind. At the next browser start, the directories
// of dead processes are removed; those of live processes (this one's
// included), directories of other names and plain files are left; and
// the browser's own profile is named for this process.
func TestRenderSweepsStaleProfiles(t *testing.T) {
	s := newServer(t, pages(map[string]string{"/": `<p>Privacy policy</p>`}))
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := dead.Process.Pid
	stale := filepath.Join(dir, fmt.Sprintf("clausewatch-render-pid%d-1234", deadPID))
	if err := os.MkdirAll(filepath.Join(stale, "Default", "Cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "Default", "Cookies"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	keep := []string{
		fmt.Sprintf("clausewatch-render-pid%d-5678", os.Getpid()),  // this process: another Browser's
		fmt.Sprintf("clausewatch-render-pid%d-5678", os.Getppid()), // a live process
		"clausewatch-render-1234567",                               // not a name a Browser gives
		fmt.Sprintf("other-pid%d-1", deadPID),
	}
	for _, k := range keep {
		if err := os.Mkdir(filepath.Join(dir, k), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	file := fmt.Sprintf("clausewatch-render-pid%d-file", deadPID) // a file, not a profile
	if err := os.WriteFile(filepath.Join(dir, file), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, file)

	opts := quick(s.addr())
	opts.TempDir = dir
	b := newBrowser(t, opts)
	if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the profile of dead process %d is still there (%v)", deadPID, err)
	}
	for _, k := range keep {
		if _, err := os.Lstat(filepath.Join(dir, k)); err != nil {
			t.Errorf("%s was removed: %v", k, err)
		}
	}
	own := ownProfiles(t, dir, keep)
	if len(own) != 1 {
		t.Fatalf("profiles of the running browser in %s: %v, want one", dir, own)
	}
	b.Close()
	if left := ownProfiles(t, dir, keep); len(left) != 0 {
		t.Errorf("after Close the browser's profile is still there: %v", left)
	}
}

// ownProfiles lists dir's profile directories named for this process,
// but those in skip.
func ownProfiles(t *testing.T, dir string, skip []string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fmt.Sprintf("clausewatch-render-pid%d-", os.Getpid())) && !strings.Contains(strings.Join(skip, "\n"), e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}
