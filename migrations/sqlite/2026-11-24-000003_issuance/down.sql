DROP INDEX provisioned_credentials_notification;
ALTER TABLE provisioned_credentials DROP COLUMN notification_id;
DROP TABLE issue_requests;
DROP TABLE issuance_events;
DROP TABLE deferred_requests;
DROP TABLE used_nonces;
DROP TABLE access_tokens;
DROP TABLE credential_offers;
