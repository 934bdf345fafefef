-- Articles and their full-text index. `source` is where an article came from
-- (a seed file path, or path#id for JSON Lines) and identifies it across edits.
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    date         TEXT NOT NULL,          -- YYYY-MM-DD
    body         TEXT NOT NULL,          -- one paragraph per line
    content_hash TEXT NOT NULL UNIQUE,
    ingested_at  TEXT NOT NULL,          -- ISO 8601, UTC
    updated_at   TEXT NOT NULL
);
CREATE INDEX articles_by_date ON articles (date DESC, id DESC);
CREATE INDEX articles_by_ingest ON articles (ingested_at);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
