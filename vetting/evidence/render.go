package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/clausewatch/clausewatch/store"
)

// A rendered capture (a page read in a headless browser) is logged as a
// format-2 leaf whose render_sha256 names its render capture: what the
// browser saw — the document as served, the plain fetch that led to the
// render, the requests the page made, the guard's refusals, the browser's
// version and the wait. The capture's body is the rendered DOM. A bundle
// carries, beside the body, the render capture as stored
// (render.json) and the document and plain bodies it names, so a
// reviewer has both captures and Verify can check each against the log.

// renderFiles are a rendered capture's members under dir, and the
// manifest fields naming them. A capture that was not rendered has none.
func renderFiles(ctx context.Context, db store.History, dir string, f store.Fetch, entry *CaptureEntry) ([]file, error) {
	if f.RenderSHA256 == "" {
		return nil, nil
	}
	data, err := db.Blob(ctx, f.RenderSHA256)
	if err != nil {
		return nil, fmt.Errorf("render capture %s: %w", f.RenderSHA256, err)
	}
	rc, err := parseRender(data)
	if err != nil {
		return nil, fmt.Errorf("render capture %s: %w", f.RenderSHA256, err)
	}
	entry.Render, entry.RenderSHA256 = dir+"/render.json", f.RenderSHA256
	files := []file{{entry.Render, data}}
	if rc.DocumentSHA256 != "" {
		doc, err := db.Blob(ctx, rc.DocumentSHA256)
		if err != nil {
			return nil, fmt.Errorf("render capture %s: the document as served: %w", f.RenderSHA256, err)
		}
		entry.Document = dir + "/document" + bodyExtension(rc.DocumentHeader)
		files = append(files, file{entry.Document, doc})
	}
	if p := rc.Plain; p != nil && p.BodySHA256 != "" && p.BodySHA256 != rc.DocumentSHA256 {
		plain, err := db.Blob(ctx, p.BodySHA256)
		if err != nil {
			return nil, fmt.Errorf("render capture %s: the plain fetch's body: %w", f.RenderSHA256, err)
		}
		entry.Plain = dir + "/plain" + sniffExtension(plain)
		files = append(files, file{entry.Plain, plain})
	}
	return files, nil
}

// parseRender reads a render capture.
func parseRender(data []byte) (store.RenderCapture, error) {
	var rc store.RenderCapture
	if err := json.Unmarshal(data, &rc); err != nil {
		return rc, fmt.Errorf("cannot be read: %w", err)
	}
	if rc.V < 1 || rc.DOMSHA256 == "" {
		return rc, fmt.Errorf("format %d without the rendered DOM's hash: not a render capture", rc.V)
	}
	return rc, nil
}

// sniffExtension names a body whose headers were not kept (the plain
// fetch's) after its bytes.
func sniffExtension(body []byte) string {
	return bodyExtension(map[string][]string{"Content-Type": {http.DetectContentType(body)}})
}

// render checks a capture's render members against its logged record:
// render.json is the blob the record's render_sha256 names, the rendered
// DOM it names is the capture's body, and the document and plain bodies
// are the blobs it names. A bundle made before bundles carried render
// captures has none; the record's commitment stands as logged.
func (v *verifier) render(name string, c CaptureEntry, e store.LogEntry) {
	check := name + " render"
	switch {
	case e.RenderSHA256 == "" && c.Render == "" && c.RenderSHA256 == "" && c.Document == "" && c.Plain == "":
		return // not rendered
	case e.RenderSHA256 == "":
		v.fail(check, "the manifest lists a render capture, but the logged record (format %d) names none", e.V)
		return
	case c.Render == "":
		if c.Document != "" || c.Plain != "" || c.RenderSHA256 != "" {
			v.fail(check, "the manifest names a document or plain body but no render capture")
			return
		}
		v.pass(check, "the logged record names render capture %s; this bundle does not include it (made before bundles carried render captures)", e.RenderSHA256)
		return
	case c.RenderSHA256 != e.RenderSHA256:
		v.fail(check, "the manifest says render capture %s, the logged record %s", c.RenderSHA256, e.RenderSHA256)
		return
	}
	data, ok := v.member(check, c.Render)
	if !ok {
		return
	}
	if got := store.Hash(data); got != e.RenderSHA256 {
		v.fail(check, "%s has SHA-256 %s; the logged record says %s: the render capture was altered", c.Render, got, e.RenderSHA256)
		return
	}
	rc, err := parseRender(data)
	if err != nil {
		v.fail(check, "%s: %v", c.Render, err)
		return
	}
	if rc.DOMSHA256 != e.BodySHA256 {
		v.fail(check, "%s names the rendered DOM %s, but the capture's body is %s", c.Render, rc.DOMSHA256, e.BodySHA256)
		return
	}
	v.pass(check, "%s: SHA-256 %s, as logged; rendered by %s (%s), %d requests listed, %d refused by the SSRF guard",
		c.Render, e.RenderSHA256, rc.Browser, rc.Wait, len(rc.Requests), len(rc.Refused))
	v.renderBody(name+" document", c.Document, rc.DocumentSHA256, "the document as served")
	plain := ""
	if rc.Plain != nil && rc.Plain.BodySHA256 != rc.DocumentSHA256 {
		plain = rc.Plain.BodySHA256
	}
	v.renderBody(name+" plain fetch", c.Plain, plain, "the plain fetch's body")
}

// renderBody checks one body a render capture names: member is its name
// in the bundle ("" when none), want its hash in the capture ("" when it
// names none).
func (v *verifier) renderBody(check, member, want, what string) {
	switch {
	case member == "" && want == "":
		return
	case member == "":
		v.fail(check, "the render capture names %s %s, the bundle does not include it", what, want)
		return
	case want == "":
		v.fail(check, "%s is in the bundle, but the render capture names no such body", member)
		return
	}
	data, ok := v.member(check, member)
	if !ok {
		return
	}
	if got := store.Hash(data); got != want {
		v.fail(check, "%s has SHA-256 %s; the render capture names %s %s: the body was altered", member, got, what, want)
		return
	}
	v.pass(check, "%s: %s, SHA-256 %s, as the render capture names it", member, what, want)
}
