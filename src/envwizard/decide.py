"""Choose the PyTorch build that will really run here, and say why.

A build runs only if four checks hold (DESIGN.md, research/torch-builds.md):
  wheel    a wheel exists for the OS, CPU, glibc and Python;
  driver   the NVIDIA driver is new enough for the build's CUDA major;
  kernels  the build carries kernels for every GPU (SASS, or PTX with a new enough driver);
  platform limits outside the wheel tags hold (Jetson, WSL and ROCm, MPS's macOS floor, …).
The usual tools check only the driver; the kernel check is what saves a Pascal or Volta card
from a cu130 wheel that dies at its first kernel. Pure: Facts + Answers in, Decision out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from envwizard.answers import COMPANIONS, Answers
from envwizard.errors import ImpossibleRequest, InvalidInput
from envwizard.facts.model import GPU, Facts
from envwizard.knowledge import Build, Knowledge, Release
from envwizard.versions import major_minor, platform_key, vkey

CHECKS = ("wheel", "driver", "kernels", "platform")


@dataclass
class Check:
    name: str
    ok: bool
    why: str = ""
    note: str = ""
    """A caveat worth showing even when the check passes."""


@dataclass
class Candidate:
    """A build with the outcome of the four checks on this machine."""

    build: Build
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def ptx_only(self) -> bool:
        return any(c.name == "kernels" and "PTX" in c.note for c in self.checks)

    def summary(self) -> str:
        """Every failed check, so a person sees that fixing one (the driver) is not enough."""
        fails = self.failures
        return "; ".join(f"{f.name}: {f.why}" for f in fails) if fails else "runs here"


@dataclass
class Decision:
    """The torch build to install, with the reasons a person can check."""

    variant: str
    torch: str
    index_url: str | None
    reasons: list[str]
    release: str
    source: str
    python: str
    requirement: str
    companions: list[str] = field(default_factory=list)
    cuda: str | None = None
    kind: str = "cpu"
    warnings: list[str] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)
    """What verification should find: the devices and architectures this build must serve."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "torch": self.torch,
            "index_url": self.index_url,
            "reasons": self.reasons,
            "release": self.release,
            "source": self.source,
            "python": self.python,
            "requirement": self.requirement,
            "companions": self.companions,
            "cuda": self.cuda,
            "kind": self.kind,
            "warnings": self.warnings,
            "alternatives": self.alternatives,
            "expect": self.expect,
        }


def gpu_label(g: GPU) -> str:
    """ "GeForce GTX 1080 (sm_61)" — the name people know, plus the fact that matters."""
    name = g.name.replace("NVIDIA ", "").replace("AMD ", "").strip() or g.vendor
    if g.vendor == "nvidia" and g.compute_capability:
        return f"{name} (sm_{g.compute_capability.replace('.', '')})"
    if g.vendor == "amd" and g.arch:
        return f"{name} ({g.arch})"
    return name


def target_python(facts: Facts, answers: Answers) -> tuple[str, str | None]:
    """The environment's Python as (version, interpreter path or None when a tool provides it)."""
    want = answers.python
    if want == "current":
        return facts.python.version, facts.python.executable
    if want[0].isdigit():
        found = [
            p
            for p in [facts.python, *facts.pythons]
            if not p.error and (p.version == want or p.version.startswith(want + "."))
        ]
        found.sort(key=lambda p: vkey(p.version), reverse=True)
        if found:
            return found[0].version, found[0].executable
        return want, None
    for p in [facts.python, *facts.pythons]:
        if p.executable == want:
            if p.error:
                raise InvalidInput(f"python: {want} does not run: {p.error}")
            return p.version, p.executable
    raise InvalidInput(
        f"python: cannot tell which Python {want} is (it is not among the facts' interpreters); "
        "give a version such as '3.12' instead"
    )


def line_admitted(spec: SpecifierSet, line: str) -> bool:
    """Whether a specifier admits some release of a line ("2.13" -> 2.13.0 … 2.13.29)."""
    return any(spec.contains(f"{line}.{p}") for p in range(30))


