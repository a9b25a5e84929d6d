"""python3 -m e2e_ironic [--backends etcd,sql] [--nodes 50] ...

Runs the scenarios on each backend with the same script and timers, and
writes what it measured to <artifacts>/ironic-e2e.json and .md, with the
log of every process under <artifacts>/logs/<backend>/."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

from e2e_ironic import report
from e2e_ironic import rest
from e2e_ironic import scenarios
from e2e_ironic import stack as stack_mod


def run_backend(backend, args, logdir):
    work = tempfile.mkdtemp(prefix='ironic-e2e-%s-' % backend,
                            dir='/dev/shm' if os.path.isdir('/dev/shm')
                            else None)
    st = stack_mod.Stack(backend, args.binary, work, logdir,
                         args.deploy_delay)
    result = {'backend': backend}
    timeout = args.deploy_delay * 3 + 60
    try:
        t = time.monotonic()
        st.start_store()
        st.start_ironic()
        ironic = rest.Ironic(st.api_url)
        rest.wait_conductors(ironic, len(stack_mod.CONDUCTOR_HOSTS), 60)
        result['startup_s'] = round(time.monotonic() - t, 1)
        wanted = args.scenarios.split(',')
        if 'lifecycle' in wanted:
            result['lifecycle'] = scenarios.lifecycle(ironic, args.nodes,
                                                      timeout)
            _progress(backend, 'lifecycle', result['lifecycle'])
        if 'takeover' in wanted:
            result['takeover'] = scenarios.takeover(
                st, ironic, args.takeover_nodes, timeout)
            _progress(backend, 'takeover', result['takeover'])
        if 'store_faults' in wanted and backend == 'etcd':
            # The SQL backend has no replicas or members to kill.
            result['store_faults'] = scenarios.store_faults(
                st, ironic, args.fault_nodes, timeout)
            _progress(backend, 'store_faults', result['store_faults'])
        st.check_alive(except_=[p for p in st.conductors if not p.alive()])
    except Exception:
        result['error'] = traceback.format_exc()
        print(result['error'], file=sys.stderr)
    finally:
        st.stop()
        shutil.rmtree(work, ignore_errors=True)
    return result


def _progress(backend, name, result):
    print('%s %s: %s' % (backend, name, json.dumps(result)), flush=True)


def main():
    p = argparse.ArgumentParser(prog='python3 -m e2e_ironic')
    p.add_argument('--binary', required=True,
                   help='the ironic-etcd binary (go build ./cmd/ironic-etcd)')
    p.add_argument('--backends', default='etcd,sql')
    p.add_argument('--nodes', type=int, default=50,
                   help='nodes of the lifecycle scenario')
    p.add_argument('--takeover-nodes', type=int, default=30)
    p.add_argument('--fault-nodes', type=int, default=30)
    p.add_argument('--deploy-delay', type=int, default=15,
                   help='[fake]deploy_delay: seconds a deploy holds its node')
    p.add_argument('--scenarios', default='lifecycle,takeover,store_faults')
    p.add_argument('--artifacts', default='e2e/artifacts/ironic')
    args = p.parse_args()
    stack_mod.check_environment()
    results = {'started': time.strftime('%Y-%m-%d %H:%M:%S UTC',
                                        time.gmtime()),
               'settings': report.settings(args), 'runs': []}
    for backend in args.backends.split(','):
        logdir = os.path.join(args.artifacts, 'logs', backend)
        shutil.rmtree(logdir, ignore_errors=True)
        os.makedirs(logdir)
        results['runs'].append(run_backend(backend, args, logdir))
    report.write(results, args.artifacts)
    failed = [r['backend'] for r in results['runs'] if 'error' in r]
    if failed:
        sys.exit('e2e-ironic failed on %s; logs in %s/logs'
                 % (', '.join(failed), args.artifacts))


if __name__ == '__main__':
    main()
