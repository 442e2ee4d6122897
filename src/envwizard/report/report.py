"""The run report: facts, answers, decision, step results, verification and benchmark.

JSON for scripts (docs/report.md) and a Markdown twin for people and tickets.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
from pathlib import Path
from typing import Any

from envwizard import __version__
from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact, redact_text
from envwizard.facts.model import Facts
from envwizard.plan.build import Plan
from envwizard.plan.lock import DEFAULT_INDEX
from envwizard.plan.steps import Install
from envwizard.report.stack_view import held_and_left_out
from envwizard.run.outcome import RunResult
from envwizard.settings.answers import Answers

VERIFY_KEYS = ("ok", "torch_version", "cuda_available", "device_names", "arch_list")


def build_report(facts: Facts, answers: Answers, plan: Plan, result: RunResult) -> dict[str, Any]:
    """The one report of a run; the headless run and the wizard both write this."""
    v = None
    if result.verify is not None:
        v = {k: result.verify.get(k) for k in VERIFY_KEYS}
        v.update({k: val for k, val in result.verify.items() if k not in v})
    if result.verify_stack is not None:
        # Each package beside torch: name, version, device, ok and a failure's one-line cause.
        v = v if v is not None else {}
        v["packages"] = result.verify_stack.get("packages") or []
        v["stack_ok"] = bool(result.verify_stack.get("ok"))
    steps = [s.to_dict() for s in result.steps]
    return {
        "envwizard": __version__,
        "host": socket.gethostname(),
        "status": result.status.value,
        "exit_code": result.exit_code,
        "changed": env_changed(plan, steps),
        "facts": facts.to_dict(),
        "answers": answers.to_dict(),
        "decision": plan.decision.to_dict(),
        "env": {
            "path": plan.env_path,
            "python": plan.env_python,
            "activate": plan.activate,
            "outcome": result.env.value,
            "install_more": plan.install_more,
        },
        "installer": plan.installer.to_dict(),
        "installed": installed(result.verify, plan),
        "lock": plan.lock_path,
        "stack": plan.stack.to_dict() if plan.stack else None,
        "jupyter": result.kernel,
        "steps": steps,
        "verify": v,
        "benchmark": result.benchmark,
        "benchmark_error": result.benchmark_error,
        "run_dir": result.run_dir,
        "carry": carry_commands(plan.env_path) if result.env.value == "ready" else None,
    }


def carry_commands(env: str) -> dict[str, str]:
    """How to take a ready environment elsewhere: its lock exported for other tools, or a
    bundle of its files for a machine without internet (docs/export.md, docs/bundle.md)."""
    where = shlex.quote(env)
    return {
        "requirements": f"envwizard export {where} --format requirements -o requirements.txt",
        "pylock": f"envwizard export {where} --format pylock -o pylock.toml",
        "dockerfile": f"envwizard export {where} --format dockerfile -o envwizard-docker",
        "bundle": "envwizard bundle --answers ANSWERS.yaml --facts TARGET-FACTS.json BUNDLE",
    }


DEFAULT_SOURCE = "the installer's configured index and wheel folders"
"""`installed.index` when the install named no index (kept in English: it is data); front ends
say it in a sentence of its own."""


def installed(verify: dict[str, Any] | None, plan: Plan) -> dict[str, Any] | None:
    """What went in: torch's version, build and source from the lock (the installer's own
    answer, so a wheel folder or a flat links page is named as it is), with whether
    verification found that very version. Without a lock (a plan run unresolved), what
    verification found, and the install step's own index."""
    lock = plan.lock
    torch = (lock.get("torch") or lock.get("pytorch")) if lock is not None else None
    if lock is not None and torch is not None:
        found = str(verify.get("torch_version")) if verify and verify.get("torch_version") else None
        return {
            "torch": torch.version,
            "build": lock.variant or torch.local or torch.build or "default",
            "index": source_words(torch.source),
            "source": torch.source,
            "file": torch.filename,
            "installer": lock.installer.value,
            "lock": plan.lock_path,
            "verified": None if found is None else found == torch.version,
        }
    if not verify or not verify.get("torch_version"):
        return None
    version = str(verify["torch_version"])
    label = version.partition("+")[2]
    if not label:
        cuda, hip = verify.get("cuda_version"), verify.get("hip_version")
        label = f"cu{str(cuda).replace('.', '')}" if cuda else f"rocm{hip}" if hip else "cpu"
    spec = next((s.spec for s in plan.steps if s.id == "install-torch"), None)
    index = spec.sources.index_url if isinstance(spec, Install) else None
    return {
        "torch": version,
        "build": label,
        "index": redact_text(index) if index else DEFAULT_SOURCE,
        "installer": plan.installer.installer.value,
    }


