-- An override "until I cancel it": no end (NULL) until it is ended by hand.
-- Commands to the valves still expire by themselves (docs/control.md); only
-- the target has no end.
ALTER TABLE overrides ALTER COLUMN ends_at DROP NOT NULL;
