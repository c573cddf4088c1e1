-- The Pi's Bluetooth adapter can get stuck (discovery reported on, nothing heard):
-- the reader restarts its scan by itself and says so with this problem of the Pi's bridge.
ALTER TABLE problems DROP CONSTRAINT problems_code_check;
ALTER TABLE problems ADD CONSTRAINT problems_code_check CHECK (code IN (
    'valve_unreachable', 'bridge_unreachable', 'boiler_unreachable',
    'thermometer_stale', 'battery_low', 'controller_silent', 'meter_silent', 'valve_unpaired',
    'adapter_stuck'));
