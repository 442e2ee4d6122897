"""Many run reports as one fleet table: which host got which build and why, and how it ran.

`envwizard report FILE...` reads the JSON reports that `--report` writes (the Ansible playbook
collects one per host) and lines them up, so a lab admin sees in one place which hosts got a
different torch build than the rest, and the reason the planner gave for it. Reading is
forgiving of old or partial reports (a key that is missing shows as "-"), strict about files
that are not reports at all: those are named on stderr, one line each, and the exit code is 2.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from envwizard.core.errors import EXIT_OK, EXIT_STEP_FAILED, InvalidInput
from envwizard.core.i18n import N_, _
from envwizard.core.redact import neutralise_all


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@dataclass
class HostRow:
    """One host of the fleet, flattened from its run report."""

    host: str
    file: str
    status: str
    """done, failed or cancelled: the run's own status; healthy or problems for a doctor
    report (`envwizard doctor --json`)."""
    exit_code: int | None
    changed: bool | None
    gpus: list[str]
    driver: str | None
    variant: str | None
    torch: str | None
    """The release line the planner chose (a pin or `X.Y.*`)."""
    torch_version: str | None
    """What verification found installed, e.g. `2.13.0+cpu`."""
    why: str | None
    reasons: list[str]
    verify_ok: bool | None
    device_name: str | None
    world_size: int | None
    samples_per_s: float | None
    tflops: float | None
    mfu: float | None
    failed_step: str | None
    failure: str | None
    env: str | None
    installed_build: str | None = None
    """The build verification found (`installed.build`: `cpu`, `cu130`, …)."""
    label: str = ""
    """The host as the table shows it: the hostname, with the file name when two hosts share one."""
    different_build: bool = False
    why_different: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The run finished and verified, or doctor found the environment healthy."""
        return (
            self.status in ("done", HEALTHY)
            and self.verify_ok is not False
            and not self.wrong_build
        )

    @property
    def build(self) -> str | None:
        if not self.variant:
            return None
        version = self.torch_version or self.torch or "?"
        # `2.13.0+cpu` names its build already; `2.14.*` or a default wheel does not.
        return version if version.endswith("+" + self.variant) else f"{version} {self.variant}"

    @property
    def wrong_build(self) -> bool:
        """Verification found another build than the one planned (a CUDA torch where `cpu` was
        chosen): a report that says "ok" for it must not read as a good host. Builds named
        otherwise (Jetson's `nv24.08`, macOS's default wheel) are not compared."""
        planned, found = self.variant or "", self.installed_build or ""
        return bool(_BUILD.fullmatch(planned) and _BUILD.fullmatch(found) and planned != found)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "wrong_build": self.wrong_build}


_BUILD = re.compile(r"cpu|cu\d{3}|rocm\d+(\.\d+)*|xpu")


class ReportError(InvalidInput):
    """A file that is not a readable envwizard run report."""


REPORT_MAX_BYTES = 64 * 2**20
"""A run report is tens of KiB; reading more than this is reading the wrong file (/dev/zero)."""


