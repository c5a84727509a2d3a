-- Up Migration
-- What each source is: 'http' (sales pushed to the ingest server, sale ids `<source>/http/<id>`) or 'feed'
-- (a file or URL the producer reads). The consumer records it with the feed's growth; feeds seen before
-- are classified from one of their sales.
ALTER TABLE feed_activity ADD COLUMN kind text CHECK (kind IN ('http', 'feed'));
UPDATE feed_activity a
   SET kind = (SELECT CASE WHEN starts_with(s.sale_id, a.feed || '/http/') THEN 'http' ELSE 'feed' END
                 FROM sales s WHERE s.feed = a.feed LIMIT 1);

-- Down Migration
ALTER TABLE feed_activity DROP COLUMN kind;