DEFAULT_INDEX_SOURCE = N_("the installer's default index")
"""`installed.index` for a file pip took from its built-in default index (data, in English)."""
UNNAMED_SOURCE = N_("a source the installer did not name")
"""`installed.index` when the installer did not say where a file came from (data, in English)."""


def source_words(source: str | None) -> str:
    """A lock's source as the report's `installed.index` says it."""
    if source == DEFAULT_INDEX:
        return DEFAULT_INDEX_SOURCE
    return source or UNNAMED_SOURCE


def index_words(index: str) -> str:
    """`installed.index` as a person reads it, in their language."""
    return {DEFAULT_INDEX_SOURCE: _(DEFAULT_INDEX_SOURCE), UNNAMED_SOURCE: _(UNNAMED_SOURCE)}.get(
        index, index
    )


def _installed_lines(r: dict[str, Any]) -> list[str]:
    out = []
    i = r.get("installed")
    if i:
        template = (
            _(
                "- installed: torch {torch} ({build} build) by {installer}, from the installer's "
                "configured index and wheel folders"
            )
            if i["index"] == DEFAULT_SOURCE
            else _("- installed: torch {torch} ({build} build) by {installer}, from {index}")
        )
        out.append(
            template.format(
                torch=i["torch"],
                build=i["build"],
                installer=i["installer"],
                index=index_words(i["index"]),
            )
        )
    if r.get("installer"):
        out.append(_("- installer: {reason}").format(reason=r["installer"]["reason"]))
    return out


def env_changed(plan: Plan, steps: list[dict[str, Any]]) -> bool:
    """Whether a step that writes the environment ran: a rerun that only verifies is no change
    (what Ansible's `changed` and other idempotent callers report)."""
    read_only = {s.id for s in plan.steps if s.kind.read_only}
    return any(s["status"] in ("ok", "failed") and s["id"] not in read_only for s in steps)


def write_report(report: dict[str, Any], path: str | Path) -> tuple[Path, Path]:
    """Write PATH (JSON) and its Markdown twin beside it (same name, .md); credentials masked.

    Both whole or neither: each is written beside its place and renamed into it, so a full
    disk leaves no empty or cut report (OSError, with nothing new left behind).
    """
    report = redact(report)
    p = Path(path)
    md = p.with_suffix(".md") if p.suffix != ".md" else p.with_name(p.name + ".md")
    p.parent.mkdir(parents=True, exist_ok=True)
    write_whole({p: json.dumps(report, indent=2) + "\n", md: markdown(report)})
    return p, md


REPORT_HEADINGS = {
    "done": N_("# envwizard report: done"),
    "failed": N_("# envwizard report: failed"),
    "cancelled": N_("# envwizard report: cancelled"),
}
ENV_OUTCOMES = {
    "ready": N_("- environment: `{path}`, ready; activate it with `{command}`"),
    "unfinished": N_("- environment: `{path}`, unfinished (kept to resume); activate: `{command}`"),
    "removed": N_("- environment: `{path}`, removed (rolled back)"),
}


def write_whole(files: dict[Path, str]) -> None:
    """Write every file completely or leave every one as it was (OSError when a write fails)."""
    temps: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temps[path] = tmp
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            with contextlib.suppress(OSError):
                tmp.unlink()


