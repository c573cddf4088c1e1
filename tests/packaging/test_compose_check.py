"""`make compose-check` (docker/compose_check.py) runs in CI after `make test`; these check, without
an engine, that it knows how to come by every image the compose file and its Dockerfiles name."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docker"))
import compose_check  # noqa: E402

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _qualified(image: str) -> str:
    return image if "/" in image.split(":")[0] else f"docker.io/library/{image}"


def test_every_base_image_is_built_from_debian_where_no_registry_answers():
    named = set()
    for dockerfile in [ROOT / "Dockerfile", *ROOT.glob("*/Dockerfile"), *ROOT.glob("docker/*/Dockerfile")]:
        for image in re.findall(r"^FROM (?:--platform=\S+ )?(\S+)", dockerfile.read_text(), re.M):
            named.add(_qualified(image))
    for service in COMPOSE["services"].values():
        # The stack the check runs: every service but the hardware's (and Grafana, validated instead).
        checked = "demo" in (service.get("profiles") or ["demo"])
        if checked and "build" not in service and service["image"].split(":")[0] != "grafana/grafana-oss":
            named.add(_qualified(service["image"]))
    assert named <= set(compose_check.BASE_IMAGES), named - set(compose_check.BASE_IMAGES)
    for containerfile in set(compose_check.BASE_IMAGES.values()):
        assert (ROOT / "docker" / "base" / containerfile).exists()


def test_the_check_env_fills_every_variable_and_keeps_no_example_secret():
    env = compose_check.check_env()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    assert used <= set(env)
    assert not [key for key, value in env.items() if value.startswith("change-me")]
    compose = compose_check.load_compose(env)
    assert "${" not in yaml.safe_dump(compose)


def test_the_demo_stack_order_respects_depends_on(tmp_path, monkeypatch):
    monkeypatch.setattr(compose_check, "CACHE", tmp_path)
    env = compose_check.check_env()
    stack = compose_check.Stack(None, compose_check.load_compose(env), env, "test")
    stack.hold("grafana")
    order = stack.order()
    assert "grafana" not in order and "thermostat_reader" not in order and "simulator" in order
    for name in order:
        for dependency in compose_check.depends_on(stack.services[name]):
            assert order.index(dependency) < order.index(name), (dependency, name)
