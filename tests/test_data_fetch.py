"""fetch_mnist against a local HTTP server: checked, atomic, idempotent, and clear when it fails."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from netviz.data import fetch, load_source
from netviz.data.idx import STANDARD_NAMES, idx_bytes
from netviz.errors import NetvizError

FILES = [f"{stem}.gz" for stem in STANDARD_NAMES]


@dataclass
class Mirror:
    """A folder served over HTTP on 127.0.0.1, and the paths requested from it."""

    folder: Path
    url: str = ""
    requests: list[str] = field(default_factory=list)


class CountingHandler(SimpleHTTPRequestHandler):
    mirror: Mirror

    def do_GET(self) -> None:
        self.mirror.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class CutShortHandler(CountingHandler):
    """Promises 1,000 bytes and sends 10, like a connection dropped mid-download."""

    def do_GET(self) -> None:
        self.mirror.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"\x1f\x8b" + b"\x00" * 8)


@contextmanager
def serve(folder: Path, handler: type[CountingHandler] = CountingHandler) -> Iterator[Mirror]:
    mirror = Mirror(folder)
    bound = type("Bound", (handler,), {"mirror": mirror})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(bound, directory=str(folder)))
    mirror.url = f"http://127.0.0.1:{server.server_address[1]}/"
    # Poll every 10 ms (not 0.5 s) so that shutdown() returns at once.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy set in the environment must not intercept requests to 127.0.0.1."""
    monkeypatch.setenv("no_proxy", "*")


def tiny_mnist(folder: Path) -> dict[str, str]:
    """Write four tiny, valid IDX .gz files under the official names; return their content pins."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "train-images-idx3-ubyte": idx_bytes(np.full((3, 28, 28), 7, dtype=np.uint8)),
        "train-labels-idx1-ubyte": idx_bytes(np.array([1, 2, 3], dtype=np.uint8)),
        "t10k-images-idx3-ubyte": idx_bytes(np.full((2, 28, 28), 9, dtype=np.uint8)),
        "t10k-labels-idx1-ubyte": idx_bytes(np.array([4, 5], dtype=np.uint8)),
    }
    for stem, content in contents.items():
        (folder / f"{stem}.gz").write_bytes(gzip.compress(content, mtime=0))
    return {stem: hashlib.sha256(content).hexdigest() for stem, content in contents.items()}


@pytest.fixture
def tiny_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    """Tiny files served, with fetch's pinned digests swapped for theirs."""
    monkeypatch.setattr(fetch, "CONTENT_SHA256", tiny_mnist(tmp_path / "served"))
    with serve(tmp_path / "served") as mirror:
        yield mirror


def test_fetch_downloads_the_four_files_into_dest(tmp_path: Path, tiny_mirror: Mirror) -> None:
    dest = fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url)
    assert dest == tmp_path / "cache"
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (dest / name).read_bytes() == (tiny_mirror.folder / name).read_bytes()
    assert sorted(tiny_mirror.requests) == sorted(f"/{name}" for name in FILES)
    assert len(load_source(dest).official_test or []) == 2


def test_second_fetch_with_valid_files_makes_no_request(
    tmp_path: Path, tiny_mirror: Mirror
) -> None:
    fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url)
    tiny_mirror.requests.clear()
    fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url)
    assert tiny_mirror.requests == []


def test_a_damaged_cached_file_is_downloaded_again(tmp_path: Path, tiny_mirror: Mirror) -> None:
    dest = fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url)
    (dest / FILES[1]).write_bytes(b"not gzip")
    tiny_mirror.requests.clear()
    fetch.fetch_mnist(dest, tiny_mirror.url)
    assert tiny_mirror.requests == [f"/{FILES[1]}"]
    assert (dest / FILES[1]).read_bytes() == (tiny_mirror.folder / FILES[1]).read_bytes()


def test_mirror_without_trailing_slash_works(tmp_path: Path, tiny_mirror: Mirror) -> None:
    fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url.rstrip("/"))
    assert len(list((tmp_path / "cache").iterdir())) == 4


