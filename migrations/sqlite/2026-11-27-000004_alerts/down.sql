DROP TABLE alerts;
DROP TABLE subscriptions;
DROP INDEX subscribers_unsubscribe;
DROP INDEX subscribers_confirmation;
ALTER TABLE subscribers DROP COLUMN unsubscribe_token;
ALTER TABLE subscribers DROP COLUMN confirmation_expires_at;
ALTER TABLE subscribers DROP COLUMN confirmation_token;
ALTER TABLE subscribers DROP COLUMN confirmed_at;
