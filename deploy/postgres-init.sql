-- The run store's database and role (CrossRec creates its tables itself on first use).
-- Run once, with the role's password from a variable (never typed into this file):
--   sudo -u postgres psql -v crossrec_password="$CROSSREC_DB_PASSWORD" -f deploy/postgres-init.sql
-- then allow the nodes in pg_hba.conf (scram-sha-256).
\if :{?crossrec_password}
\else
  \echo 'set the password: psql -v crossrec_password="$CROSSREC_DB_PASSWORD" -f deploy/postgres-init.sql'
  \quit
\endif
CREATE ROLE crossrec LOGIN PASSWORD :'crossrec_password';
CREATE DATABASE crossrec OWNER crossrec;
