"""The ✓ / ⚠ / ✗ lines that matter to someone setting up a training box.

Pure: Facts and the PyTorch build knowledge in, a list of Verdicts out. No Rich here; the
probe's table and the wizard's first screen render the same list. Every judgement about
torch comes from the knowledge data (envwizard.knowledge), not from version numbers here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from envwizard.core.i18n import N_, _, join
from envwizard.core.versions import major_minor, platform_key, vkey
from envwizard.decide import checks, wording
from envwizard.facts.model import GPU, Facts, PythonInfo
from envwizard.knowledge import Build, Knowledge

LEVELS = ("ok", "warn", "bad")
CONDA_LIKE = ("conda", "mamba", "micromamba")
MANAGER_ORDER = ("conda", "mamba", "micromamba", "uv", "virtualenv", "pip")
LOW_RAM_MIB = 8 * 1024
SUBJECTS = (N_("system"), N_("NVIDIA driver"), N_("disk"), N_("managers"), N_("memory"))
"""Verdict subjects that are words, not names: the front ends show them translated."""


@dataclass(frozen=True)
class Verdict:
    level: str
    """ok, warn or bad."""
    subject: str
    message: str


def verdicts(facts: Facts, kb: Knowledge) -> list[Verdict]:
    """Every verdict, in reading order: system, Pythons, driver and GPUs, resources, tools."""
    v = _Judge(facts, kb)
    return [
        *v.system(),
        *v.pythons(),
        *v.driver(),
        *v.gpus(),
        *v.resources(),
        *v.managers(),
        *v.unknowns(),
    ]


def gib(mib: float) -> str:
    """ "12 GiB", "6.8 GiB": whole numbers from 10 GiB up."""
    g = mib / 1024
    return f"{g:.0f} GiB" if g >= 10 else f"{g:.1f} GiB"


def gpu_subject(g: GPU) -> str:
    """ "GeForce GTX 1080 sm_61", "Instinct MI300X gfx942", "Intel UHD Graphics 770"."""
    name = g.name.removeprefix("NVIDIA ").strip() or g.vendor
    if g.vendor == "nvidia" and g.compute_capability:
        return f"{name} sm_{g.compute_capability.replace('.', '')}"
    if g.vendor == "amd" and g.arch and g.arch not in name:
        return f"{name.removeprefix('AMD ')} {g.arch}"
    return name


def runs_on(g: GPU, b: Build, kb: Knowledge, driver_cuda: str | None) -> bool:
    """The planner's own kernel and library checks for one GPU (envwizard.decide.checks)."""
    # PTX counts whatever the driver: the screen judges the card; the plan judges the driver.
    kern = checks.nvidia_gpu(g, b, driver_cuda or b.cuda, kb.tegra)
    return kern.ok and checks.nvidia_libraries(g, b, kb).ok


def _span(versions: list[str], kb: Knowledge) -> str:
    """torch versions as a phrase: "torch 2.4–2.14", "torch ≥ 2.9 only", "torch 2.4 only"."""
    newest, oldest = kb.releases[0].version, kb.releases[-1].version
    lo, hi = min(versions, key=vkey), max(versions, key=vkey)
    if lo == hi:
        return (
            _("torch {lo} only").format(lo=lo)
            if hi != newest
            else _("torch ≥ {lo} only").format(lo=lo)
        )
    if hi == newest:
        return f"torch {lo}–{hi}" if lo == oldest else _("torch ≥ {lo} only").format(lo=lo)
    return (
        _("torch ≤ {hi} only").format(hi=hi)
        if lo == oldest
        else _("torch {lo}–{hi} only").format(lo=lo, hi=hi)
    )


