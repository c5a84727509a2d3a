-- Up Migration
-- Where each sale was in Kafka, stored with the row in the consumer's transaction: `report explain` lists,
-- for any aggregate row, the sales behind it down to their topic, partition and offset (and their feed,
-- line and feed version). For an amended sale, the position of the version that set the row.
ALTER TABLE sales ADD COLUMN kafka_topic text;
ALTER TABLE sales ADD COLUMN kafka_partition integer;
ALTER TABLE sales ADD COLUMN kafka_offset bigint;
-- No index for `report explain` (a product's, store's or day's sales): every index would cost every live
-- sale a write, and explain is an occasional question; it reads the table.

-- Down Migration
ALTER TABLE sales DROP COLUMN kafka_offset, DROP COLUMN kafka_partition, DROP COLUMN kafka_topic;
