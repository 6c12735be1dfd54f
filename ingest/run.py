"""Ingestion: files → documents → chunks → vectors → a new store generation, incrementally and atomically.

Files are compared by the sha256 of their bytes: unchanged files are skipped, changed ones replace their
chunks, files gone from the corpus folder lose theirs (only when the corpus folder itself is ingested).
When nothing changed, nothing is written and `store.version()` stays. A file that cannot be read is
reported in `skipped` and whatever it had in the index stays. A run that dies midway leaves the previous
generation serving (see `rag.index.store`). A different embedder than the index's re-embeds everything; going
from embeddings to none (a model that failed to load) is refused unless `rebuild` asks for it. Given a
`LazyEmbedder`, the model is loaded only when something must be embedded: a re-run over unchanged files with
the index's embedder (compared by id, known without loading) takes no model at all. Concurrent ingests into
one index (app instances sharing a Chroma server) take turns through the store's writer lease; the later
one writes on top of what the earlier one wrote.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunk import chunk_document
from ingest.load import LoadError, iter_corpus_files, load_document
from ingest.manifest import DocMeta, load_manifest, manifest_title, title_for
from rag.index.embed import Embedder, LazyEmbedder
from rag.index.lexical import load_lexical
from rag.index.store import LEXICAL_EMBEDDER, ChunkStore, DocInfo
from rag.settings import Settings
from rag.types import Chunk

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage "load" | "embed", done, total)


class IngestError(RuntimeError):
    """Ingestion refused to run; the message says what to do."""


@dataclass
class IngestReport:
    documents: int = 0  # documents in the index after the run
    paragraphs: int = 0
    chunks: int = 0
    per_doc: dict[str, int] = field(default_factory=dict)  # chunks per indexed document
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    mode: str = "lexical"  # "hybrid" | "lexical"
    seconds: float = 0.0
    changed: bool = False
    version: str | None = None
    notice: str = ""  # the embedder's notice, filled in by the caller that loaded it
    embedder: str = ""  # id of the embedder the index is built with (rag.index.embed.Embedder.id)
    redone: str = ""  # why every document was processed again ("--rebuild", "embedding model changed", ...)
    model_loaded: bool = False  # an embedding model was at hand (a no-op run with a LazyEmbedder loads none)


@dataclass
class _Loaded:
    path: Path
    sha256: str
    title: str
    chunks: list[Chunk]
    label: str = ""  # the manifest entry's label key (see DocMeta.label_key)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chunking_signature(settings: Settings) -> str:
    """What decides how documents are cut: when it changes, every document is read and chunked again.

    Besides the chunk size, this is a digest of the source of the modules that read, clean, segment and cut
    documents, so an upgraded citeqa whose segmentation changed re-chunks an existing index on the next
    ingest instead of serving chunks cut by the old code (a version constant someone must remember to bump
    is not enough).
    """
    return f"size={settings.chunk_size};chunker={_chunker_digest()}"


_CHUNKING_MODULES = ("load", "clean", "layout", "sections", "segment", "titles", "chunk", "manifest")


def _chunker_digest(package: Path | None = None) -> str:
    """Digest of the reading/cleaning/cutting modules' source in `package` (default: this `ingest` package)."""
    digest = hashlib.sha256()
    here = package or Path(__file__).parent
    for name in _CHUNKING_MODULES:
        digest.update(name.encode())
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def _retitled(files: dict[str, Path], manifest: dict[str, DocMeta], store: ChunkStore) -> set[str]:
    """Indexed files whose manifest entry (corpus.toml) no longer matches the title, symbol, short titles or
    year their chunks carry."""
    stored = {d.doc: d for d in store.documents()}

    def changed(n: str) -> bool:
        meta, info = manifest.get(n), stored[n]
        title = manifest_title(meta)
        return (title is not None and title != info.title) or (meta.label_key() if meta else "") != info.label

    return {n for n in files if n in stored and changed(n)}


def count_paragraphs(chunks: list[Chunk]) -> int:
    """Paragraphs behind these chunks: each paragraph opens with its part-0 piece."""
    return sum(1 for c in chunks if c.part == 0)


