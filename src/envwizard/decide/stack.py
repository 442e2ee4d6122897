"""What goes beside torch, decided for this machine: the stack, `packages:` that envwizard
knows, `frameworks:` and the Jupyter kernel.

Pure, like the torch decision it follows: Facts + Answers + Decision in, StackDecision out.
Each package is included only when the knowledge (envwizard/knowledge/stack.toml) says a
prebuilt build fits this torch release and variant, Python, platform and GPUs; otherwise it is
left out with the reasons and, where there is one, what would fit. Nothing is ever planned as a
source build. A package the person named in `packages:` that cannot fit is an error before
anything is made; one that only came with the stack is left out and said so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from envwizard.core.errors import ImpossibleRequest
from envwizard.core.i18n import _
from envwizard.core.values import StrValue
from envwizard.core.versions import major_minor, spec_text, vkey
from envwizard.decide.decision import Decision
from envwizard.decide.machine import Machine, gpu_label
from envwizard.decide.stack_wording import Why, say
from envwizard.facts.model import GPU, Facts
from envwizard.knowledge import Knowledge
from envwizard.knowledge.stack import Extension, StackKnowledge, load_stack
from envwizard.settings.answers import Answers


class Role(StrValue):
    COMPANION = "companion"
    """torchvision, torchaudio: matched to torch's release and variant."""
    LIBRARY = "library"
    EXTENSION = "extension"
    """Compiled against torch: bitsandbytes, flash-attn, xformers, triton."""
    FRAMEWORK = "framework"
    JUPYTER = "jupyter"


class Source(StrValue):
    """Where an included package comes from, which decides the step that installs it."""

    TORCH = "torch"
    """Torch's own index (the variant's sub-index), in torch's install command."""
    INDEX = "index"
    """The installer's index, after torch, with torch pinned."""
    URL = "url"
    """A prebuilt wheel at a fixed address (flash-attn's release assets)."""
    WITH_TORCH = "with-torch"
    """Torch's own dependency: it comes with torch and is only verified."""


@dataclass(frozen=True)
class Reason:
    """One sentence's code and values; the words come from stack_wording."""

    code: Why
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return say(self.code, dict(self.fields))


def why(code: Why, **fields: object) -> Reason:
    return Reason(code, tuple((k, str(v)) for k, v in fields.items()))


@dataclass(frozen=True)
class StackItem:
    """One package's decision."""

    name: str
    role: Role
    included: bool
    requirement: str | None
    reasons: tuple[Reason, ...]
    helps: tuple[Reason, ...] = ()
    """What would make a left-out package fit (another build, driver, Python)."""
    asked: bool = False
    """Named in `packages:` or `frameworks:` (not only brought by the stack)."""
    source: Source | None = None
    device: str | None = None
    """Where verify runs it: cpu, cuda, mps, xpu (jax and tensorflow: cpu or gpu)."""
    check: str | None = None
    """The verify check that proves it (scripts/verify_stack.py)."""
    ref: str = ""
    as_of: str = ""

    @property
    def why(self) -> str:
        text = "; ".join(r.text for r in self.reasons)
        if self.helps:
            text += " — " + "; ".join(r.text for r in self.helps)
        return text

    @property
    def codes(self) -> list[str]:
        return [r.code.value for r in (*self.reasons, *self.helps)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "included": self.included,
            "requirement": self.requirement,
            "why": self.why,
            "role": self.role.value,
            "asked": self.asked,
            "source": self.source.value if self.source else None,
            "device": self.device,
            "check": self.check,
            "codes": self.codes,
            "ref": self.ref,
            "as_of": self.as_of,
        }


@dataclass(frozen=True)
class Kernel:
    """The Jupyter kernel the environment is registered as."""

    name: str
    display_name: str
    """With `{torch}` where the installed torch build goes."""