class Decider:
    """Runs the four checks over the knowledge for one machine and one set of answers."""

    def __init__(self, facts: Facts, answers: Answers, kb: Knowledge) -> None:
        self.facts = facts
        self.answers = answers
        self.kb = kb
        self.platform = platform_key(facts.os.system, facts.os.machine)
        self.windows_driver = facts.os.system == "Windows" or facts.os.wsl
        self.py_full, py_exe = target_python(facts, answers)
        self.py = major_minor(self.py_full)
        self.py_info = next(
            (p for p in [facts.python, *facts.pythons] if py_exe and p.executable == py_exe), None
        )
        self.source = answers.torch_source
        self.spec = answers.torch_specifier
        self.driver_cuda = facts.cuda_driver or (
            kb.driver_cuda(facts.nvidia_driver) if facts.nvidia_driver else None
        )

    # ---- which GPUs a kind of build must serve -------------------------------------------
    def targets(self, vendor: str) -> list[GPU]:
        """The GPUs a build of this vendor must carry kernels for.

        An integrated GPU beside a discrete one of the same vendor is left out (an AMD
        desktop iGPU must not veto the discrete card); alone, it counts.
        """
        gpus = [g for g in self.facts.gpus if g.vendor == vendor]
        if vendor == "intel":
            return [g for g in gpus if not g.integrated]
        discrete = [g for g in gpus if not g.integrated]
        return discrete or gpus

    def accelerated_kinds(self) -> list[str]:
        kinds = []
        if self.targets("nvidia"):
            kinds.append("cuda")
        if self.targets("amd"):
            kinds.append("rocm")
        if self.targets("intel"):
            kinds.append("xpu")
        if self.platform == "macos-arm64":
            kinds.append("mps")
        return kinds

    # ---- the four checks -------------------------------------------------------------------
    def evaluate(self, b: Build) -> Candidate:
        return Candidate(
            b,
            [
                self.check_wheel(b),
                self.check_driver(b),
                self.check_kernels(b),
                self.check_platform(b),
            ],
        )

    def py_ok(self, rel: Release) -> bool:
        """Whether `rel` publishes wheels (stable or experimental) for the target Python."""
        return rel.python_ok(self.py) or self.py in rel.python_experimental

    def gate(self, rel: Release) -> str | None:
        """Why no pip build of a whole release can install here ("python", "glibc"), or None.

        Gated releases are summarised in one line instead of one line per release.
        """
        if not self.py_ok(rel):
            return "python"
        glibc = self.facts.os.glibc
        if (
            self.facts.os.system == "Linux"
            and self.source == "pip"
            and glibc
            and vkey(glibc) < vkey(rel.glibc)
        ):
            return "glibc"
        return None

    def gate_lines(self, rels: list[Release]) -> list[str]:
        """One sentence per gate over the given releases: "Python 3.8: torch 2.5–2.14 …"."""
        by_gate: dict[str, list[Release]] = {}
        for r in rels:
            g = self.gate(r)
            if g:
                by_gate.setdefault(g, []).append(r)
        lines = []
        if "python" in by_gate:
            span = _span([r.version for r in by_gate["python"]])
            lines.append(f"Python {self.py}: torch {span} publish no wheels for it")
        if "glibc" in by_gate:
            gated = by_gate["glibc"]
            floors = "/".join(sorted({r.glibc for r in gated}, key=vkey))
            lines.append(
                f"glibc {self.facts.os.glibc}: torch {_span([r.version for r in gated])} wheels "
                f"need glibc {floors} or newer"
            )
        return lines

    def check_wheel(self, b: Build) -> Check:
        rel = self.kb.release(b.release)
        notes = []
        if not self.py_ok(rel):
            return Check(
                "wheel",
                False,
                f"torch {rel.version} has no wheels for Python {self.py} (it supports {rel.pythons})",
            )
        if not rel.python_ok(self.py):
            notes.append(f"Python {self.py} wheels of torch {rel.version} are experimental")
        info = self.py_info
        if info and info.implementation and info.implementation.lower() != "cpython":
            return Check(
                "wheel",
                False,
                f"torch publishes wheels for CPython only; this is {info.implementation}",
            )
        if info and info.bits == 32:
            return Check("wheel", False, "torch publishes no wheels for a 32-bit Python")
        glibc = self.facts.os.glibc
        if self.facts.os.system == "Linux" and b.source == "pip":
            if glibc is None:
                notes.append("glibc version unknown; assuming a manylinux system")
            elif vkey(glibc) < vkey(rel.glibc):
                return Check(
                    "wheel",
                    False,
                    f"torch {rel.version} wheels need glibc {rel.glibc} or newer; this system has {glibc}",
                )
        return Check("wheel", True, note="; ".join(notes))

    def check_driver(self, b: Build) -> Check:
        if b.kind != "cuda" or not b.cuda:
            return Check("driver", True)
        driver = self.facts.nvidia_driver
        if not self.facts.nvidia_gpus:
            return Check("driver", False, "no NVIDIA GPU was found")
        if driver is None:
            if self.facts.os.jetson_l4t:
                # Jetson drivers come with L4T and often hide from nvidia-smi/NVML; the platform
                # check is what decides there.
                return Check(
                    "driver", True, note=f"the driver comes with L4T {self.facts.os.jetson_l4t}"
                )
            return Check(
                "driver", False, "the NVIDIA driver version is unknown (is the driver loaded?)"
            )
        need = self.kb.min_driver(b.cuda, self.windows_driver)
        major = b.cuda.split(".")[0]
        if need is None:
            return Check("driver", False, f"envwizard has no driver table for CUDA {major}.x")
        if vkey(driver) < vkey(need):
            where = "Windows " if self.windows_driver else ""
            why = f"CUDA {major}.x needs {where}driver {need} or newer; found {driver}"
            return Check("driver", False, why)
        return Check("driver", True)

    def check_kernels(self, b: Build) -> Check:
        kind = b.kind
        if kind == "cpu":
            return Check("kernels", True)
        if kind == "mps":
            return Check("kernels", True)
        if kind == "xpu":
            if self.targets("intel"):
                return Check("kernels", True)
            igpus = [g for g in self.facts.intel_gpus if g.integrated]
            if igpus:
                return Check(
                    "kernels",
                    False,
                    f"{igpus[0].name} is integrated graphics; PyTorch's XPU builds target Intel Arc, Flex and Max GPUs",
                )
            return Check("kernels", False, "no Intel GPU was found")
        if kind == "rocm":
            gpus = self.targets("amd")
            if not gpus:
                return Check("kernels", False, "no AMD GPU was found")
            notes = []
            for g in gpus:
                if g.arch is None:
                    notes.append(f"the gfx target of {g.name} is unknown; verification will tell")
                elif g.arch not in b.gfx:
                    near = [x for x in b.gfx if x[:-1] == g.arch[:-1]]
                    hint = (
                        f"; AMD targets are not forward compatible (HSA_OVERRIDE_GFX_VERSION is the usual workaround for {near[0]})"
                        if near
                        else ""
                    )
                    return Check(
                        "kernels",
                        False,
                        f"{gpu_label(g)}: {b.variant} builds carry no {g.arch} kernels{hint}",
                    )
            return Check("kernels", True, note="; ".join(notes))
        # CUDA
        gpus = self.targets("nvidia")
        if not gpus:
            return Check("kernels", False, "no NVIDIA GPU was found")
        notes = []
        for g in gpus:
            cc = g.compute_capability
            if cc is None:
                notes.append(
                    f"the compute capability of {g.name} is unknown; verification will tell"
                )
                continue
            if _sass_covers(b.sass, cc):
                continue
            if b.ptx and vkey(b.ptx) <= vkey(cc):
                if self.driver_cuda and vkey(self.driver_cuda) >= vkey(b.cuda or "0"):
                    notes.append(
                        f"{gpu_label(g)} runs {b.variant}'s PTX {b.ptx}, JIT-compiled on first use"
                    )
                    continue
                return Check(
                    "kernels",
                    False,
                    f"{gpu_label(g)} is covered only by PTX, which needs a driver serving CUDA {b.cuda}; "
                    f"this driver serves {self.driver_cuda or 'an unknown CUDA'}",
                )
            lo = b.sass[0] if b.sass else "?"
            if vkey(cc) < vkey(lo):
                why = f"{gpu_label(g)}: {b.variant} builds of torch {b.release} start at sm_{lo.replace('.', '')}"
            else:
                why = f"{gpu_label(g)}: {b.variant} builds of torch {b.release} carry {b.arch_text}, nothing for it"
            return Check("kernels", False, why)
        return Check("kernels", True, note="; ".join(notes))

    def check_platform(self, b: Build) -> Check:
        os_ = self.facts.os
        if b.kind == "cuda" and b.source == "pip" and os_.jetson_l4t:
            return Check(
                "platform",
                False,
                f"this is a Jetson (L4T {os_.jetson_l4t}); PyTorch's aarch64 CUDA wheels are built for "
                "SBSA servers and do not match L4T's CUDA: use torch_source: conda-forge (it builds "
                "for Jetson), or NVIDIA's Jetson wheels by hand",
            )
        if b.kind == "rocm" and os_.wsl:
            return Check(
                "platform",
                False,
                "ROCm wheels need the Linux amdgpu/KFD driver, which WSL does not have",
            )
        if b.kind == "mps" and b.macos:
            have = os_.macos_version
            if have is None or vkey(have) < vkey(b.macos):
                return Check(
                    "platform",
                    False,
                    f"MPS needs macOS {b.macos} or newer; this is {have or 'unknown'}",
                )
        return Check("platform", True)

    # ---- choosing -----------------------------------------------------------------------------
    def releases(self) -> list[Release]:
        rels = [r for r in self.kb.releases if line_admitted(self.spec, r.version)]
        if not rels:
            known = f"{self.kb.releases[-1].version}–{self.kb.releases[0].version}"
            raise ImpossibleRequest(
                f"torch: {self.answers.torch!r} matches no release envwizard knows ({known}, as of "
                f"{self.kb.as_of}); widen the specifier, or update envwizard"
            )
        return rels

    def builds(self, rel: Release) -> list[Build]:
        return self.kb.builds_for(rel.version, self.platform, self.source)

    def decide(self) -> Decision:
        rels = self.releases()
        self.require_platform(rels)
        self.require_python(rels)
        if (
            self.answers.torch_index == "default"
            and self.answers.compute == "auto"
            and self.source == "pip"
        ):
            return self.decide_default_index(rels)
        if self.answers.compute == "auto":
            return self.decide_auto(rels)
        return self.decide_explicit(rels, self.answers.compute)

    def require_platform(self, rels: list[Release]) -> None:
        if any(self.builds(r) for r in rels):
            return
        limits = self.kb.platform_limits(self.platform, self.source)
        why = limits[0] if limits else f"no {self.source} builds of torch for {self.platform}"
        if self.facts.os.rosetta:
            why += "; this Python runs under Rosetta: an arm64 Python gets native wheels"
        raise ImpossibleRequest(f"no torch build for this platform: {why}")

    def require_python(self, rels: list[Release]) -> None:
        if any(self.py_ok(r) for r in rels):
            return
        windows: dict[str, list[str]] = {}
        for r in rels:
            windows.setdefault(r.pythons, []).append(r.version)
        spans = "; ".join(
            f"torch {v[-1]}–{v[0]} support Python {w}"
            if len(v) > 1
            else f"torch {v[0]} supports Python {w}"
            for w, v in windows.items()
        )
        raise ImpossibleRequest(
            f"Python {self.py_full} is outside every torch release's window ({spans}); "
            f"choose one of those with `python:`"
        )

    def decide_auto(self, rels: list[Release]) -> Decision:
        """The newest release with a GPU build that passes all four checks, else the CPU build."""
        kinds = self.accelerated_kinds()
        rejected: list[str] = []
        for rel in rels:
            if self.gate(rel):
                continue  # summarised by finish()'s gate lines
            cands = [self.evaluate(b) for b in self.builds(rel) if b.kind in kinds]
            best = _best(cands)
            if best:
                return self.finish(best, rels, rejected_newer=rejected)
            if cands:
                rejected.append(f"torch {rel.version}: " + "; ".join(_failures(cands)))
            elif kinds and self.builds(rel):
                rejected.append(
                    f"torch {rel.version}: no {'/'.join(kinds)} build for {self.platform}"
                )
        # No accelerated build runs: the newest CPU build, with the reasons.
        cpu_rejected: list[str] = []
        for rel in rels:
            if self.gate(rel):
                continue
            cpu = [self.evaluate(b) for b in self.builds(rel) if b.kind == "cpu"]
            best = _best(cpu)
            if best:
                return self.finish(best, rels, rejected_newer=cpu_rejected, no_accel=rejected)
            if cpu:
                cpu_rejected.append(f"torch {rel.version}: " + "; ".join(_failures(cpu)))
        raise ImpossibleRequest(self.nothing_runs(rels))

    def decide_explicit(self, rels: list[Release], variant: str) -> Decision:
        """The newest release whose `variant` build passes; an error naming the check if none."""
        first_fail: Candidate | None = None
        rejected: list[str] = []
        gated: list[Release] = []
        for rel in rels:
            match = [b for b in self.builds(rel) if b.variant == variant]
            if not match:
                continue
            if self.gate(rel):
                gated.append(rel)
                continue
            cand = self.evaluate(match[0])
            if cand.ok:
                return self.finish(cand, rels, rejected_newer=rejected)
            first_fail = first_fail or cand
            rejected.append(f"torch {rel.version} {variant}: {cand.summary()}")
        instead = self.suggestion()
        if first_fail is not None:
            raise ImpossibleRequest(
                f"compute: {variant!r} cannot run here: "
                + "; ".join(f"{f.name} check: {f.why}" for f in first_fail.failures)
                + instead
            )
        if gated:
            raise ImpossibleRequest(
                f"compute: {variant!r}: no torch release with {variant} builds installs here: "
                + "; ".join(self.gate_lines(gated))
                + instead
            )
        have = sorted({b.variant for r in rels for b in self.builds(r)}, key=lambda v: (len(v), v))
        raise ImpossibleRequest(
            f"compute: {variant!r}: no torch release matching {self.answers.torch or 'any version'} has a "
            f"{variant} build for {self.platform} ({self.source}); builds there: {', '.join(have)}{instead}"
        )

    def suggestion(self) -> str:
        try:
            d = self.decide_auto(self.releases())
        except ImpossibleRequest:
            return ""
        return f". What would work: compute: {d.variant} (torch {d.release}), or compute: auto"

    def decide_default_index(self, rels: list[Release]) -> Decision:
        """torch_index: default — the configured index decides the build; check what it serves."""
        rejected = []
        for rel in rels:
            if self.gate(rel):
                continue
            default = rel.default.get(self.platform)
            match = [b for b in self.builds(rel) if b.variant == default]
            if not match:
                continue
            cand = self.evaluate(match[0])
            if cand.build.kind == "cuda" and not self.facts.nvidia_gpus:
                # A CUDA build runs on the CPU too; it is only larger.
                cand = Candidate(cand.build, [c for c in cand.checks if c.name == "wheel"])
            if cand.build.kind == "mps" and not cand.ok:
                # macOS has one wheel: without MPS it is the CPU build.
                cpu = [b for b in self.builds(rel) if b.kind == "cpu"]
                cand = self.evaluate(cpu[0]) if cpu else cand
            if cand.ok:
                decision = self.finish(cand, rels, rejected_newer=rejected, default_index=True)
                if rejected:
                    decision.reasons.append(self.auto_hint(rels, rel))
                return decision
            rejected.append(
                f"torch {rel.version} from the default index is {default}: {cand.summary()}"
            )
        if not rejected:
            raise ImpossibleRequest(self.nothing_runs(rels))
        raise ImpossibleRequest(
            "torch_index: default: no torch release on the default index runs here ("
            + "; ".join(rejected[:3])
            + "); use torch_index: auto to get a matching build from PyTorch's index"
        )

    def auto_hint(self, rels: list[Release], chosen: Release) -> str:
        """What torch_index: auto would give instead, when the default index holds this one back."""
        try:
            better = self.decide_auto(rels)
        except ImpossibleRequest:
            return "torch_index: auto finds nothing newer that runs here either"
        if vkey(better.release) <= vkey(chosen.version):
            return "torch_index: auto would not give a newer torch"
        return f"torch_index: auto would give torch {better.release} {better.variant} from PyTorch's index"

    def nothing_runs(self, rels: list[Release]) -> str:
        rel = next((r for r in rels if not self.gate(r)), None)
        if rel is None:
            return "no torch build installs here: " + "; ".join(self.gate_lines(rels))
        cands = [self.evaluate(b) for b in self.builds(rel)]
        return "no torch build runs here: " + "; ".join(_failures(cands))

    # ---- the decision ------------------------------------------------------------------------
    def finish(
        self,
        cand: Candidate,
        rels: list[Release],
        *,
        rejected_newer: list[str],
        no_accel: list[str] | None = None,
        default_index: bool = False,
    ) -> Decision:
        b = cand.build
        rel = self.kb.release(b.release)
        reasons: list[str] = [self.machine_line(), *self.left_out_lines()]
        warnings: list[str] = []
        reasons.extend(self.gate_lines([r for r in rels if vkey(r.version) > vkey(rel.version)]))
        reasons.extend(rejected_newer[:3])
        if len(rejected_newer) > 3:
            reasons.append(f"… and {len(rejected_newer) - 3} more newer releases fail too")
        if no_accel:
            reasons.append("no GPU build runs here, so the CPU build: " + no_accel[0])
        variant = "default" if default_index else b.variant
        if default_index:
            reasons.append(
                f"torch_index: default: the installer's configured index and wheel folders decide "
                f"which build arrives; PyTorch's default wheel for torch {rel.version} on "
                f"{self.platform} is the {b.variant} build"
                + (
                    " (it runs on the CPU too, but is several GB)"
                    if b.kind == "cuda" and not self.facts.nvidia_gpus
                    else ""
                )
                + ", but a mirror or wheel folder may serve another; verification records the build that was installed"
            )
        reasons.append(self.chosen_line(cand))
        for c in cand.checks:
            if c.note:
                reasons.append(c.note)
        for other in self.builds(rel):
            if other.variant == b.variant or other.kind != b.kind:
                continue
            o = self.evaluate(other)
            if not o.ok and _newer(other, b):
                reasons.append(f"not {other.variant}: {o.summary()}")
            elif o.ok and other.experimental and _newer(other, b):
                reasons.append(f"not {other.variant}: experimental in torch {rel.version}")
        if b.experimental:
            warnings.append(f"{b.variant} builds of torch {rel.version} are marked experimental")
        for g in self.facts.gpus:
            if g.integrated:
                continue
            if (b.kind == "cuda" and g.vendor == "amd") or (
                b.kind == "rocm" and g.vendor == "nvidia"
            ):
                warnings.append(f"{gpu_label(g)} is not used by a {b.kind.upper()} build")
        if b.kind == "cpu" and not (default_index and self.facts.os.system == "Darwin"):
            unused = self.accelerators()
            if unused:
                warnings.append(
                    f"{', '.join(gpu_label(g) for g in unused)} will not be used: this is a CPU build"
                )
        if b.kind == "cuda":
            families = set()
            for g in self.targets("nvidia"):
                eol = self.kb.last_driver_branch(g.compute_capability or "99")
                if eol and eol.family not in families:
                    families.add(eol.family)
                    warnings.append(
                        f"{gpu_label(g)}: R{eol.last_branch} is NVIDIA's last driver branch for "
                        f"{eol.family} GPUs" + (f"; {eol.outlook}" if eol.outlook else "")
                    )
        torch_pin = self.torch_pin(rel)
        index_url = self.index_for(b, default_index)
        if b.source == "pip" and self.platform.startswith("macos-"):
            reasons.append("on macOS the torch wheel comes from the default index")
        elif self.answers.torch_index == "default" and not default_index:
            served = rel.default.get(self.platform)
            reasons.append(
                f"torch_index: default: the configured index must serve {b.variant} builds"
                + (
                    f" (the default index serves {served} for torch {rel.version})"
                    if served and served != b.variant
                    else ""
                )
                + "; verification checks what arrived"
            )
        return Decision(
            variant=variant,
            torch=torch_pin,
            index_url=index_url,
            reasons=reasons,
            release=rel.version,
            source=b.source,
            python=self.py_full,
            requirement=self.requirement("torch", rel.version, self.answers.torch),
            companions=self.companions(rel),
            cuda=b.cuda,
            kind=b.kind,
            warnings=warnings,
            alternatives=self.alternatives(rel),
            expect=self.expectations(b, default_index),
        )

    def accelerators(self) -> list[GPU]:
        """The GPUs a GPU build would have used: the kernel-check targets, and Apple's GPU."""
        out = [*self.targets("nvidia"), *self.targets("amd"), *self.targets("intel")]
        return out + [g for g in self.facts.gpus if g.vendor == "apple"]

    def left_out_lines(self) -> list[str]:
        """Why integrated GPUs are not targets: the point where the usual tools go wrong."""
        lines = []
        for g in self.facts.intel_gpus:
            if g.integrated:
                lines.append(
                    f"{gpu_label(g)} is integrated graphics: PyTorch's XPU builds target Intel Arc, "
                    "Flex and Max GPUs, so it does not count as an XPU device"
                )
        amd = self.facts.amd_gpus
        if any(not g.integrated for g in amd):
            for g in amd:
                if g.integrated:
                    lines.append(
                        f"{gpu_label(g)} is integrated graphics beside a discrete AMD GPU; "
                        "it is left out of the kernel check"
                    )
        return lines

    def machine_line(self) -> str:
        gpus = self.facts.gpus
        parts = []
        if gpus:
            parts.append(
                ", ".join(gpu_label(g) + (" [integrated]" if g.integrated else "") for g in gpus)
            )
        else:
            parts.append("no GPU found")
        if self.facts.nvidia_driver:
            serves = f" (serves CUDA ≤ {self.driver_cuda})" if self.driver_cuda else ""
            parts.append(f"NVIDIA driver {self.facts.nvidia_driver}{serves}")
        parts.append(
            f"Python {self.py_full} on {self.platform}" + (" (WSL)" if self.facts.os.wsl else "")
        )
        if self.facts.os.glibc:
            parts.append(f"glibc {self.facts.os.glibc}")
        return "; ".join(parts)

    def chosen_line(self, cand: Candidate) -> str:
        b = cand.build
        what = {
            "cpu": "the CPU build",
            "mps": "the macOS build with MPS (Apple GPU)",
            "xpu": "the Intel XPU build",
            "rocm": b.variant,
        }.get(b.kind, f"{b.variant} ({b.arch_text})")
        src = " from conda-forge" if b.source == "conda-forge" else ""
        vendor = {"cuda": "nvidia", "rocm": "amd"}.get(b.kind)
        if vendor is None:
            return f"torch {b.release}, {what}{src}"
        targets = self.targets(vendor)
        if not targets:  # a GPU build from the default index on a machine without that GPU
            return f"torch {b.release} {what}{src}: no {vendor.upper()} GPU here, so it runs on the CPU"
        covered = ", ".join(gpu_label(g) for g in targets)
        return f"torch {b.release} {what}{src}: kernels for {covered}"

    def torch_pin(self, rel: Release) -> str:
        spec = self.spec
        exact = [s.version for s in spec if s.operator in ("==", "===") and "*" not in s.version]
        if exact:
            return exact[0]
        return f"{rel.version}.*"

    def requirement(self, name: str, line: str, user: str | None) -> str:
        pin = f"=={line}.*"
        if user:
            combined = SpecifierSet(user) & SpecifierSet(pin)
            exact = [
                s
                for s in SpecifierSet(user)
                if s.operator in ("==", "===") and "*" not in s.version
            ]
            text = str(SpecifierSet(",".join(str(s) for s in exact))) if exact else str(combined)
            return f"{name}{text}"
        return f"{name}{pin}"

    def companions(self, rel: Release) -> list[str]:
        out = []
        for text in self.answers.packages:
            req = Requirement(text)
            name = req.name.lower()
            if name not in COMPANIONS:
                continue
            line = rel.torchvision if name == "torchvision" else rel.torchaudio
            if req.url:
                raise ImpossibleRequest(
                    f"packages: {text!r} names a URL; envwizard pins {name} {line}.* from the "
                    f"index torch comes from, so drop the URL"
                )
            user = str(req.specifier) or None
            if user and not line_admitted(req.specifier, line):
                raise ImpossibleRequest(
                    f"packages: {text!r} does not match torch {rel.version}, which pairs with "
                    f"{name} {line}.*; drop the version and envwizard pins the matching one"
                )
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            marker = f"; {req.marker}" if req.marker else ""
            out.append(self.requirement(name + extras, line, user) + marker)
        return out

    def index_for(self, b: Build, default_index: bool) -> str | None:
        """PyTorch's index (or its mirror) for the variant; None for the installer's own index.

        macOS wheels (CPU and MPS are one wheel) come from the default index.
        """
        if default_index or b.source != "pip" or self.platform.startswith("macos-"):
            return None
        ti = self.answers.torch_index
        if ti == "default":
            return None
        if ti == "auto":
            return self.kb.index_url(b.variant)
        return f"{ti}/{b.variant}"

    def alternatives(self, rel: Release) -> list[dict[str, Any]]:
        out = []
        for b in self.builds(rel):
            c = self.evaluate(b)
            out.append(
                {
                    "variant": b.variant,
                    "torch": rel.version,
                    "ok": c.ok,
                    "why": c.summary()
                    if not c.ok
                    else (c.checks[2].note or f"runs here ({b.arch_text or b.kind})"),
                    "experimental": b.experimental,
                }
            )
        return out

    def expectations(self, b: Build, default_index: bool) -> dict[str, Any]:
        kind = b.kind
        if default_index and kind == "cuda" and not self.facts.nvidia_gpus:
            kind = "cpu"
        exp: dict[str, Any] = {
            "device": {"cuda": "cuda", "rocm": "cuda", "xpu": "xpu", "mps": "mps"}.get(kind, "cpu")
        }
        if kind == "cuda":
            exp["compute_capabilities"] = [
                g.compute_capability for g in self.targets("nvidia") if g.compute_capability
            ]
            exp["cuda"] = b.cuda
        if kind == "rocm":
            exp["gfx"] = [g.arch for g in self.targets("amd") if g.arch]
        exp["gpus"] = len(
            self.targets({"cuda": "nvidia", "rocm": "amd", "xpu": "intel"}.get(kind, "none"))
        )
        return exp


