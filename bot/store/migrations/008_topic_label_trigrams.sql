-- Topic labels indexed by trigrams, so autocomplete finds the labels that contain what
-- was typed (three characters or more) without reading every label of a big archive.
CREATE VIRTUAL TABLE topic_labels USING fts5 (
    label,
    content = 'topics', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER topics_label_insert AFTER INSERT ON topics BEGIN
    INSERT INTO topic_labels (rowid, label) VALUES (new.id, new.label);
END;
CREATE TRIGGER topics_label_delete AFTER DELETE ON topics BEGIN
    INSERT INTO topic_labels (topic_labels, rowid, label) VALUES ('delete', old.id, old.label);
END;
CREATE TRIGGER topics_label_update AFTER UPDATE OF label ON topics BEGIN
    INSERT INTO topic_labels (topic_labels, rowid, label) VALUES ('delete', old.id, old.label);
    INSERT INTO topic_labels (rowid, label) VALUES (new.id, new.label);
END;

INSERT INTO topic_labels (topic_labels) VALUES ('rebuild');
