"""thermostat_reader.settings: bad configuration fails at start-up, naming the key."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from thermostat_reader.settings import ReaderSettings


def test_defaults_and_spool_folder(tmp_path):
    settings = ReaderSettings(_env_file=None, spool_dir=str(tmp_path))
    assert settings.advert_source == "bluetooth" and settings.interval_s == 60
    assert settings.spool_path == tmp_path / "thermostat_reader"
    assert settings.spool_max_bytes == 50_000_000


@pytest.mark.parametrize("changes, key", [
    ({"advert_source": "stream"}, "advert_stream_url"),
    ({"advert_source": "radio"}, "advert_source"),
    ({"interval_s": 0}, "interval_s"),
    ({"spool_max_mb": 0}, "spool_max_mb"),
    ({"max_restarts": -1}, "max_restarts"),
])
def test_bad_values_name_their_key(changes, key):
    with pytest.raises(ValidationError, match=key):
        ReaderSettings(_env_file=None, **changes)
