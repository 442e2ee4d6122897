"""The measurement behind `mirror: auto`, and the route a plan's downloads take.

The presets are data (knowledge/mirrors.toml). Measuring touches the network, so it happens
before planning and reaches the planner as a value (`Measurement`): `route()` is pure, and the
same facts, answers and measurement give the same plan on any machine.
"""

from __future__ import annotations

import dataclasses
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from envwizard.core.errors import ImpossibleRequest
from envwizard.core.i18n import _
from envwizard.knowledge.mirrors import Kind, Preset, is_site, presets, select
from envwizard.settings.choices import Auto

if TYPE_CHECKING:
    from envwizard.decide.decision import Decision
    from envwizard.facts.model import Facts
    from envwizard.settings.answers import Answers

BUDGET_S = 3.0
"""All measurements together take at most this long: a dead mirror cannot hold the run up."""
PAGE_LIMIT = 8 * 2**20
"""Enough of a wheel page to find the build; PyTorch's largest per-variant pages are smaller."""
OFFICIAL = "pytorch"
"""The name a measurement gives PyTorch's own index."""


# ---- measuring ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    """The torch build a plan needs: what a wheel page must list to count as having it."""

    variant: str
    release: str
    python_tag: str

    def found_in(self, page: str) -> bool:
        pattern = (
            rf"torch-{re.escape(self.release)}(\.\d+)*(\+|%2[Bb]){re.escape(self.variant)}"
            rf"-{re.escape(self.python_tag)}-"
        )
        return re.search(pattern, page) is not None

    def describe(self) -> str:
        return f"torch {self.release} {self.variant} {self.python_tag}"


def need_for(decision: Decision) -> Need | None:
    """None when the build does not come from PyTorch's index (conda-forge, macOS, default,
    NVIDIA's Jetson index)."""
    if decision.source != "pip" or decision.index_url is None or decision.index_owner != "pytorch":
        return None
    major, minor = decision.python.split(".")[:2]
    return Need(decision.variant, decision.release, f"cp{major}{minor}")


@dataclass(frozen=True)
class Probe:
    """One source measured: how long its answer took, and whether it has the build."""

    name: str
    url: str
    seconds: float | None
    has_build: bool | None = None
    why: str = ""

    @property
    def answered(self) -> bool:
        return self.seconds is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "has_build": self.has_build,
            "why": self.why,
        }

    def describe(self) -> str:
        if self.seconds is None:
            return _("{name}: no answer ({why})").format(name=self.name, why=self.why)
        ms = round(self.seconds * 1000)
        if self.has_build is False:
            return _("{name}: {ms} ms, but without this build").format(name=self.name, ms=ms)
        return _("{name}: {ms} ms").format(name=self.name, ms=ms)


