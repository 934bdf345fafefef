-- Subscriptions (from the config or from /news subscribe) and the delivery
-- ledger that makes each post happen exactly once.
CREATE TABLE subscriptions (
    id               INTEGER PRIMARY KEY,
    channel          TEXT NOT NULL,            -- console:news, discord:<id>, slack:<id>
    mode             TEXT NOT NULL CHECK (mode IN ('instant', 'digest')),
    schedule         TEXT NOT NULL DEFAULT '', -- cron line, digest mode only
    topics           TEXT NOT NULL DEFAULT '[]',  -- JSON list of canonical topic keys
    keywords         TEXT NOT NULL DEFAULT '[]',  -- JSON list, lower case
    exclude          TEXT NOT NULL DEFAULT '[]',  -- JSON list, lower case
    backfill         INTEGER NOT NULL DEFAULT 0,
    on_this_day      INTEGER NOT NULL DEFAULT 0,
    origin           TEXT NOT NULL CHECK (origin IN ('config', 'command')),
    config_key       TEXT UNIQUE,              -- origin='config': channel#ordinal
    after_article_id INTEGER NOT NULL,         -- articles with a larger id are new to it
    scanned_to       INTEGER NOT NULL,         -- every article up to this id has been considered
    created_at       TEXT NOT NULL,            -- ISO 8601, UTC
    last_digest_at   TEXT,                     -- digest mode: when the last one was built
    paused_reason    TEXT,                     -- set when the channel refused a post
    paused_at        TEXT
);
CREATE INDEX subscriptions_by_channel ON subscriptions (channel);

-- One row per (subscription, article). Rows posted together (an overflow or a
-- digest post) share post_key, which is also the platform idempotency key.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    article_id      INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    post_key        TEXT NOT NULL,
    post_kind       TEXT NOT NULL CHECK (post_kind IN ('item', 'overflow', 'digest', 'on_this_day')),
    state           TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
    message_id      TEXT,
    reason          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,             -- ISO 8601, UTC
    claimed_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (subscription_id, article_id)
);
CREATE INDEX deliveries_by_state ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_post ON deliveries (post_key);
CREATE INDEX deliveries_by_sent ON deliveries (sent_at);