def markdown(r: dict[str, Any]) -> str:
    d = r["decision"]
    outcome = r["env"].get("outcome", "ready")
    out = [
        _(REPORT_HEADINGS.get(r["status"], "# envwizard report: " + str(r["status"]))),
        "",
        _(ENV_OUTCOMES.get(outcome, ENV_OUTCOMES["ready"])).format(
            path=r["env"]["path"], command=r["env"]["activate"]
        ),
        (
            _("- torch {torch}, build **{variant}**, from {source}")
            if d.get("index_url")
            else _("- torch {torch}, build **{variant}**, from the installer's default index")
        ).format(torch=d["torch"], variant=d["variant"], source=d.get("index_url")),
        *_installed_lines(r),
        _("- exit code {code}").format(code=r["exit_code"]),
        "",
        _("## Why this build"),
        "",
        *[f"- {reason}" for reason in d["reasons"]],
        "",
        *(
            [
                _("## Settings this machine needs"),
                "",
                *[f"- `{h['setting']}={h['value']}`: {h['why']}" for h in d["hints"]],
                "",
            ]
            if d.get("hints")
            else []
        ),
        _("## Steps"),
        "",
        _("| step | status | seconds | log |"),
        "|---|---|---:|---|",
        *[
            f"| {s['id']} | {_status(s)} | {s['seconds']} | {s.get('log') or ''} |"
            for s in r["steps"]
        ],
        "",
    ]
    v = r.get("verify")
    if v:
        out += [
            _("## Verification"),
            "",
            _("- passed") if v.get("ok") else _("- failed"),
            (
                _("- torch {version}, CUDA available")
                if v.get("cuda_available")
                else _("- torch {version}, CUDA not available")
            ).format(version=v.get("torch_version")),
            _("- devices: {devices}").format(
                devices=", ".join(v.get("device_names") or []) or _("CPU only")
            ),
            _("- arch list: {archs}").format(archs=" ".join(v.get("arch_list") or []) or "-"),
            *[_("- problem: {problem}").format(problem=p) for p in v.get("problems") or []],
            *[_("- hint: {hint}").format(hint=h) for h in v.get("hints") or []],
            "",
        ]
    if r.get("stack"):
        held, left = held_and_left_out(r["stack"], (v or {}).get("packages"))
        out += [
            _("## Beside torch ({stack})").format(stack=r["stack"].get("name")),
            "",
            *[f"- {line}" for line in held],
            *[_("- left out: {line}").format(line=line) for line in left],
            "",
        ]
    b = r.get("benchmark")
    if b:
        mfu = b.get("mfu")
        out += [
            _("## Benchmark"),
            "",
            _("- {name} ({device}), {dtype}, preset {preset}, world size {world}").format(
                name=b.get("device_name"),
                device=b.get("device"),
                dtype=b.get("dtype"),
                preset=b.get("preset"),
                world=b.get("world_size"),
            ),
            _("- {rate:.0f} samples/s, {tflops} TFLOP/s, MFU {mfu}").format(
                rate=b.get("samples_per_s"),
                tflops=b.get("tflops"),
                mfu=f"{mfu:.1%}" if isinstance(mfu, (int, float)) else _("n/a (no known peak)"),
            ),
            _("- loss {first} → {last}, accuracy {accuracy}").format(
                first=b.get("loss_first"), last=b.get("loss_last"), accuracy=b.get("accuracy")
            ),
            *[_("- ⚠ disturbed: {line}").format(line=line) for line in disturbance_lines(b)],
            "",
        ]
    elif r.get("benchmark_error"):
        out += [
            _("## Benchmark"),
            "",
            _("- failed: {error}").format(error=r["benchmark_error"]),
            "",
        ]
    carry = r.get("carry")
    if carry:
        out += [
            _("## Take it elsewhere"),
            "",
            _(
                "- the same set for pip, uv or a container: `{requirements}`, `{pylock}`, `{docker}`"
            ).format(
                requirements=carry["requirements"],
                pylock=carry["pylock"],
                docker=carry["dockerfile"],
            ),
            _("- for a machine without internet: `{bundle}`").format(bundle=carry["bundle"]),
            "",
        ]
    return "\n".join(out)


STEP_WORDS = {
    "ok": N_("ok"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    "skipped": N_("skipped"),
    "not-run": N_("not run"),
    "pending": N_("pending"),
    "running": N_("running"),
}
"""A step's status as the Markdown table says it (the JSON keeps the contract's values)."""


def _status(step: dict[str, Any]) -> str:
    word = STEP_WORDS.get(str(step["status"]))
    shown = _(word) if word else str(step["status"])
    reason = step.get("reason")
    return _("{status} ({reason})").format(status=shown, reason=_(reason)) if reason else shown


def disturbance_lines(summary: dict[str, Any]) -> list[str]:
    """The worker's signs of a disturbed measurement, in words, then what to do about it
    (none when the run was quiet)."""
    lines = []
    for sign in summary.get("disturbance") or []:
        code = sign.get("code")
        if code == "busy-cpu":
            lines.append(
                _(
                    "Other processes kept {others} of the {cores} CPU cores busy while it measured."
                ).format(others=_fmt(sign.get("others_cores"), ".1f"), cores=sign.get("cores"))
            )
        elif code == "slowdown":
            lines.append(
                _(
                    "The pace fell to {share} of the warm-up's ({now} against {warm} samples/s)."
                ).format(
                    share=_pct(sign.get("ratio")),
                    now=_fmt(sign.get("samples_per_s"), ",.0f"),
                    warm=_fmt(sign.get("warmup_samples_per_s"), ",.0f"),
                )
            )
        elif code == "near-chance":
            lines.append(
                _(
                    "Held-out accuracy stayed near chance ({accuracy}, chance {chance}): the model "
                    "barely trained."
                ).format(accuracy=_pct(sign.get("accuracy")), chance=_pct(sign.get("chance")))
            )
    if lines:
        lines.append(
            _("These figures understate the device: measure again when the machine is quiet.")
        )
    return lines


def _fmt(value: Any, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) else "n/a"


def _pct(value: Any) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, (int, float)) else "n/a"