def test_content_that_does_not_match_its_pin_is_refused_and_nothing_is_left(
    tmp_path: Path,
) -> None:
    tiny_mnist(tmp_path / "served")  # served under the real pins, which it does not match
    with serve(tmp_path / "served") as mirror, pytest.raises(NetvizError) as caught:
        fetch.fetch_mnist(tmp_path / "cache", mirror.url)
    found = hashlib.sha256(
        gzip.decompress((tmp_path / "served" / FILES[0]).read_bytes())
    ).hexdigest()
    assert str(caught.value) == (
        f"{FILES[0]} from {mirror.url}{FILES[0]}: content SHA-256 {found}, "
        f"expected {fetch.CONTENT_SHA256[STANDARD_NAMES[0]]}; not kept"
    )
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_download_that_is_not_gzip_is_refused(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / FILES[0]).write_text("<html>a captive portal</html>")
    with serve(served) as mirror, pytest.raises(NetvizError, match=r"\(not gzip data\)"):
        fetch.fetch_mnist(tmp_path / "cache", mirror.url)
    assert list((tmp_path / "cache").iterdir()) == []


def test_http_404_is_one_line_naming_the_url(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with serve(tmp_path / "empty") as mirror, pytest.raises(NetvizError) as caught:
        fetch.fetch_mnist(tmp_path / "cache", mirror.url)
    assert str(caught.value) == f"download failed: {mirror.url}{FILES[0]}: HTTP 404 File not found"


def test_unreachable_mirror_is_one_line_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(NetvizError) as caught:
        fetch.fetch_mnist(tmp_path / "cache", url)
    message = str(caught.value)
    assert message.startswith(f"download failed: {url}{FILES[0]}: ") and "\n" not in message
    assert "refused" in message.lower()


def test_a_download_cut_short_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    (tmp_path / "served").mkdir()
    with serve(tmp_path / "served", CutShortHandler) as mirror:
        with pytest.raises(NetvizError, match=f"download failed: {mirror.url}{FILES[0]}: "):
            fetch.fetch_mnist(tmp_path / "cache", mirror.url)
    assert list((tmp_path / "cache").iterdir()) == []


def test_progress_reports_each_file_up_to_its_size(tmp_path: Path, tiny_mirror: Mirror) -> None:
    calls: list[tuple[str, int, int | None]] = []
    fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url, lambda *call: calls.append(call))
    for name in FILES:
        size = (tiny_mirror.folder / name).stat().st_size
        mine = [call for call in calls if call[0] == name]
        assert mine[0] == (name, 0, size) and mine[-1] == (name, size, size)


def test_progress_reports_files_already_present_as_done(
    tmp_path: Path, tiny_mirror: Mirror
) -> None:
    fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url)
    calls: list[tuple[str, int, int | None]] = []
    fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url, lambda *call: calls.append(call))
    sizes = [(tmp_path / "cache" / name).stat().st_size for name in FILES]
    assert calls == [(name, size, size) for name, size in zip(FILES, sizes, strict=True)]


def test_rich_progress_gives_a_callback_for_fetch(tmp_path: Path, tiny_mirror: Mirror) -> None:
    with fetch.rich_progress() as progress:
        fetch.fetch_mnist(tmp_path / "cache", tiny_mirror.url, progress)
        progress("unknown-size.gz", 5, None)


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [("/xdg/cache", "/xdg/cache/netviz/mnist"), ("", "HOME/.cache/netviz/mnist")],
    ids=["xdg-cache-home", "unset"],
)
def test_cache_dir_follows_xdg_cache_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str, expected: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert fetch.cache_dir() == Path(expected.replace("HOME", str(tmp_path)))


def test_cache_dir_ignores_a_relative_xdg_cache_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert fetch.cache_dir() == tmp_path / ".cache" / "netviz" / "mnist"


@pytest.mark.slow
def test_real_mnist_is_fetched_checked_and_not_fetched_twice(
    tmp_path: Path, mnist_dir: Path
) -> None:
    with serve(mnist_dir) as mirror:
        dest = fetch.fetch_mnist(tmp_path / "cache", mirror.url)
        for name in FILES:
            assert (dest / name).read_bytes() == (mnist_dir / name).read_bytes()
        mirror.requests.clear()
        fetch.fetch_mnist(dest, mirror.url)
        assert mirror.requests == []


@pytest.mark.slow
def test_a_corrupted_real_file_is_refused_and_only_good_files_stay(
    tmp_path: Path, mnist_dir: Path
) -> None:
    served = tmp_path / "served"
    shutil.copytree(mnist_dir, served)
    bad = served / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(bad.read_bytes()))
    content[100] = (content[100] + 1) % 10  # still a valid label: only the digest can tell
    bad.chmod(0o644)
    bad.write_bytes(gzip.compress(bytes(content)))
    with serve(served) as mirror, pytest.raises(NetvizError, match="t10k-labels-idx1-ubyte.gz"):
        fetch.fetch_mnist(tmp_path / "cache", mirror.url)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(FILES[:3])