class _Judge:
    def __init__(self, facts: Facts, kb: Knowledge) -> None:
        self.facts = facts
        self.kb = kb
        self.platform = platform_key(facts.os.system, facts.os.machine)
        self.windows_driver = facts.os.system == "Windows" or facts.os.wsl

    def short(self, path: str) -> str:
        """A path under the home directory as ~/…, to keep lines short."""
        home = (self.facts.home or "").rstrip("/\\")
        if home and (path == home or path.startswith(home + "/") or path.startswith(home + "\\")):
            return "~" + path[len(home) :]
        return path

    def builds(self, release: str) -> list[Build]:
        jetson = self.kb.jetson(self.facts.os.jetson_l4t)
        return [
            b
            for b in self.kb.builds_for(release, self.platform)
            if b.l4t is None or (jetson is not None and jetson.l4t == b.l4t)
        ]

    def releases_with(self, kind: str) -> list[str]:
        return [
            r.version
            for r in self.kb.releases
            if any(b.kind == kind for b in self.builds(r.version))
        ]

    # ---- the system --------------------------------------------------------------------------
    def system(self) -> Iterable[Verdict]:
        os_ = self.facts.os
        rels = [r for r in self.kb.releases if self.builds(r.version)]
        where = " ".join(x for x in (os_.distro or os_.system, os_.machine) if x)
        if not rels:
            limits = self.kb.platform_limits(self.platform, "pip")
            why = (
                limits[0]
                if limits
                else _("PyTorch publishes no wheels for {platform}").format(platform=self.platform)
            )
            yield Verdict("bad", "system", f"{where}: {why}")
        elif os_.system == "Linux" and os_.libc == "musl":
            yield Verdict(
                "bad", "system", f"{where}: {wording.say(checks.Finding(checks.Code.MUSL))}"
            )
        elif os_.system == "Linux" and os_.glibc is None:
            yield Verdict(
                "warn",
                "system",
                _(
                    "{where}: glibc version unknown (musl?); PyTorch's Linux wheels need glibc"
                ).format(where=where),
            )
        elif os_.system == "Linux" and os_.glibc:
            floor = {r.version: self.kb.glibc_floor(r.version, self.platform) or "0" for r in rels}
            fits = [r.version for r in rels if vkey(os_.glibc) >= vkey(floor[r.version])]
            if not fits:
                need = min(floor.values(), key=vkey)
                yield Verdict(
                    "bad",
                    "system",
                    _("{where}, glibc {glibc}: every torch wheel needs glibc ≥ {need}").format(
                        where=where, glibc=os_.glibc, need=need
                    ),
                )
            elif fits[0] != rels[0].version:
                first = min(
                    (r for r in rels if vkey(os_.glibc) < vkey(floor[r.version])),
                    key=lambda r: vkey(r.version),
                )
                yield Verdict(
                    "warn",
                    "system",
                    _(
                        "{where}, glibc {glibc}: torch ≥ {version} wheels need glibc {need}; {fits}"
                    ).format(
                        where=where,
                        glibc=os_.glibc,
                        version=first.version,
                        need=floor[first.version],
                        fits=_span(fits, self.kb),
                    ),
                )
            else:
                yield Verdict(
                    "ok",
                    "system",
                    _("{where}, glibc {glibc}: {span} wheels fit").format(
                        where=where, glibc=os_.glibc, span=_span([r.version for r in rels], self.kb)
                    ),
                )
        elif rels[0].version != self.kb.releases[0].version:
            # A platform PyTorch stopped building for (Intel Macs): its last release still plans.
            limits = self.kb.platform_limits(self.platform, "pip")
            span = _span([r.version for r in rels], self.kb)
            yield Verdict(
                "warn",
                "system",
                _("{where}: {span}; {why}").format(
                    where=where, span=span, why=limits[0] if limits else ""
                ),
            )
        else:
            yield Verdict(
                "ok",
                "system",
                _("{where}: {span} wheels fit").format(
                    where=where, span=_span([r.version for r in rels], self.kb)
                ),
            )
        if os_.rosetta:
            yield Verdict(
                "warn",
                "Rosetta",
                _(
                    "this Python is x86_64, translated on Apple Silicon: an arm64 Python gets native wheels and MPS"
                ),
            )
        if os_.wsl:
            yield Verdict(
                "ok",
                "WSL",
                _("the Windows NVIDIA driver serves CUDA here; ROCm does not work under WSL"),
            )
        jetson = self.kb.jetson(os_.jetson_l4t)
        if jetson and jetson.sbsa:
            yield Verdict(
                "ok",
                "Jetson",
                _(
                    "L4T {l4t} (JetPack {jetpack}) runs the SBSA CUDA {cuda} stack: PyTorch's own "
                    "aarch64 CUDA wheels fit it"
                ).format(l4t=os_.jetson_l4t, jetpack=jetson.jetpack, cuda=jetson.cuda),
            )
        elif jetson:
            yield Verdict(
                "ok",
                "Jetson",
                _(
                    "L4T {l4t} (JetPack {jetpack}, CUDA {cuda}): GPU builds come from NVIDIA's "
                    "Jetson index, not from PyTorch's SBSA wheels"
                ).format(l4t=os_.jetson_l4t, jetpack=jetson.jetpack, cuda=jetson.cuda),
            )
        elif os_.jetson_l4t:
            yield Verdict(
                "warn",
                "Jetson",
                _(
                    "L4T {l4t}: PyTorch's aarch64 CUDA wheels are built for SBSA servers, not Jetson; "
                    "use NVIDIA's Jetson index (torch_index: URL) or torch_source: conda-forge"
                ).format(l4t=os_.jetson_l4t),
            )

    # ---- interpreters ---------------------------------------------------------------------------
    def pythons(self) -> Iterable[Verdict]:
        pythons = self.facts.pythons or [self.facts.python]
        by_line: dict[str, list[PythonInfo]] = {}
        for p in pythons:
            if p.error:
                yield Verdict(
                    "bad",
                    f"Python {self.short(p.executable)}",
                    _("does not run: {error}").format(error=p.error),
                )
            else:
                by_line.setdefault(major_minor(p.version), []).append(p)
        for line in sorted(by_line, key=vkey, reverse=True):
            ok = [r.version for r in self.kb.releases if r.python_ok(line)]
            exp = [
                r.version
                for r in self.kb.releases
                if line in r.python_experimental and r.version not in ok
            ]
            if ok:
                newest_ok = max(ok, key=vkey) == self.kb.releases[0].version
                text = _span(ok, self.kb) + (
                    _(" (torch {versions}: experimental)").format(versions=join(exp)) if exp else ""
                )
                yield Verdict("ok" if newest_ok else "warn", f"Python {line}", text)
            elif exp:
                yield Verdict(
                    "warn",
                    f"Python {line}",
                    _("torch {versions} only, experimental").format(versions=join(exp)),
                )
            else:
                yield Verdict("bad", f"Python {line}", _("no torch"))
                continue
            for p in by_line[line]:
                yield from self.interpreter(p, line)

    def interpreter(self, p: PythonInfo, line: str) -> Iterable[Verdict]:
        subject = f"Python {p.version} {self.short(p.executable)}"
        if p.bits == 32:
            yield Verdict("bad", subject, _("32-bit: PyTorch publishes 64-bit wheels only"))
        if p.implementation and p.implementation != "CPython":
            yield Verdict(
                "bad",
                subject,
                _("{implementation}: PyTorch publishes CPython wheels only").format(
                    implementation=p.implementation
                ),
            )
        if p.free_threaded:
            yield Verdict(
                "warn",
                subject,
                _("free-threaded build: it needs torch's separate, newer cp3XXt wheels"),
            )
        if p.externally_managed:
            yield Verdict(
                "ok",
                subject,
                _(
                    "externally managed (PEP 668): fine, envwizard always makes a separate environment"
                ),
            )
        if p.has_venv is False:
            yield Verdict("warn", subject, _("no venv module: virtualenv and uv still work"))
        elif p.has_ensurepip is False:
            yield Verdict(
                "warn",
                subject,
                _(
                    "python -m venv cannot seed pip: apt install python{line}-venv; virtualenv and uv work"
                ).format(line=line),
            )

    # ---- NVIDIA driver -------------------------------------------------------------------------
    def driver(self) -> Iterable[Verdict]:
        f = self.facts
        driver = f.nvidia_driver
        jetson = self.kb.jetson(f.os.jetson_l4t)
        if jetson:
            yield Verdict(
                "ok",
                "NVIDIA driver",
                _("the driver of L4T {l4t} serves CUDA {cuda}").format(
                    l4t=f.os.jetson_l4t, cuda=f.cuda_driver or jetson.cuda
                ),
            )
            return
        if driver is None:
            if f.nvidia_gpus and f.cuda_driver and not f.os.jetson_l4t:
                yield Verdict(
                    "warn",
                    "NVIDIA driver",
                    _("version unknown; it serves CUDA {cuda}").format(cuda=f.cuda_driver),
                )
            elif f.nvidia_gpus and not f.os.jetson_l4t:
                why = f.unknown.get("nvidia_driver") or _("the NVIDIA driver version is unknown")
                yield Verdict(
                    "bad",
                    "NVIDIA driver",
                    _("{why}: CUDA builds need a loaded driver (install or load it)").format(
                        why=why
                    ),
                )
            return
        cuda = f.cuda_driver or self.kb.driver_cuda(driver)
        if self.windows_driver:
            serves = (
                _("Windows driver {driver} serves CUDA ≤ {cuda}")
                if cuda
                else _("Windows driver {driver}")
            ).format(driver=driver, cuda=cuda)
        else:
            serves = (
                _("{driver} serves CUDA ≤ {cuda}").format(driver=driver, cuda=cuda)
                if cuda
                else driver
            )
        majors = sorted(self.kb.cuda_majors, reverse=True)
        ok = [
            m
            for m in majors
            if (need := self.kb.min_driver(f"{m}.0", self.windows_driver))
            and vkey(driver) >= vkey(need)
        ]
        if not ok:
            need = self.kb.min_driver(f"{majors[-1]}.0", self.windows_driver)
            yield Verdict(
                "bad",
                "NVIDIA driver",
                _("{serves}: too old for every PyTorch CUDA build (needs ≥ {need})").format(
                    serves=serves, need=need
                ),
            )
        elif ok[0] < 12:
            need = self.kb.min_driver("12.0", self.windows_driver)
            rels = self.cuda_releases(ok[0])
            only = (
                _span(rels, self.kb)
                if rels
                else _("none for {platform}").format(platform=self.platform)
            )
            yield Verdict(
                "warn",
                "NVIDIA driver",
                _(
                    "{serves}: CUDA 12 builds need ≥ {need}; CUDA {major} builds only ({only})"
                ).format(serves=serves, need=need, major=ok[0], only=only),
            )
        else:
            yield Verdict("ok", "NVIDIA driver", serves)

    def cuda_releases(self, major: int) -> list[str]:
        return [
            r.version
            for r in self.kb.releases
            if any(b.cuda and int(b.cuda.split(".")[0]) == major for b in self.builds(r.version))
        ]

    # ---- GPUs -----------------------------------------------------------------------------------
    def gpus(self) -> Iterable[Verdict]:
        gpus = self.facts.gpus
        if not gpus:
            yield Verdict("warn", "GPU", _("none found: the CPU build is what runs here"))
            return
        for g in gpus:
            if g.vendor == "nvidia":
                yield self.nvidia(g)
            elif g.vendor == "amd":
                yield self.amd(g)
            elif g.vendor == "intel":
                yield self.intel(g)
            elif g.vendor == "apple":
                yield self.apple(g)

    def nvidia(self, g: GPU) -> Verdict:
        subject = gpu_subject(g)
        jetson = self.kb.jetson(self.facts.os.jetson_l4t)
        if self.facts.os.jetson_l4t and not (jetson and jetson.sbsa):
            return Verdict(
                "ok" if jetson else "warn",
                subject,
                _("Jetson GPU: use NVIDIA's Jetson builds of torch (see Jetson above)"),
            )
        cc = g.compute_capability
        if cc is None:
            return Verdict(
                "warn",
                subject,
                _("compute capability unknown: envwizard verifies the kernels after install"),
            )
        if not self.releases_with("cuda"):
            return Verdict(
                "warn",
                subject,
                _("PyTorch has no CUDA builds for {platform}").format(platform=self.platform),
            )
        for r in self.kb.releases:  # newest first
            builds = [b for b in self.builds(r.version) if b.kind == "cuda"]
            good = [b.variant for b in builds if runs_on(g, b, self.kb, None)]
            if good:
                best = r.version
                missing = [b for b in builds if not runs_on(g, b, self.kb, None)]
                break
        else:
            return Verdict(
                "bad", subject, _("no PyTorch CUDA build carries its kernels; the CPU build runs")
            )
        variants = join(good)
        if best != self.kb.releases[0].version:
            return Verdict(
                "warn",
                subject,
                _("only {variants} (torch ≤ {best}) carry its kernels").format(
                    variants=variants, best=best
                ),
            )
        if missing:
            majors = {b.cuda.split(".")[0] for b in missing if b.cuda}
            lack = f"CUDA {majors.pop()}" if len(majors) == 1 else join(b.variant for b in missing)
            return Verdict(
                "warn",
                subject,
                _("{lack} builds lack its kernels; {variants} (torch ≤ {best}) runs").format(
                    lack=lack, variants=variants, best=best
                ),
            )
        return Verdict(
            "ok",
            subject,
            _("kernels in every CUDA build of torch {best} ({variants})").format(
                best=best, variants=variants
            ),
        )

    def amd(self, g: GPU) -> Verdict:
        subject = gpu_subject(g)
        if self.facts.os.wsl:
            return Verdict(
                "bad", subject, _("ROCm needs Linux's amdgpu/KFD driver, which WSL does not have")
            )
        discrete = [x for x in self.facts.amd_gpus if not x.integrated]
        if g.integrated and discrete:
            return Verdict("ok", subject, _("integrated (APU): left out beside the discrete card"))
        if g.arch is None:
            return Verdict("warn", subject, _("gfx target unknown: is the amdgpu driver loaded?"))
        cover = {
            r.version: [b.variant for b in self.builds(r.version) if g.arch in b.gfx]
            for r in self.kb.releases
        }
        cover = {k: v for k, v in cover.items() if v}
        if not cover:
            if not self.releases_with("rocm"):
                return Verdict(
                    "bad",
                    subject,
                    _("PyTorch's ROCm builds are for linux-x86_64, not {platform}").format(
                        platform=self.platform
                    ),
                )
            every = tuple(
                sorted({t for r in self.kb.releases for b in self.builds(r.version) for t in b.gfx})
            )
            override = checks.gfx_override(g.arch, every)  # the planner's own rule
            hint = (
                _(" (HSA_OVERRIDE_GFX_VERSION={value} runs its {target} kernels)").format(
                    value=override, target="gfx" + override.replace(".", "")[:-1] + "0"
                )
                if override
                else ""
            )
            return Verdict(
                "bad",
                subject,
                _("no PyTorch ROCm build carries {arch} kernels").format(arch=g.arch) + hint,
            )
        best = next(iter(cover))
        text = _("{variants} (torch {best}) carries its kernels").format(
            variants=join(cover[best]), best=best
        )
        apu = _(" (integrated: shares system memory)") if g.integrated else ""
        level = "ok" if best == self.kb.releases[0].version else "warn"
        return Verdict(level, subject, text + apu)

    def intel(self, g: GPU) -> Verdict:
        subject = gpu_subject(g)
        if g.integrated and not checks.intel_validated(g, self.kb):
            return Verdict(
                "warn",
                subject,
                _("integrated: not an XPU target (PyTorch's XPU builds need Arc, Flex or Max)"),
            )
        rels = self.releases_with("xpu")
        if not rels:
            return Verdict(
                "warn",
                subject,
                _("PyTorch has no XPU builds for {platform}").format(platform=self.platform),
            )
        return Verdict(
            "ok", subject, _("XPU builds for torch {span}").format(span=f"{rels[-1]}–{rels[0]}")
        )

    def apple(self, g: GPU) -> Verdict:
        subject = gpu_subject(g)
        need = next(
            (
                b.macos
                for r in self.kb.releases
                for b in self.builds(r.version)
                if b.kind == "mps" and b.macos
            ),
            None,
        )
        have = self.facts.os.macos_version
        if need and (have is None or vkey(have) < vkey(need)):
            return Verdict(
                "bad",
                subject,
                _("MPS needs macOS {need} or newer; this is {have}").format(
                    need=need, have=have or _("unknown")
                ),
            )
        return Verdict("ok", subject, _("MPS (Apple GPU) on macOS {have}").format(have=have))

    # ---- resources ---------------------------------------------------------------------------
    def expected_kind(self) -> str:
        """The build `compute: auto` would most likely pick, for the disk estimate."""
        f = self.facts
        if f.nvidia_gpus and f.nvidia_driver and self.releases_with("cuda"):
            return "cuda"
        if [g for g in f.amd_gpus if g.arch] and self.releases_with("rocm"):
            return "rocm"
        xpu = [g for g in f.intel_gpus if not g.integrated or checks.intel_validated(g, self.kb)]
        if xpu and self.releases_with("xpu"):
            return "xpu"
        if self.releases_with("mps"):
            return "mps"
        return "cpu"

    def resources(self) -> Iterable[Verdict]:
        f = self.facts
        cpu = f.cpu
        if cpu:
            simd = [
                n
                for n, flag in (("AVX2", "avx2"), ("AVX-512", "avx512f"), ("AMX", "amx_tile"))
                if flag in (cpu.get("flags") or [])
            ]
            cores = _("{cores} cores / {threads} threads").format(
                cores=cpu.get("physical_cores") or "?", threads=cpu.get("logical_cores") or "?"
            )
            parts = [str(cpu.get("model") or "CPU"), cores, "+".join(simd)]
            yield Verdict("ok", "CPU", join(p for p in parts if p))
        if f.memory_mib is not None:
            if f.memory_mib < LOW_RAM_MIB:
                yield Verdict(
                    "warn",
                    "memory",
                    _("{size}: tight for installing and training").format(size=gib(f.memory_mib)),
                )
            else:
                yield Verdict("ok", "memory", gib(f.memory_mib))
        free = f.disk.get("free_mib")
        if isinstance(free, int):
            where = self.short(str(f.disk.get("path") or f.home or ""))
            kind = self.expected_kind()
            need = self.kb.size_mib.get(kind, 0)
            cpu_need = self.kb.size_mib.get("cpu", 0)
            label = {"cuda": "CUDA", "rocm": "ROCm", "xpu": "XPU", "mps": "macOS", "cpu": "CPU"}[
                kind
            ]
            text = _("{size} free at {where}").format(size=gib(free), where=where)
            if free >= need:
                yield Verdict(
                    "ok",
                    "disk",
                    _("{text}: enough for a {label} build (~{size})").format(
                        text=text, label=label, size=gib(need)
                    ),
                )
            elif kind != "cpu" and free >= cpu_need:
                yield Verdict(
                    "warn",
                    "disk",
                    _("{text}: enough for a CPU build, not for {label} (~{size})").format(
                        text=text, label=label, size=gib(need)
                    ),
                )
            else:
                yield Verdict(
                    "bad",
                    "disk",
                    _("{text}: not enough for a {label} build (~{size})").format(
                        text=text, label=label, size=gib(need)
                    ),
                )

    # ---- tools -------------------------------------------------------------------------------------
    def managers(self) -> Iterable[Verdict]:
        ms = self.facts.managers
        found = [
            f"{n} {ms[n].version or ''}".strip()
            for n in MANAGER_ORDER
            if n in ms and not ms[n].error
        ]
        missing = [n for n in MANAGER_ORDER if n not in ms]
        for n in MANAGER_ORDER:
            if n in ms and ms[n].error:
                yield Verdict(
                    "warn",
                    n,
                    _("found at {path}, but {error}").format(
                        path=ms[n].path or "?", error=ms[n].error
                    ),
                )
        yield Verdict(
            "ok",
            "managers",
            _("found: {tools}").format(tools=join(found))
            if found
            else _("no environment manager found"),
        )
        # What is missing, one whole sentence per kind of tool: conda's family matters only for
        # conda environments; virtualenv the environment screen installs on request.
        conda = [n for n in missing if n in CONDA_LIKE]
        if conda:
            yield Verdict("ok", join(conda), _("not found; only conda environments need them"))
        if "virtualenv" in missing:
            yield Verdict(
                "ok",
                "virtualenv",
                _("not found; the environment screen offers to install it beside envwizard"),
            )
        rest = [n for n in missing if n not in CONDA_LIKE and n != "virtualenv"]
        if rest:
            yield Verdict("ok", join(rest), _("not found"))

    def unknowns(self) -> Iterable[Verdict]:
        shown = {"nvidia_driver"} if self.facts.nvidia_gpus else set()
        for key, why in sorted(self.facts.unknown.items()):
            if key not in shown:
                yield Verdict("warn", key, _("unknown ({why})").format(why=why))
