"""Does the lock hold the build the plan chose? Checked before anything is created.

A wheel's build is in its version's local label (`+cpu`, `+cu126`, `+rocm6.4`, `+xpu`); a
torch without one is whatever the default index serves for that release on the platform (on
Linux x86-64 the CUDA build: the knowledge's `default` row). Companions (torchvision,
torchaudio) must be the same build as torch. A wrong build is refused with one sentence that
names which source gives which build and how to point at the right one. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from envwizard.core.errors import ImpossibleRequest
from envwizard.core.i18n import _
from envwizard.decide.decision import Decision
from envwizard.knowledge import Knowledge
from envwizard.plan.lock import DEFAULT_INDEX, Lock, Locked
from envwizard.settings.answers import COMPANIONS

TORCH = "torch"
CONDA_TORCH = "pytorch"


class LockRefused(ImpossibleRequest):
    """The installer would install another build than the plan chose (exit 2, nothing made).

    Not retryable: the same sources give the same answer until the answers change.
    """

    retryable = False


@dataclass(frozen=True)
class Alternative:
    """A build found in a local source (a wheel folder, a file:// index) that the resolve did
    not take: what the refusal can point at."""

    name: str
    version: str
    source: str


def normal_variant(local: str) -> str:
    """`cpu.cxx11.abi` -> `cpu`; other labels name their variant as they are."""
    return "cpu" if local.startswith("cpu") else local


def variant_kind(variant: str) -> str:
    if variant.startswith("cu"):
        return "cuda"
    if variant.startswith("rocm"):
        return "rocm"
    if variant in ("cpu", "xpu", "mps"):
        return variant
    return "default"


def variant_words(variant: str) -> str:
    """The build as people say it: CPU, CUDA 13.0, ROCm 6.4, XPU."""
    kind = variant_kind(variant)
    if kind == "cuda":
        digits = variant[2:]
        return f"CUDA {digits[:-1]}.{digits[-1]}" if len(digits) > 1 else "CUDA"
    if kind == "rocm":
        return f"ROCm {variant[4:]}"
    if kind in ("cpu", "xpu", "mps"):
        return kind.upper()
    if variant and variant != "default":
        return f"+{variant}"  # a label no PyTorch build carries: said as it is
    return _("default")


def default_variant(kb: Knowledge, version: str, platform: str) -> str | None:
    """What the default index serves for a release line on a platform (None: not known)."""
    try:
        line = ".".join(str(x) for x in Version(version).release[:2])
    except InvalidVersion:
        return None
    rel = next((r for r in kb.releases if r.version == line), kb.releases[0])
    return rel.default.get(platform)


def wheel_variant(p: Locked, kb: Knowledge, platform: str, torch_version: str) -> str:
    """The build of a torch-family wheel: its local label, else the default index's build for
    torch's release on this platform."""
    if p.local:
        return normal_variant(p.local)
    return default_variant(kb, torch_version, platform) or "default"


def conda_variant(p: Locked, lock: Lock) -> str:
    """conda-forge names the build in its build string: `cpu_mkl_…`, `cuda126_mkl_…`."""
    build = p.build or ""
    if build.startswith("cpu") or "_cpu" in build:
        return "cpu"
    m = re.search(r"cuda(\d{3,})", build)
    if m:
        return f"cu{m.group(1)}"
    cv = lock.get("cuda-version")
    if "cuda" in build and cv is not None:
        return "cu" + "".join(cv.version.split(".")[:2])
    return "default"


def where(source: str | None) -> str:
    if source == DEFAULT_INDEX:
        return _("the installer's default index")
    return source or _("a source the installer did not name")


def check_lock(
    lock: Lock,
    decision: Decision,
    kb: Knowledge,
    platform: str,
    *,
    alternatives: Sequence[Alternative] = (),
) -> str:
    """The build the lock holds (`cpu`, `cu130`, …; empty without torch), or LockRefused
    with the sentence."""
    if decision.source == "conda-forge":
        return _check_conda(lock, decision)
    torch = lock.get(TORCH)
    if torch is None:
        return ""  # a plan that installs no torch (written by hand) has no build to check
    if decision.index_owner == "jetson":
        # NVIDIA's Jetson wheels carry a source tag (`+872d972e41.nv24.08`), not a variant:
        # every one of them is the CUDA build for that JetPack.
        return decision.variant
    got = wheel_variant(torch, kb, platform, torch.version)
    nvidia = [p.name for p in lock.packages if p.name.startswith("nvidia-")]
    if not _fits(got, decision, platform):
        raise LockRefused(_torch_sentence(torch, got, decision, nvidia, alternatives))
    if variant_kind(got) != "cuda" and nvidia:
        raise LockRefused(
            _(
                "the resolve for the {want} build of torch also pulls {count} NVIDIA CUDA packages "
                "({names}); nothing was created. Leave out the package that needs them, or choose "
                "a CUDA build"
            ).format(
                want=variant_words(got), count=len(nvidia), names=", ".join(sorted(nvidia)[:4])
            )
        )
    for name in COMPANIONS:
        comp = lock.get(name)
        if comp is None:
            continue
        theirs = wheel_variant(comp, kb, platform, torch.version)
        if theirs != got:
            raise LockRefused(_companion_sentence(comp, theirs, got, decision, alternatives))
    return got


def _fits(got: str, d: Decision, platform: str) -> bool:
    if platform.startswith("macos-"):
        return variant_kind(got) in ("default", "mps", "cpu")
    if d.variant == "default":
        # The configured index decides; a CUDA build also runs on a machine without a GPU.
        kind = variant_kind(got)
        return kind == d.kind or (
            d.kind == "cuda" and d.expect.get("device") == "cpu" and kind == "cpu"
        )
    return got == d.variant


def _how(want: str, d: Decision) -> str:
    if variant_kind(want) == "default":
        return _("set compute: to the build you want, or torch_index: auto")
    return _(
        "set torch_index: auto (PyTorch's {variant} index) or a mirror of it, or add a wheel "
        "folder that holds a {words} build of torch {release} to find_links"
    ).format(variant=want, words=variant_words(want), release=d.release)


def _offers(name: str, want: str, alternatives: Sequence[Alternative]) -> list[Alternative]:
    out = []
    for a in alternatives:
        try:
            local = Version(a.version).local
        except InvalidVersion:
            continue
        if a.name == name and local and normal_variant(local) == want:
            out.append(a)
    return out


def _torch_sentence(
    torch: Locked, got: str, d: Decision, nvidia: list[str], alternatives: Sequence[Alternative]
) -> str:
    want = d.variant if d.variant != "default" else d.kind
    extra = _(" with {count} NVIDIA CUDA packages").format(count=len(nvidia)) if nvidia else ""
    offers = _offers(TORCH, want, alternatives)
    if offers:
        best = max(offers, key=lambda a: Version(a.version))
        pin = Version(best.version).public
        if SpecifierSet(_specifier(d.requirement)).contains(pin):
            advice = _(
                "{source} holds torch {version} ({words}) too, but the installer prefers the "
                "other: take {other} out of the sources, or {how}"
            ).format(
                source=best.source,
                version=best.version,
                words=variant_words(want),
                other=where(torch.source),
                how=_how(want, d),
            )
        else:
            advice = _(
                '{source} holds torch {version} ({words}): set torch: "=={pin}" to install it, '
                "or {how}"
            ).format(
                source=best.source,
                version=best.version,
                words=variant_words(want),
                pin=pin,
                how=_how(want, d),
            )
    else:
        advice = _("to get it, {how}").format(how=_how(want, d))
    return _(
        "the configured sources would install torch {version} from {source}, the {got} build"
        "{extra}, but the plan chose the {want} build, so nothing was created; {advice}"
    ).format(
        version=torch.version,
        source=where(torch.source),
        got=variant_words(got),
        extra=extra,
        want=variant_words(want),
        advice=advice,
    )


def _specifier(requirement: str) -> str:
    try:
        return str(Requirement(requirement).specifier)
    except InvalidRequirement:
        return ""


def _companion_sentence(
    comp: Locked, theirs: str, want: str, d: Decision, alternatives: Sequence[Alternative]
) -> str:
    offers = _offers(comp.name, want, alternatives)
    hint = (
        _("{source} holds {name} {version}, ").format(
            source=offers[0].source, name=comp.name, version=offers[0].version
        )
        if offers
        else ""
    )
    return _(
        "no {want} build of {name} among the configured sources — {source} holds its {theirs} "
        "build ({name} {version}); {hint}add PyTorch's {variant} index or a wheel folder that has "
        "one, or leave {name} out; nothing was created"
    ).format(
        want=variant_words(want),
        name=comp.name,
        source=where(comp.source),
        theirs=variant_words(theirs),
        version=comp.version,
        hint=hint,
        variant=want,
    )


def _check_conda(lock: Lock, d: Decision) -> str:
    torch = lock.get(CONDA_TORCH) or lock.get(TORCH)
    if torch is None:
        raise LockRefused(_("the resolve did not include pytorch; nothing was created"))
    got = conda_variant(torch, lock)
    want_kind = d.kind
    if variant_kind(got) != want_kind and variant_kind(got) != "default":
        raise LockRefused(
            _(
                "conda would install {label} from {source}, the {words} build, but the plan chose "
                "the {want} build; nothing was created. Check the channel, or choose compute: {got}"
            ).format(
                label=torch.label,
                source=where(torch.source),
                words=variant_words(got),
                got=got,
                want=variant_words(d.variant),
            )
        )
    return got
