-- Topic counts kept as articles arrive (SQLite migration 006), so that trending, `topics
-- all`, topic lookups and a topic's newest articles read a few hundred counts instead of
-- every article's topics. Triggers run once per statement on the rows it changed (a batch
-- of articles is one statement), and keep the counts equal to a recount after inserts,
-- edits (a new date moves the article's counts) and deletes; the counts of an existing
-- database are filled in at the end.

-- How many articles of a day carry a topic, and the sum of its rank in them (for the
-- average rank that breaks ties between equally frequent topics).
CREATE TABLE topic_days (
    day      date NOT NULL,
    topic_id bigint NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    articles integer NOT NULL,
    rank_sum bigint NOT NULL,
    PRIMARY KEY (day, topic_id)
);
CREATE INDEX topic_days_by_topic ON topic_days (topic_id, day);

-- How many articles each day has.
CREATE TABLE article_days (
    day      date PRIMARY KEY,
    articles integer NOT NULL
);

-- All-time totals per topic (future-dated articles included), for `topics all`, topic
-- autocomplete and lookups, which rank topics by how many articles carry them.
ALTER TABLE topics ADD COLUMN articles integer NOT NULL DEFAULT 0,
                   ADD COLUMN rank_sum bigint NOT NULL DEFAULT 0;
CREATE INDEX topics_by_articles ON topics (articles DESC);

-- Topic keys indexed by trigrams, so a lookup (`/news topic putin`: keys that contain
-- "putin") does not read every topic of a big archive (labels have theirs, migration 006).
CREATE INDEX topics_key_trigrams ON topics USING gin (key gin_trgm_ops);

-- Processes that write articles at once would take the same counts' rows in different
-- orders and deadlock; they take turns instead (they would wait on the busiest topics'
-- rows anyway). The store takes this lock before its first write; the triggers take it
-- for any other writer.
CREATE FUNCTION newsbot_counts_lock() RETURNS void LANGUAGE sql AS
$$ SELECT pg_advisory_xact_lock(7239508217); $$;

-- Adds the topics of inserted article_topics rows (`changed`) to the counts, or takes
-- away those of deleted ones, at their articles' dates.
CREATE FUNCTION newsbot_count_article_topics() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    step integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM newsbot_counts_lock();
    INSERT INTO topic_days AS d (day, topic_id, articles, rank_sum)
    SELECT a.date, c.topic_id, step * count(*), step * sum(c.rank)
    FROM changed c JOIN articles a ON a.id = c.article_id
    GROUP BY a.date, c.topic_id ORDER BY 1, 2
    ON CONFLICT (day, topic_id) DO UPDATE
        SET articles = d.articles + excluded.articles, rank_sum = d.rank_sum + excluded.rank_sum;
    IF step < 0 THEN
        DELETE FROM topic_days d USING changed c, articles a
        WHERE a.id = c.article_id AND d.day = a.date AND d.topic_id = c.topic_id
          AND d.articles = 0;
    END IF;
    UPDATE topics t SET articles = t.articles + g.n, rank_sum = t.rank_sum + g.ranks
    FROM (SELECT topic_id, step * count(*) AS n, step * sum(rank) AS ranks
          FROM changed GROUP BY topic_id) g
    WHERE t.id = g.topic_id;
    RETURN NULL;
END $$;

CREATE TRIGGER article_topics_count_insert AFTER INSERT ON article_topics
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION newsbot_count_article_topics();
CREATE TRIGGER article_topics_count_delete AFTER DELETE ON article_topics
REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION newsbot_count_article_topics();

-- An article's topics go before the article, while its date can still be looked up (the
-- cascade of the foreign key runs after it is gone). No newsbot command deletes articles.
CREATE FUNCTION newsbot_uncount_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM article_topics WHERE article_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER articles_topics_delete BEFORE DELETE ON articles
FOR EACH ROW EXECUTE FUNCTION newsbot_uncount_article();

-- Articles per day, for inserted (`changed` new rows) or deleted (old rows) articles.
CREATE FUNCTION newsbot_count_articles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    step integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM newsbot_counts_lock();
    INSERT INTO article_days AS d (day, articles)
    SELECT date, step * count(*) FROM changed GROUP BY date ORDER BY date
    ON CONFLICT (day) DO UPDATE SET articles = d.articles + excluded.articles;
    IF step < 0 THEN
        DELETE FROM article_days WHERE articles = 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_day_insert AFTER INSERT ON articles
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION newsbot_count_articles();
CREATE TRIGGER articles_day_delete AFTER DELETE ON articles
REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION newsbot_count_articles();

-- An edit that changes an article's date moves its article and topic counts to the new
-- day. (Per row, but only for the rare edit of a date: other updates never run it.)
CREATE FUNCTION newsbot_move_article() RETURNS trigger LANGUAGE plpgsql AS $$
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
    RETURN NULL;
END $$;

CREATE TRIGGER articles_day_update AFTER UPDATE OF date ON articles
FOR EACH ROW WHEN (OLD.date <> NEW.date) EXECUTE FUNCTION newsbot_move_article();

-- Backfill for a database that already has articles.
INSERT INTO topic_days (day, topic_id, articles, rank_sum)
SELECT a.date, at.topic_id, count(*), sum(at.rank)
FROM article_topics at JOIN articles a ON a.id = at.article_id
GROUP BY a.date, at.topic_id;
INSERT INTO article_days (day, articles) SELECT date, count(*) FROM articles GROUP BY date;
UPDATE topics t SET articles = g.n, rank_sum = g.ranks
FROM (SELECT topic_id, count(*) AS n, sum(rank) AS ranks FROM article_topics GROUP BY topic_id) g
WHERE t.id = g.topic_id;
