"""A stand-in HTTP server for the backend's transport tests: answers
every POST with one status and body (after a delay, if asked), and keeps
each request's headers."""

from http import server as http_server
import threading
import time


class FakeAPI(http_server.ThreadingHTTPServer):
    """status and body for every POST (body b'': no Content-Type, as a
    proxy or another server would answer); headers of each request in
    self.headers; delay: seconds before each answer. close() when done."""

    def __init__(self, status=200, body=b'null', delay=0):
        self.headers = []
        outer = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers['Content-Length'] or 0))
                outer.headers.append(dict(self.headers))
                time.sleep(delay)
                self.send_response(status)
                if body:
                    self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass  # a client that timed out closed its end: expected

    def close(self):
        self.shutdown()
        self.server_close()
