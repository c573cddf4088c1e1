"""Control strategies, registered by name.

A strategy answers one question per room and tick: should this room heat now?
``decide(view, weather, now, config) -> (heat, reason, inputs)``; it may learn
from each status in ``observe(status, now, state, config)``. The safety rules
around it (frost, boost, windows, stale thermometers, minimum times, the
boiler) are the engine's and the same for all. Adding a strategy is one module
here that calls ``register``.
"""
from __future__ import annotations

from typing import Callable

_REGISTRY: dict[str, Callable[[], object]] = {}


def register(name: str):
    """Class decorator: make the strategy available by ``name``."""
    def wrap(cls):
        cls.name = name
        _REGISTRY[name] = cls
        return cls
    return wrap


def names() -> list[str]:
    return sorted(_REGISTRY)


def make_strategy(name: str):
    """A new instance (with its own learnt state) of the strategy called ``name``.

    Raises KeyError naming the known strategies for an unknown name.
    """
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(names())}") from None


from onoff.strategies import zoning, zoning_preheat  # noqa: E402,F401  (registers them)
