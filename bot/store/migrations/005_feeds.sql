-- Feeds (from the config or /news source-add) with their fetch state and health,
-- and what articles now carry from feeds: a web address, an author, and whether subscriptions
-- announce them (a feed's first poll is archive, not news).
ALTER TABLE articles ADD COLUMN url TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN author TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN announce INTEGER NOT NULL DEFAULT 1;

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    url              TEXT NOT NULL,
    poll_seconds     INTEGER NOT NULL,
    topics           TEXT NOT NULL DEFAULT '[]',  -- JSON list of topic labels
    full_text        INTEGER NOT NULL DEFAULT 0,
    origin           TEXT NOT NULL CHECK (origin IN ('config', 'command')),
    created_at       TEXT NOT NULL,               -- ISO 8601, UTC
    etag             TEXT,                        -- validators for a conditional GET
    last_modified    TEXT,
    last_fetch_at    TEXT,
    last_success_at  TEXT,                        -- NULL: never read, the next poll is its first
    last_status      INTEGER,                     -- HTTP status of the last answer
    last_items       INTEGER,                     -- entries in the last feed read
    failures         INTEGER NOT NULL DEFAULT 0,  -- in a row; reset by a success
    last_error       TEXT,
    next_poll_at     TEXT,                        -- not before (backoff, Retry-After)
    disabled_reason  TEXT                         -- set after repeated failure
);
