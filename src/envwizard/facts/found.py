"""What one probe hands back: the facts it read, where each came from, and what it could not read."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from envwizard.facts.model import GPU

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Found(Generic[T]):
    """A probe's result. Probes run in threads, so they return this instead of touching Facts."""

    value: T
    sources: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)


def at(root: str, path: str) -> str:
    """`path` (absolute on the real machine) under `root`, so tests can point readers at a fake tree."""
    return os.path.join(root, path.lstrip("/"))


@dataclass
class Card:
    """One GPU as a vendor probe found it, with where each of its fields came from."""

    gpu: GPU
    sources: dict[str, str] = field(default_factory=dict)


def parallel_map(fn: Callable[[T], R], items: Sequence[T], limit: int = 8) -> list[R]:
    """`fn` over `items` in threads, at most `limit` at a time (they mostly wait on
    subprocesses, not the CPU).

    Plain threads rather than concurrent.futures, whose import alone costs more than a
    fast probe. The first exception is re-raised once all have finished.
    """
    results: list[R | None] = [None] * len(items)
    errors: list[BaseException] = []
    slots = threading.BoundedSemaphore(limit)

    def work(i: int, item: T) -> None:
        with slots:
            try:
                results[i] = fn(item)
            except BaseException as e:
                errors.append(e)

    threads = [threading.Thread(target=work, args=(i, x), daemon=True) for i, x in enumerate(items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return cast("list[R]", results)  # every slot was filled: no thread failed
