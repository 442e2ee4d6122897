"""`envwizard report FILE...`: many run reports as one fleet table, run as a user runs it.

The reports are built from real plans: the facts files in tests/data/facts planned with one
answers file, so the decisions and reasons are the planner's own, as on a mixed rack.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from envwizard.app.commands import load_facts
from envwizard.plan.build import make_plan
from envwizard.settings.answers import Answers

from .builders import cli

DATA = Path(__file__).parent / "data"
RACK = {
    "ws-1": DATA / "facts_workstation.json",
    "ws-2": DATA / "facts" / "gtx1080-r580.json",
    "ws-3": DATA / "facts" / "mixed-1080-4090-r580.json",
    "old-k80": DATA / "facts" / "k80-r470.json",
}


def envwizard(*args: str) -> subprocess.CompletedProcess[str]:
    """`envwizard ARGS` through the entry point in this process (tests/builders.cli)."""
    return cli(*args)


def bench_summary() -> dict[str, Any]:
    lines = (DATA / "bench_cpu.jsonl").read_text().splitlines()
    return json.loads(lines[-1])


def run_report(host: str | None, facts_file: Path, *, status: str = "done") -> dict[str, Any]:
    """A report as `--report` writes it, for the plan these facts and answers give."""
    facts = load_facts(str(facts_file))
    plan = make_plan(facts, Answers(manager="venv", env="/srv/envs/dl"))
    failed = status == "failed"
    installed = f"{plan.decision.torch.rstrip('.*')}.0+{plan.decision.variant}"
    report: dict[str, Any] = {
        "status": status,
        "exit_code": 1 if failed else 0,
        "changed": True,
        "facts": facts.to_dict(),
        "decision": plan.decision.to_dict(),
        "env": {"path": plan.env_path},
        "steps": [
            {"id": s.id, "status": "failed" if failed and s.kind == "install" else "ok"}
            for s in plan.steps
        ],
        "verify": None if failed else {"ok": True, "torch_version": installed},
        "benchmark": None,
    }
    if host:
        report["host"] = host
    return report


def write(tmp_path: Path, name: str, data: object) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(p)


@pytest.fixture
def rack(tmp_path: Path) -> list[str]:
    return [write(tmp_path, f"{h}.json", run_report(h, f)) for h, f in RACK.items()]


def test_json_lists_one_object_per_host_and_marks_the_host_with_another_build(
    rack: list[str],
) -> None:
    r = envwizard("report", *rack, "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["host"]: row for row in json.loads(r.stdout)}
    assert list(rows) == list(RACK)
    for row in rows.values():
        assert {"host", "status", "verify_ok", "variant", "torch"} <= set(row)
        assert row["status"] == "done" and row["verify_ok"] is True
    assert {h: rows[h]["variant"] for h in rows} == {
        "ws-1": "cu126", "ws-2": "cu126", "ws-3": "cu126", "old-k80": "cu118",
    }  # fmt: skip
    assert [h for h in rows if rows[h]["different_build"]] == ["old-k80"]
    # Why: the planner's account of the old node (Python 3.8, an old driver, sm_37 kernels).
    why = " ".join(rows["old-k80"]["why_different"])
    assert "Tesla K80 (sm_37)" in why and "Python 3.8" in why
    assert (
        rows["ws-2"]["gpus"] == ["NVIDIA GeForce GTX 1080"]
        and rows["ws-2"]["driver"] == "580.95.05"
    )
    assert "kernels for GeForce GTX 1080 (sm_61)" in rows["ws-2"]["why"]


def test_table_and_markdown_show_every_host_and_the_odd_build_out(rack: list[str]) -> None:
    table = envwizard("report", *rack)
    assert table.returncode == 0, table.stderr
    for host in RACK:
        assert host in table.stdout
    assert "a different build than most hosts (torch 2.14.* cu126)" in table.stdout
    assert "old-k80 got torch 2.3.* cu118: " in table.stdout

    md = envwizard("report", *rack, "--markdown")
    assert md.returncode == 0, md.stderr
    lines = md.stdout.splitlines()
    assert lines[0].startswith("| host | GPUs | driver | build | why | verify |")
    body = [x for x in lines[2:] if x.startswith("| ")]
    assert [x.split(" | ")[0][2:] for x in body] == list(RACK)
    assert "| 2.3.0+cu118 * |" in md.stdout and "| 2.14.0+cu126 |" in md.stdout
    assert any(x.startswith("- old-k80 got torch 2.3.* cu118: ") for x in lines)


def test_benchmark_figures_failures_and_the_file_name_as_host(tmp_path: Path) -> None:
    fast = run_report("fast", DATA / "facts_cpu_box.json")
    fast["benchmark"] = bench_summary()
    broken = run_report(None, DATA / "facts_cpu_box.json", status="failed")
    files = [write(tmp_path, "fast.json", fast), write(tmp_path, "rack7-node3.json", broken)]

    r = envwizard("report", *files, "--json")
    assert r.returncode == 1  # a host failed
    rows = json.loads(r.stdout)
    b = bench_summary()
    assert (rows[0]["samples_per_s"], rows[0]["tflops"], rows[0]["mfu"]) == (
        b["samples_per_s"], b["tflops"], b["mfu"],
    )  # fmt: skip
    assert rows[1]["host"] == "rack7-node3"  # no host in the report: its file name
    assert rows[1]["failed_step"] == "install-torch"
    assert rows[1]["failure"] == "step install-torch failed (exit code 1)"

    table = envwizard("report", *files)
    assert "210,917" in table.stdout and "26.0%" in table.stdout
    assert "rack7-node3: step install-torch failed (exit code 1)" in table.stdout


def test_files_that_are_not_reports_get_one_line_each_and_exit_2(
    tmp_path: Path, rack: list[str]
) -> None:
    bad = [
        str(tmp_path / "missing.json"),
        write(tmp_path, "truncated.json", '{"status": "done", "facts": {'),
        write(tmp_path, "list.json", [1, 2]),
        write(tmp_path, "facts.json", {"schema": 1, "os": {}}),
        write(tmp_path, "odd.json", {"status": "done", "decision": "cu126"}),
        str(tmp_path),
    ]
    r = envwizard("report", rack[0], *bad)
    assert r.returncode == 2
    errors = r.stderr.splitlines()
    assert len(errors) == len(bad), r.stderr
    assert all(e.startswith("envwizard: error: ") for e in errors)
    assert "Traceback" not in r.stderr
    for path, line in zip(bad, errors):
        assert path in line
    assert "no such report file" in errors[0] and "is not JSON" in errors[1]
    assert "is not an envwizard run report" in errors[3]
    assert "ws-1" in r.stdout  # the readable report is still shown


def test_a_report_command_needs_files() -> None:
    r = envwizard("report")
    assert r.returncode == 2 and "FILE" in r.stderr


def test_reports_as_hosts_hand_them_in_are_read_and_wrong_files_refused_in_a_bounded_read(
    tmp_path: Path, rack: list[str]
) -> None:
    # A report re-saved on Windows (UTF-8 with a byte-order mark, or PowerShell's UTF-16) is
    # still the host's report; an empty file (the host's disk filled while it wrote) and a
    # binary one get a sentence that says so; /dev/zero is refused without reading it all.
    data = json.loads(Path(rack[1]).read_text())
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({**data, "host": "bom-host"}).encode())
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(json.dumps({**data, "host": "utf16-host"}).encode("utf-16"))
    r = envwizard("report", "--json", str(bom), str(utf16))
    assert r.returncode == 0, r.stderr
    assert [h["host"] for h in json.loads(r.stdout)] == ["bom-host", "utf16-host"]
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.json"
    binary.write_bytes(bytes(range(128, 256)))
    r = envwizard("report", str(empty), str(binary), "/dev/zero")
    assert r.returncode == 2
    errors = r.stderr.splitlines()
    assert "empty.json: is empty, not a report" in errors[0]
    assert "binary.json: is a binary file, not a JSON report" in errors[1]
    assert "/dev/zero: is larger than 64 MiB" in errors[2]


def test_a_host_that_got_another_build_than_planned_is_not_a_good_host(
    tmp_path: Path, rack: list[str]
) -> None:
    # A CPU plan whose install brought the default CUDA wheel (torch 2.13.0+cu130, 16 nvidia-*
    # packages; verify said ok): the fleet must not list it as a good host.
    wrong = run_report("cpu-box", DATA / "facts_cpu_box.json")
    assert wrong["decision"]["variant"] == "cpu"
    wrong["verify"]["torch_version"] = "2.14.0+cu130"
    wrong["installed"] = {"torch": "2.14.0+cu130", "build": "cu130", "installer": "uv"}
    right = run_report("ws-1", RACK["ws-1"])
    right["installed"] = {"torch": "2.14.0+cu126", "build": "cu126", "installer": "uv"}
    files = [write(tmp_path, "cpu-box.json", wrong), write(tmp_path, "ws.json", right)]
    r = envwizard("report", "--json", *files)
    assert r.returncode == 1
    assert [(h["host"], h["wrong_build"]) for h in json.loads(r.stdout)] == [
        ("cpu-box", True),
        ("ws-1", False),
    ]
    r = envwizard("report", *files)
    assert r.returncode == 1 and "cpu-box: installed cu130, not the planned cpu" in r.stdout
    assert "wrong build" in envwizard("report", "--markdown", *files).stdout


def test_the_fleet_table_speaks_chinese_headings_and_statuses(rack: list[str]) -> None:
    # Issue 22 found English left inside Chinese output; the fleet table's headings, the
    # run's status and "none" were English under --lang zh-CN.
    r = envwizard("--lang", "zh-CN", "report", "--markdown", rack[0])
    lines = r.stdout.splitlines()
    assert (
        lines[0]
        == "| 主机 | GPU | 驱动 | 构建版本 | 原因 | 验证 | 样本/秒 | TFLOP/s | MFU | 结果 |"
    )
    assert lines[2].endswith("| 成功 | - | - | - | 完成 |")
    r = envwizard("--lang", "zh-CN", "report", rack[0])
    assert "主机" in r.stdout and "host" not in r.stdout
    assert envwizard("report", "--markdown", rack[0]).stdout.startswith("| host | GPUs |")
