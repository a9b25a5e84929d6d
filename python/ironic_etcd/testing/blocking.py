"""Database calls that do not yield to other greenthreads, for Ironic's
unit tests only.

Ironic's unit tests run under eventlet (``monkey_patch``) and were written
against in-memory SQLite, whose calls never yield. The backend's HTTP calls
go through eventlet's green sockets, so while one waits for the API,
greenthreads the test has started run too: ``init_host`` spawns
``_start_consoles``, and ``StartConsolesTestCase.test__start_consoles_failed``
then races it (``start_console`` called twice, now and then). Production
must yield (a conductor's heartbeat runs meanwhile); the tests get SQLite's
scheduling back by sending their calls over sockets eventlet has not
patched. Plain HTTP only (the runner's API is local); https keeps the
ordinary session.
"""

import http.client
import json
import urllib.parse

import requests
from eventlet import patcher
from urllib3 import exceptions as urllib3_exc

_socket = patcher.original('socket')


class _Connection(http.client.HTTPConnection):
    """http.client's connection over an unpatched (blocking) socket."""

    def connect(self):
        self.sock = _socket.create_connection(
            (self.host, self.port), self.timeout, self.source_address)
        self.sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)


class _Response(object):
    """The part of requests.Response the backend's client reads."""

    def __init__(self, status_code, content):
        self.status_code = status_code
        self.content = content

    def json(self):
        return json.loads(self.content)


class Session(object):
    """The part of requests.Session the backend's client uses: one
    connection per request (no idle connection to go stale), failures as
    requests' exceptions so the client tells them apart as usual."""

    headers = {'Content-Type': 'application/json'}

    def request(self, verb, url, timeout=None, data=None, headers=None):
        connect_timeout, read_timeout = timeout or (None, None)
        parts = urllib.parse.urlsplit(url)
        conn = _Connection(parts.hostname, parts.port or 80,
                           timeout=connect_timeout)
        try:
            try:
                conn.connect()
            except _socket.timeout as e:
                raise requests.exceptions.ConnectTimeout(e)
            except OSError as e:
                # As urllib3 reports it: the client knows nothing was sent.
                raise requests.exceptions.ConnectionError(
                    urllib3_exc.NewConnectionError(
                        None, 'Failed to establish a new connection: %s' % e))
            conn.sock.settimeout(read_timeout)
            try:
                conn.request(verb, parts.path or '/', body=data,
                             headers=dict(self.headers, **(headers or {})))
                answer = conn.getresponse()
                return _Response(answer.status, answer.read())
            except _socket.timeout as e:
                raise requests.exceptions.ReadTimeout(e)
            except (OSError, http.client.HTTPException) as e:
                raise requests.exceptions.ConnectionError(e)
        finally:
            conn.close()

    def post(self, url, **kwargs):
        return self.request('POST', url, **kwargs)

    def close(self):
        pass


def install(client_class):
    """Make client_class's plain-HTTP calls blocking (see the module doc)."""
    ordinary = client_class._session
    session = Session()

    def _session(self):
        if self.url.startswith('http://'):
            return session
        return ordinary(self)

    client_class._session = _session
