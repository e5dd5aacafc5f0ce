-- E-mail subscriptions and their outbox (decision record 0034), as the
-- bbolt backend keeps them in mail_subs, mail_outbox, mail_keys and
-- mail_pending.
CREATE TABLE mail_subs (
	id  bigserial PRIMARY KEY,
	doc json NOT NULL
);

CREATE TABLE mail_outbox (
	id      bigserial PRIMARY KEY,
	sub     bigint NOT NULL,
	key     text NOT NULL UNIQUE,
	pending boolean NOT NULL,
	doc     json NOT NULL
);

CREATE INDEX mail_outbox_pending ON mail_outbox (id) WHERE pending;
CREATE INDEX mail_outbox_sub ON mail_outbox (sub, id);
