package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// TestOpenAPIResponses calls the API of a real server on a real database
// (sources watched for real, a supplier record, a notification, a
// webhook, a subscription) and validates every request and answer —
// status, content type, body — against web/openapi.json.
func TestOpenAPIResponses(t *testing.T) {
	h := newHistory(t)
	sealRecord(t, h)
	sched, err := watch.NewScheduler(h.Checker, watch.SchedulerOptions{Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, h.DB, "staff")
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, Scheduler: sched})
	v := apiValidator(t)
	ims := "/api/suppliers/" + url.PathEscape(imsName)
	imsChange := strconvU(h.changeOf(t, h.IMS, 3).ID)

	// In order: later calls use what earlier ones made (IDs are those a
	// fresh database hands out).
	tests := []struct {
		method, path, tok, body string
		status                  int
		// refused: the document refuses the request too (bad input or no
		// credentials), so only the answer must match it.
		refused bool
	}{
		{"GET", "/api/openapi.json", "", "", 200, false},
		{"GET", "/api/sources", tok, "", 200, false},
		{"GET", "/api/sources?view=dashboard&status=all&sort=-changed", tok, "", 200, false},
		{"GET", "/api/sources?view=dashboard&sort=sideways", tok, "", 400, true},
		{"GET", "/api/sources", "", "", 401, false},
		{"POST", "/api/sources", tok, `{"name":"acme-terms","url":"https://acme.example/terms","supplier":"Acme","kind":"terms","tags":["cloud"],"select":["main"]}`, 201, false},
		{"POST", "/api/sources", tok, `{"name":"acme-terms","url":"https://acme.example/terms2"}`, 409, false},
		{"POST", "/api/sources", tok, `{"name":"x","url":"https://x.example/","colour":"red"}`, 400, true},
		{"PATCH", "/api/sources/acme-terms", tok, `{"schedule":"0 6 * * *","tags":["cloud","eu"]}`, 200, false},
		{"DELETE", "/api/sources/acme-terms", tok, "", 200, false},
		{"GET", "/api/sources/" + strconvU(h.IMS.ID), tok, "", 200, false},
		{"GET", "/api/sources/no-such-source", tok, "", 404, false},
		{"GET", "/api/sources/ims-privacy/versions", tok, "", 200, false},
		{"GET", "/api/sources/ims-privacy/versions/2", tok, "", 200, false},
		{"GET", "/api/sources/ims-privacy/versions/9", tok, "", 404, false},
		{"POST", "/api/sources/" + strconvU(h.COR.ID) + "/check", tok, "", 202, false},
		{"GET", "/api/changes?limit=1", tok, "", 200, false},
		{"GET", "/api/changes?revet=1&triage=open", tok, "", 200, false},
		{"GET", "/api/changes?limit=0", tok, "", 400, true},
		{"GET", "/api/changes/" + imsChange, tok, "", 200, false},
		{"POST", "/api/changes/" + imsChange + "/triage", tok, `{"state":"revet","note":"sharing widened"}`, 200, false},
		{"POST", "/api/changes/" + imsChange + "/triage", tok, `{"state":"shrug"}`, 400, true},
		{"POST", "/api/webhooks", tok, `{"url":"https://hooks.example/cw","revet_only":true}`, 201, false},
		{"GET", "/api/webhooks", tok, "", 200, false},
		{"GET", "/api/webhooks/1/deliveries", tok, "", 200, false},
		{"DELETE", "/api/webhooks/1", tok, "", 204, false},
		{"DELETE", "/api/webhooks/1", tok, "", 404, false},
		{"POST", "/api/tokens", tok, `{"name":"robot"}`, 201, false},
		{"PUT", "/api/tokens/robot/role", tok, `{"role":"viewer"}`, 200, false},
		{"PUT", "/api/tokens/robot/role", tok, `{"role":"root"}`, 400, true},
		{"PUT", "/api/tokens/nobody/role", tok, `{"role":"admin"}`, 404, false},
		{"DELETE", "/api/tokens/robot", tok, "", 204, false},
		{"POST", "/api/tokens", tok, `{"name":"reader","role":"viewer"}`, 201, false},
		{"DELETE", "/api/tokens/reader", tok, "", 204, false},
		{"POST", "/api/email/subscriptions", tok, `{"email":"ann@example.org","suppliers":["` + imsName + `"],"floor":"revet","mode":"digest","reminders":true}`, 201, false},
		{"GET", "/api/email/subscriptions", tok, "", 200, false},
		{"GET", "/api/email/outbox?subscription=1", tok, "", 200, false},
		{"DELETE", "/api/email/subscriptions/1", tok, "", 204, false},
		{"POST", "/api/email/test", tok, `{"to":"ann@example.org"}`, 503, false},
		{"PUT", ims + "/record", tok, `{"awarded":"2019-06-15","rubric":"1.0","zone":"America/New_York","products":[{"name":"Website","sources":["ims-privacy"]}]}`, 200, false},
		{"PUT", "/api/suppliers/Nobody/record", tok, `{"awarded":"2020-01-01"}`, 404, false},
		{"POST", ims + "/notifications", tok, `{"when":"2022-05-13","must":"name the covered sites","tickets":[{"kind":"appear","text":"Foundation, Compatibility Check"}]}`, 201, false},
		{"GET", ims + "/record", tok, "", 200, false},
		{"GET", "/api/deadlines", tok, "", 200, false},
		{"POST", "/api/rubrics", tok, `{"version":"2.0","released":"2022-04-01","revet_days":90}`, 201, false},
		{"POST", "/api/baselines", tok, `{"source":"ims-privacy","name":"rewrite","version":3}`, 201, false},
		{"GET", ims + "/renewal?baseline=rewrite", tok, "", 200, false},
		{"GET", ims + "/renewal?to=soon", tok, "", 400, false},
		{"POST", "/api/capture", "", "", 401, true},
		{"POST", ims + "/token", tok, "", 201, false},
	}
	for _, tc := range tests {
		name := tc.method + " " + tc.path
		if tc.tok == "" {
			name += " (anonymous)"
		}
		t.Run(name, func(t *testing.T) {
			req, resp := call(t, srv.URL, tc.method, tc.path, tc.tok, tc.body)
			if resp.StatusCode != tc.status {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.refused {
				if ok, _ := v.ValidateHttpRequest(req); ok {
					t.Errorf("the server refused the request with %d, but web/openapi.json allows it", resp.StatusCode)
				}
				if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
					t.Errorf("the answer does not match web/openapi.json:\n%s", strings.Join(describe(errs), "\n"))
				}
				return
			}
			if ok, errs := v.ValidateHttpRequestResponse(req, resp); !ok {
				t.Errorf("does not match web/openapi.json:\n%s", strings.Join(describe(errs), "\n"))
			}
		})
	}

	// The supplier's capture, with the token the last call made.
	_, resp := call(t, srv.URL, "POST", ims+"/token", tok, "")
	var issued struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&issued); err != nil {
		t.Fatal(err)
	}
	req, resp := call(t, srv.URL, "POST", "/api/capture", issued.Token, `{"source":"ims-privacy"}`)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("capture: %d %s", resp.StatusCode, b)
	}
	if ok, errs := v.ValidateHttpRequestResponse(req, resp); !ok {
		t.Errorf("capture does not match web/openapi.json:\n%s", strings.Join(describe(errs), "\n"))
	}
}

// apiValidator builds a validator on the embedded document, with format
// assertions on (date-time, date).
func apiValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(web.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	return v
}

// call sends a request and returns it (its body readable again, for the
// validator) and the answer (its body read into memory).
func call(t *testing.T, base, method, path, tok, body string) (*http.Request, *http.Response) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	// The validator reads the request again, against the document's path
	// (the server's own address is no part of it).
	vreq, err := http.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	vreq.Header = req.Header.Clone()
	resp.Request = vreq
	return vreq, resp
}
