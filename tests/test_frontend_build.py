"""The built frontend as the app serves it, in process: the decoder's `.wasm` gets compressed
copies at build (lbt_app/frontend_build.py) and Reflex's production file server, wrapped in the
app's headers, sends the smallest one the browser accepts, with its type and its caching."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import pytest
from reflex.config import get_config
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from lbt_app.frontend_build import WasmCompression
from lbt_app.http_headers import SecurityHeaders

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WASM = "/assets/zxing_reader-BCjuyud6.wasm"


def _wasm_like(size: int) -> bytes:
    """Compressible like the real decoder: code made of a small vocabulary, some noise."""
    rng = random.Random(5)
    words = [rng.randbytes(rng.randint(2, 9)) for _ in range(400)]
    out = bytearray(b"\0asm\1\0\0\0")
    while len(out) < size:
        out += rng.choice(words)
    return bytes(out[:size])


@pytest.fixture
def built(tmp_path, monkeypatch) -> tuple[Path, TestClient]:
    node_bin = PROJECT_ROOT / ".tools" / "node-bin"  # make setup-test's Node.js, if any
    if node_bin.exists():
        monkeypatch.setenv(
            "PATH", f"{node_bin.read_text().strip()}{os.pathsep}{os.environ['PATH']}"
        )
    (tmp_path / "assets").mkdir()
    (tmp_path / WASM.lstrip("/")).write_bytes(_wasm_like(300_000))
    (tmp_path / "index.html").write_text("<!doctype html><title>LBT</title>")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    WasmCompression().post_build(static_dir=tmp_path)
    files = PrecompressedStaticFiles(
        directory=tmp_path, html=True, encodings=get_config().frontend_compression_formats
    )
    app = SecurityHeaders(Starlette(routes=[Mount("/", app=files)]))
    return tmp_path, TestClient(app)


def _get(client: TestClient, path: str, accept: str):
    """The answer and the bytes that travelled (not decoded)."""
    with client.stream("GET", path, headers={"Accept-Encoding": accept}) as answer:
        return answer, b"".join(answer.iter_raw())


def test_the_build_writes_brotli_and_gzip_copies_of_the_wasm(built):
    static, _ = built
    raw = (static / WASM.lstrip("/")).stat().st_size
    for suffix in (".br", ".gz"):
        copy = static / (WASM.lstrip("/") + suffix)
        assert copy.exists() and copy.stat().st_size < raw / 2, suffix


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")]
)
def test_the_wasm_is_served_compressed_typed_and_kept_a_year(built, accept, encoding):
    static, client = built
    answer, wire = _get(client, WASM, accept)
    file = static / WASM.lstrip("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/wasm"
    assert answer.headers["content-encoding"] == encoding
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" in answer.headers
    sidecar = {"br": ".br", "gzip": ".gz"}[encoding]
    assert wire == file.with_name(file.name + sidecar).read_bytes()
    assert len(wire) < file.stat().st_size / 2
    gzipped = file.with_name(file.name + ".gz").read_bytes()
    assert gzip.decompress(gzipped) == file.read_bytes()  # the copies hold the file


def test_without_compression_accepted_the_file_itself_is_sent(built):
    static, client = built
    answer, wire = _get(client, WASM, "identity")
    assert "content-encoding" not in answer.headers
    assert wire == (static / WASM.lstrip("/")).read_bytes()


@pytest.mark.parametrize("path", ["/", "/sw.js"])
def test_pages_and_the_service_worker_are_asked_again(built, path):
    _, client = built
    answer, _ = _get(client, path, "br")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
