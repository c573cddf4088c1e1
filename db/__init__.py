"""Schema, migrations and the private PostgreSQL cluster used by tests and the demo."""
