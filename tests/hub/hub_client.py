"""Two students on the test JupyterHub (test_hub.sh starts it).

For alice and bob, as a browser would: log in on the hub's login form, ask
the hub for an API token, start their server, write a file through their
server's contents API, start a GoNB kernel and run two cells over the kernel's
websocket (Jupyter messaging protocol): the course's binding cell and a Go
cell that imports the course's mnist package. Then checks that each sees only
their own file and that neither can use the other's server, and stops alice's
server (bob's is left for the hub to stop). Prints a transcript; exits non-zero
on the first failed check.
"""

import datetime
import json
import os
import re
import sys
import time
import uuid

import requests
import websocket

HUB = os.environ["HUB_URL"].rstrip("/")
PASSWORD = os.environ["HUB_PASSWORD"]
USERS = ["alice", "bob"]

BIND_CELL = """!*go mod edit -replace github.com/godigits/digits=${DIGITS_ROOT} && \\
  go mod edit -require github.com/godigits/digits@v0.0.0 && \\
  go mod edit -require github.com/janpfeifer/gonb@v0.11.5"""
GO_CELL = """import (
\t"fmt"
\t"os"

\t"github.com/godigits/digits/mnist"
)

%%
fmt.Printf("hello from %s's kernel: MNIST has %d classes of %dx%d images\\n",
\tos.Getenv("JUPYTERHUB_USER"), mnist.NumClasses, mnist.ImageSize, mnist.ImageSize)"""


def say(msg):
    print(f"hub: {msg}", flush=True)


def check(cond, msg):
    if not cond:
        say(f"FAIL: {msg}")
        sys.exit(1)


class Student:
    def __init__(self, name):
        self.name = name
        self.web = requests.Session()  # the browser: cookies of the hub
        self.token = None

    def api(self, method, path, **kw):
        """A call to the hub's or the user's server REST API, with the user's token."""
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, HUB + path, headers=headers, timeout=60, **kw)

    def login(self):
        page = self.web.get(f"{HUB}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        check(xsrf, f"{self.name}: no _xsrf field on the login page")
        r = self.web.post(f"{HUB}/hub/login", data={"username": self.name, "password": PASSWORD,
                                                    "_xsrf": xsrf.group(1)}, allow_redirects=False, timeout=30)
        check(r.status_code == 302, f"{self.name}: login answered {r.status_code}")
        # A token for the REST calls, asked with the session cookie as a page would.
        r = self.web.post(f"{HUB}/hub/api/users/{self.name}/tokens", json={"note": "classroom test"},
                          headers={"X-XSRFToken": self.web.cookies.get("_xsrf", path="/hub/")}, timeout=30)
        check(r.status_code == 201, f"{self.name}: token request answered {r.status_code}: {r.text[:200]}")
        self.token = r.json()["token"]
        say(f"{self.name}: logged in (password form, session cookie), got an API token")

    def start_server(self):
        r = self.api("POST", f"/hub/api/users/{self.name}/server")
        check(r.status_code in (201, 202), f"{self.name}: start server answered {r.status_code}: {r.text[:200]}")
        for _ in range(240):
            user = self.api("GET", f"/hub/api/users/{self.name}").json()
            server = user.get("servers", {}).get("", {})
            if server.get("ready"):
                say(f"{self.name}: server ready at {server['url']}")
                return
            time.sleep(0.5)
        check(False, f"{self.name}: server not ready in 120s")

    def put_file(self, path, text):
        r = self.api("PUT", f"/user/{self.name}/api/contents/{path}",
                     json={"type": "file", "format": "text", "content": text})
        check(r.status_code in (200, 201), f"{self.name}: writing {path} answered {r.status_code}")
        say(f"{self.name}: wrote {path} through the contents API")

    def list_files(self):
        r = self.api("GET", f"/user/{self.name}/api/contents/")
        check(r.status_code == 200, f"{self.name}: listing answered {r.status_code}")
        return sorted(item["name"] for item in r.json()["content"])

    def run_cells(self, cells):
        r = self.api("POST", f"/user/{self.name}/api/kernels", json={"name": "gonb"})
        check(r.status_code == 201, f"{self.name}: starting the gonb kernel answered {r.status_code}: {r.text[:200]}")
        kernel = r.json()["id"]
        say(f"{self.name}: gonb kernel {kernel} started")
        ws_url = HUB.replace("http", "ws", 1) + f"/user/{self.name}/api/kernels/{kernel}/channels"
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=300)
        session = uuid.uuid4().hex
        outputs = []
        try:
            for code in cells:
                start = time.monotonic()
                text, status = execute(ws, session, self.name, code)
                outputs.append(text)
                say(f"{self.name}: cell ran in {time.monotonic() - start:.1f}s, status {status}"
                    + "".join(f"\n    | {line}" for line in text.splitlines()))
                check(status == "ok", f"{self.name}: cell failed: {text[-1000:]}")
        finally:
            ws.close()
        r = self.api("DELETE", f"/user/{self.name}/api/kernels/{kernel}")
        check(r.status_code == 204, f"{self.name}: shutting the kernel down answered {r.status_code}")
        say(f"{self.name}: kernel shut down")
        return outputs

    def stop_server(self):
        r = self.api("DELETE", f"/hub/api/users/{self.name}/server")
        check(r.status_code in (202, 204), f"{self.name}: stop server answered {r.status_code}")
        for _ in range(120):
            if not self.api("GET", f"/hub/api/users/{self.name}").json().get("servers"):
                say(f"{self.name}: server stopped")
                return
            time.sleep(0.5)
        check(False, f"{self.name}: server still running after 60s")


