package vetting_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestRenewalIMS: award in 2019, review in 2022 — the report shows the
// 2019→2022 material changes and the rename, once, in the cumulative diff.
func TestRenewalIMS(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.daily(t, "2022-06-01", "2022-06-01")
	w.Clock.Set(at("2022-06-15"))
	rep, err := w.Program.Renewal(ctx, ims, vetting.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Revet || !strings.Contains(rep.Verdict, "Re-vet") || len(rep.Sources) != 1 {
		t.Fatalf("verdict %q, %d sources", rep.Verdict, len(rep.Sources))
	}
	s := rep.Sources[0]
	if s.From == nil || s.From.Stated != "2019-05-06" || s.To.Stated != "2022-05-17" {
		t.Fatalf("versions %+v → %+v", s.From, s.To)
	}
	if len(s.Changes) != 1 || !s.Changes[0].Revet || s.Changes[0].StatedBefore != "2019-05-06" || s.Changes[0].DateFlag != "" {
		t.Errorf("changes %+v", s.Changes)
	}
	if len(s.Diff.Renames) == 0 || s.Diff.Renames[0].From != "IMS Global" || s.Diff.Renames[0].To != "1EdTech" {
		t.Errorf("renames %+v", s.Diff.Renames)
	}
	if s.Diff.Counts.Substantive != 3 {
		t.Errorf("%d substantive changes, want the 3 of 2019→2022", s.Diff.Counts.Substantive)
	}
	var text, page, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Renewal report: 1EdTech Consortium", "baseline seal-awarded", "IMS Global → 1EdTech  in 37 clauses",
		"vetting reports", "stated 2019-05-06 → 2022-05-17", "Re-vet", "renamed here: IMS Global → 1EdTech"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if err := rep.WriteHTML(&page, vetting.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	// Inside the substantive changes the rename is marked text (diff/4),
	// not a deletion and an insertion.
	for _, want := range []string{"<h1>Renewal report: 1EdTech Consortium</h1>", "IMS Global → 1EdTech</strong> in 37 clauses", "Substantive (3)", "vetting reports",
		`<span class="renamed" title="renamed from IMS Global">1EdTech</span> websites that by their nature`, ".renamed {"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back vetting.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Sources[0].Diff.Counts.Substantive != 3 {
		t.Errorf("JSON round trip: %v", err)
	}
	if strings.Contains(js.String(), "token_hash") {
		t.Error("the report carries the supplier's token hash")
	}

	// Against the last review (2022-06-10, after the change): nothing
	// changed since.
	if _, err := w.DB.PutSupplier(ctx, store.Supplier{Name: ims, Awarded: "2019-06-15", LastReview: "2022-06-10", Zone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	rep, err = w.Program.Renewal(ctx, ims, vetting.ReportOptions{Baseline: vetting.BaselineLastReview})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Revet || !rep.Sources[0].Same || len(rep.Sources[0].Changes) != 0 {
		t.Errorf("since the last review: %q, same %v, %d changes", rep.Verdict, rep.Sources[0].Same, len(rep.Sources[0].Changes))
	}
	// A pinned baseline: the 2002 version.
	if _, err := w.DB.PinBaseline(ctx, store.Baseline{Source: w.IMS.ID, Name: "first", Version: 1}); err != nil {
		t.Fatal(err)
	}
	rep, err = w.Program.Renewal(ctx, ims, vetting.ReportOptions{Baseline: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Sources[0]; s.From.Seq != 1 || s.To.Seq != 2 {
		t.Errorf("pinned baseline: v%d → v%d", s.From.Seq, s.To.Seq)
	}
	r, err := w.Program.Renewal(ctx, ims, vetting.ReportOptions{Baseline: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Sources[0]; s.From != nil || !strings.Contains(strings.Join(s.Notes, " "), `no baseline "nope"`) {
		t.Errorf("unknown baseline: from %+v, notes %v", s.From, s.Notes)
	}
}

// A change made and later reverted between the two dates is listed, but
// not in the cumulative diff; a text change under an unchanged stated date
// is flagged.
func TestRenewalRevertedChange(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	policy := func(extra string) string {
		return fmt.Sprintf(`<html><head><title>Terms</title></head><body><main><h1>Terms of Service</h1>
<p>Last updated: March 1, 2020</p>
<p>These terms govern your use of the 1EdTech websites and resources, including the forums, webinars and events we run for members.</p>
<p>We keep the personal information you give us only as long as your membership lasts, and delete it within ninety days after it ends.</p>
%s</main></body></html>`, extra)
	}
	a := policy("")
	b := policy("<p>We may share your personal information with our advertising partners for marketing purposes.</p>")
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		now := w.Clock.Now()
		body := a
		if !now.Before(at("2020-09-01")) && now.Before(at("2020-11-01")) {
			body = b
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(rw, body)
	}))
	defer srv.Close()
	src, err := w.DB.AddSource(ctx, store.Source{Name: "ims-terms", URL: srv.URL + "/terms", Supplier: ims, Kind: store.Terms, Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"2020-03-15", "2020-09-02", "2020-09-03", "2020-11-02", "2020-11-03", "2020-11-04", "2020-11-05"} {
		w.Clock.Set(at(d))
		w.check(t, src)
	}
	w.Clock.Set(at("2021-01-10"))
	rep, err := w.Program.Renewal(ctx, ims, vetting.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var terms vetting.SourceReport
	for _, s := range rep.Sources {
		if s.Source == "ims-terms" {
			terms = s
		}
	}
	if len(terms.Changes) != 2 {
		t.Fatalf("%d changes listed, want the change and its reversal: %+v (notes %v)", len(terms.Changes), terms.Changes, terms.Notes)
	}
	if !terms.Same || terms.Diff != nil {
		t.Errorf("the reverted change shows in the cumulative diff: same %v", terms.Same)
	}
	if !terms.Changes[0].Revet || terms.Changes[1].Reverts != terms.Changes[0].From {
		t.Errorf("rows %+v", terms.Changes)
	}
	if !strings.Contains(terms.Changes[0].DateFlag, "the text changed but the stated date did not") {
		t.Errorf("date flag %q", terms.Changes[0].DateFlag)
	}
	if !strings.Contains(strings.Join(terms.Notes, " "), "no capture at the baseline") {
		t.Errorf("notes %v: the terms were first captured after the award", terms.Notes)
	}
}

// TestRenewalTriageHistory: the renewal report lists each change's
// triage decisions (who, when, from → to, note) in the text, the HTML
// (escaped) and the JSON.
func TestRenewalTriageHistory(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.daily(t, "2022-06-01", "2022-06-01")
	w.Clock.Set(at("2022-06-15"))
	rep, err := w.Program.Renewal(ctx, ims, vetting.ReportOptions{})
	if err != nil || len(rep.Sources) != 1 || len(rep.Sources[0].Changes) != 1 {
		t.Fatalf("report: %v", err)
	}
	id := rep.Sources[0].Changes[0].ID
	for _, tr := range []store.Triage{
		{State: store.TriageRevet, By: "rita", Note: "sharing <b>widened</b>\nticket PV-12", At: at("2022-06-15")},
		{State: store.TriageReviewed, By: "ada", At: at("2022-06-16")},
	} {
		if err := w.DB.SetTriage(ctx, id, tr); err != nil {
			t.Fatal(err)
		}
	}
	w.Clock.Set(at("2022-06-17"))
	if rep, err = w.Program.Renewal(ctx, ims, vetting.ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	var text, page, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"      triaged 2022-06-15 12:00 UTC by rita: new → revet: sharing <b>widened</b> ticket PV-12\n",
		"      triaged 2022-06-16 12:00 UTC by ada: revet → reviewed\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	if err := rep.WriteHTML(&page, vetting.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2022-06-15 12:00 UTC rita: new → revet: sharing &lt;b&gt;widened&lt;/b&gt;", "2022-06-16 12:00 UTC ada: revet → reviewed"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back vetting.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if h := back.Sources[0].Changes[0].TriageHistory; len(h) != 2 || h[0].By != "rita" || h[1].From != store.TriageRevet || h[1].To != store.TriageReviewed {
		t.Errorf("JSON history %+v", h)
	}
}
