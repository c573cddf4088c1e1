from __future__ import annotations

from pydantic import Field

from common.settings import ServiceSettings


class ApiSettings(ServiceSettings):
    #: libpq URL of the heating database.
    database_url: str = "postgresql://postgres@127.0.0.1:5432/heating"
    #: The household password people log in with on the page; unset: nobody can log in.
    password: str | None = None
    #: The token services (readers, control loop) send as "Authorization: Bearer <token>".
    service_token: str | None = None
    #: Keys the sessions' password tag; unset: derived from the password and token.
    secret_key: str | None = None
    #: Proxies in front of the API that add X-Forwarded-For (compose: nginx, 1); 0: none.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    #: true: reading the API needs credentials too (default: reads are open on the LAN).
    reads_require_auth: bool = False
    #: Connections in the pool (per gunicorn worker).
    pool_size: int = Field(default=8, ge=1, le=100)
    #: Apply pending migrations when the app starts.
    migrate_on_start: bool = True
    #: Folder of the built page (frontend/dist) to serve at /, for running without nginx.
    static_dir: str | None = None
    #: Password given to the read-only Grafana role when migrating.
    grafana_db_password: str | None = None
