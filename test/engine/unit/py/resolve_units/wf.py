"""Tasks whose flytekit serialisation and real outputs the engine unit tests use (test/engine/unit/fixtures/resolve_units)."""

from dataclasses import dataclass, field
from typing import Dict, List
from flytekit import task, workflow, map_task


@dataclass
class Inner:
    x: bool = True
    tags: List[str] = field(default_factory=lambda: ["a", "b"])


@dataclass
class Conf:
    a: int = 1
    b: str = "two"
    c: float = 3.0
    d: List[int] = field(default_factory=lambda: [1, 2, 3])
    e: Dict[str, float] = field(default_factory=lambda: {"k": 1.5})
    inner: Inner = field(default_factory=Inner)


@task
def plus_one(x: int) -> int:
    return x + 1


@task
def make_conf(a: int) -> Conf:
    return Conf(a=a)


@task
def use(a: int, c: float, d: List[int], tag: str) -> str:
    return f"{a} {c} {d} {tag}"


@workflow
def wf(xs: List[int] = [1, 2, 3]) -> str:
    ys = map_task(plus_one)(x=xs)
    conf = make_conf(a=5)
    return use(a=conf.a, c=conf.c, d=conf.d, tag=conf.inner.tags[1])
