package web

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting/evidence"
)

// FuzzVerifyForm: whatever the upload, readVerifyForm never panics and
// either refuses it as bad input (or too large) or returns a non-empty
// bundle within evidence.MaxBundle and a trimmed key within the bound.
func FuzzVerifyForm(f *testing.F) {
	var good bytes.Buffer
	mw := multipart.NewWriter(&good)
	mw.SetBoundary("b0undary")
	mw.WriteField("key", " clausewatch-x+1+abc ")
	fw, _ := mw.CreateFormFile("bundle", "e.zip")
	fw.Write([]byte("PK\x03\x04 not really"))
	mw.Close()
	f.Add(good.String())
	f.Add("--b0undary\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"x\"\r\n\r\n\r\n--b0undary--\r\n")
	f.Add("--b0undary\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n" + strings.Repeat("k", maxKeyField+1) + "\r\n--b0undary--\r\n")
	f.Add("")
	f.Add("--b0undary--")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/verify", strings.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=b0undary")
		data, key, _, err := readVerifyForm(r)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, errTooLarge) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if len(data) == 0 || len(data) > evidence.MaxBundle {
			t.Fatalf("bundle of %d bytes accepted", len(data))
		}
		if len(key) > maxKeyField || key != strings.TrimSpace(key) {
			t.Fatalf("key %q", key)
		}
	})
}
