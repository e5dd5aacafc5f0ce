package warc_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/warc"
)

func ExampleWriter() {
	var buf bytes.Buffer
	w := warc.NewWriter(&buf, warc.Options{})
	if _, err := w.WriteInfo([]warc.Field{{Name: "operator", Value: "Seal program staff"}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	_, err := w.WriteCapture(warc.Capture{
		Name:          "fetch 1",
		URL:           "https://example.com/privacy",
		Date:          time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC),
		RemoteAddr:    "192.0.2.1:443",
		RequestHeader: http.Header{"Host": {"example.com"}, "User-Agent": {"clausewatch"}},
		Status:        200,
		Header:        http.Header{"Content-Type": {"text/plain"}, "Content-Encoding": {"gzip"}},
		Body:          []byte("We keep nothing.\n"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	// Print the record types and the response's HTTP head.
	sc := bufio.NewScanner(&buf)
	inResponse := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "WARC-Type: "):
			fmt.Println(line)
			inResponse = line == "WARC-Type: response"
		case inResponse && (strings.HasPrefix(line, "HTTP/") || strings.HasPrefix(line, "Content-") || strings.HasPrefix(line, "X-Archive-")):
			fmt.Println("  " + line)
		}
	}
	// Output:
	// WARC-Type: warcinfo
	// WARC-Type: request
	// WARC-Type: response
	//   Content-Type: application/http;msgtype=response
	//   Content-Length: 121
	//   HTTP/1.1 200 OK
	//   Content-Length: 17
	//   Content-Type: text/plain
	//   X-Archive-Orig-Content-Encoding: gzip
}
