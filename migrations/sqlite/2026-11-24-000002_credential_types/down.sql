DROP TABLE provisioned_credentials;
DROP TABLE user_credentials;
DROP TABLE credential_type_versions;
DROP TABLE credential_types;
