package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs "clausewatch demo" as a user would (the README's run
// command), reads the URL it prints, waits for the replay, and checks the
// feed it serves; then Ctrl-C stops it cleanly.
func TestDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	cmd := exec.Command(os.Args[0], "demo", "--listen", "127.0.0.1:0", "--step", "0", "--db", db)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var transcript strings.Builder
	var base string
	timeout := time.After(2 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo ended early:\n%s", transcript.String())
			}
			transcript.WriteString(l + "\n")
			if m := regexp.MustCompile(`Open (http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(l); m != nil {
				base = m[1]
			}
			if strings.HasPrefix(l, "Replay done") {
				break wait
			}
		case <-timeout:
			t.Fatalf("no end of replay:\n%s", transcript.String())
		}
	}
	text := transcript.String()
	for _, want := range []string{"Replay done: 3 changes found, 3 need re-vetting.", "renamed IMS Global → 1EdTech in 37 clauses",
		"cor-privacy changed", "Sign in with token cw_"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output has no %q:\n%s", want, text)
		}
	}
	if base == "" {
		t.Fatalf("no URL printed:\n%s", text)
	}
	get := func(path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	if page := get("/"); strings.Count(page, `class="entry revet"`) != 3 || !strings.Contains(page, "1EdTech Consortium") {
		t.Errorf("feed page after the replay:\n%s", page)
	}
	if atom := get("/feed.atom"); strings.Count(atom, "<entry>") != 3 {
		t.Errorf("atom after the replay: %d entries", strings.Count(atom, "<entry>"))
	}
	// The replay's two sources may end in one round or two: since workers
	// no longer wait for their commits (decision record 0052) a round ends
	// whenever nothing is running or due, which can fall between them.
	if m := get("/metrics"); !strings.Contains(m, `clausewatch_changes_total{revet="true"} 3`) ||
		!(strings.Contains(m, "clausewatch_last_round_checks 2") || strings.Contains(m, "clausewatch_last_round_checks 1")) {
		t.Errorf("metrics after the replay:\n%s", m)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo after Ctrl-C: %v", err)
	}
}
