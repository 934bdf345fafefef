-- Small key/value facts the bot keeps about itself, such as the hash of the
-- Discord command tree last synced for each scope (so an unchanged tree is not
-- synced again on every start).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