def execute(ws, session, username, code):
    """Runs code on the kernel; returns (text output, status of execute_reply)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": username, "session": session, "msg_type": "execute_request",
                   "version": "5.3", "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    text, status, idle = [], None, False
    while status is None or not idle:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            text.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            text.append("\n".join(content.get("traceback", [])) or content.get("evalue", ""))
        elif kind == "execute_reply":
            status = content["status"]
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
    return "".join(text), status


def main():
    students = [Student(name) for name in USERS]
    for s in students:
        s.login()
        s.start_server()
        s.put_file(f"{s.name}-notes.txt", f"{s.name}'s notes\n")
    for s in students:
        out = s.run_cells([BIND_CELL, GO_CELL])
        want = f"hello from {s.name}'s kernel: MNIST has 10 classes of 28x28 images"
        check(want in out[-1], f"{s.name}: the Go cell printed {out[-1]!r}, want {want!r}")
    alice, bob = students
    for s, other in ((alice, bob), (bob, alice)):
        files = s.list_files()
        say(f"{s.name}: sees {files}")
        check(f"{s.name}-notes.txt" in files, f"{s.name} does not see their own file")
        check(f"{other.name}-notes.txt" not in files, f"{s.name} sees {other.name}'s file")
        r = s.api("GET", f"/user/{s.name}/api/contents/../{other.name}/{other.name}-notes.txt")
        check(r.status_code in (400, 403, 404), f"{s.name} read {other.name}'s file by ../ ({r.status_code})")
        say(f"{s.name}: reading ../{other.name}/{other.name}-notes.txt answered {r.status_code}")
        r = requests.get(f"{HUB}/user/{other.name}/api/contents/", headers={"Authorization": f"token {s.token}"},
                         timeout=30, allow_redirects=False)
        check(r.status_code in (302, 403, 404), f"{s.name} used {other.name}'s server ({r.status_code})")
        say(f"{s.name}: {other.name}'s server refused {s.name}'s token ({r.status_code})")
    # Alice stops her server; bob's is left for the hub to stop when it stops
    # (test_hub.sh checks that nothing is left).
    alice.stop_server()
    say("2 users: logged in, servers started, Go cells ran, files kept apart; alice's server stopped, "
        "bob's left running for the hub to stop")


if __name__ == "__main__":
    main()
