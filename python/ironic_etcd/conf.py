"""The ``[ironic_etcd]`` option group: where the API is and how to reach it."""

import os

from oslo_config import cfg
from oslo_config import types

GROUP = 'ironic_etcd'

# URL_ENV overrides [ironic_etcd] url: launchers and test runners point
# every process at one API without writing a config file.
URL_ENV = 'IRONIC_ETCD_URL'

opts = [
    cfg.ListOpt('url', default=['http://127.0.0.1:6390'],
                item_type=types.URI(schemes=['http', 'https']),
                help='Base URL of the ironic-etcd HTTP API (ironic-etcd api '
                     'or serve --api-listen-address), or a comma-separated '
                     'list of its replicas: a call that cannot reach one '
                     'goes to the next. The environment variable %s (same '
                     'form) takes precedence.' % URL_ENV),
    cfg.StrOpt('ca_file',
               help='CA bundle that signs the API\'s certificate (https).'),
    cfg.StrOpt('cert_file',
               help='Client certificate for an API that requires one.'),
    cfg.StrOpt('key_file', help='Key of cert_file.'),
    cfg.FloatOpt('connect_timeout', default=5.0, min=0.1,
                 help='Seconds to wait for a connection to the API. An API '
                      'that cannot be reached fails the call with '
                      'StoreUnavailable (a DBConnectionError).'),
    cfg.FloatOpt('timeout', default=35.0, min=0.1,
                 help='Seconds to wait for an answer. Longer than the API\'s '
                      '--request-timeout (30 s), so that the API reports its '
                      'own timeouts. A write that times out here fails with '
                      'UnknownOutcome: it may have been applied.'),
    cfg.IntOpt('max_request_bytes', default=4 * 1024 * 1024, min=1024,
               help='Largest request body sent; the API\'s '
                    '--max-body-bytes. A larger call fails with '
                    'ValueTooLarge (a DBDataError) without being sent.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    """oslo-config-generator's entry point."""
    return [(GROUP, opts)]


def api_url(conf):
    """The API's replicas, as a list of base URLs."""
    env = os.environ.get(URL_ENV)
    if env:
        return [u.strip() for u in env.split(',') if u.strip()]
    return list(conf[GROUP].url)
