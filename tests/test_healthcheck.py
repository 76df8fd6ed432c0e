"""The classroom image's health check (docker/healthcheck.py) against a stand-in server.

A container started with `--network none` cannot resolve its own host name,
which is the host of the URL that Jupyter writes in its jpserver-*.json file:
the check must ask 127.0.0.1 at the server's port and base URL.
"""

import http.server
import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest

HEALTHCHECK = pathlib.Path(__file__).parent.parent / "docker" / "healthcheck.py"


class _API(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/user/alice/api"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"version": "test"} if ok else {}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _API)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    thread.join()


def run_check(runtime, env_extra=None):
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime))
    return subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=60)


def test_healthy_when_the_host_name_does_not_resolve(tmp_path, server):
    info = {"url": f"http://no-such-host.invalid:{server}/user/alice/", "port": server, "base_url": "/user/alice/"}
    (tmp_path / "jpserver-1.json").write_text(json.dumps(info))
    done = run_check(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "'version': 'test'" in done.stdout


def test_unhealthy_without_a_server(tmp_path):
    done = run_check(tmp_path)
    assert done.returncode != 0
    assert "no Jupyter server running" in done.stderr
