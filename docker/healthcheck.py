"""The image's HEALTHCHECK: healthy when the Jupyter server answers on /api.

It finds the running server the way Jupyter Docker Stacks do, from the
jpserver-*.json files in Jupyter's runtime folder (JupyterLab and
jupyterhub-singleuser both write one), and asks its /api, which needs no
token. It asks on 127.0.0.1, at the server's port and base URL: the host
name in the file's URL is the container's, which a container started with
`--network none` (a classroom offline) cannot resolve.
"""

import glob
import json
import os
import sys
import urllib.parse
import urllib.request

from jupyter_core.paths import jupyter_runtime_dir

servers = sorted(glob.glob(os.path.join(jupyter_runtime_dir(), "jpserver-*.json")), key=os.path.getmtime)
if not servers:
    sys.exit("healthcheck: no Jupyter server running")
with open(servers[-1]) as f:
    info = json.load(f)
scheme = urllib.parse.urlsplit(info["url"]).scheme or "http"
url = f"{scheme}://127.0.0.1:{info['port']}/{info.get('base_url', '/').strip('/')}"
with urllib.request.urlopen(url.rstrip("/") + "/api", timeout=5) as resp:
    print(f"healthcheck: {url}: {json.load(resp)}")
