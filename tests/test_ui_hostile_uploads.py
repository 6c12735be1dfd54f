"""Hostile uploads through the chat's upload path: PDFs that are small on disk but inflate to hundreds of MB
(a FlateDecode "zip bomb"), hold megabytes of text on one page or tens of thousands of pages are refused
quickly with a reason that says to split them — corpus and index untouched; names with ``../`` or an
absolute path land inside the corpus folder and nowhere else."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from rag.settings import Settings
from ui.backend import Backend

ROOT = Path(__file__).resolve().parents[1]
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A well-formed PDF: objects 1..n (object 1 is the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def deflated(block: bytes, times: int) -> bytes:
    """``block * times`` compressed, without ever holding the inflated bytes in memory."""
    z = zlib.compressobj(9)
    return b"".join([*(z.compress(block) for _ in range(times)), z.flush()])


def one_page_pdf(stream: bytes) -> bytes:
    head = f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
    return pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE,
                      head + stream + b"\nendstream", FONT])


def flate_bomb() -> bytes:
    """One page whose content stream inflates to 200 MB of spaces (~200 KB on disk)."""
    return one_page_pdf(deflated(b" " * 1048576, 200))


def text_flood(mb: int) -> bytes:
    """One page drawing `mb` million characters of text (under pypdf's own stream limit)."""
    line = b"BT /F1 12 Tf 72 700 Td (" + b"A" * 1000 + b") Tj ET\n"
    return one_page_pdf(deflated(line * 1000, mb))


def page_flood(pages: int) -> bytes:
    """`pages` pages, all the same small page object referenced from a two-level page tree."""
    content = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"
    leaf = b"<< /Type /Pages /Parent 2 0 R /Count 1000 /Kids [" + b" ".join([b"3 0 R"] * 1000) + b"] >>"
    root = f"<< /Type /Pages /Count {pages} /Kids [".encode() + b" ".join([b"6 0 R"] * (pages // 1000)) + b"] >>"
    return pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", root, PAGE.replace(b"2 0 R", b"6 0 R"),
                      f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream", FONT, leaf])


def backend_for(settings: Settings) -> Backend:
    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.store import ChunkStore

    store = ChunkStore.open(settings)
    ingest_paths(None, settings, store, None)
    return Backend(settings, build_components(settings, store))


@pytest.fixture
def backend(settings: Settings) -> Backend:
    return backend_for(settings)


@pytest.mark.parametrize(("make", "reason"), [
    (flate_bomb, "goes past a pypdf limit"),
    (lambda: text_flood(30), "over 8 MB"),
    (lambda: text_flood(6), "1 M characters of text on one page"),
    (lambda: page_flood(20_000), "20000 pages, over the 5000-page limit"),
], ids=["flate-bomb-200MB", "30MB-content-page", "6M-characters-page", "20000-pages"])
def test_a_pdf_that_inflates_far_beyond_its_size_is_refused_quickly_and_the_index_is_intact(
        backend: Backend, settings: Settings, tmp_path: Path, make, reason: str) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(make())
    assert bomb.stat().st_size < 300_000  # passes the upload size limit: only inflating reveals it
    version, rows = backend.components.store.version(), backend.document_rows()
    files = sorted(p.name for p in settings.corpus_dir.iterdir())
    started = time.perf_counter()
    result = backend.upload([(bomb, "report.pdf")])
    assert time.perf_counter() - started < 5
    assert not result.added and [name for name, _ in result.rejected] == ["report.pdf"]
    message = result.rejected[0][1]
    assert reason in message and "split it" in message and "\n" not in message, message
    assert backend.components.store.version() == version and backend.document_rows() == rows
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == files
    answer = backend.ask("环境署氮问题工作组的第三次会议是在哪里召开的？")  # still served by the old index
    assert any("布加勒斯特" in p.chunk.text for p in answer.passages)


def test_loading_a_flate_bomb_stays_within_a_few_hundred_megabytes_of_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(flate_bomb())
    script = (
        "import json, re, sys\n"
        "from pathlib import Path\n"
        "from ingest.load import LoadError, load_document\n"
        "try:\n"
        "    load_document(Path(sys.argv[1])); error = ''\n"
        "except LoadError as exc:\n"
        "    error = exc.reason\n"
        "status = Path('/proc/self/status').read_text()\n"
        "peak_kb = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
        "print(json.dumps({'error': error, 'peak_mb': peak_kb // 1024}))\n"
    )  # VmHWM: this process's own peak (ru_maxrss would include the RSS of the pytest process it forked from)
    done = subprocess.run([sys.executable, "-c", script, str(bomb)], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert "too large once decompressed" in outcome["error"]
    assert outcome["peak_mb"] < 400, outcome  # the stream inflates to 200 MB; pypdf stops at 75 MB


@pytest.mark.parametrize("name", ["../../escape.txt", "..\\..\\escape.txt", "/ABSOLUTE/escape.txt"])
def test_an_upload_named_with_a_path_lands_in_the_corpus_folder_and_nowhere_else(
        backend: Backend, settings: Settings, tmp_path: Path, name: str) -> None:
    src = tmp_path / "incoming" / "x.txt"
    src.parent.mkdir()
    src.write_text("青藏高原湿地保护\n\n1. 2024 年，监测站共记录到黑颈鹤 1 234 只。\n", encoding="utf-8")
    outside = tmp_path / "outside"
    name = name.replace("/ABSOLUTE", str(outside))
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    result = backend.upload([(src, name)])
    assert result.added == ["escape.txt"] and not result.rejected
    after = {p for p in tmp_path.rglob("*") if p.is_file()}
    new = {p for p in after - before if "index" not in p.relative_to(tmp_path).parts}
    assert new == {settings.corpus_dir / "escape.txt"}
    assert not outside.exists() and not (settings.corpus_dir.parent.parent / "escape.txt").exists()
    assert "escape.txt" in {d.doc for d in backend.components.store.documents()}
