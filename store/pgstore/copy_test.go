package pgstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// fill writes a little of everything into a bbolt database.
func fill(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []uint64
	for i, sup := range []string{"Acme", "Acme", "Bolt"} {
		s, err := db.AddSource(ctx, store.Source{Name: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("https://s%d.example/", i), Supplier: sup})
		must(err)
		ids = append(ids, s.ID)
	}
	for round := range 5 {
		for _, id := range ids {
			st, err := db.State(ctx, id)
			must(err)
			text := fmt.Sprintf("text %d", round/2)
			r := store.Record{State: st, Body: []byte("<p>" + text + "</p>"), Doc: []byte(`{"t":"` + text + `"}`),
				Fetch: store.Fetch{SourceID: id, Start: t0.Add(time.Duration(round) * time.Hour), URL: "https://x.example/", Status: 200, Outcome: store.OutcomeUnchanged, TextSHA256: store.Hash([]byte(text))},
				Due:   &store.Due{At: t0.Add(time.Duration(round+1) * time.Hour)}}
			switch {
			case st.Current == 0:
				r.Start = &store.Version{TextSHA256: r.Fetch.TextSHA256}
			case round%2 == 0:
				r.Start = &store.Version{TextSHA256: r.Fetch.TextSHA256}
				r.Change, r.Diff = &store.Change{Summary: text, Revet: round == 4}, []byte(`{"d":"`+text+`"}`)
			default:
				r.Seen = true
			}
			_, _, err = db.Record(ctx, r)
			must(err)
		}
	}
	st, _ := db.State(ctx, ids[2])
	_, err := db.ReplaceGeneration(ctx, ids[2], st.Rev, store.Generation{Versions: []store.Version{{Seq: 1, TextSHA256: "r", FirstSeen: t0, LastSeen: t0}}})
	must(err)
	must(db.SetTriage(ctx, 1, store.Triage{State: store.TriageRevet, By: "bo", Note: "first look"}))
	must(db.SetTriage(ctx, 1, store.Triage{State: store.TriageReviewed, By: "ana"}))
	_, tok, err := db.CreateToken(ctx, "ana", store.RoleReviewer)
	must(err)
	_, _, err = db.CreateSession(ctx, tok, 24*time.Hour)
	must(err)
	h, err := db.AddWebhook(ctx, store.Webhook{URL: "https://hooks.example/"})
	must(err)
	must(db.RecordDelivery(ctx, store.Delivery{Hook: h.ID, Change: 2, State: store.DeliveryDelivered, First: t0, Last: t0}))
	if _, err := db.AddSubscription(ctx, store.Subscription{User: "ana", Email: "ops@example.org"}); err != nil { // the admins'
		t.Fatal(err)
	}
	sub, err := db.AddSubscription(ctx, store.Subscription{User: "ana", Owner: "ana", Email: "ana@example.org"})
	must(err)
	q, err := db.QueueMail(ctx, sub.ID, 2, "", []store.Mail{{Kind: store.MailChange, Key: "change/1/1", To: sub.Email, Message: []byte("sent")},
		{Kind: store.MailChange, Key: "change/1/2", To: sub.Email, Message: []byte("to send")}})
	must(err)
	q[0].State = store.DeliveryDelivered
	must(db.RecordMail(ctx, q[0]))
	_, err = db.PutSupplier(ctx, store.Supplier{Name: "Acme", Products: []store.Product{{Name: "App", Sources: []string{"s0"}}}})
	must(err)
	_, err = db.CreateSupplierToken(ctx, "Acme")
	must(err)
	_, err = db.AddNotification(ctx, store.Notification{Supplier: "Acme", Date: "2024-02-01", Tickets: []store.Ticket{{Kind: store.TicketAppear, Text: "x"}}})
	must(err)
	_, err = db.AddRubric(ctx, store.Rubric{Version: "1", Released: "2024-01-01"})
	must(err)
	_, err = db.PinBaseline(ctx, store.Baseline{Source: ids[0], Name: "award", Version: 1})
	must(err)
}

