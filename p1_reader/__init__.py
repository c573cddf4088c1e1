"""p1_reader: DSMR telegrams from the smart meter's P1 port to the controller API.

Reads a serial port or a TCP serial bridge (ser2net), parses each telegram
with dsmr-parser (p1_reader.telegrams), and posts gas readings (and
electricity, once per interval) to POST /api/meter-readings, spooling them on
disk while the API is unreachable.
"""
