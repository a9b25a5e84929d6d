"""The test's clock: "now" for the API while a test has frozen time, and
the test's heartbeat timeout.

Ironic's unit tests move time by mocking ``oslo_utils.timeutils.utcnow``
(or ``timeutils.set_time_override``), and the SQL backend reads that
mocked clock for every timestamp it writes and every time rule it applies.
The store's clock is the API's, so the backend sends the mocked time with
each call (header ``X-Ironic-Etcd-Now``, honoured by ``ironic-etcd api
--testing`` only). Without a mock nothing is sent: a production caller's
clock never decides anything.

The reference also reads ``[conductor]heartbeat_timeout`` from its
caller's configuration at every call, and Ironic's tests change it. Under
a test runner (``follow_test_configuration()``), each call sends it
(header ``X-Ironic-Etcd-Heartbeat-Timeout``, also ``--testing`` only); a
production caller never does, and liveness follows the API's
``--heartbeat-timeout``.
"""

import datetime

from oslo_config import cfg
from oslo_utils import timeutils

NOW_HEADER = 'X-Ironic-Etcd-Now'
HEARTBEAT_HEADER = 'X-Ironic-Etcd-Heartbeat-Timeout'

_REAL_UTCNOW = timeutils.utcnow

_follow_test_configuration = False


def follow_test_configuration():
    """Send the test's heartbeat timeout with every call from now on
    (test runners only: the API must run with --testing)."""
    global _follow_test_configuration
    _follow_test_configuration = True


def test_headers():
    """The headers that carry a test's time rules; none in production."""
    headers = {}
    now = mocked_now()
    if now is not None:
        headers[NOW_HEADER] = now
    if _follow_test_configuration:
        headers[HEARTBEAT_HEADER] = str(
            cfg.CONF.conductor.heartbeat_timeout)
    return headers


def mocked_now():
    """The mocked "now" as the API's ISO 8601 text, or None if not mocked.

    Called once per API call, as the SQL backend calls utcnow about once
    per statement that needs a time.
    """
    utcnow = timeutils.utcnow
    if utcnow is _REAL_UTCNOW and not _REAL_UTCNOW.override_time:
        return None
    return iso(utcnow())


def iso(value):
    """A datetime as the API reads it: UTC with microseconds. A naive
    datetime is UTC, as in Ironic's database."""
    return _naive_utc(value).strftime('%Y-%m-%dT%H:%M:%S.%f') + '+00:00'


def parse(text):
    """The API's ISO 8601 text as a naive UTC datetime, as SQLAlchemy reads
    Ironic's DateTime columns."""
    return _naive_utc(datetime.datetime.fromisoformat(text))


def _naive_utc(value):
    """value in UTC without a zone; a naive value is UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value
