-- Whether a request of a shared pace may go now (a generic cell rate algorithm):
-- next_at is when the next request is due, and one may go up to early_seconds before it;
-- each that goes moves next_at a slot past the later of next_at and now. Asked and
-- decided in one round trip, under the row's lock and on the server's clock, so
-- processes asking at once are spaced whatever their own delays. Also returns the
-- seconds until the next request may go.
CREATE FUNCTION pace_take(
    pace_key text,
    slot_seconds float8,
    early_seconds float8,
    OUT admitted boolean,
    OUT wait float8
)
LANGUAGE plpgsql AS $$
DECLARE
    due timestamptz;
    moment timestamptz;
BEGIN
    SELECT next_at INTO due FROM pace WHERE key = pace_key FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO pace (key, next_at) VALUES (pace_key, '-infinity')
            ON CONFLICT (key) DO NOTHING;
        SELECT next_at INTO due FROM pace WHERE key = pace_key FOR UPDATE;
    END IF;
    moment := clock_timestamp();
    admitted := due - make_interval(secs => early_seconds) <= moment;
    IF admitted THEN
        due := greatest(due, moment) + make_interval(secs => slot_seconds);
        UPDATE pace SET next_at = due WHERE key = pace_key;
    END IF;
    wait := greatest(extract(epoch FROM due - moment) - early_seconds, 0);
END
$$;
