-- A rate limit shared by every process on one bot token (Discord's global 50 requests a
-- second): each send reserves the next free slot of its key, on the database's clock.
CREATE TABLE pace (
    key     text PRIMARY KEY,        -- "discord": one per platform
    next_at timestamptz NOT NULL     -- the end of the last slot reserved
);
