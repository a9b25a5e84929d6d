"""One call of the ironic-etcd HTTP API: ``POST /v1/<method>`` with the
keyword arguments as a JSON object, the result or an error as JSON.

Failures are told apart by whether the request may have reached the store:
a connection that never opened is ``StoreUnavailable`` (nothing written);
a read that fails later is too; a write that fails after its request was
sent is ``UnknownOutcome``.

With several API replicas (``[ironic_etcd] url`` a list), a call that
fails without reaching the store (a connection that never opened, an
API's own StoreUnavailable, any failed read) goes to the next replica, each
replica at most once per call, and the replica that answered is tried
first next time. A write that failed after it was sent goes to the next
replica only where a second attempt tells what happened
(``ironic_etcd.resolve``); otherwise it is UnknownOutcome. Within one
replica nothing is retried: an API that cannot be reached fails over (or
fails the call) within ``connect_timeout``.
"""

import datetime
import json
import threading

import requests
from requests import adapters
from urllib3 import exceptions as urllib3_exc

from ironic_etcd import clock
from ironic_etcd import conf as etcd_conf
from ironic_etcd import exceptions
from ironic_etcd import resolve

# Methods that change nothing: a timeout on them is StoreUnavailable, not
# UnknownOutcome.
_READ_PREFIXES = ('get_', 'check_', 'count_', 'list_', 'node_tag_exists',
                  'node_trait_exists', 'query_')


def is_read(method):
    return method.startswith(_READ_PREFIXES)


