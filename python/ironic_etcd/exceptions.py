"""Errors of the API as the exceptions Ironic's callers catch.

The API answers ``{"error": {"type", "message", "params"}}``, where type is
the name of an ``ironic.common.exception`` class and params its keyword
arguments: the exception is rebuilt from them, so its message is Ironic's
own. The API's own error types become the classes below, each under the
oslo.db or Ironic class a conductor already handles: an unreachable store
is a ``DBConnectionError`` (the heartbeat loop logs it and goes on), a value
too large is a ``DBDataError`` (deploy handles an oversized config drive).
"""

from ironic.common import exception as ironic_exc
from oslo_db import exception as db_exc


class _Message(object):
    """An oslo.db exception built from a message (oslo.db's take the
    exception they wrap)."""

    def __init__(self, message):
        super().__init__(Exception(message))


class StoreUnavailable(_Message, db_exc.DBConnectionError):
    """The API or etcd could not be reached in time; nothing was written."""


class UnknownOutcome(_Message, db_exc.DBError):
    """A write whose request may have reached the store before the failure.

    It may or may not have been applied: read the record back before
    retrying.
    """


class ValueTooLarge(_Message, db_exc.DBDataError):
    """A request over the API's body limit or a column over its size limit.

    Nothing was written.
    """


class RequestRefused(ironic_exc.Invalid):
    """The API refused the request itself (malformed, unknown argument,
    wrong type, test-mode only): a bug in the caller or the backend."""

    _msg_fmt = '%(type)s: %(detail)s'


class ConductorLeaseExpired(ironic_exc.Conflict):
    """reserve_node for a conductor whose etcd lease expired: it is dead
    until its next heartbeat; nothing was written."""

    _msg_fmt = '%(detail)s'


class MigrationRefused(ironic_exc.IronicException):
    """An ironic-dbsync command the store cannot honour (a revision to
    write, a schema other than 21.4.4's, an API without 21.4's methods)."""

    _msg_fmt = '%(detail)s'


class InvalidParameterValueError(ironic_exc.InvalidParameterValue,
                                 ValueError):
    """Input the store refuses as InvalidParameterValue where 21.4 raises
    ValueError (an unknown filter): callers written for either catch it."""


class InvalidParameterDBError(ironic_exc.InvalidParameterValue,
                              db_exc.DBError):
    """Input the store refuses as InvalidParameterValue where 21.4's SQL
    raises a DBError (a JSON column of the wrong type, a NOT NULL column
    missing): callers written for either catch it."""


# The parameter naming 21.4's own exception for the input, and the class
# that is both (etcdstore/errors_reference.go).
_REFERENCE_PARAM = 'reference_error'
_BOTH = {
    ('InvalidParameterValue', 'ValueError'): InvalidParameterValueError,
    ('InvalidParameterValue', 'DBError'): InvalidParameterDBError,
}

# The API's own error types (api/errors.go) and what they become.
_UNAVAILABLE = {'StoreUnavailable'}
_UNKNOWN = {'UnknownOutcome'}
_TOO_LARGE = {'RequestTooLarge'}
_REFUSED = {'MalformedRequest', 'UnknownMethod', 'UnknownArgument',
            'MissingArgument', 'InvalidArgumentType', 'TestingModeOnly'}


def from_answer(payload, status):
    """The exception for an error answer of the API."""
    err = (payload or {}).get('error') or {}
    kind = err.get('type') or 'InternalError'
    message = err.get('message') or 'HTTP %s' % status
    params = err.get('params') or {}
    if kind in _UNAVAILABLE:
        return StoreUnavailable(message)
    if kind in _UNKNOWN:
        return UnknownOutcome(message)
    if kind in _TOO_LARGE or _column_too_large(kind, params):
        return ValueTooLarge(message)
    if kind in _REFUSED:
        return RequestRefused(type=kind, detail=message)
    if kind == 'ConductorLeaseExpired':
        return ConductorLeaseExpired(detail=message)
    cls = getattr(ironic_exc, kind, None)
    if isinstance(cls, type) and issubclass(cls, ironic_exc.IronicException):
        params = dict(params)
        reference = params.pop(_REFERENCE_PARAM, None)
        cls = _BOTH.get((kind, reference), cls)
        return _ironic(cls, message, params)
    # InternalError and any type this backend does not know.
    return ironic_exc.IronicException('%s: %s' % (kind, message))


def _ironic(cls, message, params):
    """cls built from params, so that its message is Ironic's; the API's
    message when params do not fit cls's format. A ``message`` parameter
    is the reference's own message, which it passes instead of the
    format's parameters (NodeNotFound of get_node_by_port_addresses)."""
    try:
        cls._msg_fmt % params
    except (KeyError, TypeError, ValueError):
        return cls(message)
    return cls(**params)


def _column_too_large(kind, params):
    # The store refuses a value over its size cap as InvalidParameterValue
    # naming the reference's DBDataError (MySQL's "data too long"), which
    # is what Ironic's deploy code handles (an oversized config drive).
    return (kind == 'InvalidParameterValue'
            and params.get(_REFERENCE_PARAM) == 'DBDataError')
