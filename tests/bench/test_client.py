"""The bench's client sends a request again when the server had closed its idle connection."""

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.client import Client


class _OneAnswerEachConnection(BaseHTTPRequestHandler):
    """Answers as if keeping the connection alive, then closes it, as gunicorn does after its
    keep-alive; with `refuse` set it closes without answering at all."""

    protocol_version = "HTTP/1.1"
    refuse = False
    seen = 0

    def do_GET(self):
        type(self).seen += 1
        if self.refuse:
            self.close_connection = True
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True  # no "Connection: close" said: the client reuses it

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _OneAnswerEachConnection.refuse = False
    _OneAnswerEachConnection.seen = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _OneAnswerEachConnection)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_a_request_on_a_connection_the_server_closed_is_sent_again(server):
    client = Client(server.server_address[1], timeout=5)
    assert client.get("/a").json() == {"ok": True}
    assert client.get("/b").json() == {"ok": True}  # the first connection was closed
    assert _OneAnswerEachConnection.seen == 2
    client.close()


def test_a_new_connection_closed_without_an_answer_is_an_error(server):
    _OneAnswerEachConnection.refuse = True
    client = Client(server.server_address[1], timeout=5)
    with pytest.raises(http.client.RemoteDisconnected):
        client.get("/a")
    assert _OneAnswerEachConnection.seen == 1
    client.close()
