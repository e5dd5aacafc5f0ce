package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyFiles copies the named files of dir into a new temporary directory
// and returns it.
func copyFiles(t *testing.T, dir string, names ...string) string {
	t.Helper()
	to := t.TempDir()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestOutputPathRefused: no command that writes a file may write it over
// the database, its log key, the owner file serve keeps beside it or the
// backup a running serve writes — named directly, through a symbolic link
// (to the file or to its directory) or as a hard link. Each is refused
// with an error naming both paths, and the database and its key are
// byte-for-byte what they were.
func TestOutputPathRefused(t *testing.T) {
	base := evidenceHistory(t)
	if _, errOut, code := runCLI(t, "", "supplier", "set", "1EdTech", "--award", "2022-05-01", "--db", base); code != 0 {
		t.Fatalf("supplier set: exit %d: %s", code, errOut)
	}
	tests := []struct {
		name string
		// args builds the command line; it may plant links in dir.
		args func(t *testing.T, db, dir string) []string
		// hits is the protected file the error must name (besides the
		// output path, which is the args' last path-like argument).
		hits func(db, dir string) string
	}{
		{"backup over the key", func(t *testing.T, db, dir string) []string {
			return []string{"backup", db + ".key", "--db", db}
		}, func(db, _ string) string { return db + ".key" }},
		{"backup over the database", func(t *testing.T, db, dir string) []string {
			return []string{"backup", db, "--db", db}
		}, func(db, _ string) string { return db }},
		{"evidence over the database", func(t *testing.T, db, dir string) []string {
			return []string{"evidence", "ims", "--notified", "2022-05-13", "--db", db, "-o", db}
		}, func(db, _ string) string { return db }},
		{"export over the key", func(t *testing.T, db, dir string) []string {
			return []string{"export", "--warc", "--db", db, "ims", "-o", db + ".key"}
		}, func(db, _ string) string { return db + ".key" }},
		{"evidence through a symlink to the database", func(t *testing.T, db, dir string) []string {
			link := filepath.Join(dir, "bundle.zip")
			if err := os.Symlink(db, link); err != nil {
				t.Fatal(err)
			}
			return []string{"evidence", "ims", "--notified", "2022-05-13", "--db", db, "-o", link}
		}, func(db, _ string) string { return db }},
		{"export through a symlinked directory to the key", func(t *testing.T, db, dir string) []string {
			alias := filepath.Join(dir, "alias")
			if err := os.Symlink(dir, alias); err != nil {
				t.Fatal(err)
			}
			return []string{"export", "--warc", "--db", db, "ims", "-o", filepath.Join(alias, filepath.Base(db)+".key")}
		}, func(db, _ string) string { return db + ".key" }},
		{"renewal over a hard link of the database", func(t *testing.T, db, dir string) []string {
			hard := filepath.Join(dir, "renewal.txt")
			if err := os.Link(db, hard); err != nil {
				t.Fatal(err)
			}
			return []string{"renewal", "1EdTech", "--db", db, "-o", hard}
		}, func(db, _ string) string { return db }},
		{"evidence over the owner file", func(t *testing.T, db, dir string) []string {
			return []string{"evidence", "ims", "--notified", "2022-05-13", "--db", db, "-o", db + ".owner"}
		}, func(db, _ string) string { return db + ".owner" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFiles(t, filepath.Dir(base), "cw.db", "cw.db.key")
			db := filepath.Join(dir, "cw.db")
			args := tt.args(t, db, dir)
			before := snapshotFiles(t, db, db+".key", db+".owner")
			out, errOut, code := runCLI(t, "", args...)
			if code != 2 {
				t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, errOut)
			}
			outPath := args[len(args)-1]
			if args[0] == "backup" {
				outPath = args[1]
			}
			for _, p := range []string{outPath, tt.hits(db, dir)} {
				if !strings.Contains(errOut, p) {
					t.Errorf("%v: error %q does not name %s", args, errOut, p)
				}
			}
			if after := snapshotFiles(t, db, db+".key", db+".owner"); !bytes.Equal(after, before) {
				t.Errorf("%v changed the database, its key or its owner file", args)
			}
		})
	}
}

