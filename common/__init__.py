"""Code shared by the services: settings base, the clock, the API client, the spool."""
