package web_test

import (
	"flag"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/web"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestCompareVersions compares versions of IMS (2003, the 2019 rewrite,
// the 2022 rename) through the pick form's query, and finds the version
// in force at a date.
func TestCompareVersions(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	ims := "/sources/" + itoa(h.IMS.ID)
	rename := h.changeOf(t, h.IMS, 3)
	cases := []struct {
		name, path string
		status     int
		want, not  []string
	}{
		{"the form, set to the last change", ims + "/compare", 200,
			[]string{`id="compare-form"`, `<option value="2" selected>version 2`, `<option value="3" selected>version 3`, `id="at-form"`}, []string{`id="verdict"`}},
		{"the rename, as its change shows it", ims + "/compare?from=2&to=3", 200,
			[]string{"version 2 → 3", "<strong>Re-vet: 3 substantive changes (sharing, scope)</strong>", "Renamed", "IMS Global → 1EdTech",
				"Substantive (3)", "Rename-only changes", "/changes/" + itoa(rename.ID), "from the earlier to the later version"}, nil},
		{"across two changes", ims + "/compare?from=1&to=3", 200,
			[]string{"version 1 → 3", "Substantive (", "<strong>Re-vet"}, []string{"the recorded change"}},
		{"backwards", ims + "/compare?from=3&to=2", 200, []string{"version 3 → 2", "from the later to the earlier version", "1EdTech → IMS Global"}, nil},
		{"inline view keeps the pick", ims + "/compare?from=2&to=3&view=inline", 200,
			[]string{"inline-diff", `<a href="?from=2&to=3&view=side">side by side</a>`}, nil},
		{"the same version", ims + "/compare?from=3&to=3", 200, []string{"No clause differs between these versions."}, []string{"Substantive ("}},
		{"no such version", ims + "/compare?from=9&to=3", 400, []string{`from: "9" is not a version of ims-privacy (it has 3 versions)`}, nil},
		{"one of two picked", ims + "/compare?to=3", 400, []string{`from: "" is not a version`}, nil},
		{"no such page", ims + "/compare?from=1&to=3&page=40", 404, []string{"no page 40"}, nil},
		{"no such source", "/sources/999/compare?from=1&to=2", 404, nil, nil},
		{"timeline form on the source page", ims, 200,
			[]string{`id="timeline-compare"`, `name="from" value="2" aria-label="compare from version 2" checked`, `name="to" value="3" aria-label="compare to version 3" checked`, `action="` + ims + `/at"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+c.path, "", "", map[string]string{"Accept": "text/html"})
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, c.status, mainOf(body))
			}
			text := html.UnescapeString(body)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("no %q in\n%s", w, mainOf(text))
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("has %q", w)
				}
			}
		})
	}

	// The version in force at a date: the end of that day (UTC: COR and
	// 1EdTech have no supplier record here).
	ats := []struct {
		date     string
		status   int
		location string
		msg      string
	}{
		{"2003-01-01", 303, ims + "/versions/1?at=2003-01-01", ""},
		{"2019-05-31", 303, ims + "/versions/1?at=2019-05-31", ""},
		{"2019-06-01", 303, ims + "/versions/2?at=2019-06-01", ""},
		{"2030-01-01", 303, ims + "/versions/3?at=2030-01-01", ""},
		{"2002-12-31", 404, "", "ims-privacy had no version recorded by the end of 2002-12-31 (UTC); its first was seen 2003-01-01"},
		{"31/12/2020", 400, "", `31/12/2020\": want YYYY-MM-DD`},
		{"", 400, "", `date: \"\": want YYYY-MM-DD`},
	}
	for _, a := range ats {
		resp, body := do(t, "GET", srv.URL+ims+"/at?date="+a.date, "", "", nil)
		if resp.StatusCode != a.status || resp.Header.Get("Location") != a.location || !strings.Contains(body, a.msg) {
			t.Errorf("at %q: %d %q %s", a.date, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
}

// TestComparePageGolden keeps the comparison page of the 2022 rename as
// a golden file (go test ./web -run TestComparePageGolden -update).
func TestComparePageGolden(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	resp, body := do(t, "GET", srv.URL+"/sources/"+itoa(h.IMS.ID)+"/compare?from=2&to=3", "", "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	got := mainOf(body)
	// The fixture server's port changes from run to run.
	got = strings.ReplaceAll(got, h.Fixture.URL, "http://fixtures.test")
	golden := filepath.Join("testdata", "compare-ims-2-3.html")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("the comparison page differs from %s (run with -update if the change is meant):\n%s", golden, got)
	}
}
