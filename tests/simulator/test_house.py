"""The house description: the default house is complete, bad files fail naming the key."""
from __future__ import annotations

import tomllib

import pytest

from simulator.house import DEFAULT_HOUSE, HouseError, load_house, parse_house


def _default() -> dict:
    with open(DEFAULT_HOUSE, "rb") as fh:
        return tomllib.load(fh)


def test_default_house_is_a_terraced_house_with_every_thermometer_format():
    house = load_house()
    names = {r.key for r in house.rooms}
    assert len(house.rooms) >= 7 and {"living", "kitchen", "bathroom", "study", "hall"} <= names
    assert sum(1 for r in house.rooms if r.key in ("bedroom", "kids", "guest")) == 3
    assert {r.thermometer.format for r in house.rooms} == {"pvvx", "atc1441", "bthome", "mibeacon"}
    hall = house.rooms[house.room_index("hall")]
    assert hall.valves == () and hall.open_radiator_w > 0
    assert {v.bridge for _, v in house.valves} == {"pi", "esp32-attic"}
    assert 100 <= sum(r.floor_area_m2 for r in house.rooms) <= 140
    assert all(r.schedule for r in house.rooms if r.valves)


@pytest.mark.parametrize("change,key", [
    (lambda d: d["rooms"][0].update(floor_area_m2=-3), "rooms.living.floor_area_m2"),
    (lambda d: d["rooms"][1]["thermometer"].update(format="ibeacon"), "rooms.kitchen.thermometer.format"),
    (lambda d: d["rooms"][4]["thermometer"].pop("bind_key"), "rooms.kids.thermometer.bind_key"),
    (lambda d: d["rooms"][0]["valves"][0].update(bridge="garage"), "rooms.living.valves[0].bridge"),
    (lambda d: d["rooms"][0]["schedule"].append(["mon-fri", "25:00", 20]), "rooms.living.schedule[6]"),
    (lambda d: d["rooms"][0]["schedule"].append(["someday", "07:00", 20]), "rooms.living.schedule[6]"),
    (lambda d: d["rooms"][1]["valves"][0].update(mac=d["rooms"][0]["valves"][0]["mac"]), "rooms.kitchen.valves[0].mac"),
    (lambda d: d["boiler"].update(sensor_room="cellar"), "boiler.sensor_room"),
    (lambda d: d["layout"]["neighbours"].append(["living", "attic", 3]), "layout.neighbours[16]"),
    (lambda d: d["house"].update(mass_class="concrete"), "house.mass_class"),
    (lambda d: d["boiler"].update(control="outdoor"), "boiler.control"),
    (lambda d: d["boiler"].update(supply_min_c=80), "boiler.supply_min_c"),
])
def test_bad_house_files_name_the_key(change, key):
    data = _default()
    change(data)
    with pytest.raises(HouseError) as raised:
        parse_house(data)
    assert key in str(raised.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(HouseError, match="does not exist"):
        load_house(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[house\n")
    with pytest.raises(HouseError, match="broken.toml"):
        load_house(broken)
