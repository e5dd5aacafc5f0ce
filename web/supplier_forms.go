package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// A supplier's seal record managed from the browser: the record, a
// notification with its expected-change tickets, the capture token,
// pinned baselines, and the evidence bundle form. Each form calls the
// vetting function the CLI and the JSON API call.

// recordForm is the supplier record as the form holds it.
type recordForm struct {
	Awarded, Rubric, LastReview, Zone, Note string
	// Products is one "NAME=SOURCE,SOURCE" a line, as the CLI's --product.
	Products string
}

// notifyForm is a notification as the form holds it: the tickets' texts
// one a line, by kind.
type notifyForm struct {
	When, Must, Concerns, Source      string
	Appear, Disappear, Reword, Remove string
}

// pinForm is a baseline to pin.
type pinForm struct {
	Source, Name, Version, Note string
}

// manageSupplierData is a supplier's management page.
type manageSupplierData struct {
	Who     identity
	Name    string
	Program supplierRecord
	Sources []store.Source
	Zone    string
	// Today is today in the supplier's zone: the latest date a
	// notification may have.
	Today  string
	Record recordForm
	Notify notifyForm
	Pin    pinForm
	// CaptureToken is a capture token just issued, shown once.
	CaptureToken string
	// ErrorFor names the form Error belongs to: record, notify, token,
	// baseline.
	ErrorFor, Error string
	Done            string
}

func (d manageSupplierData) title() string { return "Manage " + d.Name }

func (s *Server) manageSupplierPage(w http.ResponseWriter, r *http.Request) {
	s.renderManageSupplier(w, r, http.StatusOK, manageSupplierData{Done: doneMessage(r)}, true)
}

// renderManageSupplier fills in the stored record (and, when fill is
// set, the record form from it) and renders the page.
func (s *Server) renderManageSupplier(w http.ResponseWriter, r *http.Request, status int, d manageSupplierData, fill bool) {
	ctx := r.Context()
	d.Name, d.Who = r.PathValue("name"), identityOf(ctx)
	var err error
	if d.Program, err = s.supplierRecord(r, d.Name); err != nil {
		s.failErr(w, r, "supplier", err)
		return
	}
	if d.Sources, err = s.program().SupplierSources(ctx, d.Name); err != nil {
		s.failErr(w, r, "supplier", err)
		return
	}
	sup := store.Supplier{Name: d.Name}
	if rec := d.Program.Record; rec != nil {
		sup = *rec
	}
	loc, err := sup.Location()
	if err != nil {
		loc = nil
	}
	if loc != nil {
		d.Zone, d.Today = loc.String(), vetting.DateOf(s.opts.Now(), loc).String()
	}
	if fill && d.Program.Record != nil {
		d.Record = recordForm{Awarded: sup.Awarded, Rubric: sup.Rubric, LastReview: sup.LastReview, Zone: sup.Zone, Note: sup.Note}
		var ps []string
		for _, p := range sup.Products {
			ps = append(ps, p.Name+"="+strings.Join(p.Sources, ","))
		}
		d.Record.Products = strings.Join(ps, "\n")
	}
	if d.Notify.When == "" {
		d.Notify.When = d.Today
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "manage_supplier", d)
}

// refuseForm shows the page again with the form's values and the reason.
func (s *Server) refuseForm(w http.ResponseWriter, r *http.Request, d manageSupplierData, form, what string, err error) {
	status, msg := s.formError(r, what, err)
	d.ErrorFor, d.Error = form, msg
	s.renderManageSupplier(w, r, status, d, form != "record")
}

func (s *Server) managePath(r *http.Request) string {
	return "/suppliers/" + pathEscape(r.PathValue("name")) + "/manage"
}

func (s *Server) supplierRecordForm(w http.ResponseWriter, r *http.Request) {
	var d manageSupplierData
	if err := parseForm(w, r); err != nil {
		s.refuseForm(w, r, d, "record", "supplier", err)
		return
	}
	f := r.PostForm
	d.Record = recordForm{Awarded: strings.TrimSpace(f.Get("awarded")), Rubric: strings.TrimSpace(f.Get("rubric")),
		LastReview: strings.TrimSpace(f.Get("last_review")), Zone: strings.TrimSpace(f.Get("zone")), Note: f.Get("note"), Products: f.Get("products")}
	sup := store.Supplier{Name: r.PathValue("name"), Awarded: d.Record.Awarded, Rubric: d.Record.Rubric, LastReview: d.Record.LastReview,
		Zone: d.Record.Zone, Note: d.Record.Note}
	for _, l := range lines(d.Record.Products) {
		p, err := vetting.ParseProduct(l)
		if err != nil {
			s.refuseForm(w, r, d, "record", "supplier", err)
			return
		}
		sup.Products = append(sup.Products, p)
	}
	if _, err := s.program().SaveSupplier(r.Context(), sup); err != nil {
		s.refuseForm(w, r, d, "record", "supplier", err)
		return
	}
	s.log.InfoContext(r.Context(), "supplier record saved", "supplier", sup.Name, "by", identityOf(r.Context()).User)
	if s.opts.Scheduler != nil {
		s.opts.Scheduler.Resync() // the zone may move an update window
	}
	redirectDone(w, r, s.managePath(r), "record")
}

