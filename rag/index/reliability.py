"""How far the dense model can be trusted on this corpus, per text language: a self-retrieval probe.

A dense model that does not know a language ranks its text as noise, and reciprocal rank fusion lets
noise through at any weight: adjacent ranks differ by ~1/(60+r)², so even a 0.1-weighted poor ranking
reorders the BM25 top (all-MiniLM-L6-v2, English-only, over the shipped Chinese corpus: zh recall@1
0.83 → 0.58 at ``dense_weight_zh`` 0.1; recall@5 0.98 → 0.78 at 0.3 and 0.73 at 1.0).

Probe: a fixed-seed sample of up to ``SAMPLE`` chunks per text language ("zh": Chinese or mixed chunks,
"en": English ones); each is searched with one clause of its own text (``probe_query``: ≥ ``MIN_CLAUSE``
characters, at most ``MAX_SHARE`` of the chunk); the rate is the share of chunks found in the dense top
``K``. Clauses, not whole sentences: a verbatim sentence is found by surface overlap alone (MiniLM on
Chinese 0.62–0.72, the random-weight test model 0.70–0.78, BM25 1.00, five seeds of 40); a clause needs
the model to read the language (shipped corpus, 60 chunks, eight seeds: MiniLM zh 0.35–0.55, test model
0.17–0.32, BM25 0.98–1.00). The shipped corpus's "English" chunks are footnotes holding a URL: no clause to probe,
so English stays unmeasured there and keeps its configured weight.

``dense_scale(rate) = clamp((rate − LOW) / (HIGH − LOW), 0, 1)`` multiplies the language's dense weight:
at or below ``LOW`` that language ranks by BM25 alone. ``LOW`` sits above every MiniLM seed; ``HIGH``
is where a model that reads the language should be (BM25 finds 0.98–1.00 of the same clauses; no
multilingual model was available offline to measure). With fewer than ``MIN_CHUNKS`` chunks in the index
(a top ``K`` is then no test) or ``MIN_SAMPLE`` probe chunks of a language, its rate is unknown and its
weight stays as configured: fewer chunks make the probe easier (MiniLM zh over one document of 69–77
chunks: 0.48–0.73; over 132–134 chunks: 0.37–0.53; over 211: 0.40–0.45; four seeds each).
The result is cached on disk by store version + embedder id.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.lang import detect_language
from rag.sentences import join_whitespace, split_sentences
from rag.types import Chunk

log = logging.getLogger(__name__)

SAMPLE = 60
K = 5
SEED = 20240611
LOW, HIGH = 0.6, 0.9
MIN_CHUNKS = 100
MIN_SAMPLE = 10
MIN_CHUNK_CHARS = 40
MIN_CLAUSE = 12
MAX_SHARE = 0.6
LANG_NAMES = {"zh": "Chinese", "en": "English"}
_CLAUSE_SEP = re.compile(r"[，,；;：:、（）()]")


@dataclass(frozen=True)
class Reliability:
    """Self-retrieval rate of the dense model per text language ("zh", "en"); a language missing from
    ``rates`` was not measured (too little text) and keeps its configured weight."""

    model: str = ""
    rates: dict[str, float] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)

    def scale(self, question_lang: str) -> float:
        """Factor for the dense weight of a question in ``question_lang`` ("en" → English text, else Chinese)."""
        return dense_scale(self.rates.get(text_language_of(question_lang)))

    def notice(self) -> str:
        """One sentence per language the model is weak on ("" when it is fine or unmeasured)."""
        out = []
        for lang, rate in sorted(self.rates.items(), key=lambda kv: kv[0] != "zh"):
            s = dense_scale(rate)
            if s >= 1.0:
                continue
            name = LANG_NAMES.get(lang, lang)
            tail = f"{name} ranking relies on BM25" if s == 0 else f"its {name} ranking counts {s:.2f}× in the fusion"
            out.append(f"Dense model '{short_name(self.model)}' is weak on {name} text "
                       f"(self-retrieval {rate:.2f}): {tail}.")
        return " ".join(out)

    def summary(self) -> str:
        """"zh 0.38 (weak: Chinese ranks by BM25 only), en 0.97" for the ingest report; "" when unmeasured."""
        bits = []
        for lang, rate in sorted(self.rates.items(), key=lambda kv: kv[0] != "zh"):
            s = dense_scale(rate)
            name = LANG_NAMES.get(lang, lang)
            note = "" if s >= 1.0 else (f" (weak: {name} ranks by BM25 only)" if s == 0
                                        else f" (weak: {name} dense weight ×{s:.2f})")
            bits.append(f"{lang} {rate:.2f}{note}")
        return ", ".join(bits)


def dense_scale(rate: float | None) -> float:
    """clamp((rate − LOW) / (HIGH − LOW), 0, 1); 1.0 when the rate is unknown."""
    if rate is None:
        return 1.0
    return min(1.0, max(0.0, (rate - LOW) / (HIGH - LOW)))


def text_language_of(question_lang: str) -> str:
    return "en" if question_lang == "en" else "zh"


def chunk_language(text: str) -> str:
    return "en" if detect_language(text) == "en" else "zh"


def short_name(model: str) -> str:
    """A model id as shown: a hub name as is, a local path by its last two parts."""
    name = model.split("|", 1)[0]
    parts = Path(name).parts
    return "/".join(parts[-2:]) if name.startswith(("/", ".", "~")) and len(parts) > 2 else name


def probe_query(text: str, rng: random.Random) -> str | None:
    """One clause of ``text`` (≥ ``MIN_CLAUSE`` characters, ≤ ``MAX_SHARE`` of it), chosen by ``rng``."""
    text = join_whitespace(text)
    if len(text) < MIN_CHUNK_CHARS:
        return None
    clauses = [c.strip() for s in split_sentences(text) for c in _CLAUSE_SEP.split(s)]
    fit = [c for c in clauses if MIN_CLAUSE <= len(c) <= MAX_SHARE * len(text)]
    return rng.choice(fit) if fit else None


def probe_set(chunks: Sequence[Chunk], sample: int = SAMPLE, seed: int = SEED) -> dict[str, list[tuple[str, str]]]:
    """Per text language, up to ``sample`` (chunk id, query) pairs, the same for the same chunks."""
    out: dict[str, list[tuple[str, str]]] = {}
    for lang in ("zh", "en"):
        rng = random.Random(f"{seed}-{lang}")
        pool = sorted((c for c in chunks if chunk_language(c.text) == lang), key=lambda c: c.id)
        pairs = [(c.id, q) for c in pool if (q := probe_query(c.text, rng)) is not None]
        out[lang] = rng.sample(pairs, min(sample, len(pairs)))
    return out


def measure(store: Any, embedder: Any, sample: int = SAMPLE, k: int = K, seed: int = SEED) -> Reliability:
    """Run the probe against the store's dense index (one batched embedding call, one search per query)."""
    chunks = store.chunks()
    rates: dict[str, float] = {}
    samples: dict[str, int] = {}
    if len(chunks) < MIN_CHUNKS:
        return Reliability(embedder.id)
    prefix = getattr(embedder, "query_prefix", "")
    for lang, pairs in probe_set(chunks, sample, seed).items():
        if len(pairs) < MIN_SAMPLE:
            continue
        vectors = embedder.embed_batch([prefix + q for _, q in pairs])
        found = sum(cid in {c.id for c, _ in store.dense_search(v, k)} for (cid, _), v in zip(pairs, vectors, strict=True))
        rates[lang] = round(found / len(pairs), 4)
        samples[lang] = len(pairs)
    return Reliability(embedder.id, rates, samples)


def load_reliability(store: Any, embedder: Any, cache_dir: Path) -> Reliability:
    """The probe's result for the store's current version and ``embedder``, from ``cache_dir`` when
    there; measured (and cached) otherwise. A failing probe leaves the weights as configured."""
    key = f"{store.version()}|{embedder.id}|{SAMPLE}|{K}|{SEED}|{MIN_CLAUSE}"
    path = Path(cache_dir) / "dense_probe.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return Reliability(embedder.id, dict(data["rates"]), dict(data["samples"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        result = measure(store, embedder)
    except Exception as exc:  # the probe is a safeguard: never the reason answering fails
        log.warning("dense self-retrieval probe failed (%s); dense weights left as configured", exc)
        return Reliability(embedder.id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"key": key, "rates": result.rates, "samples": result.samples}), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not cache the dense probe in %s (%s)", path, exc)
    return result
