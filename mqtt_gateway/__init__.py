"""The MQTT gateway: the house in Home Assistant (discovery, state, commands) through the API."""
