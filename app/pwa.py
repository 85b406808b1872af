"""Serves the PWA's build at /, with history-mode fallback to index.html."""

import os

from flask import Blueprint, current_app, request, send_from_directory
from werkzeug.routing import PathConverter

from app.errors import http_error_response

bp = Blueprint("pwa", __name__)


class AppPath(PathConverter):
    """Any path outside /api, so that /api answers its own 404s and 405s."""

    regex = r"(?!api(?:/|$))[^/].*?"


@bp.record_once
def _register_converter(state):
    state.app.url_map.converters["app_path"] = AppPath


# Hashed assets never change; everything else (index.html, the service worker, the
# manifest) must be revalidated so that an update reaches phones.
_IMMUTABLE = "assets/"


def _send(path):
    response = send_from_directory(current_app.config["PWA_DIST"], path)
    if path.startswith(_IMMUTABLE):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def index():
    return _send("index.html")


@bp.get("/<app_path:path>")
def asset(path):
    return _send(path)


@bp.app_errorhandler(404)
def not_found(error):
    """A deep link into the app (/tasks/42) gets index.html; the app's router takes over."""
    last = request.path.rsplit("/", 1)[-1]
    if request.path.startswith("/api") or request.method != "GET" or "." in last:
        return http_error_response(error)
    index_html = os.path.join(current_app.config["PWA_DIST"], "index.html")
    if not os.path.isfile(index_html):
        return http_error_response(error)
    return _send("index.html")
