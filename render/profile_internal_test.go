package render

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestProfileOwner(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"clausewatch-render-pid1234-5678", 1234, true},
		{"clausewatch-render-pid1-x", 1, true},
		{"clausewatch-render-pid1234-", 0, false},
		{"clausewatch-render-pid-5678", 0, false},
		{"clausewatch-render-pid0-5678", 0, false},
		{"clausewatch-render-pid+12-5678", 0, false},
		{"clausewatch-render-pid12x-5678", 0, false},
		{"clausewatch-render-pid99999999999999999999-1", 0, false},
		{"clausewatch-render-1234567", 0, false},
		{"other-pid12-3", 0, false},
	} {
		pid, ok := profileOwner(tc.name)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("profileOwner(%q) = %d, %v; want %d, %v", tc.name, pid, ok, tc.pid, tc.ok)
		}
	}
	dir, err := makeProfile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if pid, ok := profileOwner(filepath.Base(dir)); !ok || pid != os.Getpid() {
		t.Errorf("makeProfile made %s, read as owner %d, %v", dir, pid, ok)
	}
}

// FuzzProfileOwner: any name either is refused or names a positive pid
// whose decimal form is in the name right after the prefix.
func FuzzProfileOwner(f *testing.F) {
	f.Add("clausewatch-render-pid1234-5678")
	f.Add("clausewatch-render-pid-")
	f.Add("clausewatch-render-pid007-a")
	f.Fuzz(func(t *testing.T, name string) {
		pid, ok := profileOwner(name)
		if !ok {
			return
		}
		rest := strings.TrimPrefix(name, profilePrefix)
		digits, _, _ := strings.Cut(rest, "-")
		if n, err := strconv.Atoi(digits); pid <= 0 || err != nil || n != pid {
			t.Fatalf("profileOwner(%q) = %d from %q", name, pid, digits)
		}
	})
}
