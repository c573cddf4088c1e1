"""p1_reader.settings: bad configuration fails at start-up, naming the key."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from p1_reader.settings import P1Settings


def test_accepts_a_tcp_bridge_and_normalises_the_version(tmp_path):
    settings = P1Settings(_env_file=None, p1_url="tcp://ser2net.local:2001", p1_dsmr_version="5b",
                          spool_dir=str(tmp_path))
    assert settings.p1_dsmr_version == "5B"
    assert settings.spool_path == tmp_path / "p1_reader"


@pytest.mark.parametrize("changes, key", [
    ({"p1_url": "ttyUSB0"}, "p1_url"),
    ({"p1_url": "tcp://nohost"}, "p1_url"),
    ({"p1_dsmr_version": "6"}, "p1_dsmr_version"),
    ({"electricity_interval_s": 0}, "electricity_interval_s"),
])
def test_bad_values_name_their_key(changes, key):
    with pytest.raises(ValidationError, match=key):
        P1Settings(_env_file=None, **changes)
