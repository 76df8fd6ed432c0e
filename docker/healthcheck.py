"""The image's HEALTHCHECK: healthy when the Jupyter server answers on /api.

It finds the running server the way Jupyter Docker Stacks do, from the
jpserver-*.json files in Jupyter's runtime folder (JupyterLab and
jupyterhub-singleuser both write one), and asks its /api, which needs no token.
"""

import glob
import json
import os
import sys
import urllib.request

from jupyter_core.paths import jupyter_runtime_dir

servers = sorted(glob.glob(os.path.join(jupyter_runtime_dir(), "jpserver-*.json")), key=os.path.getmtime)
if not servers:
    sys.exit("healthcheck: no Jupyter server running")
with open(servers[-1]) as f:
    url = json.load(f)["url"]
with urllib.request.urlopen(url.rstrip("/") + "/api", timeout=5) as resp:
    print(f"healthcheck: {url}: {json.load(resp)}")
