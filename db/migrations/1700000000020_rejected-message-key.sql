-- Up Migration
-- A message the consumer refused is kept whole, so that `dlq replay` re-sends it as it came: its key
-- (the products and stores topics are compacted: Kafka refuses a record without a key there, and the
-- key decides the partition of a sale) and its headers (line-seen-at, …), each value base64 so that
-- binary headers survive: {"name": ["base64", …]}. NULL for rows rejected before these columns existed.
ALTER TABLE rejected_rows ADD COLUMN kafka_key bytea;
ALTER TABLE rejected_rows ADD COLUMN kafka_headers jsonb;

-- Down Migration
ALTER TABLE rejected_rows DROP COLUMN kafka_headers;
ALTER TABLE rejected_rows DROP COLUMN kafka_key;
