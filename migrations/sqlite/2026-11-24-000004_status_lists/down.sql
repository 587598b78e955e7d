DROP INDEX user_credentials_expiry;
DROP TABLE job_leases;
DROP TABLE status_entries;
DROP TABLE status_lists;
