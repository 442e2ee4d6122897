"""deploy/ansible/envwizard.yml run by the real ansible-playbook against two hosts on this machine.

The hosts are two inventory names with `ansible_connection=local`, each with its own envwizard
venv and its own `envwizard_env`; torch comes from pip's configured wheel folder, so the
environments are real and the run needs no GPU. envwizard is installed on the hosts from a
wheel of this repository, built once per session into a wheelhouse with everything it needs:
the hosts install it offline (`envwizard_pip_args`), as an air-gapped fleet would, instead of
building and resolving it again in every run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import local_torch_version, pip_find_links

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "deploy" / "ansible" / "envwizard.yml"
BIN = Path(sys.executable).parent
HOSTS = ("node-a", "node-b")
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)

pytestmark = pytest.mark.slow


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP as {host: {ok, changed, unreachable, failed}}."""
    tail = output[output.rindex("PLAY RECAP") :]
    return {
        m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
        for m in RECAP.finditer(tail)
    }


@pytest.fixture(scope="session")
def envwizard_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """envwizard's wheel, built from this repository, beside the wheels of all it depends on."""
    wheels = tmp_path_factory.mktemp("envwizard-wheels")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), str(REPO)],
        capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if r.returncode != 0:
        pytest.fail(f"building envwizard's wheelhouse failed:\n{r.stderr[-3000:]}")
    return wheels


class Fleet:
    """A temporary inventory of local hosts, an answers file, and the playbook's runs on them."""

    def __init__(self, root: Path, wheelhouse: Path) -> None:
        self.root = root
        self.wheelhouse = wheelhouse
        [self.wheel] = wheelhouse.glob("envwizard-*.whl")
        self.reports = root / "reports"
        self.answers = root / "answers.yml"
        self.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # uv for manager: uv
            "XDG_STATE_HOME": str(root / "state"),
            "ANSIBLE_HOME": str(root / "ansible"),
            "ANSIBLE_LOCAL_TEMP": str(root / "ansible" / "tmp"),
            "ANSIBLE_REMOTE_TMP": str(root / "ansible" / "remote"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
        }

    def env_of(self, host: str) -> Path:
        return self.root / "envs" / host

    def venv_of(self, host: str) -> Path:
        return self.root / "tools" / host

    def inventory(self, hosts: dict[str, dict[str, str]], name: str = "inventory.ini") -> Path:
        lines = ["[fleet]"]
        for host, hostvars in hosts.items():
            lines.append(" ".join([host, *(f"{k}={v}" for k, v in hostvars.items())]))
        lines += [
            "",
            "[fleet:vars]",
            "ansible_connection=local",
            f"ansible_python_interpreter={sys.executable}",
            f"envwizard_python={sys.executable}",
            f"envwizard_home={self.root / 'home'}",
            f"envwizard_source={self.wheel}",
        ]
        path = self.root / name
        path.write_text("\n".join(lines) + "\n")
        return path

    def playbook(self, inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [
                str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK),
                "-e", f"answers={self.answers}", "-e", f"reports={self.reports}",
                "-e", json.dumps({"envwizard_pip_args": ["--no-index", "--find-links", str(self.wheelhouse)]}),
                *extra,
            ],
            capture_output=True, text=True, env=self.env, timeout=1800,
            stdin=subprocess.DEVNULL, cwd=self.root,
        )  # fmt: skip
        return r

    def report(self, *args: str) -> subprocess.CompletedProcess[str]:
        files = sorted(str(p) for p in self.reports.glob("*.json"))
        return subprocess.run(
            [sys.executable, "-m", "envwizard", "report", *files, *args],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip


def answers_text(default_env: Path) -> str:
    """torch pinned to the wheel folder's build, CPU, no benchmark: the fastest real install."""
    version = local_torch_version()
    if not version:
        pytest.skip("no torch wheel for this Python in pip's find-links folders")
    folder = next(f for f in pip_find_links() if any(f.glob(f"torch-{version}*.whl")))
    return (
        f"manager: uv\nenv: {default_env}\npython: {sys.executable}\ncompute: cpu\n"
        f"torch: '=={version}'\ntorch_index: default\nfind_links: [{folder}]\n"
        "benchmark: {enabled: false}\n"
    )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Fleet:
    if not (BIN / "ansible-playbook").exists() and not shutil.which("ansible-playbook"):
        pytest.skip("ansible-core is not installed (it is in the test extras)")
    wheelhouse = request.getfixturevalue("envwizard_wheelhouse")  # built only when ansible runs
    f = Fleet(tmp_path_factory.mktemp("fleet"), wheelhouse)
    f.answers.write_text(answers_text(f.root / "envs" / "from-answers"))
    return f


@pytest.fixture(scope="module")
def two_hosts(fleet: Fleet) -> Path:
    return fleet.inventory(
        {
            h: {"envwizard_env": str(fleet.env_of(h)), "envwizard_venv": str(fleet.venv_of(h))}
            for h in HOSTS
        }
    )


def test_two_hosts_set_up_then_a_second_run_changes_nothing(fleet: Fleet, two_hosts: Path) -> None:
    first = fleet.playbook(two_hosts)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-6000:]
    counts = recap(out)
    assert set(counts) == set(HOSTS), out[-3000:]
    assert all(c["failed"] == 0 and c["changed"] > 0 for c in counts.values()), counts

    for host in HOSTS:
        report = json.loads((fleet.reports / f"{host}.json").read_text())
        assert report["status"] == "done" and report["changed"] is True
        assert report["verify"]["ok"] is True
        assert report["verify"]["torch_version"].startswith(report["decision"]["torch"])
        # envwizard_env replaced the answers' env: each host has its own environment.
        assert report["env"]["path"] == str(fleet.env_of(host))
        assert (fleet.env_of(host) / "bin" / "python").exists()
        assert json.loads((fleet.reports / "facts" / f"{host}.json").read_text())["schema"] == 1
    assert not (fleet.root / "envs" / "from-answers").exists()

    second = fleet.playbook(two_hosts)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out[-6000:]
    assert recap(out) == {h: {**recap(out)[h], "changed": 0, "failed": 0} for h in HOSTS}, out[
        -3000:
    ]
    for host in HOSTS:
        report = json.loads((fleet.reports / f"{host}.json").read_text())
        assert report["status"] == "done" and report["changed"] is False
        assert report["verify"]["ok"] is True
        assert {s["id"]: s["status"] for s in report["steps"]}["install-torch"] == "skipped"

    table = fleet.report()
    assert table.returncode == 0, table.stderr
    assert all(f"{h}" in table.stdout for h in HOSTS), table.stdout
    rows = json.loads(fleet.report("--json").stdout)
    assert len(rows) == 2
    assert {Path(r["file"]).stem for r in rows} == set(HOSTS)
    assert all(r["status"] == "done" and r["verify_ok"] is True for r in rows)
    assert all(r["variant"] == "cpu" and r["torch_version"].endswith("+cpu") for r in rows)
    print(f"\nfleet table:\n{table.stdout}")


