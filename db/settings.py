from __future__ import annotations

from pydantic import Field

from common.settings import ServiceSettings, database_password


class DatabaseSettings(ServiceSettings):
    #: libpq URL of the heating database, e.g. postgresql://heating:secret@db:5432/heating
    database_url: str = "postgresql://postgres@127.0.0.1:5432/heating"
    #: Password given to the read-only role heating_grafana; unset leaves it unable to log in.
    grafana_db_password: str | None = None
    #: Grafana's admin password (GRAFANA_ADMIN_PASSWORD): checked here because Grafana starts only
    #: after the migrations, and cannot refuse an example password itself.
    grafana_admin_password: str | None = Field(default=None, validation_alias="GRAFANA_ADMIN_PASSWORD")

    def secrets(self) -> dict[str, str | None]:
        return {"HEATING_DB_PASSWORD": database_password(self.database_url),
                "HEATING_GRAFANA_DB_PASSWORD": self.grafana_db_password,
                "GRAFANA_ADMIN_PASSWORD": self.grafana_admin_password}