func (s *Server) notifyForm(w http.ResponseWriter, r *http.Request) {
	var d manageSupplierData
	if err := parseForm(w, r); err != nil {
		s.refuseForm(w, r, d, "notify", "notification", err)
		return
	}
	f := r.PostForm
	d.Notify = notifyForm{When: strings.TrimSpace(f.Get("when")), Must: f.Get("must"), Concerns: f.Get("concerns"), Source: f.Get("source"),
		Appear: f.Get("appear"), Disappear: f.Get("disappear"), Reword: f.Get("reword"), Remove: f.Get("remove")}
	req := vetting.NotifyRequest{Supplier: r.PathValue("name"), When: d.Notify.When, Must: strings.TrimSpace(d.Notify.Must),
		Concerns: strings.TrimSpace(d.Notify.Concerns), By: identityOf(r.Context()).User,
		Tickets: vetting.Tickets(d.Notify.Source, map[store.TicketKind][]string{
			store.TicketAppear: lines(d.Notify.Appear), store.TicketDisappear: lines(d.Notify.Disappear),
			store.TicketReword: lines(d.Notify.Reword), store.TicketRemove: lines(d.Notify.Remove)})}
	n, err := s.program().Notify(r.Context(), req)
	if err != nil {
		s.refuseForm(w, r, d, "notify", "notification", err)
		return
	}
	s.log.InfoContext(r.Context(), "notification recorded", "supplier", n.Supplier, "notification", n.ID, "date", n.Date, "by", req.By)
	if s.opts.Scheduler != nil {
		s.opts.Scheduler.Resync() // the supplier's sources go on the faster schedule
	}
	http.Redirect(w, r, s.managePath(r)+"?done=notified#notification-"+strconv.FormatUint(n.ID, 10), http.StatusSeeOther)
}

// supplierTokenForm issues a capture token and shows it on the answer.
func (s *Server) supplierTokenForm(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	secret, err := s.db.CreateSupplierToken(r.Context(), name)
	if err != nil {
		s.refuseForm(w, r, manageSupplierData{}, "token", "capture token", fmt.Errorf("supplier %q has no seal record to issue a capture token for: %w", name, err))
		return
	}
	s.log.InfoContext(r.Context(), "capture token issued", "supplier", name, "by", identityOf(r.Context()).User)
	s.renderManageSupplier(w, r, http.StatusCreated, manageSupplierData{CaptureToken: secret}, true)
}

func (s *Server) pinBaselineForm(w http.ResponseWriter, r *http.Request) {
	var d manageSupplierData
	if err := parseForm(w, r); err != nil {
		s.refuseForm(w, r, d, "baseline", "baseline", err)
		return
	}
	f := r.PostForm
	d.Pin = pinForm{Source: f.Get("source"), Name: strings.TrimSpace(f.Get("name")), Version: strings.TrimSpace(f.Get("version")), Note: f.Get("note")}
	req := vetting.PinRequest{Source: d.Pin.Source, Name: d.Pin.Name, Note: d.Pin.Note, By: identityOf(r.Context()).User}
	if d.Pin.Version != "" {
		v, err := strconv.ParseUint(d.Pin.Version, 10, 64)
		if err != nil || v == 0 {
			s.refuseForm(w, r, d, "baseline", "baseline", fmt.Errorf("%w: version %q: want a version number (or leave it empty for the version in force now)", store.ErrInvalid, d.Pin.Version))
			return
		}
		req.Version = v
	}
	if _, _, err := s.program().PinBaseline(r.Context(), req); err != nil {
		s.refuseForm(w, r, d, "baseline", "baseline", err)
		return
	}
	redirectDone(w, r, s.managePath(r), "pinned")
}

func (s *Server) unpinBaselineForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.refuseForm(w, r, manageSupplierData{}, "baseline", "baseline", err)
		return
	}
	name := r.PostFormValue("name")
	src, err := s.db.Source(r.Context(), r.PostFormValue("source"))
	if err == nil {
		err = s.db.DeleteBaseline(r.Context(), src.ID, name)
		if err != nil {
			err = fmt.Errorf("baseline %q of %s: %w", name, src.Name, err)
		}
	}
	if err != nil {
		s.refuseForm(w, r, manageSupplierData{}, "baseline", "baseline", err)
		return
	}
	redirectDone(w, r, s.managePath(r), "unpinned")
}
