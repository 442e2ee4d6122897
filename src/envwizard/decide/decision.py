"""Choose the PyTorch build that will really run here, and say why: the search.

The checks themselves live in envwizard.decide.checks (pure functions returning codes and numbers);
this module searches releases and variants using only those structured results, and the
sentences come from envwizard.decide.wording. The usual tools check only the driver; the kernel and
library checks are what save a Pascal, Volta or Kepler card from a wheel that dies at its
first kernel. Pure: Facts + Answers in, Decision out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from envwizard.core.errors import ImpossibleRequest, InvalidInput
from envwizard.core.i18n import join
from envwizard.core.notes import Note, NoteCode
from envwizard.core.versions import vkey
from envwizard.decide import checks, wording
from envwizard.decide.checks import CHECKS, Check, Code, Finding, Machine, gpu_label
from envwizard.facts.model import GPU, Facts
from envwizard.knowledge import Build, Knowledge, Release
from envwizard.settings.answers import COMPANIONS, Answers
from envwizard.settings.choices import Auto, Default

__all__ = ["CHECKS", "Candidate", "Decision", "decide", "gpu_label"]


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
        return any(Code.PTX_JIT in c.codes for c in self.checks)

    def failure_keys(self) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        """What failed, independent of the build's name: builds failing alike share a line."""
        return tuple(c.failure.key() for c in self.failures if c.failure)

    def summary(self) -> str:
        """Every failed check, so a person sees that fixing one (the driver) is not enough."""
        return wording.candidate_summary([(f.name, wording.why(f)) for f in self.failures])


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
    warnings: list[Note] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)
    """What verification should find: the devices and architectures this build must serve."""
    hints: list[dict[str, str]] = field(default_factory=list)
    """Settings this machine needs beside the build: {"setting", "value", "why"}."""
    forecast: bool = False
    """The release is newer than the knowledge: planned by the newest known release's rules."""
    default_variant: str | None = None
    """The variant the default index (PyPI and its copies) serves for this release here."""
    index_owner: str | None = None
    """Whose index `index_url` is: "pytorch" (or a copy of it), "jetson" (NVIDIA's Jetson
    index), None when the installer's own index serves torch."""
    interpreter: str | None = None
    """The interpreter that makes the environment (None: uv or conda provide `python`); found
    once per plan with the version, for the planner's commands (not part of the plan JSON)."""

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
            "warnings": [w.text for w in self.warnings],
            "alternatives": self.alternatives,
            "expect": self.expect,
            "hints": self.hints,
            "forecast": self.forecast,
            "index_owner": self.index_owner,
            "default_variant": self.default_variant,
        }


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
                raise InvalidInput(wording.python_does_not_run(want, p.error))
            return p.version, p.executable
    raise InvalidInput(wording.python_unknown(want))


def line_admitted(spec: SpecifierSet, line: str) -> bool:
    """Whether a specifier admits some release of a line ("2.13" -> 2.13.0 … 2.13.29)."""
    return any(spec.contains(f"{line}.{p}") for p in range(30))


