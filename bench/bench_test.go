package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestParseModes(t *testing.T) {
	tests := []struct {
		in      string
		want    []mode
		wantErr bool
	}{
		{"1,64", []mode{{name: "1", batch: 1}, {name: "64", batch: 64}}, false},
		{"64/20ms", []mode{{name: "64/20ms", batch: 64, delay: 20 * time.Millisecond}}, false},
		{"0", nil, true},
		{"x", nil, true},
		{"64/soon", nil, true},
		{"64/-1s", nil, true},
	}
	for _, tt := range tests {
		got, err := parseModes(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseModes(%q): error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("parseModes(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseModes(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestProcField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	os.WriteFile(path, []byte("Name:\tx\nVmHWM:\t  123456 kB\nwrite_bytes: 4096\n"), 0o600)
	tests := []struct {
		name    string
		want    int64
		wantErr bool
	}{
		{"VmHWM:", 123456, false},
		{"write_bytes:", 4096, false},
		{"Name:", 0, true},
		{"VmRSS:", 0, true},
	}
	for _, tt := range tests {
		got, err := procField(path, tt.name)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("procField(%s) = %d, %v; want %d, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	// This process's own counters read as the daemon's are.
	if _, err := procMemory(os.Getpid()); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if cpu, err := procCPU(os.Getpid()); err != nil || cpu < 0 {
		t.Errorf("procCPU: %v, %v", cpu, err)
	}
}

func TestParseProcs(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"1,2,4", []int{1, 2, 4}, false},
		{" 8 ", []int{8}, false},
		{"0", nil, true},
		{"1,x", nil, true},
		{"", nil, true},
	} {
		got, err := parseProcs(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) && !tt.wantErr {
			t.Errorf("parseProcs(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseStat(t *testing.T) {
	for _, tt := range []struct {
		line    string
		want    procStat
		wantErr bool
	}{
		{"123 (postgres: bench db) S 77 123 123 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 1 0 100 1000 10",
			procStat{ppid: 77, cpu: 300 * clockTick, children: 50 * clockTick}, false},
		{"1 (a) b) R 0 1 1 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 1 1 1", procStat{ppid: 0, cpu: 3 * clockTick, children: 7 * clockTick}, false},
		{"1 (short) S 0 1", procStat{}, true},
		{"1 (x) S 0 1 1 0 -1 0 0 0 0 0 u 2 3 4 20", procStat{}, true},
	} {
		got, err := parseStat(tt.line)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v, error %v", tt.line, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCPUSince(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		name          string
		before, after pgSample
		want          time.Duration
	}{
		{"same processes", pgSample{cpu: map[int]time.Duration{1: 10 * ms, 2: 5 * ms}}, pgSample{cpu: map[int]time.Duration{1: 12 * ms, 2: 9 * ms}}, 6 * ms},
		{"a new backend", pgSample{cpu: map[int]time.Duration{1: 10 * ms}}, pgSample{cpu: map[int]time.Duration{1: 10 * ms, 3: 4 * ms}}, 4 * ms},
		{"a backend exited", pgSample{cpu: map[int]time.Duration{1: 10 * ms, 2: 5 * ms}, reaped: 100 * ms},
			pgSample{cpu: map[int]time.Duration{1: 11 * ms}, reaped: 108 * ms}, 4 * ms}, // 1 + (8 - 5)
	} {
		if got := tt.after.cpuSince(tt.before); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzParseStat: any line either parses or says why; never a panic.
func FuzzParseStat(f *testing.F) {
	f.Add("123 (postgres: bench db) S 77 123 123 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 1 0 100 1000 10")
	f.Add("1 (a) b) R 0 1 1 0 -1 0 0 0 0 0 1 2 3 4 20")
	f.Add(") ")
	f.Fuzz(func(t *testing.T, line string) {
		st, err := parseStat(line)
		if err != nil && st != (procStat{}) {
			t.Errorf("parseStat(%q) = %+v with error %v: want the zero value with an error", line, st, err)
		}
	})
}