// TestServeBackupPathRefused: serve --backup naming the database (or
// its key, or the database naming the backup's key) is refused at start,
// before the daemon runs, and leaves the database as it was.
func TestServeBackupPathRefused(t *testing.T) {
	base := evidenceHistory(t)
	for _, backup := range []string{"cw.db", "cw.db.key", "cw.db.owner", "cw"} {
		t.Run(backup, func(t *testing.T) {
			dir := copyFiles(t, filepath.Dir(base), "cw.db", "cw.db.key")
			db := filepath.Join(dir, "cw.db")
			if backup == "cw" {
				// serve --db cw.key --backup cw: the backup's own key
				// file is the database.
				if err := os.Rename(db, filepath.Join(dir, "cw.key")); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(db+".key", filepath.Join(dir, "cw.key.key")); err != nil {
					t.Fatal(err)
				}
				db = filepath.Join(dir, "cw.key")
			}
			before := snapshotFiles(t, db, db+".key")
			// A generous bound, only reached by a daemon that did start.
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			target := filepath.Join(dir, backup)
			err := run(ctx, []string{"serve", "--db", db, "--backup", target, "--backup-schedule", "@every 1s", "--listen", ""},
				nil, io.Discard, io.Discard)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("serve --backup %s: %v; want it refused at start", target, err)
			}
			if msg := err.Error(); !strings.Contains(msg, target) || !strings.Contains(msg, "refusing") {
				t.Errorf("serve --backup %s: %q does not name the backup and refuse it", target, msg)
			}
			if after := snapshotFiles(t, db, db+".key"); !bytes.Equal(after, before) {
				t.Errorf("serve --backup %s changed the database or its key", target)
			}
		})
	}
}

// snapshotFiles is the files' contents (a missing one counts as empty),
// with separators, to compare before and after.
func snapshotFiles(t *testing.T, paths ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.WriteString(p + "\x00")
		b.Write(data)
		b.WriteString("\x00")
	}
	return b.Bytes()
}

// TestCheckOutputPath: the resolution rules on their own.
func TestCheckOutputPath(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	os.WriteFile(db, []byte("db"), 0o600)
	other := filepath.Join(dir, "other.txt")
	os.WriteFile(other, []byte("x"), 0o600)
	os.Symlink(db, filepath.Join(dir, "to-db"))
	os.Symlink(db+".key", filepath.Join(dir, "to-missing-key")) // dangling: the key is not made yet
	os.Symlink(filepath.Join(dir, "to-db"), filepath.Join(dir, "to-to-db"))
	os.Symlink(dir, filepath.Join(dir, "same"))
	os.Link(db, filepath.Join(dir, "hard"))
	os.Symlink(filepath.Join(dir, "loop"), filepath.Join(dir, "loop"))
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, db)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		out  string
		want string // the protected path named, or "" for allowed
	}{
		{db, db},
		{rel, db},
		{filepath.Join(dir, ".", "x", "..", "cw.db"), db},
		{filepath.Join(dir, "to-db"), db},
		{filepath.Join(dir, "to-to-db"), db},
		{filepath.Join(dir, "to-missing-key"), db + ".key"},
		{filepath.Join(dir, "same", "cw.db"), db},
		{filepath.Join(dir, "same", "cw.db.key"), db + ".key"},
		{filepath.Join(dir, "hard"), db},
		{other, ""},
		{filepath.Join(dir, "new.zip"), ""},
		{filepath.Join(dir, "no", "such", "dir", "cw.db"), ""},
		{filepath.Join(dir, "loop"), ""}, // unresolvable: left to the write to fail
	}
	for _, tt := range tests {
		err := checkOutputPath(tt.out, db, db+".key")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("checkOutputPath(%s): %v, want nil", tt.out, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.out)):
			t.Errorf("checkOutputPath(%s): %v, want an error naming it and %s", tt.out, err, tt.want)
		}
	}
}
