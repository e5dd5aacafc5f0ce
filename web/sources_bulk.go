package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// maxBulkLines bounds one bulk add.
const maxBulkLines = 1000

// bulkLine is one line of a bulk add: the source it asks for, or why it
// cannot be added.
type bulkLine struct {
	Line int
	// Text is the line as given (pasted lists), to give back for fixing.
	Text string
	In   sourceInput
	// Source is set by a watchlist entry (already checked by watch).
	Source *store.Source
	Err    string
	// Added is the source stored for the line.
	Added *store.Source
}

// bulkDefaults fill what a pasted line leaves out.
type bulkDefaults struct {
	Supplier, Kind, Tags string
}

// parseBulkLines reads a pasted list: one source a line, as
// "name, URL[, supplier[, kind]]" (commas, or tabs as a spreadsheet
// pastes them; a field may be quoted as in CSV). Blank lines and lines
// starting with # are skipped. A line that cannot be read is returned
// with its reason; the others carry the API's input, checked on apply.
func parseBulkLines(text string, def bulkDefaults) ([]bulkLine, error) {
	var out []bulkLine
	n := 0
	for l := range strings.Lines(text) {
		n++
		raw := strings.TrimRight(l, "\r\n")
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(out) == maxBulkLines {
			return nil, fmt.Errorf("%w: more than %d sources in one go (line %d); split the list", store.ErrInvalid, maxBulkLines, n)
		}
		b := bulkLine{Line: n, Text: raw}
		fields, err := bulkFields(t)
		switch {
		case err != nil:
			b.Err = err.Error()
		case len(fields) < 2:
			b.Err = "want name, URL[, supplier[, kind]]"
		case len(fields) > 4:
			b.Err = fmt.Sprintf("%d fields; want name, URL[, supplier[, kind]]", len(fields))
		default:
			b.In = bulkInput(fields, def)
		}
		out = append(out, b)
	}
	return out, nil
}

// bulkFields splits one line: by tabs when it has any, else as CSV.
func bulkFields(line string) ([]string, error) {
	var fields []string
	if strings.Contains(line, "\t") {
		fields = strings.Split(line, "\t")
	} else {
		r := csv.NewReader(strings.NewReader(line))
		r.TrimLeadingSpace, r.LazyQuotes = true, false
		rec, err := r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("cannot read the line: %v", pe.Err)
			}
			return nil, fmt.Errorf("cannot read the line: %v", err)
		}
		fields = rec
	}
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	return fields, nil
}

func bulkInput(fields []string, def bulkDefaults) sourceInput {
	name, url := fields[0], fields[1]
	supplier, kind := def.Supplier, def.Kind
	if len(fields) > 2 && fields[2] != "" {
		supplier = fields[2]
	}
	if len(fields) > 3 && fields[3] != "" {
		kind = fields[3]
	}
	if kind == "" {
		kind = string(store.Privacy)
	}
	tags := splitTags(def.Tags)
	return sourceInput{Name: &name, URL: &url, Supplier: &supplier, Kind: &kind, Tags: &tags}
}

// bulkData is the bulk add page.
type bulkData struct {
	Lines    string
	Defaults bulkDefaults
	Results  []bulkLine
	Added    int
	Bad      int
	Errors   []string
	Who      identity
}

func (bulkData) title() string { return "Add many sources" }

// bulkPage is GET /sources/bulk.
func (s *Server) bulkPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "source_bulk", bulkData{Who: identityOf(r.Context()), Defaults: bulkDefaults{Kind: string(store.Privacy)}})
}

// bulkForm is POST /sources/bulk: a pasted list, or an uploaded
// watchlist file. Each good line is added; each bad one is listed with
// its line number and reason, and nothing is saved for it. The bad
// lines of a pasted list are given back in the box, to fix and send
// again.
func (s *Server) bulkForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	d := bulkData{Who: identityOf(r.Context()), Lines: r.PostFormValue("lines"),
		Defaults: bulkDefaults{Supplier: r.PostFormValue("supplier"), Kind: r.PostFormValue("kind"), Tags: r.PostFormValue("tags")}}
	lines, err := s.bulkLines(r, d)
	if err != nil {
		status, msg := statusOf(err)
		if errors.Is(err, watch.ErrWatchlist) {
			status, msg = http.StatusBadRequest, err.Error()
		}
		d.Errors = append(d.Errors, msg)
		s.render(w, r, status, "source_bulk", d)
		return
	}
	var again []string
	for i := range lines {
		if s.addBulkLine(r, &lines[i]); lines[i].Err != "" {
			d.Bad++
			if lines[i].Text != "" {
				again = append(again, lines[i].Text)
			}
			continue
		}
		d.Added++
	}
	d.Results = lines
	if d.Added > 0 {
		s.sourcesChanged()
		s.log.InfoContext(r.Context(), "sources added in bulk", "added", d.Added, "refused", d.Bad, "by", identityOf(r.Context()).User)
	}
	d.Lines = strings.Join(again, "\n")
	status := http.StatusOK
	if d.Bad > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "source_bulk", d)
}

// bulkLines reads the uploaded watchlist, or else the pasted list.
func (s *Server) bulkLines(r *http.Request, d bulkData) ([]bulkLine, error) {
	f, hdr, err := r.FormFile("watchlist")
	switch {
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
	case err != nil:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, tooLarge.Limit)
		}
		return nil, fmt.Errorf("%w: watchlist upload: %v", store.ErrInvalid, err)
	default:
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxForm+1))
		if err != nil {
			return nil, fmt.Errorf("%w: watchlist upload: %v", store.ErrInvalid, err)
		}
		if len(data) > 0 {
			entries, err := watch.ParseWatchlistEntries(data, hdr.Filename)
			if err != nil {
				return nil, err
			}
			out := make([]bulkLine, len(entries))
			for i, e := range entries {
				out[i] = bulkLine{Line: e.Line, Source: &e.Source}
				if e.Err != nil {
					out[i].Err = strings.TrimPrefix(e.Err.Error(), watch.ErrWatchlist.Error()+": ")
				}
			}
			return out, nil
		}
	}
	if strings.TrimSpace(d.Lines) == "" {
		return nil, fmt.Errorf("%w: nothing to add: paste a list or choose a watchlist file", store.ErrInvalid)
	}
	return parseBulkLines(d.Lines, d.Defaults)
}

// addBulkLine checks and stores one line, as the API would.
func (s *Server) addBulkLine(r *http.Request, b *bulkLine) {
	if b.Err != "" {
		return
	}
	src := store.Source{Kind: store.Privacy}
	if b.Source != nil {
		src = *b.Source
	} else if err := b.In.apply(&src); err != nil {
		b.Err = err.Error()
		return
	}
	// Never "watchlist": the daemon pauses watchlist sources its own
	// file does not list. Never AllowPrivate, as over the API.
	src.Origin, src.AllowPrivate = "web", false
	added, err := s.db.AddSource(r.Context(), src)
	if err != nil {
		if _, msg := statusOf(err); msg != "" {
			b.Err = msg
		}
		if b.Err == "" || strings.HasPrefix(b.Err, "internal error") {
			s.log.ErrorContext(r.Context(), "bulk add", "line", b.Line, "err", err)
		}
		return
	}
	b.Added = &added
}