def decide(facts: Facts, answers: Answers, kb: Knowledge) -> Decision:
    """The torch build for this machine and these answers (see the module docstring)."""
    return Decider(facts, answers, kb).decide()


def _sass_covers(sass: tuple[str, ...], cc: str) -> bool:
    """A cubin for sm_XY runs on the same major X with minor >= Y (never across majors)."""
    major, minor = vkey(cc)[:2] if len(vkey(cc)) >= 2 else (vkey(cc)[0], 0)
    for s in sass:
        smaj, smin = vkey(s)[:2]
        if smaj == major and smin <= minor:
            return True
    return False


def _best(cands: list[Candidate]) -> Candidate | None:
    """Newest passing build, preferring stable over experimental and SASS over PTX-only."""
    passing = [c for c in cands if c.ok]
    if not passing:
        return None
    stable = [c for c in passing if not c.build.experimental] or passing
    sass = [c for c in stable if not c.ptx_only] or stable
    return sass[0]


def _failures(cands: list[Candidate]) -> list[str]:
    """One line per distinct failure; builds failing the same way share it ("cu132/cu130: …")."""
    seen: dict[str, list[str]] = {}
    for c in cands:
        key = re.sub(rf"\b{re.escape(c.build.variant)}\b", "\0", c.summary())
        seen.setdefault(key, []).append(c.build.variant)
    return [f"{'/'.join(v)}: {why.replace(chr(0), '/'.join(v))}" for why, v in seen.items()]


def _span(versions: list[str]) -> str:
    """ "2.14", or "2.9–2.14" for several releases."""
    ordered = sorted(versions, key=vkey)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"


def _newer(a: Build, b: Build) -> bool:
    if a.cuda and b.cuda:
        return vkey(a.cuda) > vkey(b.cuda)
    if a.kind == b.kind == "rocm":
        return vkey(a.variant[4:]) > vkey(b.variant[4:])
    return False
