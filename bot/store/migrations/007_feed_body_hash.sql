-- The hash of a feed's last document that was read, so a server that ignores
-- conditional GETs but sends the same bytes again costs no parsing either.
ALTER TABLE feeds ADD COLUMN body_hash TEXT;
