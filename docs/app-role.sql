-- The app's own database role: it reads and writes the app's tables, but may only read and
-- append the audit tables, so it cannot change, remove or truncate the trail, nor lift the
-- triggers that refuse it (only the tables' owner may). Run with psql as the owner of the tables
-- (the role that runs `manage.py migrate`), in the app's database, after every migrate; running
-- it again changes nothing. Create the login role once, beforehand:
--   CREATE ROLE safeguard_app LOGIN PASSWORD '…';
\set ON_ERROR_STOP on
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO safeguard_app;
GRANT USAGE ON SCHEMA public TO safeguard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO safeguard_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO safeguard_app;
REVOKE ALL ON safeguard_auditevent, safeguard_auditcheck, safeguard_auditcheckpoint,
  safeguard_auditrechain FROM safeguard_app;
GRANT SELECT, INSERT ON safeguard_auditevent, safeguard_auditcheck, safeguard_auditcheckpoint
  TO safeguard_app;
-- The rechaining record is written by the migration alone.
GRANT SELECT ON safeguard_auditrechain TO safeguard_app;
