"""The run report: facts, answers, decision, step results, verification and benchmark.

JSON for scripts (docs/report.md) and a Markdown twin for people and tickets.
"""

from __future__ import annotations

import json
import shlex
import socket
from pathlib import Path
from typing import Any

from envwizard import __version__
from envwizard.core.i18n import _
from envwizard.core.redact import redact
from envwizard.facts.model import Facts
from envwizard.plan.build import Plan
from envwizard.run.outcome import RunResult
from envwizard.settings.answers import Answers

VERIFY_KEYS = ("ok", "torch_version", "cuda_available", "device_names", "arch_list")
READ_ONLY_KINDS = ("verify", "bench")


def build_report(facts: Facts, answers: Answers, plan: Plan, result: RunResult) -> dict[str, Any]:
    """The one report of a run; the headless run and the wizard both write this."""
    v = None
    if result.verify is not None:
        v = {k: result.verify.get(k) for k in VERIFY_KEYS}
        v.update({k: val for k, val in result.verify.items() if k not in v})
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


def installed(verify: dict[str, Any] | None, plan: Plan) -> dict[str, Any] | None:
    """What verification found in the environment, not what the decision expected to arrive."""
    if not verify or not verify.get("torch_version"):
        return None
    version = str(verify["torch_version"])
    label = version.partition("+")[2]
    if not label:
        cuda, hip = verify.get("cuda_version"), verify.get("hip_version")
        label = f"cu{str(cuda).replace('.', '')}" if cuda else f"rocm{hip}" if hip else "cpu"
    torch = next((s for s in plan.steps if s.id == "install-torch"), None)
    argv = torch.argv if torch else []
    index = argv[argv.index("--index-url") + 1] if "--index-url" in argv else None
    return {
        "torch": version,
        "build": label,
        "index": index or "the installer's configured index and wheel folders",
        "installer": plan.installer.installer.value,
    }


def _installed_lines(r: dict[str, Any]) -> list[str]:
    out = []
    i = r.get("installed")
    if i:
        out.append(
            _("- installed: torch {torch} ({build} build) by {installer}, from {index}").format(
                torch=i["torch"], build=i["build"], installer=i["installer"], index=i["index"]
            )
        )
    if r.get("installer"):
        out.append(_("- installer: {reason}").format(reason=r["installer"]["reason"]))
    return out


def env_changed(plan: Plan, steps: list[dict[str, Any]]) -> bool:
    """Whether a step that writes the environment ran: a rerun that only verifies is no change
    (what Ansible's `changed` and other idempotent callers report)."""
    kinds = {s.id: s.kind for s in plan.steps}
    return any(
        s["status"] in ("ok", "failed") and kinds.get(s["id"]) not in READ_ONLY_KINDS for s in steps
    )


def write_report(report: dict[str, Any], path: str | Path) -> tuple[Path, Path]:
    """Write PATH (JSON) and its Markdown twin beside it (same name, .md); credentials masked."""
    report = redact(report)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md = p.with_suffix(".md") if p.suffix != ".md" else p.with_name(p.name + ".md")
    md.write_text(markdown(report), encoding="utf-8")
    return p, md


def markdown(r: dict[str, Any]) -> str:
    d = r["decision"]
    out = [
        _("# envwizard report: {status}").format(status=r["status"]),
        "",
        _("- environment: `{path}` (activate: `{command}`), {outcome}").format(
            path=r["env"]["path"],
            command=r["env"]["activate"],
            outcome=r["env"].get("outcome", "ready"),
        ),
        _("- torch {torch}, build **{variant}**, from {source}").format(
            torch=d["torch"],
            variant=d["variant"],
            source=d.get("index_url") or _("the default index"),
        ),
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
            _("- ok: {ok}").format(ok=v.get("ok")),
            _("- torch {version}, CUDA available: {cuda}").format(
                version=v.get("torch_version"), cuda=v.get("cuda_available")
            ),
            _("- devices: {devices}").format(
                devices=", ".join(v.get("device_names") or []) or _("CPU only")
            ),
            _("- arch list: {archs}").format(archs=" ".join(v.get("arch_list") or []) or "-"),
            *[_("- problem: {problem}").format(problem=p) for p in v.get("problems") or []],
            *[_("- hint: {hint}").format(hint=h) for h in v.get("hints") or []],
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


def _status(step: dict[str, Any]) -> str:
    reason = step.get("reason")
    return f"{step['status']} ({_(reason)})" if reason else str(step["status"])
