-- E-mail subscriptions get an owner (decision record 0046): the signed-in
-- name whose subscription it is, kept in its own column so that a user's
-- list and a user's delete are one indexed condition. Subscriptions made
-- before owners have none ('') and stay the admins', as in bbolt, whose
-- records read a missing "owner" as "".
ALTER TABLE mail_subs ADD COLUMN owner text NOT NULL DEFAULT '';
UPDATE mail_subs SET owner = coalesce(doc->>'owner', '');
CREATE INDEX mail_subs_owner ON mail_subs (owner, id);
