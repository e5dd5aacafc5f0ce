package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/vetting/evidence"
)

// Evidence from the web: the bundle 'clausewatch evidence' writes, built
// by the same function (evidence.Build) on the server's clock, and a page
// that checks an uploaded bundle with the same verifier as 'clausewatch
// verify' and lists every check.

// evidenceDownload answers GET /evidence?source=S&notified=DATE[&zone=Z]
// with the bundle as a download.
func (s *Server) evidenceDownload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := evidence.Request{Source: strings.TrimSpace(q.Get("source"))}
	notified := strings.TrimSpace(q.Get("notified"))
	if req.Source == "" || notified == "" {
		s.fail(w, r, http.StatusBadRequest, "evidence: want a source and a notification date (?source=NAME&notified=YYYY-MM-DD)")
		return
	}
	var err error
	if req.Notified, err = vetting.ParseDate(notified); err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("evidence: notification date: %v", err))
		return
	}
	if z := strings.TrimSpace(q.Get("zone")); z != "" {
		if req.Zone, err = time.LoadLocation(z); err != nil {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("evidence: zone %q: %v", z, err))
			return
		}
	}
	req.Now = s.opts.Now()
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	b, err := evidence.Build(r.Context(), s.db, req)
	if err != nil {
		s.failNamed(w, r, "evidence", err)
		return
	}
	release()
	s.log.InfoContext(r.Context(), "evidence bundle", "source", b.Manifest.Source.Name, "notified", b.Manifest.Notification.Date,
		"outcome", b.Manifest.Deadline.Outcome, "bytes", len(b.Data), "by", identityOf(r.Context()).User)
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": b.FileName()}))
	h.Set("Content-Length", strconv.Itoa(len(b.Data)))
	h.Set("Cache-Control", "no-store")
	w.Write(b.Data)
}

// verifyData is the verify page: the form, and the report of the bundle
// just checked.
type verifyData struct {
	Who identity
	// ServerKey is this server's log key, the default to check against.
	ServerKey string
	Key       string
	File      string
	Report    *evidence.Report
	Failed    int
	Error     string
}

func (verifyData) title() string { return "Verify an evidence bundle" }

// Headline says the outcome in one line.
func (d verifyData) Headline() string {
	rep := d.Report
	switch {
	case rep == nil:
		return ""
	case !rep.OK():
		return fmt.Sprintf("NOT VERIFIED: %d of %d checks failed", d.Failed, len(rep.Checks))
	case rep.Verified && d.Key == d.ServerKey:
		return fmt.Sprintf("Verified: all %d checks hold, signed with this server's key", len(rep.Checks))
	case rep.Verified:
		return fmt.Sprintf("Verified: all %d checks hold, signed with the key given", len(rep.Checks))
	default:
		return fmt.Sprintf("Integrity ok (all %d checks hold against the bundle's own key); origin NOT checked: give the operator's published key", len(rep.Checks))
	}
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	d := verifyData{}
	if err := s.serverKey(r, &d); err != nil {
		s.failErr(w, r, "log key", err)
		return
	}
	d.Key = d.ServerKey
	s.render(w, r, http.StatusOK, "verify", d)
}

func (s *Server) serverKey(r *http.Request, d *verifyData) error {
	k, err := s.db.PublicKey(r.Context())
	d.ServerKey, d.Who = k, identityOf(r.Context())
	return err
}

// maxKeyField bounds the key field of the verify form.
const maxKeyField = 4 << 10

// verifyUpload checks an uploaded bundle. It reads the multipart body as
// a stream (nothing goes to temporary files), the bundle bounded by
// evidence.MaxBundle as 'clausewatch verify' bounds it.
func (s *Server) verifyUpload(w http.ResponseWriter, r *http.Request) {
	d := verifyData{}
	if err := s.serverKey(r, &d); err != nil {
		s.failErr(w, r, "log key", err)
		return
	}
	refuse := func(status int, msg string) {
		d.Error = msg
		s.render(w, r, status, "verify", d)
	}
	r.Body = http.MaxBytesReader(w, r.Body, evidence.MaxBundle+2*maxKeyField+64<<10)
	data, key, name, err := readVerifyForm(r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		refuse(status, err.Error())
		return
	}
	d.Key, d.File = key, name
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	rep := evidence.Verify(data, evidence.VerifyOptions{Key: key})
	release()
	d.Report = &rep
	for _, c := range rep.Checks {
		if !c.OK {
			d.Failed++
		}
	}
	status := http.StatusOK
	if !rep.OK() {
		status = http.StatusUnprocessableEntity
	}
	s.log.InfoContext(r.Context(), "evidence verified", "file", name, "checks", len(rep.Checks), "failed", d.Failed,
		"verified", rep.Verified, "by", identityOf(r.Context()).User)
	s.render(w, r, status, "verify", d)
}

// readVerifyForm reads the verify form's parts: the bundle file and the
// key (empty: the bundle's own key is used, which checks integrity only).
func readVerifyForm(r *http.Request) (data []byte, key, name string, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", "", fmt.Errorf("%w: want a multipart form with the bundle file (%v)", store.ErrInvalid, err)
	}
	seen := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", "", uploadErr(err)
		}
		switch p.FormName() {
		case "key":
			b, err := io.ReadAll(io.LimitReader(p, maxKeyField+1))
			if err != nil {
				return nil, "", "", uploadErr(err)
			}
			if len(b) > maxKeyField {
				return nil, "", "", fmt.Errorf("%w: the key is longer than %d bytes", store.ErrInvalid, maxKeyField)
			}
			key = strings.TrimSpace(string(b))
		case "bundle":
			name, seen = p.FileName(), true
			data, err = io.ReadAll(io.LimitReader(p, evidence.MaxBundle+1))
			if err != nil {
				return nil, "", "", uploadErr(err)
			}
			if len(data) > evidence.MaxBundle {
				return nil, "", "", fmt.Errorf("%w: %s is larger than %d bytes, not an evidence bundle", errTooLarge, name, evidence.MaxBundle)
			}
		}
		p.Close()
	}
	if !seen || len(data) == 0 {
		return nil, "", "", fmt.Errorf("%w: no bundle file uploaded (choose the .zip 'clausewatch evidence' or the download link wrote)", store.ErrInvalid)
	}
	return data, key, name, nil
}

func uploadErr(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: the upload is larger than %d bytes", errTooLarge, tooLarge.Limit)
	}
	return fmt.Errorf("%w: reading the upload: %v", store.ErrInvalid, err)
}