class Decider:
    """Runs the four checks over the knowledge for one machine and one set of answers."""

    def __init__(self, facts: Facts, answers: Answers, kb: Knowledge) -> None:
        self.facts = facts
        self.answers = answers
        self.kb = kb
        self.py_full, self.py_exe = target_python(facts, answers)
        py_info = next(
            (
                p
                for p in [facts.python, *facts.pythons]
                if self.py_exe and p.executable == self.py_exe
            ),
            None,
        )
        self.m = Machine(facts, kb, self.py_full, py_info)
        self.platform = self.m.platform
        self.py = self.m.py
        self.driver_cuda = self.m.driver_cuda
        self.source = answers.torch_source
        self.spec = answers.torch_specifier

    # ---- which GPUs a kind of build must serve -------------------------------------------
    def targets(self, vendor: str) -> list[GPU]:
        return self.m.targets(vendor)

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

    # ---- the checks (envwizard.decide.checks) --------------------------------------------------------
    def evaluate(self, b: Build) -> Candidate:
        found = checks.evaluate(self.m, b)
        if self.answers.compute == b.variant:
            # Asked for by name: a card one HSA_OVERRIDE_GFX_VERSION away runs it once that is
            # set, so the plan goes ahead and says so instead of refusing.
            found = [
                Check(c.name, None, (c.failure,))
                if c.failure and c.failure.code is Code.GFX_OVERRIDE
                else c
                for c in found
            ]
        return Candidate(b, found)

    def py_ok(self, rel: Release) -> bool:
        """Whether `rel` publishes wheels (stable or experimental) for the target Python here."""
        return checks.python_gate(self.m, rel) is None

    def gate(self, rel: Release) -> Finding | None:
        """Why no pip build of a whole release can install here (Python, glibc), or None.

        Gated releases are summarised in one line instead of one line per release.
        """
        return checks.python_gate(self.m, rel) or checks.glibc_gate(self.m, rel, self.source)

    def gate_lines(self, rels: list[Release]) -> list[str]:
        """One sentence per gate over the given releases: "Python 3.8: torch 2.5–2.14 …"."""
        by_gate: dict[Code, list[Release]] = {}
        needs: set[str] = set()
        for r in rels:
            g = self.gate(r)
            if g:
                by_gate.setdefault(g.code, []).append(r)
                if g.code is Code.GLIBC_OLD:
                    needs.add(str(g.data["need"]))
        lines = []
        if Code.PYTHON_WINDOW in by_gate:
            versions = [r.version for r in by_gate[Code.PYTHON_WINDOW]]
            lines.append(wording.gate_python(self.py, versions, self.platform))
        if Code.GLIBC_OLD in by_gate:
            gated = by_gate[Code.GLIBC_OLD]
            floors = "/".join(sorted(needs, key=vkey))
            glibc = self.facts.os.glibc or ""
            lines.append(wording.gate_glibc(glibc, [r.version for r in gated], floors))
        return lines

    # ---- choosing -----------------------------------------------------------------------------
    def releases(self) -> list[Release]:
        rels = [r for r in self.kb.releases if line_admitted(self.spec, r.version)]
        if not rels and self.forecast_line():
            rels = [r for r in self.kb.releases if line_admitted(self.spec, r.version)]
        if not rels:
            known = f"{self.kb.releases[-1].version}–{self.kb.releases[0].version}"
            raise ImpossibleRequest(
                wording.no_release(self.answers.torch or "", known, self.kb.as_of)
            )
        return rels

    def forecast_line(self) -> str | None:
        """A release line past the table that the specifier admits, added as a forecast.

        A specifier such as ">=2.15" must not be a dead end just because envwizard is older
        than the release: the newest known release's rules are the best forecast, and
        verification after install checks what arrived.
        """
        newest = self.kb.releases[0]
        major, minor = vkey(newest.version)[:2]
        lines = [f"{major}.{minor + step}" for step in range(1, 11)]
        lines += [f"{major + 1}.{step}" for step in range(10)]  # a new major ("==3.0.0")
        for line in lines:
            if line_admitted(self.spec, line):
                self.kb = self.kb.with_forecast(line)
                self.m.kb = self.kb
                return line
        return None

    def builds(self, rel: Release) -> list[Build]:
        return [
            b for b in self.kb.builds_for(rel.version, self.platform, self.source) if self.m.sees(b)
        ]

    def decide(self) -> Decision:
        rels = self.releases()
        self.require_platform(rels)
        self.require_python(rels)
        if (
            isinstance(self.answers.torch_index, Default)
            and self.answers.compute == "auto"
            and self.source == "pip"
        ):
            return self.decide_default_index(rels)
        if self.answers.compute == "auto":
            return self.decide_auto(rels)
        return self.decide_explicit(rels, self.answers.compute)

    def require_platform(self, rels: list[Release]) -> None:
        if self.facts.os.system == "Linux" and self.facts.os.libc == "musl":
            musl = wording.say(Finding(Code.MUSL))
            raise ImpossibleRequest(wording.no_platform_build(musl, False))
        if any(self.builds(r) for r in rels):
            return
        limits = self.kb.platform_limits(self.platform, self.source)
        why = limits[0] if limits else wording.no_builds_for(self.source, self.platform)
        raise ImpossibleRequest(wording.no_platform_build(why, self.facts.os.rosetta))

    def require_python(self, rels: list[Release]) -> None:
        if any(self.py_ok(r) for r in rels):
            return
        windows: dict[str, list[str]] = {}
        for r in [r for r in rels if self.builds(r)] or rels:
            windows.setdefault(r.pythons_on(self.platform), []).append(r.version)
        raise ImpossibleRequest(wording.python_windows(self.py_full, self.platform, windows))

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
                rejected.append(wording.release_fails(rel.version, _failures(cands)))
            elif kinds and self.builds(rel):
                rejected.append(wording.no_kind_build(rel.version, kinds, self.platform))
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
                cpu_rejected.append(wording.release_fails(rel.version, _failures(cpu)))
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
            rejected.append(wording.variant_fails(rel.version, variant, cand.summary()))
        instead = self.suggestion()
        if first_fail is not None:
            failures = [(f.name, wording.why(f)) for f in first_fail.failures]
            raise ImpossibleRequest(wording.explicit_cannot_run(variant, failures, instead))
        if gated:
            raise ImpossibleRequest(
                wording.explicit_gated(variant, self.gate_lines(gated), instead)
            )
        have = sorted({b.variant for r in rels for b in self.builds(r)}, key=lambda v: (len(v), v))
        spec = self.answers.torch or "any version"
        raise ImpossibleRequest(
            wording.explicit_absent(variant, spec, self.platform, self.source, have, instead)
        )

    def suggestion(self) -> str:
        try:
            d = self.decide_auto(self.releases())
        except ImpossibleRequest:
            return ""
        return wording.suggestion(d.variant, d.release)

    def decide_default_index(self, rels: list[Release]) -> Decision:
        """torch_index: default — the configured index decides the build; check what it serves."""
        rejected: list[str] = []
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
            rejected.append(wording.default_index_fails(rel.version, default, cand.summary()))
        if not rejected:
            raise ImpossibleRequest(self.nothing_runs(rels))
        raise ImpossibleRequest(wording.default_index_nothing(rejected[:3]))

    def auto_hint(self, rels: list[Release], chosen: Release) -> str:
        """What torch_index: auto would give instead, when the default index holds this one back."""
        try:
            better = self.decide_auto(rels)
        except ImpossibleRequest:
            return wording.auto_would(None, False)
        newer = vkey(better.release) > vkey(chosen.version)
        return wording.auto_would((better.release, better.variant), newer)

    def nothing_runs(self, rels: list[Release]) -> str:
        rel = next((r for r in rels if not self.gate(r)), None)
        if rel is None:
            return wording.nothing_installs(self.gate_lines(rels))
        cands = [self.evaluate(b) for b in self.builds(rel)]
        return wording.nothing_runs(_failures(cands))

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
        warnings: list[Note] = []
        reasons.extend(self.gate_lines([r for r in rels if vkey(r.version) > vkey(rel.version)]))
        reasons.extend(rejected_newer[:3])
        if len(rejected_newer) > 3:
            reasons.append(wording.more_fail(len(rejected_newer) - 3))
        if no_accel:
            reasons.append(wording.cpu_because(no_accel[0]))
            reasons.extend(self.jetson_miss(rels))
        variant = "default" if default_index else b.variant
        if default_index:
            cuda_on_cpu = b.kind == "cuda" and not self.facts.nvidia_gpus
            reasons.append(
                wording.default_index_serves(rel.version, self.platform, b.variant, cuda_on_cpu)
            )
        reasons.append(self.chosen_line(cand))
        for c in cand.checks:
            if c.notes:
                reasons.append(wording.note(c))
        for other in self.builds(rel):
            if other.variant == b.variant or other.kind != b.kind:
                continue
            o = self.evaluate(other)
            if not o.ok and _newer(other, b):
                reasons.append(wording.not_variant(other.variant, o.summary()))
            elif o.ok and other.experimental and _newer(other, b):
                reasons.append(wording.not_experimental(other.variant, rel.version))
        if b.experimental:
            warnings.append(
                Note(NoteCode.EXPERIMENTAL, wording.experimental(b.variant, rel.version))
            )
        for g in self.facts.gpus:
            if g.integrated:
                continue
            if (b.kind == "cuda" and g.vendor == "amd") or (
                b.kind == "rocm" and g.vendor == "nvidia"
            ):
                warnings.append(Note(NoteCode.GPU_UNUSED, wording.unused_by(gpu_label(g), b.kind)))
        if b.kind == "cpu" and not (default_index and self.facts.os.system == "Darwin"):
            unused = self.accelerators()
            if unused:
                warnings.append(
                    Note(
                        NoteCode.GPUS_IDLE_ON_CPU,
                        wording.unused_cpu([gpu_label(g) for g in unused]),
                    )
                )
        if b.kind == "cuda":
            families = set()
            for g in self.targets("nvidia"):
                eol = self.kb.last_driver_branch(g.compute_capability or "99")
                if eol and eol.family not in families:
                    families.add(eol.family)
                    warnings.append(
                        Note(
                            NoteCode.DRIVER_EOL,
                            wording.driver_eol(
                                gpu_label(g), eol.last_branch, eol.family, eol.outlook
                            ),
                        )
                    )
        if rel.forecast:
            reasons.append(wording.forecast_line(rel.version, self.kb.releases[1].version))
            warnings.append(Note(NoteCode.FORECAST, reasons[-1]))
        if self.facts.os.rosetta:
            reasons.append(wording.rosetta())
            warnings.append(Note(NoteCode.ROSETTA, reasons[-1]))
        pins = list(rel.pins) if b.source == "pip" else []
        if pins:
            reasons.append(wording.pins_line(rel.version, join(pins)))
        found_hints = hints(self.m, b, [r.version for r in rels])
        for h in found_hints:
            reasons.append(h.why)
            warnings.append(Note(NoteCode.SETTING, h.why))
        reasons.extend(wording.normalised_line(n) for n in self.facts.normalised)
        torch_pin = self.torch_pin(rel)
        index_url = self.index_for(b, default_index)
        if b.index and index_url == b.index and self.m.jetson:
            reasons.append(
                wording.jetson_index(self.m.jetson.jetpack, b.cuda or "", b.index, b.arch_text)
            )
        if b.source == "pip" and self.platform.startswith("macos-"):
            reasons.append(wording.macos_default_index())
        elif isinstance(self.answers.torch_index, Default) and not default_index:
            served = rel.default.get(self.platform)
            reasons.append(wording.configured_index(b.variant, served, rel.version))
        return Decision(
            variant=variant,
            torch=torch_pin,
            index_url=index_url,
            reasons=reasons,
            release=rel.version,
            source=b.source,
            python=self.py_full,
            interpreter=self.py_exe,
            requirement=self.requirement("torch", rel.version, self.answers.torch),
            companions=self.companions(rel) + pins,
            cuda=b.cuda,
            kind=b.kind,
            warnings=warnings,
            alternatives=self.alternatives(rel),
            expect=self.expectations(b, default_index),
            hints=[h.to_dict() for h in found_hints],
            forecast=rel.forecast,
            index_owner=(
                None if index_url is None else "jetson" if index_url == b.index else "pytorch"
            ),
            default_variant=rel.default.get(self.platform),
        )

    def jetson_miss(self, rels: list[Release]) -> list[str]:
        """Why the newest Jetson build does not run here, when the CPU build is chosen instead."""
        for rel in rels:
            own = [b for b in self.builds(rel) if b.l4t]
            if own:
                cand = self.evaluate(own[0])
                return [wording.jetson_miss(rel.version, own[0].variant, cand.summary())]
        return []

    def accelerators(self) -> list[GPU]:
        """The GPUs a GPU build would have used: the kernel-check targets, and Apple's GPU."""
        out = [*self.targets("nvidia"), *self.targets("amd"), *self.targets("intel")]
        return out + [g for g in self.facts.gpus if g.vendor == "apple"]

    def left_out_lines(self) -> list[str]:
        """Why integrated GPUs are not targets: the point where the usual tools go wrong."""
        lines = []
        for g in self.facts.intel_gpus:
            if g.integrated and not self.m.xpu_validated(g):
                lines.append(wording.intel_left_out(gpu_label(g)))
        amd = self.facts.amd_gpus
        if any(not g.integrated for g in amd):
            for g in amd:
                if g.integrated:
                    lines.append(wording.amd_left_out(gpu_label(g)))
        return lines

    def machine_line(self) -> str:
        f = self.facts
        return wording.machine_line(
            [(gpu_label(g), g.integrated) for g in f.gpus],
            f.nvidia_driver,
            self.driver_cuda,
            self.py_full,
            self.platform,
            f.os.wsl,
            f.os.glibc,
        )

    def chosen_line(self, cand: Candidate) -> str:
        b = cand.build
        vendor = {"cuda": "nvidia", "rocm": "amd"}.get(b.kind)
        covered = [gpu_label(g) for g in self.targets(vendor)] if vendor else []
        return wording.chosen_line(
            b.release, b.kind, b.variant, b.arch_text, b.source == "conda-forge", vendor, covered
        )

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
                raise ImpossibleRequest(wording.companion_url(text, name, line))
            user = str(req.specifier) or None
            if user and not line_admitted(req.specifier, line):
                raise ImpossibleRequest(wording.companion_mismatch(text, rel.version, name, line))
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
        if isinstance(ti, Default):
            return None
        if b.index:
            return b.index  # NVIDIA's Jetson index: no copy of PyTorch's index holds these
        if isinstance(ti, Auto):
            return self.kb.index_url(b.variant)
        return f"{ti.url}/{b.variant}"

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
                    else (wording.note(c.checks[2]) or wording.runs_here(b.arch_text or b.kind)),
                    "experimental": b.experimental,
                    "codes": [code.value for ch in c.checks for code in ch.codes],
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
    seen: dict[tuple[object, ...], list[Candidate]] = {}
    for c in cands:
        seen.setdefault(c.failure_keys(), []).append(c)
    lines = []
    for group in seen.values():
        names = "/".join(c.build.variant for c in group)
        first = group[0]
        why = "; ".join(
            f"{f.name}: {wording.why(f).replace(first.build.variant, names)}"
            for f in first.failures
        )
        lines.append(f"{names}: {why or 'runs here'}")
    return lines


