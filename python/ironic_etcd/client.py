"""One call of the ironic-etcd HTTP API: ``POST /v1/<method>`` with the
keyword arguments as a JSON object, the result or an error as JSON.

Failures are told apart by whether the request may have reached the store:
a connection that never opened is ``StoreUnavailable`` (nothing written);
a read that fails later is too; a write that fails after its request was
sent is ``UnknownOutcome``. Nothing is retried silently except opening the
connection (twice), which sends nothing.
"""

import datetime
import json
import threading

import requests
from requests import adapters
from urllib3.util import retry

from ironic_etcd import clock
from ironic_etcd import exceptions

# Methods that change nothing: a timeout on them is StoreUnavailable, not
# UnknownOutcome.
_READ_PREFIXES = ('get_', 'check_', 'count_', 'list_', 'node_tag_exists',
                  'node_trait_exists', 'query_')


def is_read(method):
    return method.startswith(_READ_PREFIXES)


class Client(object):
    """A pooled HTTP session to one API (thread- and greenthread-safe:
    requests' pool hands each caller its own connection)."""

    def __init__(self, url, connect_timeout=5.0, timeout=35.0,
                 ca_file=None, cert_file=None, key_file=None,
                 max_request_bytes=4 * 1024 * 1024):
        self.url = url.rstrip('/') + '/v1/'
        self._timeouts = (connect_timeout, timeout)
        self._max_request_bytes = max_request_bytes
        self._local = threading.local()
        self._verify = ca_file or True
        self._cert = (cert_file, key_file) if cert_file else None

    def _session(self):
        # One session per thread: requests.Session is not documented as
        # thread-safe.
        s = getattr(self._local, 'session', None)
        if s is None:
            s = requests.Session()
            s.verify = self._verify
            s.cert = self._cert
            s.headers['Content-Type'] = 'application/json'
            once = adapters.HTTPAdapter(max_retries=retry.Retry(
                total=None, connect=2, read=0, redirect=0, status=0,
                other=0, backoff_factor=0.1))
            s.mount('http://', once)
            s.mount('https://', once)
            self._local.session = s
        return s

    def call(self, method, **kwargs):
        """The decoded JSON result of method(**kwargs), or its exception."""
        body = encode(kwargs)
        if len(body) > self._max_request_bytes:
            raise exceptions.ValueTooLarge(
                '%s: a request of %d bytes, at most %d allowed (the API\'s '
                '--max-body-bytes); nothing was sent'
                % (method, len(body), self._max_request_bytes))
        headers = clock.test_headers()
        try:
            resp = self._session().post(self.url + method, data=body,
                                        headers=headers,
                                        timeout=self._timeouts)
        except requests.exceptions.ConnectionError as e:
            if _never_sent(e) or is_read(method):
                raise exceptions.StoreUnavailable(
                    'ironic-etcd API at %s unreachable (%s): %s'
                    % (self.url, method, e))
            raise exceptions.UnknownOutcome(
                '%s: the connection to %s failed after the request was '
                'sent; it may have been applied: %s' % (method, self.url, e))
        except requests.exceptions.Timeout as e:
            if is_read(method):
                raise exceptions.StoreUnavailable(
                    '%s: no answer from %s within %.1f s: %s'
                    % (method, self.url, self._timeouts[1], e))
            raise exceptions.UnknownOutcome(
                '%s: no answer from %s within %.1f s; it may have been '
                'applied: %s' % (method, self.url, self._timeouts[1], e))
        try:
            payload = resp.json() if resp.content else None
        except ValueError:
            payload = None
            if resp.status_code < 400:
                raise exceptions.UnknownOutcome(
                    '%s: the API at %s answered %d with a body that is not '
                    'JSON' % (method, self.url, resp.status_code))
        if resp.status_code >= 400:
            raise exceptions.from_answer(payload, resp.status_code)
        return payload


def _never_sent(err):
    """True when the connection never opened (refused, DNS, connect
    timeout): the request cannot have reached the API."""
    return isinstance(err, requests.exceptions.ConnectTimeout) or (
        'NewConnectionError' in repr(err) or
        'Failed to establish a new connection' in str(err))


def encode(kwargs):
    """The JSON body, as UTF-8. Strings that are not valid Unicode (lone
    surrogates) and bytes that are not UTF-8 are refused here, as the
    store refuses invalid UTF-8: nothing is sent."""
    try:
        text = json.dumps(kwargs, default=_json_default, ensure_ascii=False,
                          separators=(',', ':'), allow_nan=False)
        return text.encode('utf-8')
    except (UnicodeError, ValueError) as e:
        from ironic.common import exception as ironic_exc
        raise ironic_exc.InvalidParameterValue(
            err='not valid UTF-8 or not JSON: %s' % e)


def _json_default(value):
    if isinstance(value, datetime.datetime):
        return clock.iso(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode('utf-8')  # strict: invalid UTF-8 is refused
    raise TypeError('%r is not JSON-encodable' % (value,))
