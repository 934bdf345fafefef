-- Topic keys indexed by trigrams, so `/news topic putin` finds the keys that contain
-- "putin" (three characters or more) without reading every topic of a big archive, as
-- autocomplete does with labels (migration 008).
CREATE VIRTUAL TABLE topic_keys USING fts5 (
    key,
    content = 'topics', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER topics_key_insert AFTER INSERT ON topics BEGIN
    INSERT INTO topic_keys (rowid, key) VALUES (new.id, new.key);
END;
CREATE TRIGGER topics_key_delete AFTER DELETE ON topics BEGIN
    INSERT INTO topic_keys (topic_keys, rowid, key) VALUES ('delete', old.id, old.key);
END;
CREATE TRIGGER topics_key_update AFTER UPDATE OF key ON topics BEGIN
    INSERT INTO topic_keys (topic_keys, rowid, key) VALUES ('delete', old.id, old.key);
    INSERT INTO topic_keys (rowid, key) VALUES (new.id, new.key);
END;

INSERT INTO topic_keys (topic_keys) VALUES ('rebuild');
