package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// runExtract implements "clausewatch extract".
func runExtract(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	var sel, rem stringList
	fs.Var(&sel, "select", "CSS `selector` of the policy text to keep (repeatable)")
	fs.Var(&rem, "remove", "CSS `selector` of elements to drop first (repeatable)")
	section := fs.String("section", "", "keep only the document under this `heading` (a page that holds several)")
	ctype := fs.String("content-type", "", "media `type` of the input (default: from the server, or sniffed)")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout for fetching a URL")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: clausewatch extract [--json] [--select CSS] [--remove CSS] [--section HEADING] [--content-type T] [--timeout D] FILE|URL|-")
		fmt.Fprintln(w, "\nPrints the clauses of a policy page: each clause's heading path, then its text.")
		fmt.Fprintln(w, "Input may be HTML, plain text or Markdown, up to 64 MiB. Flags go before the input.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard) // errors are reported in one line below
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return usageError("extract: %v (see clausewatch extract -h)", err)
	}
	if fs.NArg() != 1 {
		return usageError("extract: want one FILE, URL or -, got %d arguments; flags go before it (see clausewatch extract -h)", fs.NArg())
	}
	input := fs.Arg(0)
	data, contentType, err := readInput(ctx, input, stdin, *timeout)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if *ctype != "" {
		contentType = *ctype
	}
	doc, err := extract.Bytes(data, extract.Options{ContentType: contentType, Select: sel, Remove: rem, Section: *section})
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("%s: %v", input, err)}
	}
	if *asJSON {
		return writeJSON(stdout, doc)
	}
	return writeText(stdout, doc)
}

// maxInput caps what extract reads from a file or standard input, as the
// fetch client caps a response.
const maxInput = 64 << 20

// readInput reads a file, a URL or standard input ("-").
func readInput(ctx context.Context, input string, stdin io.Reader, timeout time.Duration) ([]byte, string, error) {
	switch {
	case input == "-":
		data, err := readCapped(stdin)
		if err != nil {
			return nil, "", fmt.Errorf("standard input: %w", err)
		}
		return data, "", nil
	case strings.HasPrefix(input, "http://") || strings.HasPrefix(input, "https://"):
		// A URL typed on the command line is the operator's own choice:
		// local pages are allowed (the SSRF guard is for the API).
		c := fetch.NewClient(fetch.Options{Timeout: timeout, MaxBytes: maxInput, AllowPrivate: true})
		res, err := c.Get(ctx, input)
		if err != nil {
			return nil, "", err
		}
		return res.Body, res.ContentType(), nil
	default:
		f, err := os.Open(input)
		if err != nil {
			return nil, "", err // names the file already
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, "", fmt.Errorf("%s: is a directory", input)
		}
		data, err := readCapped(f)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", input, err)
		}
		return data, "", nil
	}
}

// readCapped reads r to the end, failing past maxInput bytes.
func readCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("input larger than %d MiB", maxInput>>20)
	}
	return data, nil
}

// jsonDocument is the --json output format.
type jsonDocument struct {
	Title       string       `json:"title"`
	Updated     *string      `json:"updated"`
	UpdatedText string       `json:"updated_text,omitempty"`
	Lang        string       `json:"lang,omitempty"`
	Format      string       `json:"format"`
	Clauses     []jsonClause `json:"clauses"`
}

type jsonClause struct {
	Kind    string   `json:"kind"`
	Level   int      `json:"level,omitempty"`
	Path    []string `json:"path"`
	Text    string   `json:"text"`
	Display string   `json:"display"`
}

func writeJSON(w io.Writer, doc *extract.Document) error {
	out := jsonDocument{Title: doc.Title, UpdatedText: doc.UpdatedText, Lang: doc.Lang, Format: string(doc.Format), Clauses: []jsonClause{}}
	if doc.Updated != "" {
		out.Updated = &doc.Updated
	}
	for _, c := range doc.Clauses {
		path := c.Path
		if path == nil {
			path = []string{}
		}
		out.Clauses = append(out.Clauses, jsonClause{Kind: string(c.Kind), Level: c.Level, Path: path, Text: c.Text, Display: c.Display})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// writeText prints a heading line whenever the heading path changes, then
// each clause, marked by kind, escaped for a terminal.
func writeText(w io.Writer, doc *extract.Document) error {
	doc = termSafeDoc(doc)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", doc.Title)
	if doc.Updated != "" {
		fmt.Fprintf(&b, "# updated: %s (%q)\n", doc.Updated, doc.UpdatedText)
	}
	fmt.Fprintf(&b, "# %d clauses\n", len(doc.Clauses))
	for _, c := range doc.Clauses {
		switch c.Kind {
		case extract.Heading:
			fmt.Fprintf(&b, "\n%s %s\n", strings.Repeat("#", min(c.Level, 6)+1), c.Display)
			if len(c.Path) > 0 {
				fmt.Fprintf(&b, "   (in %s)\n", strings.Join(c.Path, " › "))
			}
		case extract.Item:
			fmt.Fprintf(&b, "  - %s\n", c.Display)
		case extract.Row:
			fmt.Fprintf(&b, "  | %s\n", c.Display)
		default:
			fmt.Fprintf(&b, "%s\n", c.Display)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
