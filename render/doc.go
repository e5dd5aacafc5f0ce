// Package render loads a policy page in headless Chromium, for the pages
// a plain fetch cannot read: text that arrives by script, a policy widget
// (Termly, iubenda, OneTrust, Cookiebot, Google Docs), a site that
// answers plain clients with a bot wall or a 403.
//
// One Browser runs one Chromium (through chromedp), started on first use,
// restarted after a number of renders or past a memory ceiling, and
// stopped by Close. Renders run at most Options.Tabs at a time, each in a
// fresh browser context (no cookies, cache or storage shared) that is
// disposed of afterwards. Images, fonts and media are never loaded. A
// render waits for the load event, then looks at the page's text until it
// has stopped moving and no request is in flight, a bounded number of
// looks (see Wait).
//
// Every request the browser makes goes through an in-process proxy that
// dials through fetch's SSRF guard: a page cannot make the browser reach
// a loopback, private or metadata address, whether by redirect, script,
// image, iframe or fetch(), unless the request allows private addresses.
// Loopback is proxied too (Chromium's implicit bypass is removed). The
// browser never gets a local file: only http and https URLs are rendered,
// and the proxy forwards nothing else.
//
// Chromium runs with the parent-death signal set (chromedp), so it dies
// with the daemon; Processes lists what is left, found by a marker in the
// environment of every process a Browser started.
package render