def load_report(path: str) -> dict[str, Any]:
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(REPORT_MAX_BYTES + 1)  # bounded: /dev/zero never ends
    except FileNotFoundError:
        raise ReportError(_("{path}: no such report file").format(path=path)) from None
    except IsADirectoryError:
        raise ReportError(
            _("{path}: is a directory, not a report file").format(path=path)
        ) from None
    except OSError as e:
        raise ReportError(
            _("{path}: cannot be read ({error})").format(path=path, error=e.strerror or e)
        ) from None
    if len(raw) > REPORT_MAX_BYTES:
        raise ReportError(
            _("{path}: is larger than {limit} MiB; a run report is far smaller").format(
                path=path, limit=REPORT_MAX_BYTES // 2**20
            )
        )
    if not raw.strip():
        # a host whose disk filled while it wrote its report, or a fetch that failed
        raise ReportError(_("{path}: is empty, not a report").format(path=path))
    try:
        # Windows tools re-save JSON with a byte-order mark, PowerShell 5 as UTF-16
        utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        text = raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError(
            _("{path}: is a binary file, not a JSON report").format(path=path)
        ) from None
    try:
        # A host name or a GPU name in a report must not drive the terminal it is shown on.
        data = neutralise_all(json.loads(text))
    except (ValueError, RecursionError) as e:
        raise ReportError(_("{path}: is not JSON ({error})").format(path=path, error=e)) from None
    if _is_doctor(data):
        return dict(data)
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        raise ReportError(
            _(
                "{path}: is not an envwizard run report (it has no status; reports come from "
                "`envwizard --answers FILE --report PATH`)"
            ).format(path=path)
        )
    for key in ("facts", "decision", "verify", "benchmark"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ReportError(
                _("{path}: is not an envwizard run report ({key} is not an object)").format(
                    path=path, key=key
                )
            )
    if data.get("steps") is not None and not isinstance(data["steps"], list):
        raise ReportError(
            _("{path}: is not an envwizard run report (steps is not a list)").format(path=path)
        )
    return data


def _is_doctor(data: Any) -> bool:
    """`envwizard doctor --json` output: an environment's findings, not a run."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("healthy"), bool)
        and isinstance(data.get("findings"), list)
        and isinstance(data.get("env"), str)
    )


HEALTHY = "healthy"
"""A doctor report's status when it found no problem (a run's good status is `done`)."""


def _doctor_row(data: dict[str, Any], path: str) -> HostRow:
    """One environment doctor looked at, as a fleet row: its torch as installed, the first
    problem as the failure."""
    facts: dict[str, Any] = data["facts"] if isinstance(data.get("facts"), dict) else {}
    torch: dict[str, Any] = data["torch"] if isinstance(data.get("torch"), dict) else {}
    problems = [
        f
        for f in data["findings"]
        if isinstance(f, dict) and f.get("severity") in ("error", "warning")
    ]
    first: dict[str, Any] = problems[0] if problems else {}
    return HostRow(
        host=str(data.get("host") or Path(path).stem),
        file=path,
        status=HEALTHY if data["healthy"] else "problems",
        exit_code=0 if data["healthy"] else 1,
        changed=False,
        gpus=_gpus(facts.get("gpus")),
        driver=_str(facts.get("nvidia_driver")),
        variant=_str(torch.get("variant")),
        torch=None,
        torch_version=_str(torch.get("version")),
        why=None,
        reasons=[],
        verify_ok=None,
        device_name=None,
        world_size=None,
        samples_per_s=None,
        tflops=None,
        mfu=None,
        failed_step=None,
        failure=f"{first.get('code')}: {first.get('message')}" if first else None,
        env=data["env"],
    )


def row_from_report(data: dict[str, Any], path: str) -> HostRow:
    if _is_doctor(data):
        return _doctor_row(data, path)
    facts = data.get("facts") or {}
    decision = data.get("decision") or {}
    verify = data.get("verify") or {}
    bench = data.get("benchmark") or {}
    steps = [s for s in data.get("steps") or [] if isinstance(s, dict)]
    failed = next((str(s.get("id")) for s in steps if s.get("status") == "failed"), None)
    return HostRow(
        host=str(data.get("host") or Path(path).stem),
        file=path,
        status=data["status"],
        exit_code=_int(data.get("exit_code")),
        changed=data.get("changed") if isinstance(data.get("changed"), bool) else None,
        gpus=_gpus(facts.get("gpus")),
        driver=_str(facts.get("nvidia_driver")),
        variant=_str(decision.get("variant")),
        torch=_str(decision.get("torch")),
        torch_version=_str(verify.get("torch_version")),
        why=_why(decision),
        reasons=[str(r) for r in decision.get("reasons") or []],
        verify_ok=verify.get("ok") if isinstance(verify.get("ok"), bool) else None,
        device_name=_str(bench.get("device_name")),
        world_size=_int(bench.get("world_size")),
        samples_per_s=_num(bench.get("samples_per_s")),
        tflops=_num(bench.get("tflops")),
        mfu=_num(bench.get("mfu")),
        failed_step=failed,
        failure=_failure(data, failed, verify),
        installed_build=_str((data.get("installed") or {}).get("build"))
        if isinstance(data.get("installed"), dict)
        else None,
        env=_str((data.get("env") or {}).get("path"))
        if isinstance(data.get("env"), dict)
        else None,
    )


def fleet_rows(paths: list[str]) -> tuple[list[HostRow], list[ReportError]]:
    """Rows for the readable reports, and one error per file that is not one."""
    rows: list[HostRow] = []
    errors: list[ReportError] = []
    for path in paths:
        try:
            rows.append(row_from_report(load_report(path), path))
        except ReportError as e:
            errors.append(e)
    _disambiguate(rows)
    mark_different_builds(rows)
    return rows, errors


def build_key(r: HostRow) -> str | None:
    """What the planner chose for a host: the torch release line and the variant."""
    return f"torch {r.torch or '?'} {r.variant}" if r.variant else None


def common_build(rows: list[HostRow]) -> str | None:
    """The build most hosts got, when the fleet is mixed (None when every host got one build)."""
    builds = Counter(k for k in map(build_key, rows) if k)
    return builds.most_common(1)[0][0] if len(builds) > 1 else None


def mark_different_builds(rows: list[HostRow]) -> None:
    """Mark the hosts whose build is not the fleet's most common one, with the planner's reason."""
    common = common_build(rows)
    if common is None:
        return
    common_variant = common.rsplit(" ", 1)[1]
    for r in rows:
        if build_key(r) not in (None, common):
            r.different_build = True
            # The planner's own "not cu130: …" line when it weighed the common build; else its
            # account of the machine and the choice (the lines that are not about other builds).
            against = [x for x in r.reasons if x.startswith(f"not {common_variant}:")]
            r.why_different = against or [x for x in r.reasons if not x.startswith("not ")]


def _disambiguate(rows: list[HostRow]) -> None:
    # Two reports from hosts with one hostname (containers, cloned VMs, the playbook's local test
    # hosts) keep apart by their file names, which the playbook makes the inventory names.
    counts = Counter(r.host for r in rows)
    for r in rows:
        stem = Path(r.file).stem
        r.label = f"{stem} ({r.host})" if counts[r.host] > 1 and stem != r.host else r.host


def _why(decision: dict[str, Any]) -> str | None:
    """The reason that names the chosen build ("torch 2.14 cu126 (sm_50–sm_90): kernels for …")."""
    reasons = [str(r) for r in decision.get("reasons") or []]
    variant = decision.get("variant")
    chosen = [r for r in reasons if r.startswith("torch ") and f" {variant}".lower() in r.lower()]
    if chosen:
        return chosen[-1]
    return reasons[0] if reasons else None


def _failure(data: dict[str, Any], failed: str | None, verify: dict[str, Any]) -> str | None:
    if data.get("error"):
        return str(data["error"])
    if data.get("reason"):  # refused before its steps (bad input, pre-flight, the resolve)
        return str(data["reason"])
    if failed:
        code = data.get("exit_code")
        return f"step {failed} failed" + (f" (exit code {code})" if code is not None else "")
    problems = verify.get("problems") or []
    if problems:
        return "verify: " + str(problems[0])
    if data.get("status") == "cancelled":
        return "cancelled"
    if data.get("benchmark_error"):
        return "benchmark: " + str(data["benchmark_error"])
    return None


def _gpus(gpus: Any) -> list[str]:
    names = Counter(
        str(g.get("name") or g.get("vendor") or "GPU") for g in gpus or [] if isinstance(g, dict)
    )
    return [f"{n}× {name}" if n > 1 else name for name, n in names.items()]


def _str(v: Any) -> str | None:
    return str(v) if v not in (None, "") else None


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


# ---- output ---------------------------------------------------------------------------------

COLUMNS = (
    "host",
    "GPUs",
    "driver",
    "build",
    "why",
    "verify",
    "samples/s",
    "TFLOP/s",
    "MFU",
    "result",
)
HEADERS = {
    "host": N_("host"),
    "GPUs": N_("GPUs"),
    "driver": N_("driver"),
    "build": N_("build"),
    "why": N_("why"),
    "verify": N_("verify"),
    "samples/s": N_("samples/s"),
    "TFLOP/s": "TFLOP/s",
    "MFU": "MFU",
    "result": N_("result"),
}
"""Each column's heading as the table and Markdown say it (the JSON keeps the keys)."""
STATUS_WORDS = {
    "done": N_("done"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    HEALTHY: N_("healthy"),
    "problems": N_("problems"),
}
"""A run's status as the table says it."""


def _status(status: str) -> str:
    word = STATUS_WORDS.get(status)
    return _(word) if word else status


def cells(r: HostRow) -> list[str]:
    """The table's text for one host (shared by the terminal table and Markdown)."""
    verify = "-" if r.verify_ok is None else _("ok") if r.verify_ok else _("FAILED")
    build = r.build or "-"
    if r.different_build:
        build += " *"
    if r.wrong_build:
        verify = _("wrong build")
    status = _status(r.status)
    result = status if not r.failure else f"{status}: {r.failure}"
    if r.wrong_build:
        result = _("{status} ({why})").format(status=result, why=_wrong_build(r))
    return [
        r.label or r.host,
        ", ".join(r.gpus) or _("none"),
        r.driver or "-",
        build,
        r.why or "-",
        verify,
        f"{r.samples_per_s:,.0f}" if r.samples_per_s is not None else "-",
        f"{r.tflops:.3g}" if r.tflops is not None else "-",
        f"{r.mfu:.1%}" if r.mfu is not None else "-",
        result,
    ]


def _wrong_build(r: HostRow) -> str:
    return _("installed {found}, not the planned {planned}").format(
        found=r.installed_build, planned=r.variant
    )


def different_notes(rows: list[HostRow]) -> list[str]:
    common = common_build(rows)
    if not common:
        return []
    out = ["* " + _("a different build than most hosts ({build}):").format(build=common)]
    for r in rows:
        if r.different_build:
            why = "; ".join(r.why_different) or _("no reason recorded")
            line = _("{host} got {build}: {why}").format(
                host=r.label or r.host, build=build_key(r), why=why
            )
            out.append("  " + line)
    return out


def markdown(rows: list[HostRow]) -> str:
    lines = [
        "| " + " | ".join(_(HEADERS[c]) for c in COLUMNS) + " |",
        "|"
        + "|".join("---:" if c in ("samples/s", "TFLOP/s", "MFU") else "---" for c in COLUMNS)
        + "|",
    ]
    for r in rows:
        lines.append("| " + " | ".join(_md_cell(c) for c in cells(r)) + " |")
    notes = different_notes(rows)
    if notes:
        lines += ["", notes[0].replace("* ", r"\* ", 1)]
        lines += [f"- {n.strip()}" for n in notes[1:]]
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def print_table(rows: list[HostRow]) -> None:
    from rich.table import Table

    from envwizard.report.render import SafeConsole

    # Reasons and failures are sentences: they go below the table, one line each, and columns
    # no host has a value for (no benchmark, no NVIDIA driver) are left out.
    n = len(rows)
    table = Table(title=_("envwizard fleet, hosts: {n}").format(n=n))
    grid = [cells(r) for r in rows]
    for r, row in zip(rows, grid):
        row[COLUMNS.index("result")] = _status(r.status)
    keep = [
        i
        for i, c in enumerate(COLUMNS)
        if c != "why" and (c in ("host", "build", "result") or any(row[i] != "-" for row in grid))
    ]
    for i in keep:
        right = COLUMNS[i] in ("samples/s", "TFLOP/s", "MFU")
        table.add_column(
            _(HEADERS[COLUMNS[i]]), justify="right" if right else "left", overflow="fold"
        )
    whys: dict[str, list[str]] = {}
    for r, row in zip(rows, grid):
        style = "red" if not r.ok else ("yellow" if r.different_build else None)
        table.add_row(*(row[i] for i in keep), style=style)
        if r.why:
            whys.setdefault(f"{r.variant}: {r.why}", []).append(r.label or r.host)
    console = SafeConsole()
    console.print(table)
    lines = [
        _("why {hosts}: {why}").format(hosts=", ".join(hosts), why=why)
        for why, hosts in whys.items()
    ]
    lines += [f"{r.label or r.host}: {r.failure}" for r in rows if r.failure]
    lines += [f"{r.label or r.host}: {_wrong_build(r)}" for r in rows if r.wrong_build]
    for line in lines + different_notes(rows):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def report_command(paths: list[str], fmt: Format) -> int:
    """Print the fleet; exit 0 when every host is done and verified with the planned build, 1
    when one is not, 2 when a file is not a report (the readable ones are still printed)."""
    rows, errors = fleet_rows(paths)
    if rows:
        if fmt is Format.JSON:
            print(json.dumps([r.to_dict() for r in rows], indent=2))
        elif fmt is Format.MARKDOWN:
            print(markdown(rows), end="")
        else:
            print_table(rows)
    for e in errors:
        print(f"envwizard: error: {e}", file=sys.stderr)
    if errors:
        return errors[0].exit_code
    if not all(r.ok for r in rows):
        return EXIT_STEP_FAILED
    return EXIT_OK
