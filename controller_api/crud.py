"""Create/read/update/delete for the configuration tables (rooms and devices)."""
from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql
from pydantic import BaseModel

from controller_api.db import connection
from controller_api.errors import ApiProblem, not_found


@dataclass(frozen=True)
class Resource:
    table: str
    what: str  # in messages: "room", "valve", ...
    columns: tuple[str, ...]  # writable
    output: str  # SELECT list
    nullable: frozenset[str] = field(default_factory=frozenset)
    order_by: str = "id"

    def _select(self) -> sql.Composed:
        return sql.SQL("SELECT {} FROM {}").format(sql.SQL(self.output), sql.Identifier(self.table))

    def list(self, conn=None) -> list[dict]:
        query = self._select() + sql.SQL(" ORDER BY ") + sql.SQL(self.order_by)
        if conn is not None:
            return conn.execute(query).fetchall()
        with connection() as conn:
            return conn.execute(query).fetchall()

    def get(self, ident: int, conn=None) -> dict:
        query = self._select() + sql.SQL(" WHERE id = %s")
        if conn is not None:
            row = conn.execute(query, (ident,)).fetchone()
        else:
            with connection() as conn:
                row = conn.execute(query, (ident,)).fetchone()
        if row is None:
            raise not_found(self.what, ident)
        return row

    def create(self, data: BaseModel) -> dict:
        values = data.model_dump()
        names = [c for c in self.columns if c in values]
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
            sql.Identifier(self.table),
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(sql.Placeholder() * len(names)),
        )
        with connection() as conn:
            ident = conn.execute(query, [values[n] for n in names]).fetchone()["id"]
            return self.get(ident, conn)

    def update(self, ident: int, patch: BaseModel) -> dict:
        values = patch.model_dump(exclude_unset=True)
        for name, value in values.items():
            if value is None and name not in self.nullable:
                raise ApiProblem(422, f"{name}: may not be null", [{"field": name, "message": "may not be null"}])
        with connection() as conn:
            if values:
                query = sql.SQL("UPDATE {} SET {} WHERE id = %s RETURNING id").format(
                    sql.Identifier(self.table),
                    sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in values),
                )
                if conn.execute(query, [*values.values(), ident]).fetchone() is None:
                    raise not_found(self.what, ident)
            return self.get(ident, conn)

    def delete(self, ident: int) -> None:
        query = sql.SQL("DELETE FROM {} WHERE id = %s RETURNING id").format(sql.Identifier(self.table))
        with connection() as conn:
            if conn.execute(query, (ident,)).fetchone() is None:
                raise not_found(self.what, ident)


ROOMS = Resource(
    "rooms", "room",
    ("name", "sort_order", "default_temp_c", "frost_temp_c", "hysteresis_k", "offset_k", "smart_heat", "control"),
    "id, name, sort_order, default_temp_c, frost_temp_c, hysteresis_k, offset_k, smart_heat, control",
    order_by="sort_order, name, id",
)
THERMOMETERS = Resource(
    "thermometers", "thermometer", ("mac", "room_id", "format", "bind_key", "name"),
    "id, upper(mac::text) AS mac, room_id, format, name, bind_key",
    nullable=frozenset({"room_id", "bind_key", "name"}),
)
BRIDGES = Resource(
    "bridges", "bridge", ("name", "kind", "base_url", "token"), "id, name, kind, base_url, token IS NOT NULL AS has_token",
    nullable=frozenset({"token"}), order_by="name, id",
)
VALVES = Resource(
    "valves", "valve", ("mac", "room_id", "bridge_id", "name", "radiator_power_w"),
    "id, upper(mac::text) AS mac, room_id, bridge_id, name, radiator_power_w",
    nullable=frozenset({"name"}),
)
