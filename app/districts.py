"""One deployment, several districts: each district is an app of its own over its own
database (and its own object-store prefix and local folders), chosen by the host name the
request came to (bijiang.example.gov.cn, wanshan.example.gov.cn).

DISTRICTS names them, `host=name` pairs separated by spaces or commas; each district's
database is DATABASE_URL_<NAME> (upper case). A district's `flask` commands and worker run
with GRIDLINK_DISTRICT=<name>, which makes `wsgi:app` that district's app alone. Nothing is
shared between districts but the code and the process: caches are kept per database engine.
"""

import json
import os

from app import create_app


def parse(text):
    """{host: name} from "host=name host=name"; a malformed pair is a start-up error."""
    hosts = {}
    for pair in text.replace(",", " ").split():
        host, sep, name = pair.partition("=")
        if not sep or not host or not name.isidentifier():
            raise RuntimeError(f"DISTRICTS: {pair!r} is not host=name")
        hosts[host.lower().rstrip(".")] = name.lower()
    return hosts


def create_district(name, config=None, environ=os.environ):
    """The app of district `name`, over DATABASE_URL_<NAME>."""
    url = environ.get(f"DATABASE_URL_{name.upper()}")
    if not url:
        raise RuntimeError(f"Set DATABASE_URL_{name.upper()} for district {name!r}.")
    return create_app(
        config,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "S3_PREFIX": environ.get("S3_PREFIX", "") + f"{name}/",
            **_folders(name, environ),
        },
    )


def _folders(name, environ):
    base = environ.get("GRIDLINK_INSTANCE")
    if not base:
        return {}  # create_app's defaults under the app's own instance folder
    return {
        "PHOTO_ROOT": os.path.join(base, name, "photos"),
        "UPLOAD_ROOT": os.path.join(base, name, "uploads"),
    }


class HostRouter:
    """A WSGI app that hands each request to the app of the district its host name names;
    an unknown host gets the API's JSON 404 (not another district's answer)."""

    def __init__(self, apps_by_host):
        self.apps = apps_by_host

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        app = self.apps.get(_hostname(host))
        if app is None:
            body = json.dumps(
                {
                    "error": {
                        "code": "not_found",
                        "message": "No district is served at this address.",
                        "fields": {},
                    }
                }
            ).encode()
            start_response(
                "404 NOT FOUND",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return app(environ, start_response)


def _hostname(host):
    # "[::1]:443" or "name:443" -> the name; a trailing dot is the same name.
    if host.startswith("["):
        host = host[1 : host.find("]")]
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.lower().rstrip(".")


def create(config=None, environ=os.environ):
    """What `wsgi:app` serves: one district's app (GRIDLINK_DISTRICT), every district by host
    name (DISTRICTS), or the one app of a single-district deployment."""
    if environ.get("GRIDLINK_DISTRICT"):
        return create_district(environ["GRIDLINK_DISTRICT"], config, environ)
    if environ.get("DISTRICTS"):
        by_name, apps = {}, {}
        for host, name in parse(environ["DISTRICTS"]).items():
            if name not in by_name:
                by_name[name] = create_district(name, config, environ)
            apps[host] = by_name[name]
        return HostRouter(apps)
    return create_app(config)
