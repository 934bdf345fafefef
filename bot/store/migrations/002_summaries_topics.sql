-- Text intelligence computed at ingest: the stored summary (JSON list of
-- sentences, at the configured length) and each article's ranked topics.
ALTER TABLE articles ADD COLUMN summary TEXT NOT NULL DEFAULT '[]';

CREATE TABLE topics (
    id    INTEGER PRIMARY KEY,
    key   TEXT NOT NULL UNIQUE,    -- canonical key: variants of a name share it
    label TEXT NOT NULL            -- how people write it: "Vladimir Putin"
);

CREATE TABLE article_topics (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    rank       INTEGER NOT NULL,   -- 1 is the article's main topic
    PRIMARY KEY (article_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX article_topics_by_topic ON article_topics (topic_id, article_id);
