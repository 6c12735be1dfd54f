"""Benchmarks shipped with citeqa: a corpus and its question files as package data, evaluated in an index of
their own beside the main one (``<index_dir>/bench-<name>``), built on first use and kept up to date
incrementally (a run over an unchanged corpus re-embeds nothing).

``xquad``: XQuAD (Artetxe et al., 2020; CC BY-SA 4.0, see ``eval/xquad/README.md`` and ``LICENSE``) — 40
Chinese Wikipedia articles, dev questions on 20 of them in Chinese and in English (576 each, 40 of them about
articles that are not in the corpus and must be refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rag.settings import Settings


@dataclass(frozen=True)
class Benchmark:
    name: str
    folder: str  # package-data folder under eval/
    files: dict[str, str]  # language → question file inside the folder

    def root(self) -> Path:
        return Path(str(resources.files("eval") / self.folder))

    @property
    def corpus_dir(self) -> Path:
        return self.root() / "corpus"

    def question_files(self, lang: str | None = None) -> list[Path]:
        """The question files of one language (``None``: all of them)."""
        langs = [lang] if lang else list(self.files)
        return [self.root() / self.files[x] for x in langs if x in self.files]


BENCHMARKS = {"xquad": Benchmark("xquad", "xquad", {"zh": "dev.zh.jsonl", "en": "dev.en.jsonl"})}


def benchmark(name: str) -> Benchmark:
    """The shipped benchmark of that name; ``KeyError`` names the ones there are."""
    try:
        return BENCHMARKS[name.lower()]
    except KeyError:
        raise KeyError(f"no benchmark {name!r}; choose one of: {', '.join(BENCHMARKS)}") from None


def benchmark_settings(settings: Settings, bench: Benchmark) -> Settings:
    """The settings with the benchmark's corpus and its own index beside the main one (a collection prefix of its
    own too, so a Chroma server keeps the two apart)."""
    return settings.model_copy(update={
        "corpus_dir": bench.corpus_dir,
        "index_dir": Path(settings.index_dir) / f"bench-{bench.name}",
        "collection": f"{settings.collection}-bench-{bench.name}",
    })
