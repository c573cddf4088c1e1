"""Sending to the household's phone through Apprise (ntfy, Telegram, e-mail, Home Assistant, ...).

One Apprise URL per service, as the household entered it in the settings.
The URLs hold secrets (tokens, passwords): logs show them masked, and the
database remembers deliveries by a hash of the URL.
"""
from __future__ import annotations

import hashlib
import logging

import apprise

log = logging.getLogger("controller_api.notify")

#: Notification types as Apprise names them.
TYPES = {"info": apprise.NotifyType.INFO, "success": apprise.NotifyType.SUCCESS,
         "warning": apprise.NotifyType.WARNING, "failure": apprise.NotifyType.FAILURE}

# Apprise can keep a cache on disk; the notifier keeps its memory in PostgreSQL instead.
_ASSET = apprise.AppriseAsset(storage_mode="memory")


def accepts(url: str) -> bool:
    """Whether Apprise understands ``url`` (a known service and a well-formed address)."""
    return apprise.Apprise.instantiate(url, asset=_ASSET) is not None


def masked(url: str) -> str:
    """The URL with its secrets hidden, for logs."""
    plugin = apprise.Apprise.instantiate(url, asset=_ASSET)
    return plugin.url(privacy=True) if plugin is not None else url.split(":", 1)[0] + "://…"


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def send(url: str, title: str, body: str, notify_type: str) -> bool:
    """Sends one notification to one URL; False when the service did not take it."""
    sender = apprise.Apprise(asset=_ASSET)
    if not sender.add(url):
        return False
    return bool(sender.notify(body=body, title=title, notify_type=TYPES[notify_type]))
