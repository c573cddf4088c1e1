import time
from datetime import timedelta
import psycopg
from simulator.house import load_house
from simulator.provision import provision
from simulator.record import post_recording, record_days
from tests.conftest import ApiServer
from tests.grafana.test_simulated_week import START, ZONE

def test_diag(database_url):
    server = ApiServer(database_url, tz=ZONE.key)
    client = server.client(); house = load_house(); provision(client, house)
    t0 = time.perf_counter()
    rec = record_days(house, "zoning", START, 2, warmup_days=1.0, follow_position=False)
    t1 = time.perf_counter(); post_recording(client, rec); t2 = time.perf_counter()
    print("sim 3 days", t1 - t0, "post 2 days", t2 - t1)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT category, sum(gas_m3) FROM reporting.gas_usage(%s, %s, 'day', %s) GROUP BY 1",
                            (START, START + timedelta(days=2), ZONE.key)).fetchall()
    print(rows, rec.gas_space_m3, rec.gas_hot_water_m3)
    server.stop()