@dataclass(frozen=True)
class StackDecision:
    name: str
    items: tuple[StackItem, ...]
    kernel: Kernel | None = None
    ref: str = ""
    as_of: str = ""

    def item(self, name: str) -> StackItem | None:
        return next((i for i in self.items if i.name == name), None)

    @property
    def included(self) -> list[StackItem]:
        return [i for i in self.items if i.included]

    @property
    def left_out(self) -> list[StackItem]:
        return [i for i in self.items if not i.included]

    def requirements(self, source: Source) -> list[str]:
        """The requirements one source installs, in the stack's order."""
        return [
            i.requirement for i in self.items if i.included and i.source is source and i.requirement
        ]

    @property
    def optional(self) -> list[str]:
        """Companions the stack brought without being asked: the resolve leaves out one the
        sources hold no matching build of (one named in `packages:` is refused instead)."""
        return [
            i.name for i in self.items if i.included and i.role is Role.COMPANION and not i.asked
        ]

    def leave_out(self, name: str, reason: Reason) -> StackDecision:
        """The same decision with `name` left out for `reason` (what the resolve found)."""
        items = tuple(
            replace(i, included=False, requirement=None, source=None, reasons=(reason,), helps=())
            if i.name == name
            else i
            for i in self.items
        )
        return replace(self, items=items)

    def checks(self) -> list[str]:
        """verify_stack.py's checks for what is included, each once (`jax=gpu` names the
        device a framework must run on); the Jupyter check runs after the kernel step."""
        out: list[str] = []
        for i in self.included:
            if not i.check or i.role is Role.JUPYTER:
                continue
            check = f"{i.check}={i.device}" if i.role is Role.FRAMEWORK and i.device else i.check
            if check not in out:
                out.append(check)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "packages": [i.to_dict() for i in self.items],
            "jupyter": (
                {"kernel": self.kernel.name, "display_name": self.kernel.display_name}
                if self.kernel
                else None
            ),
        }


def canonical(name: str) -> str:
    """PEP 503's normalised name: flash_attn and Flash.Attn are flash-attn."""
    return re.sub(r"[-_.]+", "-", name).lower()


def kernel_name(env: str) -> str:
    """The environment's last path part, as jupyter_client allows kernel names."""
    base = re.split(r"[\\/]", env.rstrip("\\/"))[-1].lower()
    name = re.sub(r"[^a-z0-9._-]+", "-", base).strip("-.")
    return name or "envwizard"


def decide_stack(
    facts: Facts,
    answers: Answers,
    decision: Decision,
    kb: Knowledge,
    skb: StackKnowledge | None = None,
) -> StackDecision:
    """Every package the stack, `packages:`, `frameworks:` and `jupyter:` ask for, decided here."""
    return _Decider(facts, answers, decision, kb, skb or load_stack()).decide()


