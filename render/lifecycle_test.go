package render_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/render"
)

// gone waits, up to a generous bound (not a speed check: processes take
// their time to exit on a loaded machine), for list to return nothing.
func gone(t *testing.T, what string, list func() []int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		left := list()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: processes still running: %v", what, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// zombies lists this test process's zombie children.
func zombies() []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) > 1 && fields[0] == "Z" && fields[1] == strconv.Itoa(os.Getpid()) {
			out = append(out, pid)
		}
	}
	return out
}

// TestRenderStopNoZombies: start, render, cancel a render midway, close:
// no Chromium process remains and none is left a zombie.
func TestRenderStopNoZombies(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			fmt.Fprint(w, `<html><body><p>x</p><script src="/hang.js"></script></body></html>`)
			return
		}
		if r.URL.Path == "/hang.js" {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, `<html><body><p>Privacy policy</p></body></html>`)
	}))
	b := newBrowser(t, quick(s.addr()))
	if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	pid := b.Stats().PID
	if pid == 0 || len(b.Processes()) < 2 {
		t.Fatalf("browser pid %d, processes %v: want a running browser with its helpers", pid, b.Processes())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := b.Render(ctx, render.Request{URL: s.URL + "/slow"})
		done <- err
	}()
	for s.hits.Load() < 3 { // the page and its hanging script were asked for
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled render = %v, want context.Canceled", err)
	}
	// The browser still works after a cancelled render.
	if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); err != nil {
		t.Fatalf("render after a cancelled one: %v", err)
	}
	b.Close()
	gone(t, "after Close", b.Processes)
	if z := zombies(); len(z) != 0 {
		t.Errorf("zombie children after Close: %v", z)
	}
	if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); !errors.Is(err, render.ErrClosed) {
		t.Errorf("Render after Close = %v, want ErrClosed", err)
	}
}

// TestRenderRecycle: after RecycleAfter renders the browser is replaced,
// and the old one's processes are gone.
func TestRenderRecycle(t *testing.T) {
	s := newServer(t, pages(map[string]string{"/": `<p>Privacy policy</p>`}))
	opts := quick(s.addr())
	opts.RecycleAfter = 2
	b := newBrowser(t, opts)
	var pids []int
	for range 3 {
		if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, b.Stats().PID)
	}
	if st := b.Stats(); st.Starts != 2 || pids[0] != pids[1] || pids[1] == pids[2] {
		t.Fatalf("starts %d, pids %v: want the browser replaced after 2 renders", st.Starts, pids)
	}
	gone(t, "the recycled browser", func() []int {
		if syscall.Kill(pids[0], 0) == nil {
			if data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pids[0])); !strings.Contains(string(data), ") Z ") {
				return []int{pids[0]}
			}
		}
		return nil
	})
}

// TestRenderParentKilled: a process that runs a browser is killed with
// SIGKILL (no chance to clean up); its Chromium processes all exit.
func TestRenderParentKilled(t *testing.T) {
	if os.Getenv("RENDER_CHILD") != "" {
		return // the child's part is TestRenderChild
	}
	if render.FindChromium() == "" {
		newBrowser(t, render.Options{}) // skips, or fails under CI
	}
	s := newServer(t, pages(map[string]string{"/": `<p>Privacy policy</p>`}))
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRenderChild$", "-test.v")
	cmd.Env = append(os.Environ(), "RENDER_CHILD="+s.URL+"/", "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var marker string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "MARKER "); ok {
			marker = m
			break
		}
	}
	if marker == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child never rendered")
	}
	if n := len(render.MarkedProcesses(marker)); n < 2 {
		t.Fatalf("child's browser: %d processes, want a browser with its helpers", n)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	gone(t, "after the parent was killed", func() []int { return render.MarkedProcesses(marker) })
	// The killed process left its profile behind; the next browser
	// started with the same temporary directory removes it.
	left, _ := filepath.Glob(filepath.Join(tmp, fmt.Sprintf("clausewatch-render-pid%d-*", cmd.Process.Pid)))
	if len(left) != 1 {
		t.Fatalf("the killed process's profile: %v, want one left behind", left)
	}
	opts := quick(s.addr())
	opts.TempDir = tmp
	b := newBrowser(t, opts)
	if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
		t.Errorf("the killed process's profile %s is still there after a browser start (%v)", left[0], err)
	}
}

// TestRenderChild is the child process of TestRenderParentKilled: it
// renders once, says its marker, and waits to be killed.
func TestRenderChild(t *testing.T) {
	url := os.Getenv("RENDER_CHILD")
	if url == "" {
		t.Skip("only run as TestRenderParentKilled's child")
	}
	b, err := render.New(render.Options{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Render(context.Background(), render.Request{URL: url}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("MARKER %s\n", b.Marker())
	time.Sleep(10 * time.Minute)
}

// TestRenderMemoryCeiling: a browser over its memory ceiling is replaced
// after the render that found it so.
func TestRenderMemoryCeiling(t *testing.T) {
	s := newServer(t, pages(map[string]string{"/": `<p>Privacy policy</p>`}))
	opts := quick(s.addr())
	opts.MaxMemory = 1 // every browser is over it
	b := newBrowser(t, opts)
	for range 2 {
		if _, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"}); err != nil {
			t.Fatal(err)
		}
	}
	if st := b.Stats(); st.Starts != 2 || st.PID != 0 {
		t.Errorf("stats %+v: want a browser started per render and none left running", st)
	}
}

// TestRenderTabPool: no more than Tabs renders run at once.
func TestRenderTabPool(t *testing.T) {
	var mu sync.Mutex
	active, most := 0, 0
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" {
			mu.Lock()
			active++
			most = max(most, active)
			mu.Unlock()
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			active--
			mu.Unlock()
			fmt.Fprint(w, "text")
			return
		}
		fmt.Fprint(w, `<html><body><p id=p>Privacy</p><script>fetch("/api").then(r => r.text()).then(t => { document.getElementById("p").textContent = t })</script></body></html>`)
	}))
	opts := quick(s.addr())
	opts.Tabs = 2
	b := newBrowser(t, opts)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Go(func() {
			_, err := b.Render(t.Context(), render.Request{URL: fmt.Sprintf("%s/?%d", s.URL, i)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if most < 1 || most > 2 {
		t.Errorf("%d renders' API calls at once, want at most 2 (Tabs)", most)
	}
}