def test_check_runs_envwizards_dry_run_on_every_host_and_changes_nothing(
    fleet: Fleet, two_hosts: Path
) -> None:
    fleet.reports.mkdir(parents=True, exist_ok=True)
    before = {p.name: p.read_text() for p in fleet.reports.glob("*.json")}
    r = fleet.playbook(two_hosts, "--check")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    assert all(c["failed"] == 0 for c in recap(out).values()), out[-3000:]
    for host in HOSTS:
        # The dry run prints every command; here the pinned torch install for this host's env.
        assert f"uv pip install --python {fleet.env_of(host)}/bin/python" in out, out[-6000:]
    assert {p.name: p.read_text() for p in fleet.reports.glob("*.json")} == before


def test_plan_only_writes_each_hosts_plan_and_applies_nothing(
    fleet: Fleet, two_hosts: Path
) -> None:
    r = fleet.playbook(
        two_hosts, "-e", "plan_only=true", "-e", f"envwizard_controller={BIN / 'envwizard'}"
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    assert all(c["failed"] == 0 for c in recap(out).values()), out[-3000:]
    for host in HOSTS:
        plan = json.loads((fleet.reports / "plans" / f"{host}.json").read_text())
        assert plan["decision"]["variant"] == "cpu"
        assert plan["env"]["path"] == str(fleet.env_of(host))
        assert [s["id"] for s in plan["steps"]][:2] == ["create-env", "install-torch"]
        assert (fleet.reports / "facts" / f"{host}.json").is_file()
    assert "Apply the answers" not in out


def test_a_failing_host_hands_in_its_report_and_the_others_go_on(fleet: Fleet) -> None:
    # node-bad is in a group whose own answers file installs offline from a wheel folder that
    # lacks what it asks for (torch's dependencies here, else the made-up package): its resolve
    # refuses before anything is made, and it still hands in a report that says why.
    broken = fleet.root / "broken.yml"
    broken.write_text(
        fleet.answers.read_text() + "offline: true\npackages: [no-such-package-xyz]\n"
    )
    inventory = fleet.inventory(
        {
            "node-a": {"envwizard_env": str(fleet.env_of("node-a")), "envwizard_venv": str(fleet.venv_of("node-a"))},
            "node-bad": {"envwizard_env": str(fleet.env_of("node-bad")), "envwizard_venv": str(fleet.venv_of("node-b"))},
        },
        name="mixed.ini",
    )  # fmt: skip
    with inventory.open("a") as f:
        f.write("\n[broken]\nnode-bad\n\n[broken:vars]\nenvwizard_answers=broken.yml\n")
    r = fleet.playbook(inventory)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    counts = recap(out)
    assert counts["node-a"]["failed"] == 0 and counts["node-bad"]["failed"] == 1, out[-4000:]
    assert "node-bad: invalid (exit 2)" in out, out[-4000:]

    bad = json.loads((fleet.reports / "node-bad.json").read_text())
    assert bad["status"] == "invalid" and bad["exit_code"] == 2
    assert "cannot install" in bad["reason"] and "nothing was created" in bad["reason"]
    assert not fleet.env_of("node-bad").exists()  # refused before anything was made

    table = fleet.report("--json")
    assert table.returncode == 1
    rows = {Path(row["file"]).stem: row for row in json.loads(table.stdout)}
    assert rows["node-bad"]["failed_step"] is None
    assert rows["node-bad"]["failure"] == bad["reason"]
    assert rows["node-a"]["status"] == "done" and rows["node-a"]["verify_ok"] is True
