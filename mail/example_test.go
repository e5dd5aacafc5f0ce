package mail_test

import (
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/mail"
)

// A supplier's name with a line break cannot start a header of its own:
// the break becomes a space, and non-ASCII text an encoded-word.
func ExampleMessage_Build() {
	m := mail.Message{
		From:    netmail.Address{Name: "clausewatch", Address: "cw@example.org"},
		To:      []netmail.Address{{Address: "reviewer@example.org"}},
		Subject: "Zoë Ltd\r\nBcc: victim@example.net: policy changed",
		Date:    time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC),
		ID:      "1.example@example.org",
		Text:    "The policy changed.",
		HTML:    "<p>The policy changed.</p>",
	}
	data, err := m.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	head, _, _ := strings.Cut(string(data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if !strings.HasPrefix(line, "Content-Type") && !strings.HasPrefix(line, " boundary") {
			fmt.Println(line)
		}
	}
	// Output:
	// From: "clausewatch" <cw@example.org>
	// To: <reviewer@example.org>
	// Subject: =?utf-8?b?Wm/DqyBMdGQgQmNjOiB2aWN0aW1AZXhhbXBsZS5uZXQ6IHBvbGlj?=
	//  =?utf-8?b?eSBjaGFuZ2Vk?=
	// Date: Mon, 09 Mar 2026 08:00:00 +0000
	// Message-ID: <1.example@example.org>
	// MIME-Version: 1.0
}
