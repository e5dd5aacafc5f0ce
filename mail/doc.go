// Package mail builds and sends clausewatch's e-mail: one MIME
// multipart/alternative message with a plain-text and an HTML part, sent
// over SMTP with go-smtp.
//
// Every header value goes through one function (headerValue) that drops
// control characters — CR and LF above all — and the Unicode line
// separators, bounds the length and encodes what is not plain ASCII as
// RFC 2047 encoded-words, so that a supplier's name or a policy's text
// cannot start a header of its own. Addresses are checked by ValidAddress
// and written by net/mail.
//
// The transport refuses to send credentials in the clear: a server
// configured for STARTTLS that does not offer it is an error, not a
// downgrade, and a plain connection cannot carry a user name (see
// ParseURL for the three ways to reach a server).
//
// The package is a leaf: it knows nothing of the store or the web server.
// What to send, to whom and when is decided in package web (mail.go).
package mail
