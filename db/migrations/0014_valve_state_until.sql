-- A valve command now ends by itself on the valve: the eQ-3's away mode with an
-- end time, after which the valve returns to its own week program. A recorded
-- state carries that end ("until"), as the valve reported it, so readers know
-- the state holds only until then. NULL: the state has no end of its own
-- (the valve's own program, or a record from before this migration).
ALTER TABLE valve_states ADD COLUMN until timestamptz;
