"""Judge what the inspect script read: findings with evidence and repairs, as data.

Every check here is a function of the inspection (what is installed, where, which build), the
machine's facts and the planner's decision for this machine today; none of them runs anything.
The live read's errors are classified by the same signatures paste mode uses
(envwizard.doctor.signatures), so a pasted traceback and a live failure name the same code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from packaging.markers import InvalidMarker, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from envwizard.core.i18n import N_
from envwizard.core.versions import major_minor, spec_text, vkey
from envwizard.decide.checks import sass_covers
from envwizard.decide.decision import Decision
from envwizard.decide.machine import gpu_label
from envwizard.doctor import causes
from envwizard.doctor.drift import changes, restore_sources
from envwizard.doctor.envs import Env
from envwizard.doctor.inspect import Inspection
from envwizard.doctor.model import (
    Action,
    Code,
    Evidence,
    Finding,
    RepairOption,
    RepairStep,
    Severity,
    Text,
)
from envwizard.doctor.signatures import Match, classify
from envwizard.doctor.variants import (
    UNKNOWN,
    Variant,
    companion_line,
    companion_variant,
    needs_cuda_torch,
    torch_line,
    torch_line_of_companion,
    torch_variant,
)
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge
from envwizard.knowledge.stack import load_stack
from envwizard.plan.lock import LOCK_FILE, Lock

COMPANIONS = ("torchvision", "torchaudio")
FAMILY = ("torch", *COMPANIONS)
NVIDIA_REQ = re.compile(r"^(nvidia-|cuda-toolkit|cuda-bindings)")
NVIDIA_FAMILY = re.compile(r"^nvidia-.*-cu(\d+)$")
FLASH_TAG = re.compile(r"torch(\d+\.\d+)cxx11abi(TRUE|FALSE)", re.IGNORECASE)
LIVE = "doctor_inspect.py live"
STATIC = "doctor_inspect.py static"


@dataclass
class Context:
    env: Env
    ins: Inspection
    facts: Facts | None
    kb: Knowledge
    decision: Decision | None
    lock: Lock | None = None
    """The lock envwizard left in the environment (envwizard made it), or None."""


# ---- small readers ---------------------------------------------------------------------------
def _torch_version(ctx: Context) -> str | None:
    fam = ctx.ins.family("torch") or {}
    vp = fam.get("version_py") or {}
    if vp.get("__version__"):
        return str(vp["__version__"])
    d = ctx.ins.dist("torch")
    return str(d["version"]) if d else None


def _torch_variant(ctx: Context) -> Variant:
    fam = ctx.ins.family("torch")
    version = _torch_version(ctx)
    if version is None:
        return UNKNOWN
    return torch_variant((fam or {}).get("version_py"), version)


def _version_py_source(ctx: Context, name: str) -> str:
    fam = ctx.ins.family(name) or {}
    return os.path.join(str(fam.get("folder") or name), "version.py")


def _live_torch(ctx: Context) -> dict[str, Any] | None:
    live = ctx.ins.live or {}
    t = live.get("torch")
    return t if isinstance(t, dict) else None


def _torch_works(ctx: Context) -> bool:
    t = _live_torch(ctx)
    return bool(t and t.get("ok"))


def _torch_index(ctx: Context, v: Variant) -> str | None:
    """Where a build of torch's own variant comes from: PyTorch's index for tagged builds,
    the installer's configured index for PyPI's untagged wheels."""
    version = _torch_version(ctx) or ""
    if "+" not in version or v.kind == "unknown":
        return None
    if v.label in ctx.kb.variants():
        return ctx.kb.index_url(v.label)
    return None


def _keep_torch(ctx: Context) -> tuple[str, ...]:
    version = _torch_version(ctx)
    return (f"torch=={version}",) if version else ()


def _installed_companions(ctx: Context) -> list[str]:
    return [n for n in COMPANIONS if ctx.ins.dist(n)]


def _plan_option(
    ctx: Context, names: Iterable[str], title: str | None = None
) -> RepairOption | None:
    """Reinstall torch (and the named companions) as the planner would choose here today."""
    d = ctx.decision
    if d is None:
        return None
    names = list(names)
    reqs = [d.requirement]
    line = major_minor(d.release)
    for name in COMPANIONS:
        row = load_stack().companion(name, line) if name in names else None
        if row is not None:  # paired from the stack knowledge, as the planner pairs it
            reqs.append(f"{name}{spec_text(row.specifier(line))}")
    uninstall = ["torch", *[n for n in names if ctx.ins.dist(n)]]
    steps = []
    if ctx.ins.dist("torch"):
        steps.append(RepairStep(Action.UNINSTALL, tuple(uninstall)))
    steps.append(RepairStep(Action.INSTALL, tuple(reqs), index_url=d.index_url))
    return RepairOption(
        "reinstall-plan",
        Text(
            title or N_("reinstall torch {torch} ({variant}), the build envwizard chooses here"),
            {"torch": d.torch, "variant": d.variant},
        ),
        tuple(steps),
    )


def _advice(option_id: str, template: str, **fields: Any) -> RepairOption:
    text = Text(template, fields)
    return RepairOption(option_id, text, (RepairStep(Action.ADVICE, advice=text),))


def _ev(fact: str, value: Any, source: str) -> Evidence:
    return Evidence(fact, str(value), source)


def _error_text(err: dict[str, Any] | None) -> str:
    if not err:
        return ""
    msg = str(err.get("message") or "")
    return f"{err.get('type')}: {msg}" if msg else str(err.get("type") or "")


# ---- B. is torch there, and which one is loaded ----------------------------------------------
def torch_presence(ctx: Context) -> list[Finding]:
    if ctx.ins.dist("torch") or ctx.ins.module("torch"):
        return []
    companions = _installed_companions(ctx)
    sev = Severity.WARNING if companions or ctx.env.envwizard else Severity.INFO
    option = _plan_option(
        ctx, companions, N_("install torch {torch} ({variant}), the build envwizard chooses here")
    )
    return [
        Finding(
            Code.TORCH_MISSING,
            sev,
            Text(N_("torch is not installed in this environment.")),
            "torch",
            (_ev("import torch", "not found on sys.path", STATIC),),
            (option,) if option else (),
        )
    ]


def _path_entry(ctx: Context, folder: str) -> str:
    parent = os.path.dirname(folder.rstrip("/\\"))
    for entry in ctx.ins.static.get("sys_path") or []:
        if os.path.realpath(entry) == os.path.realpath(parent):
            return str(entry)
    return parent


def _how(ctx: Context, entry: str) -> tuple[str, Text, RepairOption]:
    """Why a folder is on sys.path: (kind, words, the advice that takes it off)."""
    env_vars = ctx.ins.static.get("env_vars") or {}
    real = os.path.realpath(entry)
    pythonpath = [p for p in str(env_vars.get("PYTHONPATH") or "").split(os.pathsep) if p]
    if any(os.path.realpath(p) == real for p in pythonpath):
        return (
            "pythonpath",
            Text(N_("PYTHONPATH")),
            _advice(
                "pythonpath",
                N_(
                    "remove {entry} from PYTHONPATH (or unset PYTHONPATH) where you use this environment"
                ),
                entry=entry,
            ),
        )
    site = ctx.ins.static.get("site") or {}
    if site.get("user_site") and os.path.realpath(str(site["user_site"])) == real:
        return (
            "user-site",
            Text(N_("the user site")),
            _advice(
                "user-site",
                N_(
                    "set PYTHONNOUSERSITE=1 where you use this environment, or remove torch from {entry} (python -m pip uninstall --user torch, outside the environment)"
                ),
                entry=entry,
            ),
        )
    for pth in ctx.ins.static.get("pth_imports") or []:
        if entry in str(pth.get("line") or ""):
            return (
                "pth",
                Text(N_("the .pth file {file}"), {"file": pth.get("file")}),
                _advice(
                    "pth",
                    N_("remove the line that adds {entry} from {file}"),
                    entry=entry,
                    file=pth.get("file"),
                ),
            )
    base = str((ctx.ins.static.get("python") or {}).get("base_prefix") or "")
    if base and real.startswith(os.path.realpath(base) + os.sep):
        return (
            "system-site",
            Text(N_("the base interpreter's site-packages")),
            _advice(
                "system-site",
                N_(
                    "install torch into this environment (its own copy then wins), or set include-system-site-packages = false in pyvenv.cfg"
                ),
            ),
        )
    return (
        "sys-path",
        Text(N_("sys.path")),
        _advice(
            "sys-path", N_("take {entry} off sys.path where you use this environment"), entry=entry
        ),
    )


def shadowing(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    mod = ctx.ins.module("torch")
    folder = str((mod or {}).get("folder") or "")
    version = _torch_version(ctx) or "?"
    if folder and not ctx.ins.in_env(folder):
        entry = _path_entry(ctx, folder)
        kind, how, advice = _how(ctx, entry)
        own = [d for d in ctx.ins.dists if d.get("name") == "torch" and ctx.ins.in_env(d["path"])]
        evidence = [
            _ev("torch is imported from", folder, "importlib.util.find_spec('torch')"),
            _ev("sys.path entry", entry, "sys.path"),
        ]
        env_vars = ctx.ins.static.get("env_vars") or {}
        if kind == "pythonpath":
            evidence.append(_ev("PYTHONPATH", env_vars.get("PYTHONPATH"), "environment variable"))
        if own:
            evidence.append(_ev("the environment's own torch", own[0]["version"], own[0]["path"]))
        if kind == "system-site" and not own:
            option = _plan_option(ctx, _installed_companions(ctx))
            out.append(
                Finding(
                    Code.SYSTEM_SITE_LEAK,
                    Severity.WARNING,
                    Text(
                        N_(
                            "This environment has no torch of its own; Python loads torch {version} from the base interpreter's site-packages ({folder}), which any change there replaces."
                        ),
                        {"version": version, "folder": folder},
                    ),
                    "torch",
                    tuple(evidence),
                    (option,) if option else (advice,),
                )
            )
        elif own:
            out.append(
                Finding(
                    Code.SHADOWED_TORCH,
                    Severity.ERROR,
                    Text(
                        N_(
                            "Python loads torch {version} from {folder} (through {how}), not the environment's own torch {own} in {site}."
                        ),
                        {
                            "version": version,
                            "folder": folder,
                            "how": how,
                            "own": own[0]["version"],
                            "site": own[0]["entry"],
                        },
                    ),
                    "torch",
                    tuple(evidence),
                    (advice,),
                )
            )
        else:
            out.append(
                Finding(
                    Code.SHADOWED_TORCH,
                    Severity.WARNING,
                    Text(
                        N_(
                            "This environment has no torch of its own; Python loads torch {version} from {folder} (through {how})."
                        ),
                        {"version": version, "folder": folder, "how": how},
                    ),
                    "torch",
                    tuple(evidence),
                    (advice,),
                )
            )
    cwd = ctx.ins.static.get("cwd") or {}
    if cwd.get("torch_dir") or cwd.get("torch_py"):
        name = "torch/" if cwd.get("torch_dir") else "torch.py"
        where = os.path.join(str(cwd.get("dir")), name)
        out.append(
            Finding(
                Code.SHADOWED_TORCH,
                Severity.WARNING,
                Text(
                    N_(
                        "{path} takes torch's place in Python started from {dir} (python -c, python -m, a notebook, a script there)."
                    ),
                    {"path": where, "dir": cwd.get("dir")},
                ),
                "torch",
                (_ev("found", where, "the working folder"),),
                (
                    _advice(
                        "rename",
                        N_("rename {path}, or start Python from another folder"),
                        path=where,
                    ),
                ),
            )
        )
    return out


def duplicates(ctx: Context) -> list[Finding]:
    groups: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    for d in ctx.ins.dists:
        real = os.path.realpath(str(d.get("path")))
        if real in seen:
            continue
        seen.add(real)
        groups.setdefault(str(d.get("name")), []).append(d)
    out = []
    for name, group in groups.items():
        if len(group) < 2:
            continue
        versions = {str(d.get("version")) for d in group}
        listing = ", ".join(f"{d['version']} ({d['entry']})" for d in group)
        inside = [d for d in group if ctx.ins.in_env(d["path"])]
        options: list[RepairOption] = []
        if len(inside) >= 2:
            first = inside[0]
            index = _torch_index(ctx, _torch_variant(ctx)) if name == "torch" else None
            options.append(
                RepairOption(
                    "reinstall",
                    Text(
                        N_(
                            "remove every copy of {pkg} in the environment and install {version} once"
                        ),
                        {"pkg": name, "version": first["version"]},
                    ),
                    (
                        *[RepairStep(Action.UNINSTALL, (name,))] * len(inside),
                        RepairStep(
                            Action.INSTALL,
                            (f"{name}=={first['version']}",),
                            index_url=index,
                            no_deps=True,
                        ),
                    ),
                )
            )
        outside = [d for d in group if not ctx.ins.in_env(d["path"])]
        if outside:
            options.append(_how(ctx, str(outside[0]["entry"]))[2])
        out.append(
            Finding(
                Code.DUPLICATE_DIST,
                Severity.ERROR if len(versions) > 1 else Severity.WARNING,
                Text(
                    N_(
                        "{count} copies of {pkg} are installed ({listing}); Python uses the one in {first}."
                    ),
                    {
                        "count": len(group),
                        "pkg": name,
                        "listing": listing,
                        "first": group[0]["entry"],
                    },
                ),
                name,
                tuple(_ev("copy", f"{d['name']} {d['version']}", d["path"]) for d in group),
                tuple(options),
            )
        )
    return out


def files_mixed(ctx: Context) -> list[Finding]:
    bad = ctx.ins.static.get("record_mismatches") or []
    if not bad:
        return []
    version = _torch_version(ctx) or "?"
    v = _torch_variant(ctx)
    d = ctx.ins.dist("torch") or {}
    return [
        Finding(
            Code.TORCH_FILES_MIXED,
            Severity.ERROR,
            Text(
                N_(
                    "torch's files in {site} come from more than one install: {file} does not match torch {version}'s install record."
                ),
                {"site": d.get("entry", "?"), "file": bad[0]["file"], "version": version},
            ),
            "torch",
            tuple(
                _ev(
                    "file " + str(b["problem"]),
                    b["file"],
                    os.path.join(str(d.get("path")), "RECORD"),
                )
                for b in bad
            ),
            (
                RepairOption(
                    "reinstall",
                    Text(
                        N_("remove torch and install torch {version} again"), {"version": version}
                    ),
                    (
                        RepairStep(Action.UNINSTALL, ("torch",)),
                        RepairStep(
                            Action.INSTALL,
                            (f"torch=={version}",),
                            index_url=_torch_index(ctx, v),
                            no_deps=True,
                        ),
                    ),
                ),
            ),
        )
    ]


def user_site(ctx: Context) -> list[Finding]:
    site = ctx.ins.static.get("site") or {}
    if not site.get("user_site_enabled"):
        return []
    dists = [str(x) for x in ctx.ins.static.get("user_site_dists") or []]
    heavy = [x for x in dists if x.split()[0] in (*FAMILY, "numpy")]
    if not heavy:
        return []
    return [
        Finding(
            Code.USER_SITE_ACTIVE,
            Severity.WARNING,
            Text(
                N_(
                    "Packages in your user site {site} ({packages}) are visible in this environment and can take the place of its own."
                ),
                {"site": site.get("user_site"), "packages": ", ".join(heavy)},
            ),
            None,
            (_ev("user site packages", ", ".join(heavy), str(site.get("user_site"))),),
            (_advice("nousersite", N_("set PYTHONNOUSERSITE=1 where you use this environment")),),
        )
    ]


# ---- C. is it the right build for this machine -----------------------------------------------
def _nvidia_targets(ctx: Context) -> list[Any]:
    if ctx.facts is None:
        return []
    gpus = [g for g in ctx.facts.gpus if g.vendor == "nvidia"]
    discrete = [g for g in gpus if not g.integrated]
    return discrete or gpus


def _arch_list(ctx: Context, v: Variant) -> tuple[list[str], str]:
    """The build's compiled architectures: torch's own answer when it ran, else the knowledge."""
    t = _live_torch(ctx)
    if t and t.get("arch_list"):
        return [str(a) for a in t["arch_list"]], "torch._C._cuda_getArchFlags()"
    fam = ctx.ins.family("torch") or {}
    if fam.get("fatbin"):
        lib = os.path.join(str(fam.get("folder")), "lib", "libtorch_cuda.so")
        return [str(a) for a in fam["fatbin"]], f"the .nv_fatbin section of {lib}"
    version = _torch_version(ctx) or ""
    line = torch_line(version)
    platform = ""
    if ctx.facts is not None:
        from envwizard.core.versions import platform_key

        platform = platform_key(ctx.facts.os.system, ctx.facts.os.machine)
    for b in ctx.kb.builds:
        if (
            b.release == line
            and b.variant == v.label
            and b.platform == platform
            and b.source == "pip"
        ):
            archs = [f"sm_{s.replace('.', '')}" for s in b.sass]
            if b.ptx:
                archs.append(f"compute_{b.ptx.replace('.', '')}")
            return archs, "envwizard's build table"
    return [], ""


def _covers(archs: list[str], cc: str) -> str:
    """sass, ptx or none: how an arch list serves a compute capability."""
    sass = tuple(f"{a[3:-1]}.{a[-1]}" for a in archs if a.startswith("sm_") and len(a) > 4)
    if sass_covers(sass, cc):
        return "sass"
    for a in archs:
        if a.startswith("compute_") and len(a) > 9 and vkey(f"{a[8:-1]}.{a[-1]}") <= vkey(cc):
            return "ptx"
    return "none"


def build_fit(ctx: Context) -> list[Finding]:
    version = _torch_version(ctx)
    if version is None or ctx.facts is None:
        return []
    v = _torch_variant(ctx)
    d = ctx.decision
    out: list[Finding] = []
    companions = _installed_companions(ctx)
    vsource = _version_py_source(ctx, "torch")
    if v.kind == "cpu" and d is not None and d.kind in ("cuda", "rocm", "xpu", "mps"):
        gpus = [gpu_label(g) for g in ctx.facts.gpus if g.vendor != "intel" or not g.integrated]
        option = _plan_option(ctx, companions)
        out.append(
            Finding(
                Code.TORCH_CPU_ON_GPU_MACHINE,
                Severity.WARNING,
                Text(
                    N_(
                        "torch {version} is a CPU-only build, but this machine has {gpus}, which the {variant} build would use."
                    ),
                    {"version": version, "gpus": ", ".join(gpus), "variant": d.variant},
                ),
                "torch",
                (
                    _ev("torch build", v.text(), vsource),
                    _ev("GPUs", ", ".join(gpus), "probe"),
                    _ev("envwizard's choice", f"torch {d.torch} ({d.variant})", "envwizard plan"),
                ),
                (option,) if option else (),
            )
        )
    if v.kind == "cpu" and d is not None and d.kind == "cpu":
        unused = [g for g in _nvidia_targets(ctx)]
        if unused:
            out.append(
                Finding(
                    Code.GPU_UNSUPPORTED,
                    Severity.INFO,
                    Text(
                        N_(
                            "No PyTorch build envwizard knows runs on {gpu} here; torch runs on the CPU."
                        ),
                        {"gpu": ", ".join(gpu_label(g) for g in unused)},
                    ),
                    "torch",
                    tuple(_ev("why not a GPU build", r, "envwizard plan") for r in d.reasons[:3]),
                )
            )
    if v.kind != "cuda":
        return out
    driver = ctx.facts.nvidia_driver
    windows = ctx.facts.os.system == "Windows" or ctx.facts.os.wsl
    need = ctx.kb.min_driver(v.cuda or "0", windows) if v.cuda else None
    if driver and need and vkey(driver) < vkey(need):
        options = [
            _advice(
                "driver",
                N_("update the NVIDIA driver to {need} or newer"),
                need=need,
            )
        ]
        plan = _plan_option(ctx, companions)
        if plan and d is not None and d.kind == "cuda":
            options.append(plan)
        out.append(
            Finding(
                Code.DRIVER_TOO_OLD,
                Severity.ERROR,
                Text(
                    N_(
                        "torch {version} needs a driver for CUDA {major}.x ({need} or newer); the installed driver {driver} is older."
                    ),
                    {"version": version, "major": v.cuda_major, "need": need, "driver": driver},
                ),
                "torch",
                (
                    _ev("torch CUDA", v.cuda, vsource),
                    _ev("NVIDIA driver", driver, "probe"),
                ),
                tuple(options),
            )
        )
    archs, where = _arch_list(ctx, v)
    if not archs:
        return out
    for g in _nvidia_targets(ctx):
        cc = g.compute_capability
        if not cc:
            continue
        how = _covers(archs, cc)
        if how == "sass":
            continue
        evidence = (
            _ev("GPU", f"{g.name} (compute capability {cc})", "probe"),
            _ev("compiled architectures", " ".join(archs), where),
        )
        plan = _plan_option(ctx, companions)
        if how == "ptx":
            out.append(
                Finding(
                    Code.TORCH_PTX_ONLY,
                    Severity.WARNING,
                    Text(
                        N_(
                            "{gpu} runs torch {version} only through PTX compiled at start-up (slow first start, no tuned kernels)."
                        ),
                        {"gpu": gpu_label(g), "version": version},
                    ),
                    "torch",
                    evidence,
                    (plan,) if plan and d is not None and d.kind == "cuda" else (),
                )
            )
            continue
        out.append(
            Finding(
                Code.TORCH_ARCH_MISSING,
                Severity.ERROR,
                Text(
                    N_("{gpu} has no kernels in torch {version} ({variant}: built for {archs})."),
                    {
                        "gpu": gpu_label(g),
                        "version": version,
                        "variant": v.label,
                        "archs": " ".join(archs),
                    },
                ),
                "torch",
                evidence,
                (plan,) if plan else (),
            )
        )
    return out


def off_plan(ctx: Context, found: list[Finding]) -> list[Finding]:
    d = ctx.decision
    version = _torch_version(ctx)
    if d is None or version is None or not _torch_works(ctx):
        return []
    if any(f.package in FAMILY and f.severity is Severity.ERROR for f in found):
        return []
    v = _torch_variant(ctx)
    same_line = torch_line(version) == d.release
    same_variant = d.variant in (v.label, "default")
    if same_line and same_variant:
        return []
    option = _plan_option(ctx, _installed_companions(ctx))
    return [
        Finding(
            Code.TORCH_VARIANT_OFF_PLAN,
            Severity.INFO,
            Text(
                N_(
                    "torch {version} ({variant}) works here; envwizard would install torch {torch} ({plan}) today."
                ),
                {"version": version, "variant": v.label, "torch": d.torch, "plan": d.variant},
            ),
            "torch",
            tuple(_ev("envwizard's reason", r, "envwizard plan") for r in d.reasons[-2:]),
            (option,) if option else (),
        )
    ]


# ---- D. do the pieces belong together --------------------------------------------------------
def _companion_options(ctx: Context, name: str, line: str | None) -> tuple[RepairOption, ...]:
    v = _torch_variant(ctx)
    options = []
    version = _torch_version(ctx) or "?"
    if line:
        options.append(
            RepairOption(
                "replace",
                Text(
                    N_(
                        "replace {pkg} with the {line} build that matches torch {version} ({variant})"
                    ),
                    {"pkg": name, "line": line, "version": version, "variant": v.label},
                ),
                (
                    RepairStep(Action.UNINSTALL, (name,)),
                    RepairStep(
                        Action.INSTALL,
                        (f"{name}=={line}.*",),
                        index_url=_torch_index(ctx, v),
                        no_deps=True,
                        keep=_keep_torch(ctx),
                    ),
                ),
            )
        )
    options.append(
        RepairOption(
            "remove",
            Text(
                N_("remove {pkg} (torch keeps working; whatever needs {pkg} will not)"),
                {"pkg": name},
            ),
            (RepairStep(Action.UNINSTALL, (name,)),),
        )
    )
    return tuple(options)


def companions(ctx: Context) -> list[Finding]:
    tversion = _torch_version(ctx)
    if tversion is None:
        return []
    tv = _torch_variant(ctx)
    tfam = ctx.ins.family("torch") or {}
    torch_libs = [str(x) for x in tfam.get("libs") or []]
    out = []
    for name in COMPANIONS:
        d = ctx.ins.dist(name)
        info = ctx.ins.family(name)
        if d is None or info is None:
            continue
        vp = info.get("version_py") or {}
        cversion = str(vp.get("__version__") or d["version"])
        cv = companion_variant(info, str(d["version"]))
        line = companion_line(ctx.kb, tversion, name)
        needs = needs_cuda_torch(info)
        lacks = [n for n in needs if n.startswith(("libc10_cuda", "libtorch_cuda"))]
        missing_cuda = (
            tv.kind != "cuda"
            and bool(lacks)
            and not any(x.startswith("libc10_cuda") for x in torch_libs)
        )
        evidence = [
            _ev("torch build", f"{tversion}: {tv.text()}", _version_py_source(ctx, "torch")),
            _ev(f"{name} build", f"{cversion}: {cv.text()}", _version_py_source(ctx, name)),
        ]
        if needs:
            ext = (info.get("extensions") or [{}])[0].get("file")
            evidence.append(
                _ev(f"{name}'s extension needs", ", ".join(needs), f"ELF DT_NEEDED of {ext}")
            )
        if tv.differs(cv) or missing_cuda:
            out.append(
                Finding(
                    Code.COMPANION_VARIANT_MISMATCH,
                    Severity.ERROR,
                    Text(
                        N_(
                            "{pkg} {cversion} is a {cvariant} build, but torch {tversion} is a {tvariant} build: {pkg}'s compiled operators cannot load beside it."
                        ),
                        {
                            "pkg": name,
                            "cversion": cversion,
                            "cvariant": cv.text(),
                            "tversion": tversion,
                            "tvariant": tv.text(),
                        },
                    ),
                    name,
                    tuple(evidence),
                    _companion_options(ctx, name, line),
                )
            )
        cline = ".".join(str(k) for k in vkey(cversion)[:2])
        if line and cline != line:
            belongs = torch_line_of_companion(ctx.kb, name, cversion) or "?"
            out.append(
                Finding(
                    Code.COMPANION_VERSION_MISMATCH,
                    Severity.ERROR,
                    Text(
                        N_(
                            "{pkg} {cversion} belongs to torch {belongs}, but torch {tversion} is installed (its {pkg} is {line})."
                        ),
                        {
                            "pkg": name,
                            "cversion": cversion,
                            "belongs": belongs,
                            "tversion": tversion,
                            "line": line,
                        },
                    ),
                    name,
                    tuple(evidence[:2]),
                    _companion_options(ctx, name, line),
                )
            )
    return out


def conda_mix(ctx: Context) -> list[Finding]:
    conda = ctx.ins.static.get("conda") or {}
    records = conda.get("records") or []
    rec = next((r for r in records if r.get("name") in ("pytorch", "torch")), None)
    if rec is None:
        return []
    out = []
    torch_dist = ctx.ins.dist("torch")
    rec_ev = _ev(
        "conda record",
        f"{rec.get('name')} {rec.get('version')} {rec.get('build')} ({rec.get('channel')})",
        str(rec.get("file")),
    )
    prefix = str(ctx.env.prefix)
    if torch_dist and (torch_dist.get("installer") or "") != "conda":
        out.append(
            Finding(
                Code.CONDA_PIP_MIX,
                Severity.WARNING,
                Text(
                    N_(
                        "conda installed pytorch {cversion} ({build}) here, and {installer} installed torch {version} over it; the two write the same files, and neither knows the other's."
                    ),
                    {
                        "cversion": rec.get("version"),
                        "build": rec.get("build"),
                        "installer": torch_dist.get("installer") or "pip",
                        "version": torch_dist.get("version"),
                    },
                ),
                "torch",
                (
                    rec_ev,
                    _ev(
                        "torch installed by",
                        torch_dist.get("installer") or "?",
                        os.path.join(str(torch_dist["path"]), "INSTALLER"),
                    ),
                ),
                (
                    _advice(
                        "one-source",
                        N_(
                            "keep one source: remove conda's record (conda remove -p {prefix} --force pytorch) and keep pip's torch, or uninstall pip's torch and reinstall pytorch with conda"
                        ),
                        prefix=prefix,
                    ),
                ),
            )
        )
        return out
    conda_names = {str(r.get("name")) for r in records}
    for name in COMPANIONS:
        d = ctx.ins.dist(name)
        if d is None or name in conda_names or (d.get("installer") or "") == "conda":
            continue
        out.append(
            Finding(
                Code.CONDA_PIP_MIX,
                Severity.WARNING,
                Text(
                    N_(
                        "torch comes from conda ({build}, {channel}), but {pkg} {version} was installed by {installer}; their compiled parts must come from one source."
                    ),
                    {
                        "build": rec.get("build"),
                        "channel": rec.get("channel"),
                        "pkg": name,
                        "version": d.get("version"),
                        "installer": d.get("installer") or "pip",
                    },
                ),
                name,
                (
                    rec_ev,
                    _ev(
                        f"{name} installed by",
                        d.get("installer") or "?",
                        os.path.join(str(d["path"]), "INSTALLER"),
                    ),
                ),
                (
                    _advice(
                        "one-source",
                        N_(
                            "install {pkg} from torch's conda channel (conda install -p {prefix} {pkg}), or move both to pip"
                        ),
                        pkg=name,
                        prefix=prefix,
                    ),
                ),
            )
        )
    return out


def extension_abi(ctx: Context) -> list[Finding]:
    version = _torch_version(ctx)
    if version is None:
        return []
    t = _live_torch(ctx) or {}
    abi = t.get("cxx11_abi")
    out = []
    for d in ctx.ins.dists:
        m = FLASH_TAG.search(str(d.get("version")))
        if not m or d.get("name") in FAMILY:
            continue
        built_line, built_abi = m.group(1), m.group(2).upper() == "TRUE"
        wrong_line = built_line != torch_line(version)
        wrong_abi = abi is not None and bool(abi) != built_abi
        if not (wrong_line or wrong_abi):
            continue
        out.append(
            Finding(
                Code.EXTENSION_ABI_MISMATCH,
                Severity.ERROR,
                Text(
                    N_(
                        "{pkg} {pversion} was built for torch {built} with cxx11abi={babi}, not for the installed torch {version} (cxx11abi={abi}); it cannot load."
                    ),
                    {
                        "pkg": d["name"],
                        "pversion": d["version"],
                        "built": built_line,
                        "babi": str(built_abi).upper(),
                        "version": version,
                        "abi": "?" if abi is None else str(bool(abi)).upper(),
                    },
                ),
                str(d["name"]),
                (_ev("wheel tag", d["version"], d["path"]),),
                (
                    _advice(
                        "rebuild",
                        N_(
                            "install the {pkg} build for torch {line} with cxx11abi{abi}, or build it from source against this torch"
                        ),
                        pkg=d["name"],
                        line=torch_line(version),
                        abi="?" if abi is None else str(bool(abi)).upper(),
                    ),
                ),
            )
        )
    return out


def _marker_env(ctx: Context) -> dict[str, str]:
    py = ctx.ins.static.get("python") or {}
    system = str(py.get("system") or "Linux")
    version = str(py.get("version") or "3")
    return {
        "implementation_name": str(py.get("implementation") or "CPython").lower(),
        "implementation_version": version,
        "os_name": "nt" if system == "Windows" else "posix",
        "platform_machine": str(py.get("machine") or ""),
        "platform_python_implementation": str(py.get("implementation") or "CPython"),
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": version,
        "python_version": ".".join(version.split(".")[:2]),
        "sys_platform": {"Windows": "win32", "Darwin": "darwin"}.get(system, system.lower()),
        "extra": "",
    }


def _requirements(ctx: Context, dist: dict[str, Any]) -> list[Requirement]:
    env = _marker_env(ctx)
    out = []
    for text in dist.get("requires") or []:
        try:
            req = Requirement(str(text))
            if req.marker is not None and not req.marker.evaluate(env):
                continue
        except (InvalidRequirement, InvalidMarker, UndefinedEnvironmentName, InvalidSpecifier):
            continue
        out.append(req)
    return out


def _first_dists(ctx: Context) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for d in ctx.ins.dists:
        out.setdefault(canonicalize_name(str(d.get("name"))), d)
    return out


def _satisfied(req: Requirement, version: str) -> bool:
    try:
        return req.specifier.contains(version, prereleases=True)
    except InvalidVersion:
        return True


def pip_check(ctx: Context) -> list[Finding]:
    installed = _first_dists(ctx)
    out = []
    for name, d in installed.items():
        problems: list[Text] = []
        fixable: list[str] = []
        family = name in FAMILY
        for req in _requirements(ctx, d):
            dep = installed.get(canonicalize_name(req.name))
            if dep is None:
                problems.append(Text(N_("{req} is not installed"), {"req": str(req)}))
            elif req.specifier and not _satisfied(req, str(dep["version"])):
                problems.append(
                    Text(
                        N_("{req} is required, but {dep} {version} is installed"),
                        {"req": str(req), "dep": dep["name"], "version": dep["version"]},
                    )
                )
            else:
                continue
            if canonicalize_name(req.name) in FAMILY:
                family = True
            elif not NVIDIA_REQ.match(canonicalize_name(req.name)):
                fixable.append(str(req))
        if not problems:
            continue
        options: tuple[RepairOption, ...] = ()
        if fixable:
            options = (
                RepairOption(
                    "install",
                    Text(
                        N_("install {reqs}, keeping torch as it is"), {"reqs": ", ".join(fixable)}
                    ),
                    (RepairStep(Action.INSTALL, tuple(fixable), keep=_keep_torch(ctx)),),
                ),
            )
        out.append(
            Finding(
                Code.PIP_CHECK_CONFLICT,
                Severity.ERROR if family else Severity.WARNING,
                Text(
                    N_("{pkg} {version}'s requirements are not met: {problems}."),
                    {"pkg": d["name"], "version": d["version"], "problems": problems},
                ),
                str(d["name"]),
                tuple(
                    _ev("requirement", p.english(), os.path.join(str(d["path"]), "METADATA"))
                    for p in problems
                ),
                options,
            )
        )
    return out


def numpy_checks(ctx: Context) -> list[Finding]:
    out = []
    numpy = ctx.ins.dist("numpy")
    if numpy is None and ctx.ins.dist("torch") is not None:
        out.append(
            Finding(
                Code.NUMPY_MISSING,
                Severity.INFO,
                Text(
                    N_(
                        "numpy is not installed, so torch's NumPy bridge (Tensor.numpy(), torch.from_numpy) is unavailable."
                    )
                ),
                "numpy",
                (_ev("numpy", "not installed", STATIC),),
                (
                    RepairOption(
                        "install",
                        Text(N_("install numpy, keeping torch as it is")),
                        (RepairStep(Action.INSTALL, ("numpy",), keep=_keep_torch(ctx)),),
                    ),
                ),
            )
        )
    if numpy is None:
        return out
    by_pkg: dict[str, list[str]] = {}
    for e in ctx.ins.static.get("numpy1_extensions") or []:
        by_pkg.setdefault(str(e.get("package")), []).append(str(e.get("file")))
    names = {canonicalize_name(str(d.get("name"))) for d in ctx.ins.dists}
    for folder, files in by_pkg.items():
        pkg = canonicalize_name(folder) if canonicalize_name(folder) in names else folder
        keep = (f"numpy=={numpy['version']}", *_keep_torch(ctx))
        out.append(
            Finding(
                Code.NUMPY_ABI,
                Severity.ERROR,
                Text(
                    N_(
                        "{pkg} was compiled against NumPy 1.x and cannot run with NumPy {npversion}."
                    ),
                    {"pkg": pkg, "npversion": numpy["version"]},
                ),
                pkg,
                tuple(
                    _ev("names only numpy.core._multiarray_umath (a NumPy 1 build)", f, f)
                    for f in files[:3]
                ),
                (
                    RepairOption(
                        "numpy-below-2",
                        Text(N_("install numpy<2 (torch keeps its version)")),
                        (RepairStep(Action.INSTALL, ("numpy<2",), keep=_keep_torch(ctx)),),
                    ),
                    RepairOption(
                        "upgrade",
                        Text(N_("upgrade {pkg} to a release built for NumPy 2"), {"pkg": pkg}),
                        (RepairStep(Action.INSTALL, (f"{pkg}",), keep=keep),),
                    ),
                ),
            )
        )
    return out


# ---- E. are the native libraries the right ones ----------------------------------------------
def libraries(ctx: Context) -> list[Finding]:
    version = _torch_version(ctx)
    torch_dist = ctx.ins.dist("torch")
    if version is None:
        return []
    v = _torch_variant(ctx)
    out: list[Finding] = []
    installed = _first_dists(ctx)
    if v.kind == "cuda":
        loaded = (ctx.ins.live or {}).get("loaded_cuda_libs") or {}
        for item in ctx.ins.static.get("ld_library_path") or []:
            libs = item.get("cuda_libs") or []
            if not libs:
                continue
            folder = str(item.get("dir"))
            used = [p for p in loaded.values() if os.path.dirname(str(p)) == folder.rstrip("/")]
            out.append(
                Finding(
                    Code.LD_LIBRARY_PATH_OVERRIDE,
                    Severity.ERROR if used else Severity.WARNING,
                    Text(
                        N_(
                            "LD_LIBRARY_PATH puts {dir} ({libs}) ahead of the CUDA libraries torch {version} ships with; a library found there first can be the wrong version."
                        ),
                        {"dir": folder, "libs": ", ".join(libs[:4]), "version": version},
                    ),
                    None,
                    (
                        _ev("LD_LIBRARY_PATH entry", folder, "environment variable"),
                        *(_ev("loaded from there", p, "/proc/self/maps") for p in used),
                    ),
                    (
                        _advice(
                            "ld-library-path",
                            N_("remove {dir} from LD_LIBRARY_PATH where you use this environment"),
                            dir=folder,
                        ),
                    ),
                )
            )
    if torch_dist is not None:
        reqs = [
            r for r in _requirements(ctx, torch_dist) if NVIDIA_REQ.match(canonicalize_name(r.name))
        ]
        missing = [r for r in reqs if canonicalize_name(r.name) not in installed]
        if missing:
            texts = tuple(str(r) for r in missing)
            out.append(
                Finding(
                    Code.NVIDIA_LIBS_MISSING,
                    Severity.ERROR,
                    Text(
                        N_(
                            "torch {version} needs {reqs}, which this environment does not have; torch cannot load its CUDA libraries."
                        ),
                        {"version": version, "reqs": ", ".join(texts)},
                    ),
                    "torch",
                    tuple(
                        _ev("torch requires", t, os.path.join(str(torch_dist["path"]), "METADATA"))
                        for t in texts
                    ),
                    (
                        RepairOption(
                            "install",
                            Text(
                                N_("install torch's NVIDIA libraries: {reqs}"),
                                {"reqs": ", ".join(texts)},
                            ),
                            (RepairStep(Action.INSTALL, texts, keep=_keep_torch(ctx)),),
                        ),
                    ),
                )
            )
        for r in reqs:
            dep = installed.get(canonicalize_name(r.name))
            if dep is None or not r.specifier or _satisfied(r, str(dep["version"])):
                continue
            out.append(
                Finding(
                    Code.NVIDIA_WHEEL_MISMATCH,
                    Severity.ERROR,
                    Text(
                        N_("{pkg} {pversion} does not match torch {version}, which needs {req}."),
                        {
                            "pkg": dep["name"],
                            "pversion": dep["version"],
                            "version": version,
                            "req": str(r),
                        },
                    ),
                    str(dep["name"]),
                    (
                        _ev(
                            "torch requires",
                            str(r),
                            os.path.join(str(torch_dist["path"]), "METADATA"),
                        ),
                        _ev("installed", f"{dep['name']} {dep['version']}", dep["path"]),
                    ),
                    (
                        RepairOption(
                            "install",
                            Text(N_("install {req}"), {"req": str(r)}),
                            (
                                RepairStep(
                                    Action.INSTALL, (str(r),), no_deps=True, keep=_keep_torch(ctx)
                                ),
                            ),
                        ),
                    ),
                )
            )
    families: dict[str, list[str]] = {}
    for name in installed:
        m = NVIDIA_FAMILY.match(name)
        if m:
            families.setdefault(m.group(1), []).append(name)
    if len(families) > 1:
        major = str(v.cuda_major) if v.cuda_major else None
        others = (
            [n for fam, names in families.items() if fam != major for n in names] if major else []
        )
        required = {
            canonicalize_name(r.name) for d in installed.values() for r in _requirements(ctx, d)
        }
        removable = tuple(n for n in others if n not in required)
        options: tuple[RepairOption, ...] = ()
        if removable:
            options = (
                RepairOption(
                    "remove-family",
                    Text(
                        N_("remove {pkgs}, which torch does not use"),
                        {"pkgs": ", ".join(removable)},
                    ),
                    (RepairStep(Action.UNINSTALL, removable),),
                ),
            )
        out.append(
            Finding(
                Code.NVIDIA_WHEEL_MIX,
                Severity.ERROR,
                Text(
                    N_(
                        "NVIDIA libraries for CUDA {families} are installed together; torch {version} uses CUDA {major}."
                    ),
                    {
                        "families": " and ".join(f"cu{k}" for k in sorted(families)),
                        "version": version,
                        "major": major or "?",
                    },
                ),
                None,
                tuple(_ev("installed", n, STATIC) for names in families.values() for n in names),
                options,
            )
        )
    py = ctx.ins.static.get("python") or {}
    libs = [str(x) for x in (ctx.ins.family("torch") or {}).get("libs") or []]
    if (
        py.get("system") == "Windows"
        and version.startswith("2.4.0")
        and "libomp140.x86_64.dll" not in libs
    ):
        plan = _plan_option(ctx, _installed_companions(ctx))
        out.append(
            Finding(
                Code.WINDOWS_DLL_MISSING,
                Severity.WARNING,
                Text(
                    N_(
                        "torch 2.4.0 on Windows needs libomp140.x86_64.dll, which it does not ship; where the system lacks it, importing torch fails (fixed in torch 2.4.1)."
                    )
                ),
                "torch",
                (_ev("torch version", version, _version_py_source(ctx, "torch")),),
                (plan,) if plan else (),
            )
        )
    return out


# ---- F. the live check -----------------------------------------------------------------------
_LIVE_TEMPLATES = {
    "torch": N_("Importing torch fails: {error}"),
    "torchvision": N_("Importing torchvision fails: {error}"),
    "torchaudio": N_("Importing torchaudio fails: {error}"),
}


def _from_live_error(ctx: Context, module: str, err: dict[str, Any], extra: str = "") -> Finding:
    text = _error_text(err)
    match = classify(str(err.get("text") or text) + "\n" + extra)
    code = match.code if match else Code.TORCH_IMPORT_FAILED
    evidence = [_ev(f"import {module}", text, f"{ctx.env.python} {LIVE}")]
    if err.get("file"):
        evidence.append(_ev("raised in", err["file"], LIVE))
    message = Text(_LIVE_TEMPLATES[module], {"error": text})
    if match:
        message = Text(
            N_("{what} {cause}"),
            {"what": message, "cause": causes.CAUSES[code]},
        )
    return Finding(
        code, Severity.ERROR, message, module, tuple(evidence), _repair_for_match(ctx, code, match)
    )


def _repair_for_match(ctx: Context, code: Code, match: Match | None) -> tuple[RepairOption, ...]:
    """A repair for a live failure no static check explained (the static one has it otherwise)."""
    if code in (Code.TORCH_ARCH_MISSING, Code.DRIVER_TOO_OLD, Code.TORCH_CPU_ON_GPU_MACHINE):
        plan = _plan_option(ctx, _installed_companions(ctx))
        return (plan,) if plan else ()
    return ()


def live_check(ctx: Context) -> list[Finding]:
    live = ctx.ins.live
    out: list[Finding] = []
    if live is None:
        if ctx.ins.live_failure:
            match = classify(ctx.ins.live_stderr)
            code = match.code if match else Code.TORCH_IMPORT_FAILED
            out.append(
                Finding(
                    code,
                    Severity.ERROR,
                    Text(
                        N_("Importing torch did not finish: {why}."), {"why": ctx.ins.live_failure}
                    ),
                    "torch",
                    (_ev("stderr", ctx.ins.live_stderr.strip()[-300:] or "-", LIVE),),
                )
            )
        return out
    warnings = [str(w) for w in live.get("warnings") or []]
    t = live.get("torch")
    if isinstance(t, dict) and not t.get("ok"):
        out.append(_from_live_error(ctx, "torch", t.get("error") or {}, "\n".join(warnings)))
        return out
    if not isinstance(t, dict):
        return out
    for w in warnings:
        match = classify(w)
        if match is None:
            continue
        out.append(
            Finding(
                match.code,
                Severity.ERROR,
                Text(
                    N_("Importing torch warns: {warning} {cause}"),
                    {"warning": match.line, "cause": causes.CAUSES[match.code]},
                ),
                "torch",
                (_ev("warning", match.line, LIVE),),
                _repair_for_match(ctx, match.code, match),
            )
        )
    version = str(t.get("version") or "?")
    ran: list[str] = []
    for m in t.get("matmul") or []:
        if m.get("ok"):
            ran.append(str(m.get("device")))
            continue
        err = m.get("error") or {}
        text = _error_text(err) or "wrong result"
        match = classify(text)
        code = match.code if match else Code.DEVICE_CHECK_FAILED
        out.append(
            Finding(
                code,
                Severity.ERROR,
                Text(
                    N_("A small matrix product on {device} failed: {error}."),
                    {"device": m.get("device"), "error": text},
                ),
                "torch",
                (_ev("matmul on " + str(m.get("device")), text, LIVE),),
                _repair_for_match(ctx, code, match),
            )
        )
    nms_ok = False
    for name in COMPANIONS:
        c = live.get(name)
        if not isinstance(c, dict):
            continue
        if not c.get("ok"):
            out.append(_from_live_error(ctx, name, c.get("error") or {}))
            continue
        for n in c.get("nms") or []:
            if n.get("ok"):
                nms_ok = True
                continue
            text = _error_text(n.get("error")) or "wrong result"
            out.append(
                Finding(
                    Code.DEVICE_CHECK_FAILED,
                    Severity.ERROR,
                    Text(
                        N_("torchvision's nms on {device} failed: {error}."),
                        {"device": n.get("device"), "error": text},
                    ),
                    "torchvision",
                    (_ev("torchvision.ops.nms on " + str(n.get("device")), text, LIVE),),
                )
            )
    if ran and not any(f.code is Code.DEVICE_CHECK_FAILED for f in out):
        template = (
            N_("torch {version} computed a matrix product on {devices}, and torchvision's nms ran.")
            if nms_ok
            else N_("torch {version} computed a matrix product on {devices}.")
        )
        out.append(
            Finding(
                Code.DEVICE_CHECK_PASSED,
                Severity.INFO,
                Text(template, {"version": version, "devices": ", ".join(ran)}),
                "torch",
                (_ev("devices", ", ".join(ran), LIVE),),
            )
        )
    return out


# ---- E. what changed since envwizard locked it ------------------------------------------------
def lock_drift(ctx: Context) -> list[Finding]:
    """The packages installed now against the lock envwizard left in the environment: a torch
    swapped by a later pip install, a NumPy downgraded, a companion removed. The repair installs
    the locked versions again, each from the source the lock names, nothing else."""
    if ctx.lock is None:
        return []
    found = changes(ctx.lock, ctx.ins.dists, ctx.ins.in_env)
    if not found:
        return []
    where = str(ctx.env.prefix / LOCK_FILE)
    evidence = []
    for c in found:
        now = (
            _ev(c.locked.name, f"installed {c.installed} ({c.installer or '?'})", c.path or "?")
            if c.installed is not None
            else _ev(c.locked.name, "not installed", "site-packages")
        )
        evidence += [_ev(c.locked.name, f"locked {c.locked.version} ({c.locked.source})", where)]
        evidence.append(now)
    watched = [c for c in found if c.watched]
    steps: list[RepairStep] = []
    by_source: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    for c in watched or found:
        by_source.setdefault(restore_sources(c.locked), []).append(
            f"{c.locked.name}=={c.locked.version}"
        )
    for (index, links), reqs in by_source.items():
        steps.append(
            RepairStep(Action.INSTALL, tuple(reqs), index_url=index, no_deps=True, find_links=links)
        )
    restored = ", ".join(r for s in steps for r in s.packages)
    return [
        Finding(
            Code.LOCK_DRIFT,
            Severity.WARNING if watched else Severity.INFO,
            Text(
                N_(
                    "{count} packages changed since envwizard locked this environment ({lock}): {changes}."
                ),
                {
                    "count": len(found),
                    "lock": where,
                    "changes": ", ".join(c.words() for c in found[:8])
                    + (" …" if len(found) > 8 else ""),
                },
            ),
            None,
            tuple(evidence),
            (
                RepairOption(
                    "restore-lock",
                    Text(
                        N_("install the locked versions again ({packages})"),
                        {"packages": restored},
                    ),
                    tuple(steps),
                ),
            ),
        )
    ]


# ---- putting it together ---------------------------------------------------------------------
CHECKS: tuple[Callable[[Context], list[Finding]], ...] = (
    torch_presence,
    shadowing,
    duplicates,
    files_mixed,
    user_site,
    build_fit,
    companions,
    conda_mix,
    extension_abi,
    pip_check,
    numpy_checks,
    libraries,
    live_check,
    lock_drift,
)

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (code, package): a live symptom joins the static finding it confirms."""
    out: list[Finding] = []
    index: dict[tuple[Code, str | None], int] = {}
    for f in findings:
        key = (f.code, f.package)
        if key not in index:
            index[key] = len(out)
            out.append(f)
            continue
        first = out[index[key]]
        severity = min(first.severity, f.severity, key=lambda s: _ORDER[s])
        out[index[key]] = replace(
            first,
            severity=severity,
            evidence=first.evidence + tuple(e for e in f.evidence if e not in first.evidence),
            repair=first.repair or f.repair,
        )
    return sorted(out, key=lambda f: _ORDER[f.severity])


def judge(ctx: Context) -> list[Finding]:
    found: list[Finding] = []
    for check in CHECKS:
        found.extend(check(ctx))
    found.extend(off_plan(ctx, found))
    return merge(found)
