"""gunicorn's settings (`make run`): threaded workers kept alive, limits on what it reads, and
its own errors in our shape.

gunicorn answers a request it cannot parse (a request line or headers past the limits below,
a malformed line) before the app sees it, with an HTML page; here it answers with the API's
JSON error body instead, so a client reads every error one way. A proxy in front with
tighter limits answers first: give it a JSON `error_page` too (README, "Behind a proxy").
"""

import json

from gunicorn import util

from app.errors import CODES

# Threads (gthread): a phone's connection is kept alive between its requests, where a sync
# worker closed every one and waited for the client's side to close too; and one request's
# waits for the database overlap another's work. With `make run`'s 2 workers, 8 requests at
# once on 2 cores (bench/README.md, "Serving settings"). The database pool keeps a
# connection per thread (SQLAlchemy's default pool: 5, and 10 more when busy).
worker_class = "gthread"
threads = 4
# Seconds an idle kept-alive connection stays open: a phone's sync loop sends its pull right
# after its push, a desk polls every few seconds.
keepalive = 5

# The longest URL the app makes is a pull with its cursor (a few hundred characters).
limit_request_line = 4094
# Phones send about 15 headers; the cookies (session, remember me) are the longest.
limit_request_fields = 50
limit_request_field_size = 8190


def _json_error(sock, status_int, reason, mesg):
    body = json.dumps(
        {
            "error": {
                "code": CODES.get(status_int, "bad_request"),
                "message": f"{reason}: {mesg}" if mesg else reason,
                "fields": {},
            }
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


# gunicorn (pinned) writes these answers through util.write_error alone.
util.write_error = _json_error