def _vectorizer(embedder: Embedder | None, batch: int, tick: Callable[[int], None]) -> Callable[[list[str]], list]:
    """texts → document vectors in batches (the 1-d constant vector in lexical-only mode)."""

    def embed(texts: list[str]) -> list[list[float]]:
        if embedder is None:
            tick(len(texts))
            return [[1.0] for _ in texts]
        out: list[list[float]] = []
        for start in range(0, len(texts), batch):
            out.extend(embedder.embed_documents(texts[start:start + batch]))
            tick(len(texts[start:start + batch]))
        return out

    return embed


def _collect(paths: list[Path] | None, settings: Settings, skipped: list[tuple[str, str]]) -> dict[str, Path]:
    """doc name → file, for every readable corpus file under `paths` (first file wins a name clash)."""
    if paths is None:
        if not Path(settings.corpus_dir).is_dir():
            raise FileNotFoundError(f"Corpus folder {settings.corpus_dir} not found — create it, set "
                                    "CITEQA_CORPUS_DIR, or pass files to ingest")
        roots = [Path(settings.corpus_dir)]
    else:
        roots = []
        for p in paths:
            (roots.append(Path(p)) if Path(p).exists() else skipped.append((str(p), "no such file or folder")))
    files: dict[str, Path] = {}
    for f in iter_corpus_files(roots):
        f = Path(f)
        if f.name in files:
            skipped.append((str(f), f"another file named {f.name} was ingested from {files[f.name].parent}"))
        else:
            files[f.name] = f
    return files


def _load(files: dict[str, Path], hashes: dict[str, str], settings: Settings, manifest: dict[str, DocMeta],
          skipped: list[tuple[str, str]], progress: Progress | None) -> dict[str, _Loaded]:
    loaded: dict[str, _Loaded] = {}
    for n, (name, path) in enumerate(sorted(files.items()), 1):
        try:
            document = load_document(path)
            title = title_for(name, manifest.get(name), document)
            chunks = chunk_document(document, title, settings.chunk_size, manifest.get(name))
        except LoadError as exc:
            skipped.append((str(path), str(getattr(exc, "reason", exc))))
        except Exception as exc:  # one odd file must not stop the others
            log.exception("Failed to ingest %s", path)
            skipped.append((str(path), f"unexpected error: {type(exc).__name__}: {exc}"))
        else:
            if chunks:
                meta = manifest.get(name)
                loaded[name] = _Loaded(path, hashes[name], title, chunks, meta.label_key() if meta else "")
            else:
                skipped.append((str(path), "no text to index"))
        if progress:
            progress("load", n, len(files))
    return loaded


@dataclass
class _Plan:
    version: str | None  # the active generation the plan was made against
    report: IngestReport
    embedder: Embedder | None
    loaded: dict[str, _Loaded]
    kept: list[str]  # indexed documents carried over (copied, or re-embedded when `reembed`)
    reembed: bool
    target: tuple[str, int]  # (embedder id, dim) of the new generation
    chunking: str


def ingest_paths(paths: list[Path] | None, settings: Settings, store: ChunkStore,
                 embedder: Embedder | LazyEmbedder | None, progress: Progress | None = None,
                 rebuild: bool = False) -> IngestReport:
    """Bring the index up to date with `paths` (None → the corpus folder). See the module docstring.
    A `LazyEmbedder` is loaded only when some text must be embedded (`report.model_loaded` says whether).
    The plan is made without the writer lease (a run with nothing to do never waits); the write holds it,
    planning again first if another ingest changed the index meanwhile (its documents are kept)."""
    started = time.perf_counter()

    def beat(stage: str, done: int, total: int) -> None:  # progress renews the lease while it is held
        store.keep_alive()
        if progress:
            progress(stage, done, total)

    plan = _plan(paths, settings, store, embedder, rebuild, beat)
    if plan.report.changed:
        with store.writing():  # waits (CITEQA_WRITE_WAIT_S) while another ingest writes to this index
            if store.version() != plan.version:
                log.info("The index changed while this ingest was waiting; planning again on top of it")
                plan = _plan(paths, settings, store, embedder, rebuild, beat)
            if plan.report.changed:
                _write(store, plan, settings, beat)
    report = plan.report
    load_lexical(store, Path(settings.index_dir) / "bm25")
    docs = store.documents()
    report.documents = len(docs)
    report.per_doc = {d.doc: d.chunks for d in docs}
    report.chunks = sum(d.chunks for d in docs)
    report.paragraphs = sum(d.paragraphs for d in docs)
    report.version = store.version()
    report.seconds = time.perf_counter() - started
    return report


