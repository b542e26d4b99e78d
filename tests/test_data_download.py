"""PhysioNet download: SHA-256 verification, resume with HTTP Range, no second download.
Served from a local HTTP server on 127.0.0.1 (no test touches the network)."""

import contextlib
import hashlib
import http.server
import threading

import pytest
import yaml
from conftest import TINY_CONFIG, run_snakemake

from synecg.data.demo import write_demo
from synecg.data.store import read_records

from synecg.data.download import SUMS_FILE, download_release, ensure_file, fetch, parse_sha256sums
from synecg.errors import DatasetError


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single-range support; counts requests per path."""

    requests: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append((self.path, self.headers.get("Range")))
        path = self.translate_path(self.path)
        try:
            data = open(path, "rb").read()
        except OSError:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])


@contextlib.contextmanager
def serve(site):
    """Serve ``site`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = lambda *a, **k: RangeHandler(*a, directory=str(site), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    RangeHandler.requests = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


def write_sums(site):
    files = sorted(p for p in site.rglob("*") if p.is_file() and p.name != SUMS_FILE)
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(site).as_posix()}\n" for p in files]
    (site / SUMS_FILE).write_text("".join(lines))


@pytest.fixture
def server(tmp_path):
    site = tmp_path / "site"
    (site / "records100" / "00000").mkdir(parents=True)
    files = {"ptbxl_database.csv": b"ecg_id\n1\n", "records100/00000/00001_lr.dat": bytes(range(256)) * 40}
    for rel, data in files.items():
        (site / rel).write_bytes(data)
    write_sums(site)
    with serve(site) as url:
        yield url, site, files


def test_release_downloads_verifies_and_is_not_fetched_again(server, tmp_path):
    url, site, files = server
    out = tmp_path / "out"
    summary = download_release(url, out, threads=2)
    assert summary["files"] == 2 and summary["downloaded"] == 2
    assert all((out / rel).read_bytes() == data for rel, data in files.items())
    RangeHandler.requests = []
    again = download_release(url, out, threads=2)
    assert again["present"] == 2 and again["downloaded"] == 0
    assert [p for p, _ in RangeHandler.requests] == [f"/{SUMS_FILE}"]  # only the sums file again


def test_interrupted_download_resumes_with_range(server, tmp_path):
    url, site, files = server
    rel = "records100/00000/00001_lr.dat"
    data = files[rel]
    dest = tmp_path / "out" / rel
    dest.parent.mkdir(parents=True)
    (dest.parent / (dest.name + ".part")).write_bytes(data[:3000])  # what an interruption leaves
    RangeHandler.requests = []
    assert ensure_file(url, tmp_path / "out", rel, hashlib.sha256(data).hexdigest()) == "downloaded"
    assert dest.read_bytes() == data
    assert RangeHandler.requests == [(f"/{rel}", "bytes=3000-")]


def test_a_corrupt_file_fails_naming_it(server, tmp_path):
    url, site, files = server
    (site / "ptbxl_database.csv").write_bytes(b"tampered\n")
    with pytest.raises(DatasetError, match="ptbxl_database.csv: SHA-256 differs"):
        download_release(url, tmp_path / "out", threads=1)
    assert not (tmp_path / "out" / "ptbxl_database.csv").exists()


def test_wrong_local_copy_is_replaced_not_resumed(server, tmp_path):
    url, site, files = server
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "ptbxl_database.csv").write_bytes(b"old")
    download_release(url, tmp_path / "out", threads=1)
    assert (tmp_path / "out" / "ptbxl_database.csv").read_bytes() == files["ptbxl_database.csv"]


def test_file_urls_work_without_range(tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 100)
    dest = tmp_path / "b.bin"
    (tmp_path / "b.bin.part").write_bytes(b"x" * 10)
    fetch(src.as_uri(), dest)
    assert dest.read_bytes() == b"x" * 100  # no Range on file:// -> whole file replaces the part


def test_sums_file_lines_are_checked():
    digest = "a" * 64
    assert parse_sha256sums(f"{digest}  records100/x.dat\n\n") == {"records100/x.dat": digest}
    with pytest.raises(DatasetError, match="outside the release"):
        parse_sha256sums(f"{digest}  ../etc/passwd\n")
    with pytest.raises(DatasetError, match="line 1"):
        parse_sha256sums("nonsense\n")


@pytest.mark.workflow
def test_physionet_source_downloads_into_resources_then_prepares(tmp_path):
    site = tmp_path / "site"
    write_demo("ptbxl", site, 10, seed=4)
    write_sums(site)
    work = tmp_path / "work"
    work.mkdir()
    with serve(site) as url:
        overlay = tmp_path / "physionet.yaml"
        overlay.write_text(yaml.safe_dump({"datasets": {"ptbxl": {"source": "physionet", "url": url}}}))
        run_snakemake(work, "--cores", "2", "results/data/ptbxl/records.csv", configfiles=(TINY_CONFIG, overlay))
    verified = (work / "resources/physionet/ptbxl.verified.json").read_text()
    assert '"downloaded": 282' in verified  # 70 records x (.hea, .dat) x 2 rates + 2 tables
    records = read_records(work / "results/data/ptbxl/records.csv")
    assert (records["status"] == "kept").sum() == 70
    assert records["source_path"].str.startswith("resources/physionet/ptbxl/records100/").all()
