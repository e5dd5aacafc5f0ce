package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var hookCases = []Case{
	{"Hooks/CursorAndDeliveries", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		_, err := db.AddWebhook(ctx, store.Webhook{URL: "https://hooks.example/x", Format: "xml"})
		wantErr(t, "bad format", err, store.ErrInvalid)
		_, err = db.AddWebhook(ctx, store.Webhook{URL: "not a url"})
		wantErr(t, "bad URL", err, store.ErrInvalid)
		src := addSource(t, db, "alpha", "").ID
		ids := changes(t, db, []uint64{src}, 2)
		h, err := db.AddWebhook(ctx, store.Webhook{URL: "https://hooks.example/x"})
		if err != nil || h.ID == 0 || h.Format != store.HookJSON || !strings.HasPrefix(h.Secret, "whsec_") || h.Cursor != ids[1] || !h.Created.Equal(clock.Now()) {
			t.Fatalf("webhook %+v, %v (a new hook starts after the last change)", h, err)
		}
		h2, err := db.AddWebhook(ctx, store.Webhook{URL: "https://hooks.example/y", Format: store.HookSlack, Secret: "mine", RevetOnly: true})
		if err != nil || h2.Secret != "mine" || h2.ID == h.ID {
			t.Fatalf("second webhook %+v, %v", h2, err)
		}
		more := changes(t, db, []uint64{addSource(t, db, "beta", "").ID}, 3)
		pending := store.Delivery{Hook: h.ID, Change: more[0], State: store.DeliveryPending, Attempts: 1, Error: "timeout", First: t0, Last: t0, Next: t0.Add(time.Minute)}
		must(t, "pending", db.RecordDelivery(ctx, pending))
		if got, _ := db.Webhook(ctx, h.ID); got.Cursor != ids[1] {
			t.Errorf("a pending delivery moved the cursor to %d", got.Cursor)
		}
		must(t, "delivered", db.RecordDelivery(ctx, store.Delivery{Hook: h.ID, Change: more[1], State: store.DeliveryDelivered, Attempts: 1, Status: 200, First: t0, Last: t0}))
		if got, _ := db.Webhook(ctx, h.ID); got.Cursor != more[1] {
			t.Errorf("cursor %d after delivering %d", got.Cursor, more[1])
		}
		dl, err := db.Delivery(ctx, h.ID, more[0])
		if err != nil || dl.Error != "timeout" || !dl.Next.Equal(t0.Add(time.Minute)) {
			t.Errorf("Delivery = %+v, %v", dl, err)
		}
		_, err = db.Delivery(ctx, h2.ID, more[0])
		wantErr(t, "no such delivery", err, store.ErrNotFound)
		wantErr(t, "delivery to an unknown hook", db.RecordDelivery(ctx, store.Delivery{Hook: 99, Change: 1, State: store.DeliveryFailed}), store.ErrNotFound)
		must(t, "h2 delivery", db.RecordDelivery(ctx, store.Delivery{Hook: h2.ID, Change: more[2], State: store.DeliveryFailed}))
		dls, _ := db.Deliveries(ctx, h.ID, 0)
		if len(dls) != 2 || dls[0].Change != more[1] || dls[1].Change != more[0] {
			t.Errorf("Deliveries newest change first: %+v", dls)
		}
		if dls, _ := db.Deliveries(ctx, h.ID, 1); len(dls) != 1 || dls[0].Change != more[1] {
			t.Errorf("Deliveries limit 1: %+v", dls)
		}
		must(t, "skip back", db.SkipChange(ctx, h.ID, ids[0]))
		must(t, "skip on", db.SkipChange(ctx, h.ID, more[2]))
		if got, _ := db.Webhook(ctx, h.ID); got.Cursor != more[2] {
			t.Errorf("cursor %d after skipping to %d (never backwards)", got.Cursor, more[2])
		}
		wantErr(t, "skip on unknown hook", db.SkipChange(ctx, 99, 1), store.ErrNotFound)
		must(t, "delete", db.DeleteWebhook(ctx, h.ID))
		wantErr(t, "delete again", db.DeleteWebhook(ctx, h.ID), store.ErrNotFound)
		_, err = db.Webhook(ctx, h.ID)
		wantErr(t, "deleted hook", err, store.ErrNotFound)
		if dls, _ := db.Deliveries(ctx, h.ID, 0); len(dls) != 0 {
			t.Errorf("deliveries outlive their hook: %+v", dls)
		}
		if dls, _ := db.Deliveries(ctx, h2.ID, 0); len(dls) != 1 {
			t.Errorf("the other hook's deliveries: %+v", dls)
		}
		hs, _ := db.Webhooks(ctx)
		if len(hs) != 1 || hs[0].ID != h2.ID {
			t.Errorf("Webhooks = %+v", hs)
		}
	}},
}
