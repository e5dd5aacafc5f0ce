package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkOutputPath refuses out when writing it would overwrite, truncate
// or replace one of the protected files: the same path once both are
// made absolute and every symbolic link is followed (in the file's own
// name, dangling or not, and in its directories), or the same file by
// another name (a hard link, compared with os.SameFile). A path that
// cannot be resolved is left to the write to fail. The error names both.
func checkOutputPath(out string, protected ...string) error {
	o := identify(out)
	for _, p := range protected {
		if p == "" {
			continue
		}
		if o.same(identify(p)) {
			return fmt.Errorf("refusing to write %s: it is %s, which must not be overwritten (choose another output file)", out, p)
		}
	}
	return nil
}

// guarded are the files no output of a command on the database db may
// replace: the database, its log key (store's default KeyFile, which the
// CLI does not change), and the owner file and admin socket serve keeps
// beside it.
func guarded(db string) []string {
	return []string{db, db + ".key", ownerPath(db), adminSocket(db)}
}

// checkBackupPath refuses a backup to out that would overwrite one of
// the database's guarded files, by its own name or by its key's (out +
// ".key", which BackupFile writes too): so serve --backup can name
// neither the database nor its key, nor can the database be the
// backup's key.
func checkBackupPath(out, db string) error {
	if err := checkOutputPath(out, guarded(db)...); err != nil {
		return err
	}
	return checkOutputPath(out+".key", guarded(db)...)
}

// fileID is what identifies a file for checkOutputPath.
type fileID struct {
	path string      // absolute, symbolic links followed
	info os.FileInfo // nil when nothing is there (yet)
}

func (a fileID) same(b fileID) bool {
	if a.path != "" && a.path == b.path {
		return true
	}
	return a.info != nil && b.info != nil && os.SameFile(a.info, b.info)
}

// identify resolves p; its path is "" when p cannot be resolved.
func identify(p string) fileID {
	path, err := resolve(p, 0)
	if err != nil {
		return fileID{}
	}
	info, err := os.Stat(path)
	if err != nil {
		info = nil
	}
	return fileID{path: path, info: info}
}

// maxLinks bounds the symbolic links followed, as the kernel's ELOOP does.
const maxLinks = 40

// resolve makes p absolute with every symbolic link followed, also when p
// (or its directory) does not exist yet: a dangling link resolves to its
// target, a missing name to its resolved directory joined with the name.
func resolve(p string, depth int) (string, error) {
	if depth > maxLinks {
		return "", fmt.Errorf("%s: too many levels of symbolic links", p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	fi, err := os.Lstat(abs)
	switch {
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		return resolve(target, depth+1)
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(abs)
		if dir == abs {
			return abs, nil
		}
		rdir, err := resolve(dir, depth)
		if err != nil {
			return "", err
		}
		return filepath.Join(rdir, filepath.Base(abs)), nil
	case err != nil:
		return "", err
	}
	return abs, nil
}
