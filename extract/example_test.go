package extract_test

import (
	"fmt"

	"github.com/clausewatch/clausewatch/extract"
)

func ExampleHTML() {
	page := []byte(`<html><body>
<nav><a href="/">Home</a> <a href="/blog">Blog</a></nav>
<div class="cookie-banner">We use cookies. <button>OK</button></div>
<main>
  <h1>Privacy Policy</h1>
  <p>Last updated: May 6, 2019</p>
  <p><strong>Sharing</strong></p>
  <p>We don&#8217;t sell your data.</p>
  <ul><li>• Service providers</li></ul>
</main>
<footer>© 2024 Example Inc.</footer>
</body></html>`)
	doc, err := extract.HTML(page, extract.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("updated:", doc.Updated)
	for _, c := range doc.Clauses {
		fmt.Printf("%-9s %q %s\n", c.Kind, c.Path, c.Text)
	}
	// Output:
	// updated: 2019-05-06
	// heading   [] Privacy Policy
	// paragraph ["Privacy Policy"] Last updated: May 6, 2019
	// heading   ["Privacy Policy"] Sharing
	// paragraph ["Privacy Policy" "Sharing"] We don't sell your data.
	// item      ["Privacy Policy" "Sharing"] Service providers
}
