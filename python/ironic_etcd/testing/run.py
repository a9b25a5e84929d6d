"""Run Ironic's own unit test suites against ironic-etcd.

    IRONIC_ETCD_URL=http://127.0.0.1:6390 python3 -m ironic_etcd.testing.run \
        [-v] [--expected-failures FILE] [--shard I/N] SUITE_OR_TEST...

SUITE is ``db`` (ironic.tests.unit.db), ``conductor``
(ironic.tests.unit.conductor) or ``backend`` (python/tests, the backend's
own tests, which start their own ironic-etcd from IRONIC_ETCD_BIN);
anything else is a dotted test name or module
(``ironic.tests.unit.db.test_nodes.DbNodeTestCase.test_create_node``).
The API must run with ``--testing``. Prints ``N passed, N failed`` per
suite; exits non-zero when a test fails that the expected-failures
file does not list, or one it lists passes.

``--shard I/N`` runs the I-th of N parts (by test class, the same split in
every process), so N processes, each against its own API (``--prefix``:
reset_for_tests empties only its prefix), run a suite together.
"""

import argparse
import os
import sys
import time
import unittest

from ironic_etcd.testing import hooks

SUITES = {'db': 'ironic.tests.unit.db',
          'conductor': 'ironic.tests.unit.conductor',
          'backend': None}  # python/tests: the backend's own tests

# python/, which holds ironic_etcd and the backend's tests.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class Outcome(unittest.TestResult):
    """Records each test's outcome by id."""

    def __init__(self, stream=None, descriptions=None, verbosity=0):
        super().__init__(stream, descriptions, verbosity)
        self.outcomes = {}
        self.details = {}

    def _set(self, test, outcome, detail=None):
        self.outcomes[test.id()] = outcome
        if detail:
            self.details[test.id()] = detail

    def addSuccess(self, test):
        self._set(test, 'pass')

    def addFailure(self, test, err):
        self._set(test, 'fail', self._exc_info_to_string(err, test))

    def addError(self, test, err):
        self._set(test, 'fail', self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self._set(test, 'skip', reason)

    def addExpectedFailure(self, test, err):
        self._set(test, 'pass')

    def addUnexpectedSuccess(self, test):
        self._set(test, 'fail', 'unexpected success')


def read_expected(path):
    """{test id: reason} from lines ``test.id  reason``; # starts a
    comment line."""
    expected = {}
    if not path or not os.path.exists(path):
        return expected
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            test_id, _, reason = line.partition(' ')
            expected[test_id] = reason.strip()
    return expected


def load(name):
    loader = unittest.TestLoader()
    if name == 'backend':
        return loader.discover(os.path.join(PYTHON_DIR, 'tests'),
                               pattern='test_*.py', top_level_dir=PYTHON_DIR)
    package = SUITES.get(name)
    if package is None:
        return loader.loadTestsFromName(name)
    module = __import__(package, fromlist=['_'])
    start = os.path.dirname(module.__file__)
    top = start
    for _ in package.split('.'):
        top = os.path.dirname(top)
    return loader.discover(start, pattern='test_*.py', top_level_dir=top)


def _by_class(suite, out):
    """{class id: [tests]} of a (nested) suite, in discovery order."""
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            _by_class(test, out)
        else:
            out.setdefault(test.id().rpartition('.')[0], []).append(test)
    return out


def shard(suite, index, count):
    """Part index (1-based) of count of suite: whole test classes (their
    fixtures stay together), the largest first to the part with the fewest
    tests so far. Deterministic, so parts run by separate processes cover
    the suite exactly once."""
    classes = _by_class(suite, {})
    sizes = [0] * count
    parts = [[] for _ in range(count)]
    for _, tests in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        smallest = sizes.index(min(sizes))
        sizes[smallest] += len(tests)
        parts[smallest].extend(tests)
    return unittest.TestSuite(parts[index - 1])


def parse_shard(text):
    """'I/N' as (I, N), 1 <= I <= N."""
    try:
        index, count = (int(x) for x in text.split('/'))
    except ValueError:
        raise argparse.ArgumentTypeError('want I/N, got %r' % text)
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError('want 1 <= I <= N, got %r' % text)
    return index, count


def run(name, expected, verbose, part=None):
    suite = load(name)
    if part:
        suite = shard(suite, *part)
        name = '%s (shard %d/%d)' % ((name,) + part)
    result = Outcome()
    started = time.monotonic()
    suite.run(result)
    took = time.monotonic() - started
    for err in result.errors:  # import errors of whole modules
        if err[0].id() not in result.outcomes:
            result.outcomes[err[0].id()] = 'fail'
            result.details[err[0].id()] = err[1]
    counts = {'pass': 0, 'fail': 0, 'skip': 0}
    unexpected, fixed = [], []
    for test_id, outcome in sorted(result.outcomes.items()):
        counts[outcome] += 1
        if outcome == 'fail' and test_id not in expected:
            unexpected.append(test_id)
        if outcome == 'pass' and test_id in expected:
            fixed.append(test_id)
    for test_id in unexpected:
        if verbose:
            print('=' * 70)
            print('FAIL: %s' % test_id)
            print(result.details.get(test_id, ''))
        else:
            print('FAIL: %s' % test_id)
    for test_id in fixed:
        print('PASSES BUT LISTED IN expected-failures: %s' % test_id)
    print('%s: %d passed, %d failed (%d of them expected), %d skipped, '
          'in %.0f s' % (name, counts['pass'], counts['fail'],
                         counts['fail'] - len(unexpected), counts['skip'],
                         took))
    sys.stdout.flush()
    return not unexpected and not fixed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--expected-failures', default=os.path.join(
        os.path.dirname(__file__), '..', '..', 'expected-failures.txt'))
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='print each unexpected failure\'s traceback')
    parser.add_argument('--shard', type=parse_shard, metavar='I/N',
                        help='run only the I-th of N parts of each suite')
    parser.add_argument('names', nargs='+')
    args = parser.parse_args(argv)
    # As Ironic's own stestr setup: each test captures its output and logs
    # (oslotest reads these), so the run prints only the outcome.
    for var in ('OS_STDOUT_CAPTURE', 'OS_STDERR_CAPTURE', 'OS_LOG_CAPTURE'):
        os.environ.setdefault(var, '1')
    if 'backend' in args.names:
        # The backend's own tests start their own servers and clients: they
        # need neither Ironic's test base (which monkey-patches eventlet)
        # nor the hooks (calls that do not yield would starve the fake
        # servers some of them run in-process).
        if len(args.names) > 1:
            parser.error('run the backend suite in a process of its own')
    else:
        hooks.install()
    expected = read_expected(args.expected_failures)
    ok = True
    for name in args.names:
        ok = run(name, expected, args.verbose, args.shard) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