class Client(object):
    """Pooled HTTP sessions to the API's replicas (thread- and
    greenthread-safe: requests' pool hands each caller its own
    connection). url: one base URL, a comma-separated list, or a list."""

    def __init__(self, url, connect_timeout=5.0, timeout=35.0,
                 ca_file=None, cert_file=None, key_file=None,
                 max_request_bytes=4 * 1024 * 1024):
        if isinstance(url, str):
            url = url.split(',')
        self.urls = [u.strip().rstrip('/') + '/v1/' for u in url if u.strip()]
        if not self.urls:
            raise ValueError('no ironic-etcd API URL given')
        # The replica tried first: the last one that answered. Shared by
        # all threads; a race only changes which replica goes first.
        self._first = 0
        self._timeouts = (connect_timeout, timeout)
        self._max_request_bytes = max_request_bytes
        self._local = threading.local()
        self._verify = ca_file or True
        self._cert = (cert_file, key_file) if cert_file else None

    @classmethod
    def from_conf(cls, conf):
        """The client that conf's ``[ironic_etcd]`` group (and
        IRONIC_ETCD_URL) describe."""
        etcd_conf.register_opts(conf)
        group = conf[etcd_conf.GROUP]
        return cls(etcd_conf.api_url(conf),
                   connect_timeout=group.connect_timeout,
                   timeout=group.timeout, ca_file=group.ca_file,
                   cert_file=group.cert_file, key_file=group.key_file,
                   max_request_bytes=group.max_request_bytes)

    def _session(self):
        # One session per thread: requests.Session is not documented as
        # thread-safe.
        s = getattr(self._local, 'session', None)
        if s is None:
            s = requests.Session()
            # The environment does not redirect a database connection: no
            # HTTP(S)_PROXY (a conductor host often has one for images),
            # and no REQUESTS_CA_BUNDLE, which requests would let override
            # ca_file.
            s.trust_env = False
            s.verify = self._verify
            s.cert = self._cert
            s.headers['Content-Type'] = 'application/json'
            # No retries (requests' default, spelled out): a retried
            # connect multiplies connect_timeout, and a retried read would
            # send a write twice.
            once = adapters.HTTPAdapter(max_retries=0)
            s.mount('http://', once)
            s.mount('https://', once)
            self._local.session = s
        return s

    def close(self):
        """Close this thread's connections (others close with their
        threads)."""
        s = getattr(self._local, 'session', None)
        if s is not None:
            self._local.session = None
            s.close()

    @property
    def url(self):
        """The replica calls go to first."""
        return self.urls[self._first % len(self.urls)]

    def call(self, method, **kwargs):
        """The decoded JSON result of method(**kwargs), or its exception."""
        body = encode(kwargs)
        if len(body) > self._max_request_bytes:
            raise exceptions.ValueTooLarge(
                '%s: a request of %d bytes, at most %d allowed (the API\'s '
                '--max-body-bytes); nothing was sent'
                % (method, len(body), self._max_request_bytes))
        headers = clock.test_headers()
        return self._fail_over(method, 'POST', method, is_read(method),
                               kwargs, data=body, headers=headers)

    def methods(self):
        """The names of the methods the API serves (``GET /v1/``)."""
        answer = self._fail_over('GET /v1/', 'GET', '', True, {})
        try:
            return {m['name'] for m in answer['methods']}
        except (TypeError, KeyError) as e:
            raise exceptions.UnknownOutcome(
                'GET %s: not a list of methods (%s); is this an ironic-etcd '
                'API?' % (self.url, e))

    def _fail_over(self, what, verb, path, read, args, **kwargs):
        """The answer of the first replica that gives one, trying each
        replica at most once (see the module's doc)."""
        n = len(self.urls)
        first = self._first % n
        unknown = None  # the UnknownOutcome a retry is resolving
        for i in range(n):
            base = self.urls[(first + i) % n]
            try:
                answer = self._send(what, verb, base, base + path, read,
                                    **kwargs)
            except exceptions.StoreUnavailable:
                if i == n - 1:
                    if unknown is not None:
                        raise unknown
                    raise
                continue
            except exceptions.UnknownOutcome as e:
                if (unknown is not None or i == n - 1
                        or not resolve.can_retry(what)):
                    raise unknown or e
                unknown = e
                continue
            except Exception as e:
                if unknown is None:
                    self._first = (first + i) % n
                    raise
                return resolve.after_retry(what, args, e, self.call)
            self._first = (first + i) % n
            return answer

    def _send(self, what, verb, base, url, read, **kwargs):
        """The decoded answer of one request to one replica, failures as
        the backend's exceptions (see the module's doc)."""
        try:
            resp = self._session().request(verb, url, timeout=self._timeouts,
                                           **kwargs)
        except requests.exceptions.ConnectionError as e:
            if _never_sent(e) or read:
                raise exceptions.StoreUnavailable(
                    'ironic-etcd API at %s unreachable (%s): %s'
                    % (base, what, e))
            raise exceptions.UnknownOutcome(
                '%s: the connection to %s failed after the request was '
                'sent; it may have been applied: %s' % (what, base, e))
        except requests.exceptions.Timeout as e:
            if read:
                raise exceptions.StoreUnavailable(
                    '%s: no answer from %s within %.1f s: %s'
                    % (what, base, self._timeouts[1], e))
            raise exceptions.UnknownOutcome(
                '%s: no answer from %s within %.1f s; it may have been '
                'applied: %s' % (what, base, self._timeouts[1], e))
        try:
            payload = resp.json() if resp.content else None
        except ValueError:
            payload = None
            if resp.status_code < 400:
                raise exceptions.UnknownOutcome(
                    '%s: the API at %s answered %d with a body that is not '
                    'JSON' % (what, base, resp.status_code))
        if resp.status_code >= 400:
            if not _is_api_error(payload):
                raise _foreign_answer(what, base, resp.status_code, read)
            raise exceptions.from_answer(payload, resp.status_code)
        return payload


def _is_api_error(payload):
    return isinstance(payload, dict) and isinstance(payload.get('error'),
                                                    dict)


def _foreign_answer(what, url, status, read):
    """An error answer that is not the API's: a proxy, a load balancer or
    another server at that URL. A write answered 5xx there may have been
    forwarded and applied."""
    if not read and status >= 500:
        return exceptions.UnknownOutcome(
            '%s: %s answered HTTP %d without an ironic-etcd error (a proxy '
            'in between?); it may have been applied' % (what, url, status))
    return exceptions.StoreUnavailable(
        '%s: %s answered HTTP %d without an ironic-etcd error: is '
        '[ironic_etcd] url an ironic-etcd API?' % (what, url, status))


def _never_sent(err):
    """True when the connection never opened (refused, DNS, connect
    timeout, TLS handshake refused): the request cannot have reached the
    API."""
    if isinstance(err, (requests.exceptions.ConnectTimeout,
                        requests.exceptions.SSLError)):
        return True
    cause = err.args[0] if err.args else None
    return isinstance(getattr(cause, 'reason', cause),
                      urllib3_exc.NewConnectionError)


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
