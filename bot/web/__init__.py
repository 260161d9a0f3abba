"""The web adapter: calendar feeds (iCalendar over HTTP) and the public agenda page."""

from .app import ClientBuckets, Limits, WebServer, make_app
from .pages import Pages
from .start import start_web

__all__ = ["ClientBuckets", "Limits", "Pages", "WebServer", "make_app", "start_web"]
