package main

import (
	"flag"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/mail"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// envSMTPPassword holds the SMTP password when no --smtp-password-file
// is given. Neither way puts it on the command line, where ps and shell
// history would show it.
const envSMTPPassword = "CLAUSEWATCH_SMTP_PASSWORD"

// smtpFlags are serve's e-mail settings.
type smtpFlags struct {
	url, from, passwordFile *string
	digestHour              *int
}

func addSMTPFlags(fs *flag.FlagSet) *smtpFlags {
	return &smtpFlags{
		url: fs.String("smtp", "", "send e-mail through this SMTP `URL`: smtp://[user@]host[:587] (STARTTLS required), "+
			"smtps://[user@]host[:465] (TLS), or smtp+plain://host[:25] (local relay, no user); the password comes from $"+envSMTPPassword+" or --smtp-password-file"),
		from:         fs.String("smtp-from", "", "the `address` e-mail is sent from, e.g. \"clausewatch <cw@example.org>\" (needed with --smtp)"),
		passwordFile: fs.String("smtp-password-file", "", "read the SMTP password from this `file` (instead of $"+envSMTPPassword+")"),
		digestHour:   fs.Int("mail-digest-hour", 7, "daily digests go out after this `hour` of the day, in --tz"),
	}
}

// sender builds the SMTP sender; nil when --smtp is not set.
func (f *smtpFlags) sender(getenv func(string) string) (*mail.Sender, error) {
	if *f.url == "" {
		if *f.from != "" || *f.passwordFile != "" {
			return nil, usageError("serve: --smtp-from and --smtp-password-file need --smtp")
		}
		return nil, nil
	}
	cfg, err := mail.ParseURL(*f.url)
	if err != nil {
		return nil, usageError("serve: --smtp: %v", err)
	}
	if *f.from == "" {
		return nil, usageError("serve: --smtp needs --smtp-from ADDRESS")
	}
	from, err := netmail.ParseAddress(*f.from)
	if err != nil {
		return nil, usageError("serve: --smtp-from %q: %v", *f.from, err)
	}
	cfg.From = *from
	if cfg.Password, err = f.password(getenv); err != nil {
		return nil, err
	}
	if cfg.Username != "" && cfg.Password == "" {
		return nil, usageError("serve: --smtp names user %q but no password is set: put it in $%s or a file given by --smtp-password-file", cfg.Username, envSMTPPassword)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, usageError("serve: an SMTP password is set but --smtp names no user (smtp://USER@host)")
	}
	if cfg.HelloName, err = os.Hostname(); err != nil {
		cfg.HelloName = ""
	}
	s, err := mail.NewSender(cfg)
	if err != nil {
		return nil, usageError("serve: --smtp: %v", err)
	}
	return s, nil
}

// password reads the password file (one line; the final newline is not
// part of it) or the environment.
func (f *smtpFlags) password(getenv func(string) string) (string, error) {
	if *f.passwordFile == "" {
		return getenv(envSMTPPassword), nil
	}
	data, err := os.ReadFile(*f.passwordFile)
	if err != nil {
		return "", usageError("serve: --smtp-password-file: %v", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// mailer is the daemon's mailer; nil without --smtp.
func (f *smtpFlags) mailer(db store.Store, baseURL string, loc *time.Location, log *slog.Logger) (*web.Mailer, error) {
	s, err := f.sender(os.Getenv)
	if s == nil || err != nil {
		return nil, err
	}
	if *f.digestHour < 0 || *f.digestHour > 23 {
		return nil, usageError("serve: --mail-digest-hour %d (want 0 to 23)", *f.digestHour)
	}
	hour := *f.digestHour
	if hour == 0 {
		hour = -1 // not the default: midnight
	}
	m, err := web.NewMailer(web.MailerOptions{DB: db, Sender: s, BaseURL: baseURL, DigestHour: hour, Zone: loc, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	log.Info("e-mail on", "smtp", s.Config().String(), "from", s.From())
	return m, nil
}