def _newer(a: Build, b: Build) -> bool:
    if a.cuda and b.cuda:
        return vkey(a.cuda) > vkey(b.cuda)
    if a.kind == b.kind == "rocm":
        return vkey(a.variant[4:]) > vkey(b.variant[4:])
    return False


@dataclass(frozen=True)
class Hint:
    """A setting this machine needs beside the build (an environment variable and its value)."""

    setting: str
    value: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"setting": self.setting, "value": self.value, "why": self.why}


def hints(m: Machine, b: Build, admitted: list[str] | None = None) -> list[Hint]:
    """Settings this machine needs beside the build: the ones that cost people a day.

    `admitted` are the release lines the torch specifier allows: an override hint names a build
    of one of them, never a release the person ruled out.
    """
    out = []
    amd = m.facts.amd_gpus
    if b.kind == "rocm" or any(not g.integrated for g in amd):
        discrete = [g for g in amd if not g.integrated]
        integrated = [g for g in amd if g.integrated]
        if discrete and integrated:
            index = discrete[0].index if discrete[0].index is not None else amd.index(discrete[0])
            why = wording.hint_hip_visible(gpu_label(discrete[0]), gpu_label(integrated[0]), index)
            out.append(Hint("HIP_VISIBLE_DEVICES", str(index), why))
    rocm = [
        bb
        for bb in m.kb.builds
        if bb.platform == m.platform
        and bb.kind == "rocm"
        and (admitted is None or bb.release in admitted)
    ]
    for g in m.targets("amd"):
        if not g.arch:
            continue
        if b.kind == "rocm" and g.arch not in b.gfx:
            # The chosen build needs the override (compute: asked for it by name).
            override = checks.gfx_override(g.arch, b.gfx)
            if override:
                why = wording.hint_hsa_needed(gpu_label(g), override, b.variant, b.release)
                out.append(Hint("HSA_OVERRIDE_GFX_VERSION", override, why))
        elif b.kind != "rocm":
            # the newest ROCm build the override makes usable, among the admitted releases
            fit = [
                bb for bb in rocm if g.arch not in bb.gfx and checks.gfx_override(g.arch, bb.gfx)
            ]
            fit.sort(key=lambda bb: (vkey(bb.release), vkey(bb.variant[4:])), reverse=True)
            if fit:
                override = checks.gfx_override(g.arch, fit[0].gfx) or ""
                why = wording.hint_hsa_override(
                    gpu_label(g), override, fit[0].variant, fit[0].release
                )
                out.append(Hint("HSA_OVERRIDE_GFX_VERSION", override, why))
    nv = m.targets("nvidia")
    if (
        b.kind == "cuda"
        and len(nv) >= 2
        and all("GeForce" in g.name for g in nv)
        and m.kb.nccl_p2p_ref
    ):
        why = wording.hint_nccl_p2p([g.name.replace("NVIDIA ", "") for g in nv])
        out.append(Hint("NCCL_P2P_DISABLE", "1", why))
    return out
