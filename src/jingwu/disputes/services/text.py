"""Chinese word segmentation for duplicate search (jieba), loaded once per process.

jieba ships its dictionary inside the package and builds a prefix dictionary on first use
(about 0.8 s with its cache file, 1.5–2 s without); ``ensure_loaded`` does that once, under a
lock, at the first segmentation — not at import, so commands that never segment do not pay.
"""

from __future__ import annotations

import logging
import threading
import time

import jieba

log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded_in: float | None = None

#: Words too common in dispute reports to tell two disputes apart.
_STOPWORDS_TEXT = (
    "的 了 是 在 和 与 及 后 要 有 我 你 他 她 其 等 也 都 就 又 还 被 把 对 因 为 于 而 并 一个 "
    "没有 不 说 称 表示 认为 双方 一方 问题 情况 纠纷 矛盾 发生 反映 现在 目前 已经 进行 目前 由于 因为 所以 但是 然后 自己 他们 我们 这个 那个"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def ensure_loaded() -> float:
    """Load jieba's dictionary if not yet loaded; return the seconds the load took."""
    global _loaded_in
    if _loaded_in is not None:
        return _loaded_in
    with _lock:
        if _loaded_in is None:
            jieba.setLogLevel(logging.WARNING)
            start = time.perf_counter()
            jieba.initialize()
            _loaded_in = time.perf_counter() - start
            log.info("jieba dictionary loaded in %.2f s", _loaded_in)
    return _loaded_in


def tokenize(text: str) -> list[str]:
    """The distinct content words of a text, in order: Chinese words of two or more
    characters, numbers and latin words; stop words and punctuation dropped."""
    ensure_loaded()
    seen: dict[str, None] = {}
    for raw in jieba.lcut(text or ""):
        t = raw.strip().lower()
        if not t or t in STOPWORDS:
            continue
        if (len(t) >= 2 and any(ch.isalnum() for ch in t)) or t.isdigit():
            seen.setdefault(t, None)
    return list(seen)


def normalize_address(address: str) -> str:
    """An address reduced for comparison: no spaces or punctuation, full-width digits folded."""
    table = str.maketrans("０１２３４５６７８９", "0123456789")
    return "".join(ch for ch in (address or "").translate(table) if ch.isalnum())
