# JupyterHub for the classroom test (test_hub.sh): the dummy authenticator
# (any allowed user, one shared password) and one of two spawners:
#
# - SimpleLocalProcessSpawner (the default): each user's jupyterhub-singleuser
#   from the project's environment (.venv, where the GoNB kernel is
#   registered), as the hub's own system user, in that user's home folder.
#   Isolation here is Jupyter's: each user's server has their own home folder
#   as its root, its REST API answers only that user's token, and its contents
#   API cannot reach outside that folder. Everything listens on 127.0.0.1.
# - DockerSpawner (HUB_SPAWNER=docker, from tests/image/test_image.sh): each
#   user gets a container of the classroom image (HUB_IMAGE) with a volume of
#   their own over /home/jovyan, as a classroom's hub runs it. The hub's API
#   then listens on the Docker bridge's address, where the containers reach
#   it; the proxy reaches each container at its address on that bridge.
import os
import sys

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)

tmp = os.environ["HUB_TMP"]
venv = os.environ["VENV"]

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["HUB_API_PORT"])
c.JupyterHub.db_url = f"sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{tmp}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{tmp}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# configurable-http-proxy from npm (tests/hub/node_modules, npm ci).
c.ConfigurableHTTPProxy.command = [os.path.join(os.path.dirname(__file__), "node_modules", ".bin", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['HUB_PROXY_API_PORT']}"

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["HUB_PASSWORD"]
c.Authenticator.allowed_users = {"alice", "bob"}

c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

if os.environ.get("HUB_SPAWNER", "local") == "docker":
    run_id = os.environ["HUB_RUN_ID"]
    c.JupyterHub.hub_ip = os.environ["HUB_BRIDGE_IP"]
    # The settings docker/README.md gives teachers, names made unique per run.
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.DockerSpawner.image = os.environ["HUB_IMAGE"]
    c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
    c.DockerSpawner.notebook_dir = "/home/jovyan"
    c.DockerSpawner.volumes = {f"{run_id}-{{username}}": "/home/jovyan"}
    c.DockerSpawner.mem_limit = "2G"
    c.DockerSpawner.cpu_limit = 1.0
    c.DockerSpawner.remove = True  # a stopped server leaves no container
    # And for the test: the image is local (no registry is asked), the
    # containers are named after the run.
    c.DockerSpawner.pull_policy = "never"
    c.DockerSpawner.name_template = f"{run_id}-{{username}}"
else:
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = f"{tmp}/home/{{username}}"
    c.Spawner.cmd = [f"{venv}/bin/jupyterhub-singleuser"]
    c.Spawner.args = ["--allow-root"] if os.getuid() == 0 else []
    # What a classroom image sets for every user (docker/start.sh): the
    # course's environment and the shared Go caches (the build cache already
    # holds GoMLX).
    c.Spawner.environment = {
        "PATH": f"{venv}/bin:{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
        "GOCACHE": os.environ["HUB_GOCACHE"],
        "GOMODCACHE": os.environ["HUB_GOMODCACHE"],
        "GOMLX_NO_AUTO_INSTALL": "1",
        "JUPYTER_CONFIG_DIR": f"{tmp}/jupyter-config",
    }
