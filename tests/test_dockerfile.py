"""Every Debian package the classroom image installs has its version pinned.

The Dockerfile takes its apt packages as a build argument (APT_PACKAGES), so
hadolint cannot see the pins (its DL3008 is ignored on that line): this test
checks them instead, in the Dockerfile's default list and in the lists of
tests/image/test_image.sh, which builds the image on a Debian 13 base.
"""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parent.parent
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()
TEST_IMAGE = (ROOT / "tests" / "image" / "test_image.sh").read_text()

# name=version, Debian's package-name and version alphabets.
PINNED = re.compile(r"^[a-z0-9][a-z0-9+.-]+=[0-9][A-Za-z0-9.+~:-]*$")


def _value(text, pattern):
    m = re.search(pattern, text, re.M)
    assert m, f"no match for {pattern!r}"
    return m.group(1)


LISTS = {
    "Dockerfile ARG APT_PACKAGES": _value(DOCKERFILE, r'^ARG APT_PACKAGES="([^"]*)"'),
    "test_image.sh BUILD_APT_PACKAGES": _value(TEST_IMAGE, r'^BUILD_APT_PACKAGES="([^"]*)"'),
    "test_image.sh BASE_CA_CERTIFICATES": _value(TEST_IMAGE, r"^BASE_CA_CERTIFICATES=(\S+)"),
}


@pytest.mark.parametrize("where", sorted(LISTS))
def test_apt_packages_are_pinned(where):
    packages = LISTS[where].split()
    assert packages, f"{where}: empty"
    unpinned = [p for p in packages if not PINNED.match(p)]
    assert not unpinned, f"{where}: not pinned as name=version: {unpinned}"


def test_pin_check_rejects_unpinned():
    assert PINNED.match("libc6-dev=2.36-9+deb12u14")
    assert PINNED.match("gcc=4:12.2.0-3")
    for bad in ("gcc", "gcc=", "tini>=0.19", "$APT_PACKAGES"):
        assert not PINNED.match(bad), bad


def test_dockerfile_installs_the_list():
    # The RUN line installs the build argument, not a list of its own.
    assert re.search(r"apt-get install -y --no-install-recommends \$APT_PACKAGES", DOCKERFILE)


def test_engine_pins():
    # docker.io and debootstrap, per Debian release the test may install them on.
    for name in ("DOCKER_IO", "DEBOOTSTRAP"):
        pins = re.findall(r"\[(\w+)\]=(\S+?)[ )]", _value(TEST_IMAGE, rf"^declare -A {name}=\((.*)$"))
        assert {release for release, _ in pins} >= {"bookworm", "trixie"}, name
        for release, version in pins:
            assert re.match(r"^[0-9][A-Za-z0-9.+~:-]*$", version), (name, release, version)