def _plan(paths: list[Path] | None, settings: Settings, store: ChunkStore, embedder: Embedder | LazyEmbedder | None,
          rebuild: bool, progress: Progress) -> _Plan:
    """What this ingest must write given the index as it is now (files read and chunked; nothing embedded)."""
    version = store.version()
    report = IngestReport()
    files = _collect(paths, settings, report.skipped)
    hashes = {name: file_sha256(path) for name, path in files.items()}
    indexed = store.doc_hashes()
    manifest = load_manifest(settings.corpus_dir) if Path(settings.corpus_dir).is_dir() else {}
    retitled = _retitled(files, manifest, store) if indexed else set()
    # a retitled document counts as changed: its chunks carry the title
    indexed = {n: ("retitled" if n in retitled else h) for n, h in indexed.items()}
    chunking = chunking_signature(settings)
    rechunk = version is not None and store.chunking() != chunking  # e.g. CITEQA_CHUNK_SIZE changed
    if isinstance(embedder, LazyEmbedder):
        stale = version is not None and store.embedder_id() != embedder.id
        if rebuild or rechunk or stale or any(indexed.get(n) != h for n, h in hashes.items()):
            embedder = embedder.get()
            target, dim = (embedder.id, embedder.dim) if embedder is not None else (LEXICAL_EMBEDDER, 1)
        else:  # nothing to embed: at most documents to drop, keeping the stored vectors
            embedder, target, dim = None, store.embedder_id(), store.dim() or 1
    else:
        target, dim = (embedder.id, embedder.dim) if embedder is not None else (LEXICAL_EMBEDDER, 1)
    report.model_loaded = embedder is not None
    report.mode = "lexical" if target == LEXICAL_EMBEDDER else "hybrid"
    report.embedder = target
    if target == LEXICAL_EMBEDDER and store.embedder_id() != LEXICAL_EMBEDDER and not rebuild:
        raise IngestError(f"The index holds embeddings from '{store.embedder_id()}' but no embedding model is "
                          "loaded — make it available (`citeqa models pull`, CITEQA_EMBED_MODEL), or run "
                          "`citeqa ingest --rebuild` to rebuild the index lexical-only")
    reembed_kept = rebuild or (version is not None and store.embedder_id() != target)
    todo = {n: p for n, p in files.items() if rebuild or reembed_kept or rechunk or indexed.get(n) != hashes[n]}
    loaded = _load(todo, hashes, settings, manifest, report.skipped, progress)
    report.removed = sorted(d for d in indexed if paths is None and d not in files)
    kept = sorted(d for d in indexed if d not in loaded and d not in report.removed)
    report.added = sorted(n for n in loaded if n not in indexed)
    report.updated = sorted(n for n in loaded if n in indexed and indexed[n] != hashes[n])
    report.changed = bool(loaded or report.removed or reembed_kept)
    if report.changed:
        report.redone = ("--rebuild" if rebuild else "embedding model changed" if reembed_kept
                         else "chunk size or chunker changed" if rechunk else "")
    return _Plan(version, report, embedder, loaded, kept, reembed_kept, (target, dim), chunking)


def _write(store: ChunkStore, plan: _Plan, settings: Settings, progress: Progress) -> None:
    """Write one new generation: copied + re-embedded + loaded documents; activate it only when complete."""
    reembed = plan.kept if plan.reembed else []
    infos = {d.doc: d for d in store.documents()}
    total = sum(len(x.chunks) for x in plan.loaded.values()) + sum(infos[d].chunks for d in reembed if d in infos)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        progress("embed", done, total)

    vectorize = _vectorizer(plan.embedder, settings.embed_batch_size, tick)
    gen = store.begin(plan.target[0], plan.target[1], plan.chunking, base=plan.version)
    try:
        gen.copy_docs([] if plan.reembed else plan.kept)
        gen.copy_docs(reembed, reembed=vectorize)
        for name, item in sorted(plan.loaded.items()):
            vectors = vectorize([c.text for c in item.chunks])
            info = DocInfo(doc=name, title=item.title, sha256=item.sha256, chunks=len(item.chunks),
                           paragraphs=count_paragraphs(item.chunks), path=str(item.path), label=item.label)
            gen.add_document(info, item.chunks, vectors)
        store.activate(gen)
    except BaseException:
        gen.abort()
        raise
