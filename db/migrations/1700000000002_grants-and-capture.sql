-- Up Migration
-- Least privilege for each role, and what change data capture needs.

GRANT USAGE ON SCHEMA public, analytics TO sales_app, sales_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, analytics TO sales_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, analytics TO sales_app;
GRANT SELECT ON ALL TABLES IN SCHEMA public, analytics TO sales_reader;
-- Tables added by later migrations (run by the same owner) get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public, analytics GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO sales_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, analytics GRANT USAGE, SELECT ON SEQUENCES TO sales_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, analytics GRANT SELECT ON TABLES TO sales_reader;

-- Debezium: read the captured tables (snapshot), write its heartbeat row, nothing else.
GRANT USAGE ON SCHEMA public TO sales_cdc;
GRANT SELECT ON products, stores, sales, cdc_heartbeat TO sales_cdc;
GRANT UPDATE ON cdc_heartbeat TO sales_cdc;

-- Before images of updates and deletes carry every column: the analytics worker subtracts the old row.
ALTER TABLE sales REPLICA IDENTITY FULL;
ALTER TABLE products REPLICA IDENTITY FULL;
ALTER TABLE stores REPLICA IDENTITY FULL;

-- The publication Debezium reads (publication.autocreate.mode=disabled): created here by the tables'
-- owner, so the CDC role needs no ownership and no superuser. The heartbeat table is in it so that
-- heartbeats reach Debezium and the slot advances while the other tables are quiet.
CREATE PUBLICATION sales_pipeline_cdc FOR TABLE products, stores, sales, cdc_heartbeat;

-- Down Migration
DROP PUBLICATION IF EXISTS sales_pipeline_cdc;
REVOKE ALL ON ALL TABLES IN SCHEMA public, analytics FROM sales_app, sales_reader, sales_cdc;
REVOKE ALL ON SCHEMA public, analytics FROM sales_app, sales_reader, sales_cdc;
