"""Fingerprints of values and a memo keyed by them: the bottom layer every other module may use.

:func:`fingerprint` gives a digest of a value that is equal for equal values in any
process (so it can key a cache on disk). :func:`result` computes a value once per
process for each key and, while a build has set a store with :func:`use_store`,
keeps it on disk under the build's cache so the next build loads it.
Nothing here knows about brands, chapters or books.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import pickle
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

# --------------------------------------------------------------------------- fingerprints


def canonical(obj: Any) -> Any:
    """A JSON-able form of ``obj`` that is the same for equal values in any process.

    Dataclasses and pydantic models become dicts (with their class name), sets
    become sorted lists, floats keep every digit; numpy arrays and pandas frames
    are reduced to a digest of their bytes. Anything else raises TypeError, so a
    result that cannot be fingerprinted is found at once, not by a stale page.
    """
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return repr(obj) if not math.isfinite(obj) else obj
    if isinstance(obj, enum.Enum):
        return canonical(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            "__class__": type(obj).__name__,
            **{f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)},
        }
    if hasattr(obj, "model_dump") and hasattr(type(obj), "model_fields"):
        return {"__class__": type(obj).__name__, **canonical(obj.model_dump(mode="json"))}
    if isinstance(obj, dict):
        items = [(json.dumps(canonical(k), sort_keys=True), canonical(v)) for k, v in obj.items()]
        return {"__dict__": sorted(items, key=lambda kv: kv[0])}
    if isinstance(obj, list | tuple):
        return [canonical(x) for x in obj]
    if isinstance(obj, set | frozenset):
        return sorted((canonical(x) for x in obj), key=lambda x: json.dumps(x, sort_keys=True))
    module = type(obj).__module__.split(".")[0]
    if module == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            data = np.ascontiguousarray(obj)
            return {"__ndarray__": [str(data.dtype), list(data.shape), hashlib.sha256(data.tobytes()).hexdigest()]}
        if isinstance(obj, np.generic):
            return canonical(obj.item())
    if module == "pandas" and hasattr(obj, "to_json"):
        text = obj.to_json(orient="split", double_precision=15, date_format="iso")
        return {"__pandas__": [type(obj).__name__, hashlib.sha256(text.encode()).hexdigest()]}
    raise TypeError(
        f"cannot fingerprint a {type(obj).__module__}.{type(obj).__name__}: keep per-build results to plain "
        "data, dataclasses, pydantic models, numpy arrays or pandas frames"
    )


def _default(obj: Any) -> Any:
    """The JSON encoder's hook for what it cannot encode itself (the fast path of :func:`fingerprint`)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__class__": type(obj).__name__, **{f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}}
    if hasattr(obj, "model_dump") and hasattr(type(obj), "model_fields"):
        return {"__class__": type(obj).__name__, **obj.model_dump(mode="json")}
    if isinstance(obj, set | frozenset):
        if all(_plain(x) for x in obj):  # strings, numbers and tuples of them: their repr is stable
            return sorted(obj, key=repr)
        return sorted(_dumps(x) for x in obj)
    return canonical(obj)


def _plain(x: Any) -> bool:
    if isinstance(x, tuple):
        return all(_plain(y) for y in x)
    return x is None or isinstance(x, str | int | float)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default)


def fingerprint(obj: Any) -> str:
    """Short hex digest of ``obj``: equal for equal values in any process (see :func:`canonical`)."""
    try:
        text = _dumps(obj)
    except (TypeError, ValueError):  # e.g. keys that are not strings: take the slow, general road
        text = json.dumps(canonical(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# --------------------------------------------------------------------------- the memo

_MEMO: dict[tuple[str, str], Any] = {}
_STORE: dict[str, Path | None] = {"dir": None}


def use_store(directory: Path | None) -> None:
    """Keep :func:`result` values on disk under ``directory`` too (the build's cache), or stop."""
    _STORE["dir"] = Path(directory) if directory else None


def result(name: str, key: Any, compute: Callable[[], Any], memory: bool = True) -> Any:
    """``compute()``, once per process for each ``(name, key)``; ``key`` must name everything it depends on.

    In a build whose cache is set with :func:`use_store`, the value is also kept
    on disk, content-addressed by ``(name, key)``, so the next build loads it.
    ``memory=False``: keep it on disk only (large values computed many times in a
    long-lived process, such as a test session); without a store it is computed each time.
    """
    memo_key = (name, fingerprint(key))
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    store = _STORE["dir"]
    if not memory and store is None:
        return compute()
    path = store / f"{_safe(name)}-{memo_key[1]}.pkl" if store else None
    if path is not None and path.exists():
        try:
            value = pickle.loads(path.read_bytes())
        except Exception:  # a partial or foreign file: compute again
            value = None
        else:
            if memory:
                _MEMO[memo_key] = value
            return value
    value = compute()
    if memory:
        _MEMO[memo_key] = value
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{id(value)}.tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
    return value


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


_OBJECTS: dict[int, tuple[Any, str]] = {}


def object_fingerprint(obj: Any) -> str:
    """:func:`fingerprint` of one object of the loaded data (a row, a source, the rubric), computed once per object.

    Datasets cut from one another (as of a year, without a kind of row) share their
    row, source and rubric objects, so a digest over those parts costs a lookup each.
    Objects are kept while remembered (an id is never reused), and the data's objects
    are never changed in place (a change makes a copy), which is what makes this safe.
    """
    key = id(obj)
    hit = _OBJECTS.get(key)
    if hit is None or hit[0] is not obj:
        hit = _OBJECTS[key] = (obj, fingerprint(obj))
    return hit[1]


def forget() -> None:
    """Drop every value memoised in this process."""
    _MEMO.clear()
    _OBJECTS.clear()