class _Decider:
    def __init__(
        self,
        facts: Facts,
        answers: Answers,
        decision: Decision,
        kb: Knowledge,
        skb: StackKnowledge,
    ) -> None:
        self.facts = facts
        self.a = answers
        self.d = decision
        self.kb = kb
        self.skb = skb
        self.m = Machine(facts, kb, decision.python)
        self.platform = self.m.platform
        self.py = self.m.py
        self.line = major_minor(decision.release)
        self.device = str(decision.expect.get("device", "cpu"))
        # A CUDA wheel on a machine without an NVIDIA GPU runs as a CPU build.
        self.kind = decision.kind if self.device != "cpu" else "cpu"
        self.variant = self._build_variant()
        self.gpus: list[GPU] = self.m.targets("nvidia") if self.kind == "cuda" else []
        self.from_pytorch_index = decision.index_owner == "pytorch"

    def _build_variant(self) -> str:
        if self.d.variant != "default":
            return self.d.variant
        return self.d.default_variant or "cpu"

    # ---- the whole stack --------------------------------------------------------------------
    def decide(self) -> StackDecision:
        stack = self.skb.stacks[self.a.stack]
        known = set(self.skb.known())
        asked: dict[str, tuple[str, Requirement]] = {}
        for text in self.a.packages:
            req = Requirement(text)
            name = canonical(req.name)
            if name in known:
                asked[name] = (text, req)
        names = list(stack.packages) + [n for n in asked if n not in stack.packages]
        if self.a.jupyter and "ipykernel" not in names:
            names.append("ipykernel")
        items = [self.one(n, asked.get(n)) for n in names]
        items += [self.framework(f) for f in self.a.frameworks]
        for item in items:
            # `packages:` that cannot fit stop the run before anything is made; a framework
            # that cannot run here is left out and said, with the nearest that can.
            if item.asked and not item.included and item.role is not Role.FRAMEWORK:
                raise ImpossibleRequest(
                    _("packages: {text} cannot be installed here: {why}").format(
                        text=repr(asked[item.name][0]), why=item.why
                    )
                )
        kernel = None
        if self.a.jupyter:
            name = kernel_name(self.a.env)
            kernel = Kernel(name, f"Python ({name}, torch {{torch}})")
        return StackDecision(self.a.stack, tuple(items), kernel, stack.ref, stack.as_of)

    def one(self, name: str, asked: tuple[str, Requirement] | None) -> StackItem:
        req = asked[1] if asked else None
        if name in self.skb.companion_names():
            return self.companion(name, req, asked[0] if asked else name)
        if name in self.skb.libraries:
            role = Role.JUPYTER if name == "ipykernel" and self.a.jupyter else Role.LIBRARY
            return self.library(name, req, role)
        if name == "triton":
            return self.triton(req)
        return self.extension(name, req)

    # ---- companions ---------------------------------------------------------------------------
    def companion(self, name: str, req: Requirement | None, text: str) -> StackItem:
        out = StackItem(name, Role.COMPANION, False, None, (), asked=req is not None, check=name)
        gap = self.skb.gap(name, self.variant, self.platform, self.line)
        if gap:
            reason = why(Why.COMPANION_GAP, name=name, text=gap.why)
            return replace(out, reasons=(reason,), ref=gap.ref, as_of=gap.as_of)
        row = self.skb.companion(name, self.line)
        if row is None:
            return replace(out, reasons=(why(Why.COMPANION_NONE, name=name, torch=self.line),))
        spec = row.specifier(self.line)
        if row.pairing == "exact":
            line = row.own_line(self.line)
            reason = why(Why.COMPANION_EXACT, name=name, line=line, torch=self.line)
        else:
            reason = why(Why.COMPANION_STABLE, name=name, spec=spec_text(spec), torch=self.line)
        if req is not None and req.url:
            raise ImpossibleRequest(
                _(
                    "packages: {text} names a URL; envwizard installs {name}{spec} from the "
                    "place torch comes from, so drop the URL"
                ).format(text=repr(text), name=name, spec=spec_text(spec))
            )
        if req is not None and req.specifier and not row.pairs_with(req.specifier, self.line):
            raise ImpossibleRequest(
                _(
                    "packages: {text} does not match torch {release}, which pairs with "
                    "{name}{spec}; drop the version and envwizard pins the matching one"
                ).format(text=repr(text), release=self.line, name=name, spec=spec_text(spec))
            )
        return replace(
            out,
            included=True,
            requirement=_merge(name, req, spec),
            reasons=(reason, why(Why.FROM_TORCH_INDEX, variant=self.variant)),
            source=Source.TORCH,
            device=self.device,
            ref=row.ref,
            as_of=row.as_of,
        )

    # ---- libraries ----------------------------------------------------------------------------
    def library(self, name: str, req: Requirement | None, role: Role) -> StackItem:
        lib = self.skb.libraries[name]
        rows = lib.rows
        fit = next(
            (
                i
                for i, r in enumerate(rows)
                if vkey(self.py) >= vkey(r.python)
                and (r.torch is None or vkey(self.line) >= vkey(r.torch))
            ),
            None,
        )
        reasons: list[Reason] = [why(Why.LIBRARY_NOTE, text=lib.why)] if lib.why else []
        spec = SpecifierSet()
        if fit == 0 and any(r.torch for r in rows):
            reasons.append(why(Why.LIBRARY_CURRENT, name=name, python=self.py, torch=self.line))
        elif fit == 0:
            reasons.append(why(Why.LIBRARY_CURRENT_PYTHON, name=name, python=self.py))
        else:
            above = rows[-1] if fit is None else rows[fit - 1]
            bound = _floor(SpecifierSet(above.versions))
            spec = SpecifierSet(f"<{bound}") if bound else SpecifierSet(above.versions)
            if above.torch and vkey(self.line) < vkey(above.torch):
                code, need, have = Why.LIBRARY_TORCH, above.torch, self.line
            else:
                code, need, have = Why.LIBRARY_PYTHON, above.python, self.py
            reasons.append(why(code, name=name, bound=bound, need=need, torch=have, python=have))
        if name == "numpy":
            pins = [Requirement(p) for p in self.d.pins]
            pins = [p for p in pins if canonical(p.name) == name]
            for p in pins:
                spec &= p.specifier
            if pins:
                reasons.append(why(Why.NUMPY_PIN, torch=self.line, spec=spec_text(spec)))
        exact = [s.version for s in req.specifier if s.operator == "=="] if req else []
        if exact and "*" not in exact[0] and not spec.contains(exact[0], prereleases=True):
            raise ImpossibleRequest(
                _("packages: {text} cannot be installed here: {why}").format(
                    text=repr(str(req)), why="; ".join(r.text for r in reasons)
                )
            )
        return StackItem(
            name,
            role,
            True,
            _merge(name, req, spec),
            tuple(reasons),
            asked=req is not None,
            source=Source.INDEX,
            device=self.device if lib.check in ("llm", "numpy") else None,
            check=lib.check,
            ref=lib.ref,
            as_of=lib.as_of,
        )

    # ---- extensions ---------------------------------------------------------------------------
    def extension(self, name: str, req: Requirement | None) -> StackItem:
        rows = self.skb.extension_rows(name)
        judged = [(row, *self.judge(row)) for row in rows]
        fitting = [(row, fits) for row, fails, _helps, fits in judged if not fails]
        first = rows[0]
        out = StackItem(name, Role.EXTENSION, False, None, (), asked=req is not None)
        out = replace(out, check=first.check, ref=first.ref, as_of=first.as_of)
        if not fitting:
            # The row that pairs with this torch says more than the newest one.
            row, fails, helps, _fits = next(
                (j for j in judged if j[0].admits_torch(self.line)), judged[0]
            )
            if row.instead:
                helps = [*helps, why(Why.INSTEAD, text=row.instead)]
            return replace(
                out, reasons=tuple(fails), helps=tuple(helps), ref=row.ref, as_of=row.as_of
            )
        row, fits = fitting[0]
        requirement = row.requirement
        source = Source.TORCH if row.variants and self.from_pytorch_index else Source.INDEX
        if row.asset:
            after = row.cxx11abi_from and vkey(self.line) >= vkey(row.cxx11abi_from)
            url = row.asset.format(
                cuda_major=(self.d.cuda or "").split(".")[0],
                torch=self.line,
                abi="TRUE" if after else "FALSE",
                py=self.py.replace(".", ""),
            )
            requirement, source = f"{name} @ {url}", Source.URL
        newest = row.versions.split("-")[-1]
        if req is not None and req.specifier and not req.specifier.contains(newest, True):
            raise ImpossibleRequest(
                _("packages: {text} cannot be installed here: {why}").format(
                    text=repr(str(req)),
                    why=say(Why.EXTENSION_PINNED, {"name": name, "requirement": requirement}),
                )
            )
        if req is not None and not row.asset:
            requirement = _merge(name, req, Requirement(requirement).specifier)
        return replace(
            out,
            included=True,
            requirement=requirement,
            reasons=tuple(fits),
            source=source,
            device=self.device,
            ref=row.ref,
            as_of=row.as_of,
        )

    def judge(self, row: Extension) -> tuple[list[Reason], list[Reason], list[Reason]]:
        """(failures, what would help, why it fits) of one extension row on this machine."""
        fails: list[Reason] = []
        helps: list[Reason] = []
        name = f"{row.package} {_dash(row.versions)}"
        if self.platform not in row.platforms:
            fails.append(why(Why.EXT_PLATFORM, name=name, platform=self.platform))
        if self.facts.os.jetson_l4t and not row.jetson:
            fails.append(why(Why.EXT_JETSON, name=name, l4t=self.facts.os.jetson_l4t))
        glibc = self.facts.os.glibc
        if row.glibc and glibc and vkey(glibc) < vkey(row.glibc):
            fails.append(why(Why.EXT_GLIBC, name=name, need=row.glibc, have=glibc))
        window = row.python_window.get(self.line)
        if window and not vkey(window[0]) <= vkey(self.py) <= vkey(window[1]):
            lo, hi = window
            fails.append(why(Why.EXT_PYTHON_WINDOW, name=name, lo=lo, hi=hi, python=self.py))
        elif row.python and vkey(self.py) < vkey(row.python):
            fails.append(why(Why.EXT_PYTHON, name=name, need=row.python, python=self.py))
        if not row.admits_torch(self.line):
            fails.append(why(Why.EXT_TORCH, name=name, torches=row.torch_text, torch=self.line))
        kind = self.kind
        if kind not in row.kinds:
            kinds = ", ".join(_kind_text(k) for k in row.kinds)
            fails.append(why(Why.EXT_KIND, name=name, kinds=kinds, kind=_kind_text(kind)))
        elif kind == "rocm":
            fails += self.judge_rocm(row, name)
        elif kind == "xpu" and row.xpu_torch and vkey(self.line) < vkey(row.xpu_torch):
            torches = f"{row.xpu_torch}+"
            fails.append(why(Why.EXT_TORCH, name=name, torches=torches, torch=self.line))
        elif kind == "cuda":
            more, helps = self.judge_cuda(row, name)
            fails += more
        fits = [why(Why.EXT_FITS, name=name, torch=self.line, variant=self.variant, python=self.py)]
        if kind == "cuda" and self.gpus:
            fits.append(why(Why.EXT_GPUS, gpus=_labels(self.gpus)))
        return fails, helps, fits

    def judge_rocm(self, row: Extension, name: str) -> list[Reason]:
        if row.rocm_platforms and self.platform not in row.rocm_platforms:
            return [why(Why.EXT_PLATFORM, name=name, platform=self.platform)]
        rocm = self.variant.removeprefix("rocm")
        if row.rocm_libs and major_minor(rocm) not in [major_minor(v) for v in row.rocm_libs]:
            return [why(Why.EXT_ROCM, name=name, rocm=rocm, have=", ".join(row.rocm_libs))]
        if row.variants and self.from_pytorch_index and self.variant not in row.variants:
            have = ", ".join(row.variants)
            return [why(Why.EXT_VARIANT, name=name, variant=self.variant, have=have)]
        return []

    def judge_cuda(self, row: Extension, name: str) -> tuple[list[Reason], list[Reason]]:
        if not self.gpus:
            return [why(Why.EXT_NO_GPU, name=name)], []
        fails: list[Reason] = []
        helps: list[Reason] = []
        cuda = self.d.cuda or ""
        low = [g for g in self.gpus if row.min_cc and _below(g, row.min_cc)]
        if low:
            need = f"sm_{(row.min_cc or '').replace('.', '')}"
            fails.append(why(Why.EXT_CC, name=name, need=need, gpus=_labels(low)))
        if row.cuda_majors and cuda.split(".")[0] not in row.cuda_majors:
            majors = ", ".join(row.cuda_majors)
            fails.append(why(Why.EXT_CUDA_MAJOR, name=name, majors=majors, cuda=cuda))
        if row.variants and self.from_pytorch_index and self.variant not in row.variants:
            have = ", ".join(row.variants)
            fails.append(why(Why.EXT_VARIANT, name=name, variant=self.variant, have=have))
            near = _nearest_variant(self.variant, row.variants)
            if near:
                helps.append(why(Why.HELP_COMPUTE, variant=near))
        elif row.variants and not self.from_pytorch_index:
            ours = row.default_variant or ""
            if _cuda_major(ours) != cuda.split(".")[0]:
                fails.append(why(Why.EXT_DEFAULT_BUILD, name=name, variant=ours, cuda=cuda))
        if row.sass and not low:
            lib = _cuda_library(cuda, row.cuda_libs)
            if lib is None:
                have = ", ".join(row.cuda_libs)
                fails.append(why(Why.EXT_CUDA_LIB, name=name, cuda=cuda, have=have))
                return fails, helps
            archs = next((s.cc for s in row.sass if s.cuda.admits(lib)), ())
            missing = [g for g in self.gpus if _cc(g) and not _sass_covers(archs, _cc(g) or "")]
            if missing:
                span = _arch_span(archs)
                fails.append(
                    why(Why.EXT_SASS, name=name, lib=lib, archs=span, gpus=_labels(missing))
                )
                fit = next(
                    (s for s in row.sass if all(_sass_covers(s.cc, _cc(g) or "") for g in missing)),
                    None,
                )
                if fit:
                    helps.append(why(Why.HELP_CUDA, cuda=fit.cuda))
        return fails, helps

    # ---- triton -------------------------------------------------------------------------------
    def triton(self, req: Requirement | None) -> StackItem:
        t = self.skb.triton
        out = StackItem("triton", Role.EXTENSION, False, None, (), asked=req is not None)
        out = replace(out, check=t.check, ref=t.ref, as_of=t.as_of)
        if self.platform.startswith("windows-"):
            return replace(out, reasons=(why(Why.TRITON_WINDOWS),))
        if not self.platform.startswith("linux-"):
            return replace(out, reasons=(why(Why.TRITON_MACOS),))
        if self.kind == "rocm":
            requirement: str | None = t.rocm_package
        elif self.kind == "xpu":
            requirement = t.xpu_package
        elif self.kind != "cuda":
            return replace(out, reasons=(why(Why.TRITON_CPU),))
        elif self.platform == "linux-aarch64" and vkey(self.line) < vkey(t.aarch64_torch):
            reason = why(Why.TRITON_AARCH64, torch=self.line, need=t.aarch64_torch)
            return replace(out, reasons=(reason,))
        else:
            requirement = self.skb.triton_requirement(self.d.torch.rstrip(".*")) or "triton"
        reason = why(Why.TRITON_WITH_TORCH, requirement=requirement, torch=self.line)
        return replace(
            out,
            included=True,
            requirement=requirement,
            reasons=(reason,),
            source=Source.WITH_TORCH,
            device=self.device,
        )

    # ---- frameworks ---------------------------------------------------------------------------
    def want_gpu(self) -> bool:
        return bool(self.m.targets("nvidia")) and self.a.compute != "cpu"

    def driver_floor(self, linux_floor: str, major: str, wsl_floor: str | None = None) -> str:
        """Under WSL the Windows driver serves CUDA: its own floor applies."""
        if self.facts.os.wsl:
            return wsl_floor or self.kb.min_driver(major, windows=True) or linux_floor
        return linux_floor

    def framework(self, name: str) -> StackItem:
        return self.jax() if name == "jax" else self.tensorflow()

    def jax(self) -> StackItem:
        rows = self.skb.jax
        row = next((r for r in rows if vkey(self.py) >= vkey(r.python)), None)
        out = StackItem("jax", Role.FRAMEWORK, False, None, (), asked=True, check="jax")
        if row is None:
            oldest = rows[-1]
            return replace(
                out,
                reasons=(why(Why.JAX_PYTHON, need=oldest.python, python=self.py),),
                helps=(why(Why.HELP_PYTHON, need=oldest.python),),
                ref=oldest.ref,
                as_of=oldest.as_of,
            )
        out = replace(out, ref=row.ref, as_of=row.as_of)
        spec = spec_text(Requirement(row.requirement).specifier)
        if self.platform not in row.cpu_platforms:
            name = f"jax {_dash(row.versions)}"
            return replace(out, reasons=(why(Why.FW_PLATFORM, name=name, platform=self.platform),))
        cpu: list[Reason] = [why(Why.FW_CPU, name="jax", versions=_dash(row.versions))]
        helps: list[Reason] = []
        if self.want_gpu() and self.platform not in row.gpu_platforms:
            cpu.append(why(Why.JAX_NO_GPU_PLATFORM, platform=self.platform))
            helps += [why(Why.HELP_WSL)] if self.platform.startswith("windows-") else []
        elif self.want_gpu() and self.facts.os.jetson_l4t:
            cpu.append(why(Why.FW_JETSON, name="jax"))
        elif self.want_gpu():
            fails: list[Reason] = []
            for plugin in row.cuda:
                floor = self.driver_floor(plugin.driver, plugin.major)
                # The last plugin asks least; its failures are the ones worth reading.
                fails = self.gpu_floors(floor, plugin.min_cc, f"CUDA {plugin.major}")
                if fails:
                    continue
                reasons = [
                    why(
                        Why.JAX_CUDA,
                        major=plugin.major,
                        driver=self.facts.nvidia_driver,
                        floor=floor,
                        gpus=_labels(self.m.targets("nvidia")),
                        min_cc=plugin.min_cc.replace(".", ""),
                    )
                ]
                reasons += [why(Why.JAX_WSL)] if self.facts.os.wsl else []
                return replace(
                    out,
                    included=True,
                    requirement=f"jax[{plugin.extra}]{spec}",
                    reasons=tuple(reasons),
                    source=Source.INDEX,
                    device="gpu",
                )
            cpu += fails
            helps += self.gpu_helps([(p.driver, p.major, p.min_cc) for p in row.cuda])
        return replace(
            out,
            included=True,
            requirement=f"jax{spec}",
            reasons=tuple(cpu),
            helps=tuple(helps),
            source=Source.INDEX,
            device="cpu",
        )

    def tensorflow(self) -> StackItem:
        rows = self.skb.tensorflow
        py = vkey(self.py)
        row = next(
            (r for r in rows if vkey(r.python_window[0]) <= py <= vkey(r.python_window[1])), None
        )
        out = StackItem("tensorflow", Role.FRAMEWORK, False, None, (), asked=True)
        out = replace(out, check="tensorflow")
        if row is None:
            newest = rows[0]
            lo, hi = newest.python_window
            helps = [why(Why.HELP_PYTHON_WINDOW, lo=lo, hi=hi)]
            if "jax" not in self.a.frameworks and any(py >= vkey(j.python) for j in self.skb.jax):
                helps.append(why(Why.HELP_JAX, python=self.py))
            reason = why(Why.TF_PYTHON, versions=newest.versions, lo=lo, hi=hi, python=self.py)
            return replace(
                out, reasons=(reason,), helps=tuple(helps), ref=newest.ref, as_of=newest.as_of
            )
        out = replace(out, ref=row.ref, as_of=row.as_of)
        package = row.cpu_package.get(self.platform)
        if package is None:
            name = f"tensorflow {_dash(row.versions)}"
            return replace(out, reasons=(why(Why.FW_PLATFORM, name=name, platform=self.platform),))
        cpu: list[Reason] = [why(Why.FW_CPU, name=package, versions=_dash(row.versions))]
        helps = []
        if self.want_gpu() and self.platform not in row.gpu_platforms:
            cpu.append(why(Why.TF_NO_GPU_PLATFORM, platform=self.platform))
            helps += [why(Why.HELP_WSL)] if self.platform.startswith("windows-") else []
        elif self.want_gpu() and self.facts.os.jetson_l4t:
            cpu.append(why(Why.FW_JETSON, name="tensorflow"))
        elif self.want_gpu():
            floor = self.driver_floor(row.driver, row.cuda_major, row.driver_wsl)
            fails = self.gpu_floors(floor, row.min_cc, f"CUDA {row.cuda_major}")
            if not fails:
                reason = why(
                    Why.TF_CUDA,
                    versions=row.versions,
                    driver=self.facts.nvidia_driver,
                    floor=floor,
                    min_cc=row.min_cc.replace(".", ""),
                    gpus=_labels(self.m.targets("nvidia")),
                )
                return replace(
                    out,
                    included=True,
                    requirement=f"tensorflow[{row.gpu_extra}]{row.specifier}",
                    reasons=(reason,),
                    source=Source.INDEX,
                    device="gpu",
                )
            cpu += fails
            helps += self.gpu_helps([(row.driver, row.cuda_major, row.min_cc)])
        return replace(
            out,
            included=True,
            requirement=f"{package}{row.specifier}",
            reasons=tuple(cpu),
            helps=tuple(helps),
            source=Source.INDEX,
            device="cpu",
        )

    def gpu_floors(self, driver_floor: str, min_cc: str, toolkit: str) -> list[Reason]:
        """Why a framework's GPU build cannot run here: the driver and every GPU's capability."""
        fails: list[Reason] = []
        driver = self.facts.nvidia_driver
        if not driver:
            fails.append(why(Why.FW_DRIVER_UNKNOWN, toolkit=toolkit))
        elif vkey(driver) < vkey(driver_floor):
            fails.append(why(Why.FW_DRIVER, toolkit=toolkit, floor=driver_floor, driver=driver))
        low = [g for g in self.m.targets("nvidia") if _cc(g) and vkey(_cc(g) or "") < vkey(min_cc)]
        if low:
            fails.append(
                why(
                    Why.FW_CC,
                    toolkit=toolkit,
                    need=f"sm_{min_cc.replace('.', '')}",
                    gpus=", ".join(gpu_label(g) for g in low),
                )
            )
        return fails

    def gpu_helps(self, floors: Iterable[tuple[str, str, str]]) -> list[Reason]:
        """The smallest change that gives a framework the GPU: a newer driver, when that is all."""
        driver = self.facts.nvidia_driver
        for floor, major, min_cc in reversed(list(floors)):
            ccs_ok = all(
                not _cc(g) or vkey(_cc(g) or "") >= vkey(min_cc) for g in self.m.targets("nvidia")
            )
            if ccs_ok and (not driver or vkey(driver) < vkey(self.driver_floor(floor, major))):
                return [why(Why.HELP_DRIVER, floor=self.driver_floor(floor, major), major=major)]
        return []


