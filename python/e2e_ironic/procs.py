"""Processes of a run: started with their output in a log file of the
run's artifact directory, killed or stopped by the scenarios, all stopped
at the end."""

import os
import signal
import socket
import subprocess
import time
import urllib.request


class Proc(object):
    """One long-running process; its stdout and stderr go to
    <logdir>/<name>.log (appended across restarts)."""

    def __init__(self, name, argv, logdir, env=None):
        self.name, self.argv, self.env = name, list(argv), env
        self.log_path = os.path.join(logdir, name + '.log')
        self.popen = None

    def start(self):
        log = open(self.log_path, 'ab')
        log.write(('\n==== %s start: %s\n' % (
            time.strftime('%H:%M:%S'), ' '.join(self.argv))).encode())
        log.flush()
        env = dict(os.environ)
        env.update(self.env or {})
        self.popen = subprocess.Popen(self.argv, stdout=log,
                                      stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)
        log.close()
        return self

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def kill(self):
        """SIGKILL, as a crash: nothing runs on the way out."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL after timeout."""
        if not self.alive():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def check(self):
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError('%s exited with %s; see %s' % (
                self.name, self.popen.returncode, self.log_path))


def free_ports(n, host='127.0.0.1'):
    """n distinct TCP ports free on host now."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_http(url, procs, timeout=120, ok=(200,)):
    """Until url answers one of ok; fails at once when a process in procs
    exits."""
    deadline = time.monotonic() + timeout
    while True:
        for p in procs:
            p.check()
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status in ok:
                    return
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError('%s not answering within %d s' % (url, timeout))
        time.sleep(0.3)
