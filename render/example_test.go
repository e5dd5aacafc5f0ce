package render_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clausewatch/clausewatch/render"
)

// A Browser renders a page that only a browser can read. (No Output
// line: the example needs Chromium, so it is compiled, not run.)
func Example() {
	b, err := render.New(render.Options{})
	if err != nil {
		log.Fatal(err) // render.ErrNoBrowser: install chromium
	}
	defer b.Close()
	page, err := b.Render(context.Background(), render.Request{URL: "https://example.com/privacy"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.Status, len(page.DOM), page.Wait, len(page.Requests))
}
