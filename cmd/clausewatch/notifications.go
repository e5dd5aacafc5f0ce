package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// "clausewatch subscription" and "clausewatch webhook": the e-mail
// subscriptions and webhooks the web pages manage, from a terminal,
// through the very checks the forms and the API use
// (web.PrepareSubscription, web.PrepareWebhook). Like every command on
// the database they run through the daemon when it holds it.

// cliMaker is who the store records as making a subscription from the
// CLI (Subscription.User); the owner is --owner's.
const cliMaker = "cli"

// verbArgs splits "VERB ARGS..." and checks the count each verb wants.
func verbArgs(c *command, want map[string]int, usage string) (string, []string, error) {
	verb, rest := c.fs.Arg(0), c.fs.Args()
	if len(rest) > 0 {
		rest = rest[1:]
	}
	if n, ok := want[verb]; !ok || n != len(rest) {
		return "", nil, usageError("%s: want %s (see clausewatch %s -h)", c.name, usage, c.name)
	}
	return verb, rest, nil
}

// parseID reads a subscription's or webhook's number.
func parseID(what, s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, usageError("%s: %q is not a %s number (see the list)", what, s, what)
	}
	return id, nil
}

// inputExit is exit status 2 for input the checks refused (a bad
// address, an unknown supplier, an ID that is not there), 1 otherwise.
func inputExit(name string, err error) error {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) || errors.As(err, new(*store.InputError)) {
		return &exitError{code: 2, msg: name + ": " + err.Error()}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// notThere says a missing ID in words (still a store.ErrNotFound).
func notThere(what string, id uint64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no %s %d (clausewatch %s list shows them): %w", what, id, what, store.ErrNotFound)
	}
	return err
}