// same fails t unless a and b encode to the same JSON.
func same(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("%s differs:\nbbolt    %s\npostgres %s", what, ja, jb)
	}
}

// TestCopyFrom: a bbolt database copied into PostgreSQL reads the same
// through the contract, its log has the same root and checkpoints, and
// it goes on recording.
func TestCopyFrom(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	bolt, err := store.Open(filepath.Join(dir, "cw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	fill(t, bolt)
	dsn := pgtest.DB(t)
	if other, err := pgstore.Open(ctx, pgtest.DB(t), pgstore.Options{KeyFile: filepath.Join(dir, "other.key")}); err != nil {
		t.Fatal(err)
	} else {
		_, err := other.CopyFrom(ctx, bolt)
		if !errors.Is(err, store.ErrKey) {
			t.Errorf("copy into a database with another key: %v, want ErrKey", err)
		}
		other.Close()
	}
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: bolt.KeyFile()})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	n, err := pg.CopyFrom(ctx, bolt)
	if err != nil {
		t.Fatal(err)
	}
	if n.Sources != 3 || n.Fetches != 15 || n.LogSize != 15 || n.Changes != 6 || n.Deliveries != 1 || n.Checkpoints == 0 || n.Sessions != 1 || n.Mails != 2 {
		t.Errorf("copied %+v", n)
	}
	// Sessions (so people stay signed in) and every message's body, sent
	// or not, are the same.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sessions []store.Session
	if err := bolt.EachSession(ctx, func(s store.Session) error { sessions = append(sessions, s); return nil }); err != nil || len(sessions) != 1 {
		t.Fatalf("bbolt sessions: %v, %v", sessions, err)
	}
	for _, s := range sessions {
		var doc store.Session
		if err := conn.QueryRow(ctx, "SELECT doc FROM sessions WHERE hash = $1", s.Hash).Scan(&doc); err != nil {
			t.Errorf("session %.8s… not copied: %v", s.Hash, err)
		}
		same(t, "session", s, doc)
	}
	if err := bolt.EachMail(ctx, func(m store.Mail, pending bool) error {
		var doc store.Mail
		var pend bool
		if err := conn.QueryRow(ctx, "SELECT doc, pending FROM mail_outbox WHERE id = $1", m.ID).Scan(&doc, &pend); err != nil {
			return fmt.Errorf("mail %d: %w", m.ID, err)
		}
		if len(m.Message) == 0 || string(doc.Message) != string(m.Message) || pend != pending {
			t.Errorf("mail %d: body %q pending %v in PostgreSQL, %q %v in bbolt", m.ID, doc.Message, pend, m.Message, pending)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	var s store.Store = bolt
	var p store.Store = pg
	read := map[string]func(store.Store) (any, error){
		"instance": func(db store.Store) (any, error) { return db.Instance(ctx) },
		"sources":  func(db store.Store) (any, error) { return db.Sources(ctx) },
		"changes":  func(db store.Store) (any, error) { return db.Changes(ctx, store.ChangeFilter{Reextracted: true}) },
		"page": func(db store.Store) (any, error) {
			c, _, err := db.ChangePage(ctx, store.ChangeQuery{Supplier: "Acme"})
			return c, err
		},
		"dues":         func(db store.Store) (any, error) { return db.Dues(ctx) },
		"tokens":       func(db store.Store) (any, error) { return db.Tokens(ctx) },
		"webhooks":     func(db store.Store) (any, error) { return db.Webhooks(ctx) },
		"deliveries":   func(db store.Store) (any, error) { return db.Deliveries(ctx, 1, 0) },
		"subs":         func(db store.Store) (any, error) { return db.Subscriptions(ctx) },
		"ana's subs":   func(db store.Store) (any, error) { return db.SubscriptionsOf(ctx, "ana") },
		"admins' subs": func(db store.Store) (any, error) { return db.SubscriptionsOf(ctx, "") },
		"mails":        func(db store.Store) (any, error) { return db.Mails(ctx, 0, 0) },
		"pending":      func(db store.Store) (any, error) { return db.PendingMail(ctx) },
		"suppliers":    func(db store.Store) (any, error) { return db.Suppliers(ctx) },
		"notes":        func(db store.Store) (any, error) { return db.Notifications(ctx, "") },
		"rubrics":      func(db store.Store) (any, error) { return db.Rubrics(ctx) },
		"baselines":    func(db store.Store) (any, error) { return db.Baselines(ctx, 0) },
		"latest":       func(db store.Store) (any, error) { return db.LatestCheckpoint(ctx) },
		"checkpoints":  func(db store.Store) (any, error) { return db.Checkpoints(ctx) },
		"key":          func(db store.Store) (any, error) { return db.PublicKey(ctx) },
		"blob stats":   func(db store.Store) (any, error) { c, b, err := db.BlobStats(ctx); return [2]int64{int64(c), b}, err },
		"census":       func(db store.Store) (any, error) { return db.Census(ctx, time.Date(2024, 1, 1, 3, 0, 0, 0, time.UTC)) },
	}
	for id := uint64(1); id <= 3; id++ {
		read[fmt.Sprintf("state %d", id)] = func(db store.Store) (any, error) { return db.State(ctx, id) }
		read[fmt.Sprintf("fetches %d", id)] = func(db store.Store) (any, error) { return db.Fetches(ctx, id, time.Time{}, time.Time{}, 0) }
		read[fmt.Sprintf("versions %d", id)] = func(db store.Store) (any, error) { return db.Versions(ctx, id) }
		read[fmt.Sprintf("generation 1 of %d", id)] = func(db store.Store) (any, error) { return db.GenerationVersions(ctx, id, 1) }
	}
	for what, f := range read {
		a, errA := f(s)
		b, errB := f(p)
		if errA != nil || errB != nil {
			t.Errorf("%s: %v / %v", what, errA, errB)
			continue
		}
		same(t, what, a, b)
	}
	fs, _ := bolt.Fetches(ctx, 1, time.Time{}, time.Time{}, 0)
	for _, f := range fs {
		a, _ := bolt.Blob(ctx, f.BodySHA256)
		b, err := pg.Blob(ctx, f.BodySHA256)
		if err != nil || string(a) != string(b) {
			t.Errorf("body %s: %q / %q, %v", f.BodySHA256, a, b, err)
		}
	}
	if rep, err := pg.CheckLog(ctx); err != nil || !rep.OK() || rep.Size != 15 {
		t.Errorf("log check of the copy: %+v, %v", rep, err)
	}
	if err := pg.Check(ctx); err != nil {
		t.Error(err)
	}
	// It goes on: a new fetch joins the same log, a new source gets the
	// next ID.
	st, _ := pg.State(ctx, 1)
	f, _, err := pg.Record(ctx, store.Record{State: st, Seen: true, Fetch: store.Fetch{SourceID: 1, Start: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), URL: "https://x.example/", Outcome: store.OutcomeUnchanged}})
	if err != nil || f.ID != 16 {
		t.Errorf("record after the copy: fetch %d, %v", f.ID, err)
	}
	if src, err := pg.AddSource(ctx, store.Source{Name: "s3", URL: "https://s3.example/"}); err != nil || src.ID != 4 {
		t.Errorf("source after the copy: %d, %v", src.ID, err)
	}
	if rep, err := pg.CheckLog(ctx); err != nil || !rep.OK() {
		t.Errorf("log check after recording on: %+v, %v", rep.Problems, err)
	}
	if _, err := pg.CopyFrom(ctx, bolt); !errors.Is(err, store.ErrExists) {
		t.Errorf("a second copy into the same database: %v, want ErrExists", err)
	}
}
