package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/warc"
)

// runExport implements "clausewatch export".
func runExport(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("export", "export --warc [--since TIME] [-o FILE] [--gzip] [--db FILE] SOURCE",
		"Writes a source's stored captures as a WARC 1.1 file: a warcinfo record, then for every fetch\n"+
			"that got an HTTP answer, oldest first, its request, its response (the body as stored, decoded;\n"+
			"the original Content-Encoding kept as X-Archive-Orig-Content-Encoding) and a metadata record\n"+
			"with clausewatch's fetch record (outcome, TLS facts, hashes). Digests are SHA-256, hex.\n"+
			"With -o the file appears complete or not at all. TIME is RFC 3339, a date or an age (30d).", false)
	asWARC := c.fs.Bool("warc", false, "write WARC 1.1 (the only format so far)")
	since := c.fs.String("since", "", "only fetches started at or after `TIME`")
	out := c.fs.String("o", "", "write to `file` (atomically) instead of standard output")
	gz := c.fs.Bool("gzip", false, "compress each record as its own gzip member (.warc.gz); implied by -o NAME.gz")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	// Flags may follow SOURCE too ("export --warc ims --since 30d").
	var ref string
	if c.fs.NArg() > 0 {
		ref = c.fs.Arg(0)
		if rest := c.fs.Args()[1:]; len(rest) > 0 {
			if done, err := c.parse(rest, stdout); done || err != nil {
				return err
			}
			if c.fs.NArg() != 0 {
				return usageError("export: want one SOURCE, got %q and %q", ref, c.fs.Arg(0))
			}
		}
	}
	if !*asWARC {
		return usageError("export: say which format to write: --warc (WARC 1.1, the only format so far)")
	}
	if ref == "" {
		return usageError("export: want one SOURCE (ID, name or URL)")
	}
	var from time.Time
	if *since != "" {
		t, err := parseWhen(*since, false, time.Now())
		if err != nil {
			return usageError("export: --since: %v", err)
		}
		from = t
	}
	if strings.HasSuffix(*out, ".gz") {
		*gz = true
	}
	if *out != "" {
		if err := e.checkOutput(*out, guarded(*c.db)...); err != nil {
			return usageError("export: -o: %v", err)
		}
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	src, err := db.Source(ctx, ref)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	fetches, err := answered(ctx, db, src, from)
	if err != nil {
		return fmt.Errorf("export %s: %w", src.Name, err)
	}
	instance, err := db.Instance(ctx)
	if err != nil {
		return fmt.Errorf("export %s: %w", src.Name, err)
	}
	info := []warc.Field{
		{Name: "description", Value: fmt.Sprintf("clausewatch captures of %s (%s)", src.Name, src.URL)},
		{Name: "clausewatch-instance", Value: instance},
		{Name: "clausewatch-source", Value: strconv.FormatUint(src.ID, 10) + " " + src.Name},
	}
	if !from.IsZero() {
		info = append(info, warc.Field{Name: "clausewatch-since", Value: from.UTC().Format(time.RFC3339Nano)})
	}
	opts := warc.Options{Gzip: *gz}
	write := func(w io.Writer) error {
		return writeWARC(ctx, db, w, opts, info, src, fetches)
	}
	if *out == "" {
		// Standard output cannot be taken back: a dry run first, so that a
		// missing or corrupt body, or a capture that cannot be written
		// safely, fails the export before a byte is written.
		if err := write(io.Discard); err != nil {
			return fmt.Errorf("export %s: %w", src.Name, err)
		}
		if err := write(stdout); err != nil {
			return fmt.Errorf("export %s: %w", src.Name, err)
		}
		return nil
	}
	opts.Filename = filepath.Base(*out)
	if err := e.writeAtomic(*out, write); err != nil {
		return fmt.Errorf("export %s: %w", src.Name, err)
	}
	fmt.Fprintf(stdout, "wrote %d captures of %s to %s\n", len(fetches), termSafe(src.Name), *out)
	return nil
}

// answered returns a source's fetches since from that got an HTTP
// answer (a status), oldest first.
func answered(ctx context.Context, db store.Store, src store.Source, from time.Time) ([]store.Fetch, error) {
	all, err := db.Fetches(ctx, src.ID, from, time.Time{}, 0)
	if err != nil {
		return nil, err
	}
	var out []store.Fetch
	for _, f := range all {
		if f.Status != 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

// fetchBody is a fetch's stored body (decoded, as fetched).
func fetchBody(ctx context.Context, db store.Store, f store.Fetch) ([]byte, error) {
	if f.BodySHA256 == "" {
		if f.BodySize != 0 {
			return nil, fmt.Errorf("fetch %d (%s): %w: %d-byte body with no hash", f.ID, stamp(f.Start), store.ErrCorrupt, f.BodySize)
		}
		return nil, nil
	}
	body, err := db.Blob(ctx, f.BodySHA256)
	if err != nil {
		return nil, fmt.Errorf("fetch %d (%s): body: %w", f.ID, stamp(f.Start), err)
	}
	return body, nil
}

// writeWARC writes the warcinfo record and every fetch's records to w.
func writeWARC(ctx context.Context, db store.Store, w io.Writer, opts warc.Options, info []warc.Field, src store.Source, fetches []store.Fetch) error {
	ww := warc.NewWriter(w, opts)
	if _, err := ww.WriteInfo(info); err != nil {
		return err
	}
	var lastHash string
	var lastBody []byte
	for _, f := range fetches {
		body := lastBody
		if f.BodySHA256 != lastHash || f.BodySHA256 == "" {
			var err error
			if body, err = fetchBody(ctx, db, f); err != nil {
				return err
			}
			lastHash, lastBody = f.BodySHA256, body
		}
		// The fetch's record in the transparency log, so an archive's
		// reader can ask for its inclusion proof.
		var extra map[string]any
		if n, err := db.LogIndex(ctx, f.ID); err == nil {
			extra = map[string]any{"log_record": n, "log_leaf_sha256": tlog.RecordHash(store.LogLeaf(f)).String()}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		capture := fetchCapture(src, f, body, extra)
		if f.RenderSHA256 != "" {
			if err := renderedCapture(ctx, db, f, &capture); err != nil {
				return err
			}
		}
		if _, err := ww.WriteCapture(capture); err != nil {
			return err
		}
	}
	return ww.Close()
}

// fetchCapture is a stored fetch as a WARC capture. Its metadata record
// holds the fetch record and the source, and extra's fields beside them
// (for more facts about the fetch, such as its place in a log).
func fetchCapture(src store.Source, f store.Fetch, body []byte, extra map[string]any) warc.Capture {
	meta := map[string]any{
		"fetch":  f,
		"source": map[string]any{"id": src.ID, "name": src.Name, "url": src.URL, "supplier": src.Supplier, "kind": src.Kind},
	}
	for k, v := range extra {
		meta[k] = v
	}
	// Go's client speaks HTTP/1.1, or HTTP/2 where the server offers it;
	// an HTTP/1.0 answer was still asked for in HTTP/1.1.
	reqProto := "HTTP/1.1"
	if strings.HasPrefix(f.Proto, "HTTP/2") {
		reqProto = f.Proto
	}
	return warc.Capture{
		Name:          fmt.Sprintf("fetch %d (%s)", f.ID, stamp(f.Start)),
		URL:           cmp.Or(f.FinalURL, f.URL),
		Date:          f.Start,
		RemoteAddr:    f.RemoteAddr,
		RequestProto:  reqProto,
		Proto:         f.Proto,
		RequestHeader: f.RequestHeader,
		Status:        f.Status,
		Header:        f.Header,
		Body:          body,
		Truncated:     truncation(f, body),
		Metadata:      meta,
	}
}

// truncation is the WARC-Truncated reason of a fetch whose body was not
// read whole: it failed with a status but without the status being the
// failure (the body was too large, timed out, was cut off or could not be
// decoded), and nothing was kept. Such a fetch's Reason is not "HTTP n"
// (see watch's decide); which of these it was is in the metadata record,
// so the reason given here is "unspecified".
func truncation(f store.Fetch, body []byte) string {
	if f.Outcome != store.OutcomeFailed || len(body) > 0 || f.Status == 304 || f.Reason == fmt.Sprintf("HTTP %d", f.Status) {
		return ""
	}
	return "unspecified"
}

// writeAtomic writes path through write: into a temporary file beside it,
// synced and renamed over path only when write succeeds, so a failed
// export leaves no half file.
func writeAtomic(path string, write func(io.Writer) error) error {
	return writeAtomicAs(path, path, write)
}

// writeAtomicAs is writeAtomic, its errors naming path and the
// temporary file beside it as shown names path (a daemon writes a
// client's "x.zip" as "/home/u/x.zip"; the client is told "x.zip").
func writeAtomicAs(path, shown string, write func(io.Writer) error) error {
	fail := func(err error) error {
		if pe := (*fs.PathError)(nil); path != shown && errors.As(err, &pe) && filepath.Dir(pe.Path) == filepath.Dir(path) {
			pe.Path = joinPath(filepath.Dir(shown), filepath.Base(pe.Path))
		}
		if le := (*os.LinkError)(nil); path != shown && errors.As(err, &le) && le.New == path {
			le.Old, le.New = joinPath(filepath.Dir(shown), filepath.Base(le.Old)), shown
		}
		return fmt.Errorf("write %s: %w", shown, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// joinPath joins as os.CreateTemp does ("." and "x" make "./x").
func joinPath(dir, name string) string {
	if dir != "" && os.IsPathSeparator(dir[len(dir)-1]) {
		return dir + name
	}
	return dir + string(os.PathSeparator) + name
}