# ---- small helpers ---------------------------------------------------------------------------
def _cc(g: GPU) -> str | None:
    return g.compute_capability


def _below(g: GPU, min_cc: str) -> bool:
    """A GPU whose compute capability is known and lower than `min_cc`."""
    return g.compute_capability is not None and vkey(g.compute_capability) < vkey(min_cc)


def _labels(gpus: list[GPU]) -> str:
    return ", ".join(gpu_label(g) for g in gpus)


def _floor(spec: SpecifierSet) -> str | None:
    """The lowest version a specifier admits by its `>=`, `==` or `~=` clause."""
    for s in spec:
        if s.operator in (">=", "~=", "=="):
            return s.version.rstrip(".*")
    return None


def _dash(versions: str) -> str:
    """ "0.7.2-0.10.2" -> "0.7.2–0.10.2"; "0.11.0-" -> "0.11.0 and later"."""
    if versions.endswith("-"):
        return _("{version} and later").format(version=versions[:-1])
    return versions.replace("-", "–")


def _merge(name: str, req: Requirement | None, spec: SpecifierSet) -> str:
    """The requirement to install: the person's exact pin kept, else both specifiers, with their
    extras and markers."""
    if req is None:
        return f"{name}{spec_text(spec)}"
    exact = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
    merged = SpecifierSet(",".join(str(s) for s in exact)) if exact else req.specifier & spec
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f"; {req.marker}" if req.marker else ""
    return f"{name}{extras}{spec_text(merged)}{marker}"


