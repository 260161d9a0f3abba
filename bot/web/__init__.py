"""The web adapter: calendar feeds (iCalendar over HTTP) and the public agenda page."""

from .app import ClientBuckets, Limits, WebServer, make_app
from .guard import ConnectionLimits
from .pages import Pages
from .start import Listener, listen, site_address, start_web

__all__ = [
    "ClientBuckets",
    "ConnectionLimits",
    "Limits",
    "Listener",
    "Pages",
    "WebServer",
    "listen",
    "make_app",
    "site_address",
    "start_web",
]
