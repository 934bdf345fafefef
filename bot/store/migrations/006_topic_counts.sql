-- Topic counts kept as articles arrive, so `/news topics` reads a few hundred rows a day
-- of the period instead of every article's topics. Triggers keep them equal to a recount
-- after inserts, edits (a new date moves the article's counts) and deletes; the counts of
-- an existing database are filled in at the end.

-- How many articles of a day carry a topic, and the sum of its rank in them (for the
-- average rank that breaks ties between equally frequent topics).
CREATE TABLE topic_days (
    day      TEXT NOT NULL,
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    articles INTEGER NOT NULL,
    rank_sum INTEGER NOT NULL,
    PRIMARY KEY (day, topic_id)
) WITHOUT ROWID;
CREATE INDEX topic_days_by_topic ON topic_days (topic_id, day);

-- How many articles each day has.
CREATE TABLE article_days (
    day      TEXT PRIMARY KEY,
    articles INTEGER NOT NULL
) WITHOUT ROWID;

-- All-time totals per topic (future-dated articles included), for `topics all`,
-- topic autocomplete and lookups, which rank topics by how many articles carry them.
ALTER TABLE topics ADD COLUMN articles INTEGER NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN rank_sum INTEGER NOT NULL DEFAULT 0;
CREATE INDEX topics_by_articles ON topics (articles DESC);

CREATE TRIGGER article_topics_count_insert AFTER INSERT ON article_topics BEGIN
    INSERT INTO topic_days (day, topic_id, articles, rank_sum)
    SELECT date, new.topic_id, 1, new.rank FROM articles WHERE id = new.article_id
    ON CONFLICT (day, topic_id) DO UPDATE
        SET articles = articles + 1, rank_sum = rank_sum + excluded.rank_sum;
    UPDATE topics SET articles = articles + 1, rank_sum = rank_sum + new.rank
    WHERE id = new.topic_id;
END;

CREATE TRIGGER article_topics_count_delete AFTER DELETE ON article_topics BEGIN
    UPDATE topic_days SET articles = articles - 1, rank_sum = rank_sum - old.rank
    WHERE topic_id = old.topic_id
      AND day = (SELECT date FROM articles WHERE id = old.article_id);
    DELETE FROM topic_days
    WHERE topic_id = old.topic_id AND articles = 0
      AND day = (SELECT date FROM articles WHERE id = old.article_id);
    UPDATE topics SET articles = articles - 1, rank_sum = rank_sum - old.rank
    WHERE id = old.topic_id;
END;

-- An article's topics go before the article, while its date can still be looked up
-- (the cascade of the foreign key would run after it is gone).
CREATE TRIGGER articles_topics_delete BEFORE DELETE ON articles BEGIN
    DELETE FROM article_topics WHERE article_id = old.id;
END;

CREATE TRIGGER articles_day_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_days (day, articles) VALUES (new.date, 1)
    ON CONFLICT (day) DO UPDATE SET articles = articles + 1;
END;

CREATE TRIGGER articles_day_delete AFTER DELETE ON articles BEGIN
    UPDATE article_days SET articles = articles - 1 WHERE day = old.date;
    DELETE FROM article_days WHERE day = old.date AND articles = 0;
END;

CREATE TRIGGER articles_day_update AFTER UPDATE OF date ON articles
WHEN old.date <> new.date BEGIN
    UPDATE article_days SET articles = articles - 1 WHERE day = old.date;
    DELETE FROM article_days WHERE day = old.date AND articles = 0;
    INSERT INTO article_days (day, articles) VALUES (new.date, 1)
    ON CONFLICT (day) DO UPDATE SET articles = articles + 1;
    UPDATE topic_days
    SET articles = articles - 1,
        rank_sum = rank_sum - (SELECT rank FROM article_topics
                               WHERE article_id = new.id AND topic_id = topic_days.topic_id)
    WHERE day = old.date
      AND topic_id IN (SELECT topic_id FROM article_topics WHERE article_id = new.id);
    DELETE FROM topic_days WHERE day = old.date AND articles = 0;
    INSERT INTO topic_days (day, topic_id, articles, rank_sum)
    SELECT new.date, topic_id, 1, rank FROM article_topics WHERE article_id = new.id
    ON CONFLICT (day, topic_id) DO UPDATE
        SET articles = articles + 1, rank_sum = rank_sum + excluded.rank_sum;
END;

-- Backfill for a database that already has articles.
INSERT INTO topic_days (day, topic_id, articles, rank_sum)
SELECT a.date, at.topic_id, count(*), sum(at.rank)
FROM article_topics at JOIN articles a ON a.id = at.article_id
GROUP BY a.date, at.topic_id;
INSERT INTO article_days (day, articles) SELECT date, count(*) FROM articles GROUP BY date;
UPDATE topics SET (articles, rank_sum) = (
    SELECT count(*), coalesce(sum(rank), 0) FROM article_topics WHERE topic_id = topics.id
);