// runSubscription implements "clausewatch subscription list|add|remove".
func runSubscription(ctx context.Context, e *env, args []string) error {
	c := e.command("subscription", "subscription list [--owner NAME] | subscription add EMAIL [flags] | subscription remove ID",
		"Manages the e-mail subscriptions (the web's My e-mail page, for every user). A subscription\n"+
			"sends a message per change, or a daily digest, of some or all suppliers; serve sends them\n"+
			"when it runs with --smtp. Made here without --owner, a subscription is the admins': only\n"+
			"admins see it on the web. With --owner NAME (a token's name) it is that user's.", true)
	var suppliers stringList
	c.fs.Var(&suppliers, "supplier", "subscription add: only this supplier's changes (repeatable; none: every supplier)")
	floor := c.fs.String("floor", store.FloorRevet, "subscription add: revet (changes that call for re-vetting) or all")
	mode := c.fs.String("mode", store.MailImmediate, "subscription add: immediate (a message per change) or digest (one a day)")
	reminders := c.fs.Bool("reminders", false, "subscription add: deadline reminders too (60 days before a renewal, day 7 of an update window)")
	owner := c.fs.String("owner", "", "whose subscription: a token's `name` (add: default the admins'; list: only theirs)")
	if done, err := c.parse(args, e.stdout); done || err != nil {
		return err
	}
	verb, rest, err := verbArgs(c, map[string]int{"list": 0, "add": 1, "remove": 1},
		"'subscription list', 'subscription add EMAIL' or 'subscription remove ID'")
	if err != nil {
		return err
	}
	var id uint64
	if verb == "remove" {
		if id, err = parseID("subscription", rest[0]); err != nil {
			return err
		}
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	switch verb {
	case "list":
		subs, err := db.Subscriptions(ctx)
		if flagSet(c, "owner") {
			subs, err = db.SubscriptionsOf(ctx, strings.TrimSpace(*owner))
		}
		if err != nil {
			return fmt.Errorf("subscription: %w", err)
		}
		return printSubscriptions(e.stdout, subs, *c.asJSON)
	case "add":
		in := web.SubscriptionRequest{Email: rest[0], Suppliers: suppliers, Floor: *floor, Mode: *mode, Reminders: *reminders, Owner: *owner}
		sub, err := web.PrepareSubscription(ctx, db, in, cliMaker)
		if err == nil {
			sub, err = db.AddSubscription(ctx, sub)
		}
		if err != nil {
			return inputExit("subscription", err)
		}
		if *c.asJSON {
			return printJSON(e.stdout, sub)
		}
		fmt.Fprintf(e.stdout, "subscription %d: %s, %s\n", sub.ID, termSafe(sub.Email), describeSubscription(sub))
	case "remove":
		if err := db.DeleteSubscription(ctx, id); err != nil {
			return inputExit("subscription", notThere("subscription", id, err))
		}
		fmt.Fprintf(e.stdout, "subscription %d removed (its mail not yet sent is dropped)\n", id)
	}
	return nil
}

// flagSet reports whether the flag name was given.
func flagSet(c *command, name string) bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// describeSubscription is a subscription in words, as the web page says it.
func describeSubscription(s store.Subscription) string {
	what := "changes that call for re-vetting"
	if s.Floor == store.FloorAll {
		what = "every change"
	}
	of := "every supplier"
	if len(s.Suppliers) > 0 {
		of = strings.Join(s.Suppliers, ", ")
	}
	when := "as they happen"
	if s.Mode == store.MailDigest {
		when = "in a daily digest"
	}
	if s.Reminders {
		when += ", with deadline reminders"
	}
	whose := "the admins'"
	if s.Owner != "" {
		whose = s.Owner + "'s"
	}
	return fmt.Sprintf("%s of %s, %s (%s)", what, termSafe(of), when, termSafe(whose))
}

func printSubscriptions(w io.Writer, subs []store.Subscription, asJSON bool) error {
	if asJSON {
		if subs == nil {
			subs = []store.Subscription{}
		}
		return printJSON(w, subs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOWNER\tE-MAIL\tFLOOR\tMODE\tSUPPLIERS\tREMINDERS\tCREATED")
	for _, s := range subs {
		owner, sups := s.Owner, strings.Join(s.Suppliers, ", ")
		if owner == "" {
			owner = "(admins)"
		}
		if sups == "" {
			sups = "(all)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", s.ID, termSafe(owner), termSafe(s.Email), s.Floor, s.Mode, termSafe(sups),
			s.Reminders, s.Created.UTC().Format(time.DateOnly))
	}
	return tw.Flush()
}

// runWebhook implements "clausewatch webhook list|add|remove".
func runWebhook(ctx context.Context, e *env, args []string) error {
	c := e.command("webhook", "webhook list | webhook add URL [flags] | webhook remove ID",
		"Manages the webhooks (the web's Webhooks page): serve posts every recorded change to each,\n"+
			"signed with the webhook's secret, retrying with backoff. A receiver on a loopback or\n"+
			"private address is refused unless --allow-private (serve then needs\n"+
			"--webhooks-allow-private to post to it). The secret is shown once, when it is made.", true)
	format := c.fs.String("format", store.HookJSON, "webhook add: the payload, json or slack")
	revetOnly := c.fs.Bool("revet-only", false, "webhook add: only changes that call for re-vetting")
	secretFile := c.fs.String("secret-file", "", "webhook add: read the signing secret (16 characters or more) from this `file`; default: one is made")
	allowPrivate := c.fs.Bool("allow-private", false, "webhook add: store a receiver on a loopback or private address")
	if done, err := c.parse(args, e.stdout); done || err != nil {
		return err
	}
	verb, rest, err := verbArgs(c, map[string]int{"list": 0, "add": 1, "remove": 1},
		"'webhook list', 'webhook add URL' or 'webhook remove ID'")
	if err != nil {
		return err
	}
	var id uint64
	var in web.WebhookInput
	switch verb {
	case "remove":
		if id, err = parseID("webhook", rest[0]); err != nil {
			return err
		}
	case "add":
		in = web.WebhookInput{URL: rest[0], Format: *format, RevetOnly: *revetOnly}
		if *secretFile != "" {
			data, err := e.readFile(*secretFile)
			if err != nil {
				return usageError("webhook: --secret-file: %v", err)
			}
			in.Secret = strings.TrimRight(string(data), "\r\n")
		}
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	switch verb {
	case "list":
		hooks, err := db.Webhooks(ctx)
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		return printWebhooks(e.stdout, hooks, *c.asJSON)
	case "add":
		check := fetch.NewGuard(fetch.GuardOptions{AllowPrivate: *allowPrivate}).CheckURL
		h, err := web.PrepareWebhook(ctx, in, check)
		if errors.Is(err, fetch.ErrBlocked) {
			return &exitError{code: 2, msg: "webhook: " + err.Error() + "; or store it anyway with webhook add --allow-private"}
		}
		if err == nil {
			h, err = db.AddWebhook(ctx, h)
		}
		if err != nil {
			return inputExit("webhook", err)
		}
		if *c.asJSON {
			row := web.WebhookJSONOf(h)
			row.Secret = h.Secret
			return printJSON(e.stdout, row)
		}
		fmt.Fprintf(e.stdout, "webhook %d: %s (%s%s)\n", h.ID, termSafe(h.URL), h.Format, map[bool]string{true: ", re-vet changes only"}[h.RevetOnly])
		fmt.Fprintf(e.stdout, "secret: %s\n(shown this once: the receiver checks each delivery's signature with it)\n", h.Secret)
	case "remove":
		if err := db.DeleteWebhook(ctx, id); err != nil {
			return inputExit("webhook", notThere("webhook", id, err))
		}
		fmt.Fprintf(e.stdout, "webhook %d removed\n", id)
	}
	return nil
}

func printWebhooks(w io.Writer, hooks []store.Webhook, asJSON bool) error {
	if asJSON {
		rows := []web.WebhookJSON{}
		for _, h := range hooks {
			rows = append(rows, web.WebhookJSONOf(h))
		}
		return printJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tFORMAT\tRE-VET ONLY\tCREATED")
	for _, h := range hooks {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%s\n", h.ID, termSafe(h.URL), h.Format, h.RevetOnly, h.Created.UTC().Format(time.DateOnly))
	}
	return tw.Flush()
}
