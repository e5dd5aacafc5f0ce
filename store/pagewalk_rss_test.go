package store

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestWalkRSS: the page walk Open makes over the whole file leaves the
// process's peak RSS far below the file's size (it releases what it has
// touched as it goes), so a process's peak does not grow with the file.
// A fresh process (this test binary again) walks a 64 MB file and
// reports how much its peak RSS (VmHWM) grew; without the release it grew
// by the file's size.
func TestWalkRSS(t *testing.T) {
	if path := os.Getenv("CLAUSEWATCH_WALK_CHILD"); path != "" {
		before, _, _ := procStatus(t)
		if err := checkTree(path); err != nil {
			t.Fatal(err)
		}
		after, _, _ := procStatus(t)
		os.Stdout.WriteString("RSS-FIGURE " + strconv.FormatFloat((after-before)/1024, 'f', 1, 64) + "\n")
		return
	}
	path := bigFile(t)
	info, _ := os.Stat(path)
	grew := rssChild(t, "TestWalkRSS", "CLAUSEWATCH_WALK_CHILD", path)
	t.Logf("walking a %.1f MB file grew the peak RSS by %.1f MB", float64(info.Size())/1e6, grew)
	if limit := float64(info.Size()) / 1e6 / 4; grew > limit {
		t.Errorf("walking a %.1f MB file grew the peak RSS by %.1f MB, more than %.1f", float64(info.Size())/1e6, grew, limit)
	}
}

// bigFile is a bbolt file of about 100 MB: one bucket of 64,000 values.
func bigFile(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	path := filepath.Join(t.TempDir(), "big.db")
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.NoSync = true
	value := bytes.Repeat([]byte{'x'}, 1000)
	for batch := range 16 {
		err := b.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			bk.FillPercent = 1
			for i := range 4000 {
				if err := bk.Put(u64(uint64(batch*4000+i+1)), value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	return path
}

// rssChild runs test again in a fresh process with env set to path and
// returns the figure it prints (MB).
func rssChild(t *testing.T, test, env, path string) float64 {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, figure, ok := strings.Cut(string(out), "RSS-FIGURE ")
	if !ok {
		t.Fatalf("child printed no figure:\n%s", out)
	}
	grew, err := strconv.ParseFloat(strings.Fields(figure)[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return grew
}
