-- Which process sends each channel's posts, until when: processes share the sending by
-- channel, and a dead process's channels are taken over when its lease expires.
CREATE TABLE channel_leases (
    channel    text PRIMARY KEY,
    owner      text NOT NULL,          -- host:pid:instance of the process
    expires_at timestamptz NOT NULL
);
