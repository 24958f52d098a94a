"""Plain Python reads for the engine's hot paths (a ranking answers in tens of microseconds,
where each numpy call or dataclass ``__init__`` costs one or more).

``plain_view``: an array's elements read as Python numbers without a numpy call per read.
``frozen``: a frozen dataclass instance made from its fields without its generated
``__init__`` (which sets each field through ``object.__setattr__``): the same instance, equal
and hashed alike (tests hold it to the constructor). Only for dataclasses without
``__post_init__``, slots or defaults to fill in.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

T = TypeVar("T")


def plain_view(a: npt.NDArray[Any]) -> Any:
    """A 1-d array as a memoryview of its native type: ``mv[i]`` is a Python int or float
    (no numpy call per read), ``mv[i:j].tolist()`` a list."""
    a = np.ascontiguousarray(a, a.dtype.newbyteorder("="))
    view: Any = a.data
    return view.cast("B").cast(a.dtype.char)


def frozen(cls: type[T], fields: dict[str, Any]) -> T:
    """``cls(**fields)`` for a frozen dataclass, every field given in declaration order."""
    out: T = object.__new__(cls)
    out.__dict__.update(fields)  # the instance's dict, filled directly: no ``__setattr__``
    return out