def _cuda_major(variant: str) -> str:
    m = re.fullmatch(r"cu(\d+)(\d)", variant)
    return m.group(1) if m else ""


def _nearest_variant(variant: str, have: tuple[str, ...]) -> str | None:
    """The published variant of the same kind closest to torch's (cu132 -> cu130)."""
    if not variant.startswith("cu"):
        return None
    cudas = [v for v in have if v.startswith("cu")]
    if not cudas:
        return None
    return min(cudas, key=lambda v: (abs(int(v[2:]) - int(variant[2:])), -int(v[2:])))


def _cuda_library(cuda: str, libs: tuple[str, ...]) -> str | None:
    """The library an extension loads for torch's CUDA: the same version, else the newest older
    one of the same major, else the oldest newer one of that major (bitsandbytes' rule)."""
    if not cuda:
        return None
    same = [v for v in libs if v.split(".")[0] == cuda.split(".")[0]]
    if cuda in same:
        return cuda
    older = [v for v in same if vkey(v) <= vkey(cuda)]
    if older:
        return max(older, key=vkey)
    newer = [v for v in same if vkey(v) > vkey(cuda)]
    return min(newer, key=vkey) if newer else None


def _sass_covers(archs: tuple[str, ...], cc: str) -> bool:
    """SASS for X.Y runs on compute capability X.Z with Z >= Y."""
    major, minor = (*vkey(cc), 0, 0)[:2]
    return any((*vkey(a), 0)[:2] <= (major, minor) and vkey(a)[0] == major for a in archs)


def _arch_span(archs: tuple[str, ...]) -> str:
    if not archs:
        return ""
    return f"sm_{archs[0].replace('.', '')}–sm_{archs[-1].replace('.', '')}"


def _kind_text(kind: str) -> str:
    return {"cuda": "CUDA", "rocm": "ROCm", "xpu": "XPU", "mps": "MPS", "cpu": "CPU"}.get(
        kind, kind
    )
