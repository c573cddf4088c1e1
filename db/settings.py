from __future__ import annotations

from common.settings import ServiceSettings


class DatabaseSettings(ServiceSettings):
    #: libpq URL of the heating database, e.g. postgresql://heating:secret@db:5432/heating
    database_url: str = "postgresql://postgres@127.0.0.1:5432/heating"
    #: Password given to the read-only role heating_grafana; unset leaves it unable to log in.
    grafana_db_password: str | None = None
