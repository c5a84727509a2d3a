-- Up Migration
-- History in bulk: a backfill publishes its sales in chunks (one Kafka message for up to a thousand lines).
-- The consumer writes a chunk's sales with `bulk` set and records the chunk in `sale_chunks`, in the same
-- transaction. Debezium captures the chunk (one change event), not each of its rows: the publication
-- leaves bulk rows out, and the analytics worker and the notifier read a chunk's sales from `sales` when
-- its event arrives. Any later change of a bulk row (completion, amendment, cancellation, an edit by hand)
-- clears `bulk`, so it is captured like any change: pgoutput sends it as an insert of the new row (the old
-- row was never sent), and the analytics worker subtracts what its own record of the sale says it counted.
ALTER TABLE sales ADD COLUMN bulk boolean NOT NULL DEFAULT false;
-- A chunk's sales by where its message sat (only bulk rows are in it).
CREATE INDEX sales_bulk_chunk_idx ON sales (kafka_topic, kafka_partition, kafka_offset) WHERE bulk;

CREATE OR REPLACE FUNCTION sales_touch_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_at := clock_timestamp();
  IF TG_OP = 'UPDATE' THEN
    NEW.bulk := false;
  END IF;
  RETURN NEW;
END
$$;

CREATE TABLE sale_chunks (
  kafka_topic      text NOT NULL,
  kafka_partition  integer NOT NULL,
  kafka_offset     bigint NOT NULL,
  feed             text NOT NULL,
  -- Sales in the message (some may have been stored before: a sale id is stored once).
  sales            integer NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);
GRANT SELECT ON sale_chunks TO sales_cdc;

ALTER PUBLICATION sales_pipeline_cdc DROP TABLE sales;
ALTER PUBLICATION sales_pipeline_cdc ADD TABLE sales WHERE (NOT bulk), sale_chunks;

-- Down Migration
ALTER PUBLICATION sales_pipeline_cdc DROP TABLE sales, sale_chunks;
ALTER PUBLICATION sales_pipeline_cdc ADD TABLE sales;
DROP TABLE sale_chunks;
CREATE OR REPLACE FUNCTION sales_touch_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_at := clock_timestamp();
  RETURN NEW;
END
$$;
DROP INDEX sales_bulk_chunk_idx;
ALTER TABLE sales DROP COLUMN bulk;
