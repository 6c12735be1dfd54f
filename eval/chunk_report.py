"""How well chunks keep the evidence together: ``python -m eval.chunk_report [--chunk-size N]``.

For every evidence string of an eval set (found whitespace-insensitively in its document's raw
text), check that it lies wholly inside one chunk's source span. Prints the coverage figure, the
chunk count per document and the numbered paragraphs found in numbered reports.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class DocStats:
    doc: str
    chunks: int
    paragraphs: int  # body paragraphs (pieces of one numbered paragraph count once)
    numbered: list[int]  # distinct paragraph numbers found (empty for unnumbered documents)
    footnotes: int

    @property
    def gaps(self) -> list[int]:
        if not self.numbered:
            return []
        present = set(self.numbered)
        return [n for n in range(1, max(present) + 1) if n not in present]


@dataclass
class CoverageReport:
    chunk_size: int
    total: int = 0
    covered: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)  # (item id, evidence) not in one chunk
    not_found: list[tuple[str, str]] = field(default_factory=list)  # (item id, evidence) absent from the raw
    docs: list[DocStats] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 1.0


def _squeezed_index(raw: str) -> tuple[str, list[int]]:
    positions = [i for i, ch in enumerate(raw) if not ch.isspace()]
    return "".join(raw[i] for i in positions), positions


def evidence_coverage(corpus_dir: Path, eval_set: Path, chunk_size: int = 400) -> CoverageReport:
    from ingest.chunk import chunk_document
    from ingest.clean import squeeze
    from ingest.load import iter_corpus_files, load_document

    report = CoverageReport(chunk_size=chunk_size)
    spans: dict[str, list[tuple[int, int]]] = {}
    index: dict[str, tuple[str, list[int]]] = {}
    for path in iter_corpus_files([corpus_dir]):
        document = load_document(path)
        chunks = chunk_document(document, document.doc, chunk_size)
        spans[document.doc] = [(c.char_start, c.char_end) for c in chunks]
        index[document.doc] = _squeezed_index(document.raw)
        body = {(c.paragraph, c.numbered) for c in chunks if c.kind == "body"}
        numbered = sorted({c.paragraph for c in chunks if c.kind == "body" and c.numbered})
        notes = len({(c.paragraph, c.char_start) for c in chunks if c.kind == "footnote" and c.part == 0})
        report.docs.append(DocStats(document.doc, len(chunks), len(body), numbered, notes))
    for line in Path(eval_set).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        docs = [item["doc"]] if isinstance(item.get("doc"), str) else list(item.get("doc") or [])
        for evidence in item.get("evidence") or []:
            needle = squeeze(evidence)
            located = False
            inside = False
            for doc in docs:
                if doc not in index or not needle:
                    continue
                squeezed, positions = index[doc]
                at = squeezed.find(needle)
                while at >= 0:
                    located = True
                    start, end = positions[at], positions[at + len(needle) - 1] + 1
                    if any(s <= start and end <= e for s, e in spans[doc]):
                        inside = True
                        break
                    at = squeezed.find(needle, at + 1)
                if inside:
                    break
            report.total += 1
            if inside:
                report.covered += 1
            elif located:
                report.missing.append((item.get("id", "?"), evidence))
            else:
                report.not_found.append((item.get("id", "?"), evidence))
    return report


def format_report(report: CoverageReport) -> str:
    lines = [
        f"Evidence inside a single chunk: {report.covered}/{report.total} = {100 * report.coverage:.1f}% "
        f"(chunk_size={report.chunk_size})",
        "",
        f"{'document':<28} {'chunks':>6} {'paragraphs':>10} {'numbered':>9} {'footnotes':>9}",
    ]
    for d in report.docs:
        numbered = f"1..{max(d.numbered)}" if d.numbered else "-"
        if d.gaps:
            numbered += f" (gaps {d.gaps})"
        lines.append(f"{d.doc:<28} {d.chunks:>6} {d.paragraphs:>10} {numbered:>9} {d.footnotes:>9}")
    for item_id, evidence in report.missing:
        lines.append(f"split across chunks: {item_id}: {evidence}")
    for item_id, evidence in report.not_found:
        lines.append(f"not in its document: {item_id}: {evidence}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--eval-set", type=Path, default=ROOT / "eval" / "dev.jsonl")
    parser.add_argument("--chunk-size", type=int, default=400)
    args = parser.parse_args(argv)
    print(format_report(evidence_coverage(args.corpus, args.eval_set, args.chunk_size)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
