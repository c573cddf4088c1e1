-- One controller holds the house. Two control loops driving the same valves
-- and boiler record every change twice and undo each other's hand-back, so
-- the loop takes this lease at start and renews it every tick. The lease is
-- one row (the singleton key makes a second one impossible); releasing it
-- clears the holder but keeps last_tick_at, so the page can still say when
-- the house was last controlled. Times are the API's clock (simulated in the
-- demo), not PostgreSQL's now().

CREATE TABLE controller_lease (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    holder        text CHECK (length(holder) BETWEEN 1 AND 200),
    acquired_at   timestamptz,
    expires_at    timestamptz,
    last_tick_at  timestamptz,
    -- A holder always has a term; no holder, no term.
    CHECK ((holder IS NULL) = (expires_at IS NULL) AND (holder IS NULL) = (acquired_at IS NULL))
);

INSERT INTO controller_lease (singleton) VALUES (true);
