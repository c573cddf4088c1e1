"""thermostat_reader: owns the Pi's Bluetooth adapter.

It listens to the thermometers' advertisements (passive scan), decodes them
(protocols.lywsd03mmc), keeps the newest value per thermometer and interval,
and posts readings in batches to the controller API, spooling them on disk
while the API is unreachable. The same process serves the Pi's valve bridge.
"""
