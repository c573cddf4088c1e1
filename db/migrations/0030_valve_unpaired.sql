-- A valve on eQ-3 firmware 1.48 or later refuses commands until it is paired with
-- the PIN on its display: that is a problem of its own (the household must act),
-- not a valve that does not answer.
ALTER TABLE problems DROP CONSTRAINT problems_code_check;
ALTER TABLE problems ADD CONSTRAINT problems_code_check CHECK (code IN (
    'valve_unreachable', 'bridge_unreachable', 'boiler_unreachable',
    'thermometer_stale', 'battery_low', 'controller_silent', 'meter_silent', 'valve_unpaired'));