@dataclass(frozen=True)
class Measurement:
    """What `mirror: auto` measured here, passed to the planner as data."""

    budget: float
    probes: tuple[Probe, ...] = ()
    need: str = ""

    def probe(self, name: str) -> Probe | None:
        return next((p for p in self.probes if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "budget_s": self.budget,
            "need": self.need,
            "probes": [p.to_dict() for p in self.probes],
        }


@dataclass(frozen=True)
class Target:
    """A URL to fetch for one source; `need` set means the page must list that build."""

    name: str
    url: str
    need: Need | None = None


def targets_for(
    decision: Decision,
    answers: Answers | None = None,
    pool: Sequence[Preset] | None = None,
    official: str | None = None,
) -> list[Target]:
    """What `mirror: auto` measures for this plan: the torch page of every source that could
    serve the build (PyTorch's index included), the package index copies, the conda copies."""
    pool = presets() if pool is None else pool
    need = need_for(decision)
    out: list[Target] = []
    if need is not None:
        if official:
            out.append(Target(OFFICIAL, official.rstrip("/") + "/torch/", need))
        for p in pool:
            if p.kind is Kind.TORCH_INDEX:
                out.append(Target(p.name, p.location(need.variant).rstrip("/") + "/torch/", need))
            elif p.kind is Kind.TORCH_LINKS:
                out.append(Target(p.name, p.location(need.variant), need))
    for p in pool:
        if p.kind is Kind.PYPI:
            out.append(Target(p.name, p.url.rstrip("/") + "/pip/"))
        elif p.kind is Kind.CONDA and answers is not None and answers.is_conda:
            out.append(Target(p.name, p.url.rstrip("/") + "/noarch/"))
    return out


def measure(targets: Iterable[Target], budget: float = BUDGET_S) -> Measurement:
    """Fetch every target in parallel; whatever has not answered when the budget ends is dead."""
    targets = list(targets)
    if not targets:
        return Measurement(budget)
    deadline = time.monotonic() + budget
    pool = ThreadPoolExecutor(max_workers=min(16, len(targets)))
    futures = [pool.submit(_fetch, t, deadline) for t in targets]
    wait(futures, timeout=budget)
    pool.shutdown(wait=False, cancel_futures=True)
    probes = []
    late = _("no answer within {seconds:g} s").format(seconds=budget)
    for t, f in zip(targets, futures):
        probes.append(f.result() if f.done() else Probe(t.name, t.url, None, why=late))
    need = next((t.need.describe() for t in targets if t.need), "")
    return Measurement(budget, tuple(probes), need)


def _fetch(t: Target, deadline: float) -> Probe:
    start = time.monotonic()
    req = urllib.request.Request(t.url, headers={"User-Agent": "envwizard"})
    try:
        with urllib.request.urlopen(req, timeout=max(0.1, deadline - start), context=_tls()) as r:
            chunks = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    return Probe(t.name, t.url, None, why=_("too slow"))
                chunk = r.read(65536 if t.need else 1)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if not t.need or size > PAGE_LIMIT:
                    break
    except urllib.error.HTTPError as e:
        if e.code >= 500:
            return Probe(t.name, t.url, None, why=f"HTTP {e.code}")
        # It answered; a 404 for the torch page means it does not have the build.
        return Probe(
            t.name, t.url, time.monotonic() - start, False if t.need else None, f"HTTP {e.code}"
        )
    except urllib.error.URLError as e:
        return Probe(t.name, t.url, None, why=str(e.reason)[:80])
    except (OSError, ValueError) as e:
        return Probe(t.name, t.url, None, why=(str(e) or type(e).__name__)[:80])
    seconds = time.monotonic() - start
    has = t.need.found_in(b"".join(chunks).decode("utf-8", "replace")) if t.need else None
    return Probe(t.name, t.url, seconds, has)


def _tls() -> ssl.SSLContext | None:
    """The CA bundle pip would use, when one is configured (corporate proxies)."""
    for key in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        path = os.environ.get(key)
        if path and os.path.isfile(path):
            return ssl.create_default_context(cafile=path)
    return None


def answering(
    kind: Kind, pool: Sequence[Preset] | None = None, variant: str = "cpu"
) -> list[Probe]:
    """The presets of a kind that answer here, fastest first (for pre-flight's advice)."""
    pool = presets() if pool is None else pool
    chosen = [p for p in pool if p.kind is kind or (kind.serves_torch and p.kind.serves_torch)]
    m = measure(Target(p.name, p.location(variant)) for p in chosen)
    return sorted((p for p in m.probes if p.answered), key=lambda p: p.seconds or 0.0)


# ---- what a named mirror can serve -------------------------------------------------------------
class Fit(str, Enum):
    """Whether the mirror a person named can serve the torch build the plan chose."""

    NOT_NEEDED = "not-needed"
    """torch does not come from PyTorch's index (conda-forge, macOS, the default index)."""
    TORCH_COPY = "torch-copy"
    """The site copies PyTorch's wheels: torch comes from there."""
    PYPI_DEFAULT = "pypi-default"
    """Only a copy of the default index, but the build is the one it serves here."""
    JETSON = "jetson"
    """The build comes from NVIDIA's Jetson index, which no preset copies."""
    OTHER_INDEX = "other-index"
    """One preset named, not a whole site: torch keeps its own index, and the reasons say so."""
    CANNOT = "cannot"
    """A whole site named that cannot serve the build: refused, naming sites that can."""


def fit(
    choice: str,
    chosen: Sequence[Preset],
    decision: Decision,
    answers: Answers,
    pool: Sequence[Preset],
) -> Fit:
    """Pure: which of the above holds for `mirror: choice`."""
    if decision.index_owner == "jetson":
        return Fit.JETSON
    if (
        need_for(decision) is None
        or not isinstance(answers.torch_index, Auto)
        or answers.find_links
    ):
        return Fit.NOT_NEEDED
    if any(p.kind.serves_torch for p in chosen):
        return Fit.TORCH_COPY
    if any(p.kind is Kind.PYPI for p in chosen) and decision.variant == decision.default_variant:
        return Fit.PYPI_DEFAULT
    return Fit.CANNOT if is_site(choice, pool) else Fit.OTHER_INDEX


def _kinds(chosen: Sequence[Preset]) -> str:
    words = {Kind.PYPI: "PyPI", Kind.CONDA: "conda-forge"}
    return _(" and ").join(dict.fromkeys(words.get(p.kind, p.kind.value) for p in chosen))


def cannot_serve(
    choice: str, chosen: Sequence[Preset], decision: Decision, pool: Sequence[Preset]
) -> str:
    """The one sentence that refuses a mirror for a build it does not hold, naming those that do."""
    servers = list(dict.fromkeys(p.site for p in pool if p.kind.serves_torch))
    return _(
        "mirror: {name} copies {kinds} but not PyTorch's own index, and the default index has "
        "no torch {release} {variant} build here (it serves {default}); sites that copy "
        "PyTorch's wheels: {servers} (mirror: {first}), or mirror: auto to measure which answers here"
    ).format(
        name=choice,
        kinds=_kinds(chosen),
        release=decision.release,
        variant=decision.variant,
        default=decision.default_variant or "-",
        servers=", ".join(servers),
        first=servers[0] if servers else "auto",
    )


def fitted(
    facts: Facts, answers: Answers, decision: Decision, pool: Sequence[Preset] | None = None
) -> Decision:
    """The decision a named PyPI-only mirror can serve, when `compute: auto` leaves the choice.

    `mirror: tuna` copies PyPI, whose torch is one build per platform (cu130 on Linux x86_64 for
    torch 2.14). When that build runs here too, it is planned instead of a newer CUDA one that only
    PyTorch's own index holds; otherwise route() refuses and names the sites that serve it.
    """
    choice = answers.mirror
    if choice in ("none", "auto") or answers.offline or answers.compute != "auto":
        return decision
    pool = presets() if pool is None else pool
    if fit(choice, select(choice, pool), decision, answers, pool) is not Fit.CANNOT:
        return decision
    runs = any(
        a.get("variant") == decision.default_variant and a.get("ok") for a in decision.alternatives
    )
    if not runs or decision.default_variant is None:
        return decision
    from envwizard.decide.decision import decide
    from envwizard.knowledge import load

    pinned = dataclasses.replace(
        answers,
        compute=decision.default_variant,
        torch=answers.torch or f"=={decision.release}.*",
    )
    better = decide(facts, pinned, load())
    better.reasons.append(
        _(
            "mirror {name} copies PyPI, whose torch {release} here is the {default} build, and it "
            "runs here too: planned instead of {variant}, which only PyTorch's own index holds"
        ).format(
            name=choice,
            release=decision.release,
            default=decision.default_variant,
            variant=decision.variant,
        )
    )
    return better


# ---- the route ---------------------------------------------------------------------------------
@dataclass
class Route:
    """Where a plan downloads from, once the mirror choice is applied."""

    torch_index: str | None = None
    """A copy of PyTorch's index for the variant (replaces the decision's index_url)."""
    torch_links: str | None = None
    """A flat page of wheel links for the variant."""
    index_url: str | None = None
    """A copy of the package index, for every other package."""
    conda_channel: str | None = None
    torch_from_index: bool = False
    """torch comes from the package index copy (index_url): it is the default index's build."""
    reasons: list[str] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return self.conda_channel or "conda-forge"


def route(
    answers: Answers,
    decision: Decision,
    measured: Measurement | None = None,
    pool: Sequence[Preset] | None = None,
) -> Route:
    """Turn `mirror:` into download locations; explicit torch_index/index_url/find_links win."""
    choice = answers.mirror
    if choice == "none" or answers.offline:
        return Route()
    pool = presets() if pool is None else pool
    if choice == "auto":
        chosen, reasons = _auto(decision, measured, pool)
    else:
        chosen, reasons = select(choice, pool), []
    r = Route(reasons=reasons)
    need = need_for(decision)
    if choice != "auto":
        how = fit(choice, chosen, decision, answers, pool)
        if how is Fit.CANNOT:
            raise ImpossibleRequest(cannot_serve(choice, chosen, decision, pool))
        pypi_copy = next((p for p in chosen if p.kind is Kind.PYPI), None)
        if how is Fit.PYPI_DEFAULT and pypi_copy is not None and answers.index_url is None:
            r.torch_from_index = True
            r.reasons.append(
                _(
                    "mirror {name}: torch {release} {variant} is the build the default index "
                    "serves here, so it comes from {url} with the other packages"
                ).format(
                    name=pypi_copy.name,
                    release=decision.release,
                    variant=decision.variant,
                    url=pypi_copy.url,
                )
            )
        elif how is Fit.JETSON:
            r.reasons.append(
                _(
                    "mirror {name}: torch stays on NVIDIA's Jetson index, which no mirror preset copies"
                ).format(name=choice)
            )
        elif how is Fit.OTHER_INDEX:
            r.reasons.append(
                _(
                    "mirror {name}: torch {release} {variant} still comes from PyTorch's index "
                    "({name} copies {kinds} only)"
                ).format(
                    name=choice,
                    release=decision.release,
                    variant=decision.variant,
                    kinds=_kinds(chosen),
                )
            )
    torch = next((p for p in chosen if p.kind.serves_torch), None)
    if (
        torch is not None
        and need is not None
        and isinstance(answers.torch_index, Auto)
        and not answers.find_links
    ):
        where = torch.location(need.variant)
        if torch.kind is Kind.TORCH_INDEX:
            r.torch_index = where.rstrip("/")
            r.reasons.append(
                _("mirror {name}: torch from {url}, a copy of PyTorch's index").format(
                    name=torch.name, url=r.torch_index
                )
            )
        else:
            r.torch_links = where
            r.reasons.append(
                _(
                    "mirror {name}: torch from the wheel links at {url}, installed without its "
                    "dependencies and with no index, so no other build can take its place"
                ).format(name=torch.name, url=where)
            )
    pypi = next((p for p in chosen if p.kind is Kind.PYPI), None)
    if pypi is not None and answers.index_url is None:
        r.index_url = pypi.url
        r.reasons.append(
            _("mirror {name}: other packages from {url}").format(name=pypi.name, url=pypi.url)
        )
    conda = next((p for p in chosen if p.kind is Kind.CONDA), None)
    if conda is not None and answers.is_conda:
        r.conda_channel = conda.url
        r.reasons.append(
            _("mirror {name}: conda-forge from {url}").format(name=conda.name, url=conda.url)
        )
    return r


def _auto(
    decision: Decision, measured: Measurement | None, pool: Sequence[Preset]
) -> tuple[list[Preset], list[str]]:
    if measured is None or not measured.probes:
        return [], [_("mirror: auto: nothing was measured, so the official locations stay")]
    by_name = {p.name: p for p in pool}
    if not any(p.answered for p in measured.probes):
        return [], [summary_dead(measured)]
    reasons = [
        _(
            "mirror: auto measured {count} sources in parallel (budget {budget:g} s): {results}"
        ).format(
            count=len(measured.probes),
            budget=measured.budget,
            results="; ".join(_grouped(measured.probes)),
        )
    ]
    chosen: list[Preset] = []
    torch_probes = [
        p
        for p in measured.probes
        if p.answered and p.has_build and (p.name == OFFICIAL or p.name in by_name)
    ]
    best = min(torch_probes, key=lambda p: p.seconds or 0.0, default=None)
    official = measured.probe(OFFICIAL)
    if best is not None and best.name != OFFICIAL:
        chosen.append(by_name[best.name])
        reasons.append(
            _("mirror: auto chose {name} for torch: the fastest source that has {need}").format(
                name=best.name, need=measured.need
            )
        )
    elif best is not None:
        reasons.append(
            _(
                "mirror: auto kept PyTorch's own index for torch: it was the fastest with {need}"
            ).format(need=measured.need)
        )
    elif need_for(decision) is not None:
        reasons.append(
            _("mirror: auto found no source that has {need}; PyTorch's own index stays").format(
                need=measured.need
            )
        )
    # The package index and conda follow the torch choice: where PyTorch's own servers are
    # slower than a mirror (or do not answer), the default index is far away too.
    slow_here = (
        official is None or not official.answered or (best is not None and best.name != OFFICIAL)
    )
    if slow_here:
        for kind in (Kind.PYPI, Kind.CONDA):
            fastest = min(
                (
                    p
                    for p in measured.probes
                    if p.answered and p.name in by_name and by_name[p.name].kind is kind
                ),
                key=lambda p: p.seconds or 0.0,
                default=None,
            )
            if fastest is not None:
                chosen.append(by_name[fastest.name])
                reasons.append(
                    _("mirror: auto chose {name}, the fastest {kind} copy that answered").format(
                        name=fastest.name, kind=kind.value
                    )
                )
    return chosen, reasons


def summary_dead(measured: Measurement) -> str:
    """One line when nothing answered: what was tried and why it failed, each why once."""
    whys = list(dict.fromkeys(p.why for p in measured.probes))
    return _(
        "mirror: auto: no mirror answered within {budget:g} s ({count} tried: {names}; {whys}), "
        "so the official locations stay"
    ).format(
        budget=measured.budget,
        count=len(measured.probes),
        names=", ".join(p.name for p in measured.probes),
        whys=" / ".join(whys),
    )


def _grouped(probes: Sequence[Probe]) -> list[str]:
    """Each answer on its own; the dead ones that failed alike in one clause."""
    out = [p.describe() for p in probes if p.answered]
    dead: dict[str, list[str]] = {}
    for p in probes:
        if not p.answered:
            dead.setdefault(p.why, []).append(p.name)
    for why, names in dead.items():
        out.append(_("no answer from {names} ({why})").format(names=", ".join(names), why=why))
    return out


def apply_route(way: Route, answers: Answers, decision: Decision) -> Answers:
    """The answers and decision the plan is built from once the route is applied.

    The package index copy becomes the answers' index_url (so every install step uses it), a
    PyTorch index copy replaces the decision's index_url, and the reasons say so.
    """
    decision.reasons.extend(way.reasons)
    if way.torch_index:
        decision.index_url = way.torch_index
    elif way.torch_links or way.torch_from_index:
        decision.index_url = None
    if way.index_url:
        answers = dataclasses.replace(answers, index_url=way.index_url)
    return answers


def auto_targets(decision: Decision, answers: Answers) -> tuple[Target, ...]:
    """For `mirror: auto`: the sources to measure, from here, for this decision (none otherwise).

    A tuple of frozen values, so a front end can keep each measurement by what it measured.
    """
    if answers.mirror != "auto" or answers.offline:
        return ()
    official = decision.index_url if isinstance(answers.torch_index, Auto) else None
    return tuple(targets_for(decision, answers, official=official))
