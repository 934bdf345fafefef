-- Reads that answer as a member types or asks for a topic, at 100,000 articles.

-- 1. A GIN index queues new entries in a pending list that every search reads in full
-- until a vacuum merges it (or it reaches 4 MB); after an ingest that was 360 pages for
-- the topic trigrams (a `/news topic government` lookup 33 ms instead of 0.4). These
-- indexes merge theirs at the smallest size allowed, 64 kB: searches read a few pages,
-- and writers still merge in batches (taking entries one by one cost the database side
-- of an ingest 20% more). Topic names are written once (their counts live apart, 2.),
-- titles once per article.
ALTER INDEX topics_key_trigrams SET (gin_pending_list_limit = 64);
ALTER INDEX topics_label_trigrams SET (gin_pending_list_limit = 64);
ALTER INDEX articles_title_search SET (gin_pending_list_limit = 64);
SELECT gin_clean_pending_list(name::regclass)
FROM unnest(ARRAY['topics_key_trigrams', 'topics_label_trigrams', 'articles_title_search']) name;

-- 2. All-time totals per topic in a table of their own: kept in `topics`, every batch of
-- articles rewrote the rows of the topics it counted (6-7 per article), and each new row
-- version went into both trigram indexes and every other index of `topics`.
CREATE TABLE topic_totals (
    topic_id bigint PRIMARY KEY REFERENCES topics (id) ON DELETE CASCADE,
    articles integer NOT NULL,
    rank_sum bigint NOT NULL
);
CREATE INDEX topic_totals_by_articles ON topic_totals (articles DESC);
INSERT INTO topic_totals (topic_id, articles, rank_sum)
SELECT id, articles, rank_sum FROM topics WHERE articles <> 0;
ALTER TABLE topics DROP COLUMN articles, DROP COLUMN rank_sum;

-- 3. Each article-topic row carries its article's date, indexed by topic and date, so a
-- topic's newest articles are the first rows of the index instead of all the topic's
-- rows joined to their articles (a topic in 10% of the archive read 2,216 rows for 10).
ALTER TABLE article_topics ADD COLUMN date date;
UPDATE article_topics at SET date = a.date FROM articles a WHERE a.id = at.article_id;
ALTER TABLE article_topics ALTER COLUMN date SET NOT NULL;
DROP INDEX article_topics_by_topic;
CREATE INDEX article_topics_by_topic_date ON article_topics (topic_id, date DESC, article_id DESC);

-- The store gives the date; any other writer gets its article's.
CREATE FUNCTION newsbot_article_topic_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT date INTO NEW.date FROM articles WHERE id = NEW.article_id;
    RETURN NEW;
END $$;
CREATE TRIGGER article_topics_date BEFORE INSERT ON article_topics
FOR EACH ROW WHEN (NEW.date IS NULL) EXECUTE FUNCTION newsbot_article_topic_date();

-- Migration 007's counting, with the totals in their table and the rows' own dates.
CREATE OR REPLACE FUNCTION newsbot_count_article_topics() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    step integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM newsbot_counts_lock();
    INSERT INTO topic_days AS d (day, topic_id, articles, rank_sum)
    SELECT date, topic_id, step * count(*), step * sum(rank)
    FROM changed GROUP BY date, topic_id ORDER BY 1, 2
    ON CONFLICT (day, topic_id) DO UPDATE
        SET articles = d.articles + excluded.articles, rank_sum = d.rank_sum + excluded.rank_sum;
    IF step < 0 THEN
        DELETE FROM topic_days d USING changed c
        WHERE d.day = c.date AND d.topic_id = c.topic_id AND d.articles = 0;
    END IF;
    INSERT INTO topic_totals AS t (topic_id, articles, rank_sum)
    SELECT topic_id, step * count(*), step * sum(rank) FROM changed GROUP BY topic_id ORDER BY 1
    ON CONFLICT (topic_id) DO UPDATE
        SET articles = t.articles + excluded.articles, rank_sum = t.rank_sum + excluded.rank_sum;
    RETURN NULL;
END $$;

-- Migration 007's re-dating, which now also re-dates the article's topic rows.
CREATE OR REPLACE FUNCTION newsbot_move_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM newsbot_counts_lock();
    INSERT INTO article_days AS d (day, articles)
    SELECT * FROM (VALUES (OLD.date, -1), (NEW.date, 1)) v ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET articles = d.articles + excluded.articles;
    DELETE FROM article_days WHERE day = OLD.date AND articles = 0;
    INSERT INTO topic_days AS d (day, topic_id, articles, rank_sum)
    SELECT v.day, at.topic_id, v.step, v.step * at.rank
    FROM article_topics at, (VALUES (OLD.date, -1), (NEW.date, 1)) v (day, step)
    WHERE at.article_id = NEW.id ORDER BY 1, 2
    ON CONFLICT (day, topic_id) DO UPDATE
        SET articles = d.articles + excluded.articles, rank_sum = d.rank_sum + excluded.rank_sum;
    DELETE FROM topic_days
    WHERE day = OLD.date AND articles = 0
      AND topic_id IN (SELECT topic_id FROM article_topics WHERE article_id = NEW.id);
    UPDATE article_topics SET date = NEW.date WHERE article_id = NEW.id;
    RETURN NULL;
END $$;
