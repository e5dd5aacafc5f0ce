package web_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"regexp"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/web"
)

// TestEvidenceDownload: the bundle the server hands out for a
// notification is the one evidence.Build makes on the server's clock (the
// function 'clausewatch evidence' calls; the CLI's file is compared byte
// for byte in cmd/clausewatch), it verifies against the server's key, and
// bad requests are refused with a reason that names what is wrong.
func TestEvidenceDownload(t *testing.T) {
	h := newHistory(t)
	sealRecord(t, h)
	prog := &vetting.Program{DB: h.DB, Now: h.Clock.Now}
	if _, err := prog.Notify(t.Context(), vetting.NotifyRequest{Supplier: imsName, When: "2022-05-13"}); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "office")
	key, err := h.DB.PublicKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, "GET", srv.URL+"/evidence?source="+strconvU(h.IMS.ID)+"&notified=2022-05-13", tok, "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=evidence-ims-privacy-2022-05-13.zip` {
		t.Fatalf("download: %d %v: %.300s", resp.StatusCode, resp.Header, body)
	}
	rep := evidence.Verify([]byte(body), evidence.VerifyOptions{Key: key})
	if !rep.Verified || rep.Manifest.Deadline.Outcome != "missed" || rep.Manifest.Notification.Recorded == 0 {
		t.Fatalf("downloaded bundle: verified %v, %s", rep.Verified, rep.Failures())
	}
	want, err := evidence.Build(t.Context(), h.DB, evidence.Request{Source: "ims-privacy", Notified: may13(t), Now: h.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(body), want.Data) {
		t.Errorf("the download (%d bytes) is not evidence.Build's bundle (%d bytes)", len(body), len(want.Data))
	}

	for _, tt := range []struct {
		name, query string
		want        int
		says        string
	}{
		{"no date", "source=ims-privacy", 400, "want a source and a notification date"},
		{"no source", "notified=2022-05-13", 400, "want a source and a notification date"},
		{"bad date", "source=ims-privacy&notified=13+May", 400, `"13 May"`},
		{"bad zone", "source=ims-privacy&notified=2022-05-13&zone=Mars/Olympus", 400, "Mars/Olympus"},
		{"no such source", "source=nosuch&notified=2022-05-13", 404, "nosuch"},
		{"before any capture", "source=ims-privacy&notified=2002-01-01", 404, "no capture of ims-privacy with its text before the notification"},
	} {
		resp, body := do(t, "GET", srv.URL+"/evidence?"+tt.query, tok, "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != tt.want || !strings.Contains(html.UnescapeString(body), tt.says) {
			t.Errorf("%s: %d %.300s, want %d saying %q", tt.name, resp.StatusCode, body, tt.want, tt.says)
		}
	}
}

// TestVerifyPage uploads bundles to the verify page as a signed-in
// browser would (a multipart form, no script) and checks that it lists
// every check the verifier ran, says verified for an intact bundle, and
// names the failures of a tampered one.
func TestVerifyPage(t *testing.T) {
	h := newHistory(t)
	sealRecord(t, h)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "office")
	cookie, _ := signIn(t, srv.URL, tok)
	key, err := h.DB.PublicKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Build(t.Context(), h.DB, evidence.Request{Source: "ims-privacy", Notified: may13(t), Now: h.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// One byte of the after capture's body, changed in place.
	tampered := bytes.Clone(b.Data)
	i := bytes.Index(tampered, []byte("1EdTech"))
	if i < 0 {
		t.Fatal("no body text in the bundle to tamper with")
	}
	tampered[i+2] ^= 0x20
	page := func(t *testing.T, file []byte, withFile bool, key string) (int, string) {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("key", key)
		if withFile {
			fw, err := mw.CreateFormFile("bundle", "bundle.zip")
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(file)
		}
		mw.Close()
		resp, body := do(t, "POST", srv.URL+"/verify", "", buf.String(),
			map[string]string{"Content-Type": mw.FormDataContentType(), "Cookie": cookie.String(), "Accept": "text/html"})
		return resp.StatusCode, html.UnescapeString(body)
	}
	rows := regexp.MustCompile(`<tr class="check-(ok|fail)"><td>[^<]*(?:<strong>FAIL</strong>)?</td><td>([^<]*)</td>`)
	for _, tt := range []struct {
		name     string
		data     []byte
		withFile bool
		key      string
		want     int
		headline string
	}{
		{"intact, this server's key", b.Data, true, key, 200, "Verified: all"},
		{"intact, no key", b.Data, true, "", 200, "origin NOT checked"},
		{"tampered", tampered, true, key, 422, "NOT VERIFIED"},
		{"not a zip", []byte("hello"), true, key, 422, "NOT VERIFIED"},
		{"no file", nil, false, key, 400, "no bundle file uploaded"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := page(t, tt.data, tt.withFile, tt.key)
			if code != tt.want || !strings.Contains(body, tt.headline) {
				t.Fatalf("%d, want %d saying %q:\n%.3000s", code, tt.want, tt.headline, body)
			}
			if tt.data == nil {
				return
			}
			rep := evidence.Verify(tt.data, evidence.VerifyOptions{Key: tt.key})
			got := rows.FindAllStringSubmatch(body, -1)
			if len(got) != len(rep.Checks) {
				t.Fatalf("the page lists %d checks, the verifier ran %d", len(got), len(rep.Checks))
			}
			for i, c := range rep.Checks {
				if got[i][2] != c.Name || (got[i][1] == "ok") != c.OK {
					t.Errorf("row %d: %s %q, want %v %q", i, got[i][1], got[i][2], c.OK, c.Name)
				}
				if !c.OK && !strings.Contains(body, c.Detail) {
					t.Errorf("the failed check %s does not say %q", c.Name, c.Detail)
				}
			}
		})
	}
	// The form offers this server's key.
	resp, body := do(t, "GET", srv.URL+"/verify", "", "", map[string]string{"Cookie": cookie.String(), "Accept": "text/html"})
	if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(body), `value="`+key+`"`) || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Errorf("GET /verify: %d, want the form with this server's key", resp.StatusCode)
	}
}

func may13(t *testing.T) vetting.Date {
	t.Helper()
	d, err := vetting.ParseDate("2022-05-13")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
