-- Up Migration
-- The exact bytes of each rejected line: raw_line is text, so invalid UTF-8 and NUL are replaced in it
-- (lossy). With the bytes, a corrected line can be replayed exactly. NULL for rows stored before.
ALTER TABLE rejected_rows ADD COLUMN raw_bytes bytea;

-- Down Migration
ALTER TABLE rejected_rows DROP COLUMN raw_bytes;
