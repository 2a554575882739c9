-- The run store's database and role (CrossRec creates its tables itself on first use).
-- Run once: sudo -u postgres psql -f deploy/postgres-init.sql ; then allow the nodes in pg_hba.conf.
CREATE ROLE crossrec LOGIN;
CREATE DATABASE crossrec OWNER crossrec;
