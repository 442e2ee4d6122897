"""plan() is pure and deterministic: the same facts and answers give the same plan JSON, also in
processes whose string hashing differs (set and dict order must never leak into argv or reasons).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import run_envwizard

DATA = Path(__file__).parent / "data"
ANSWERS = """\
manager: uv
env: /srv/envs/dl
packages: [torchvision, numpy, rich, "scipy>=1.10", pyyaml]
find_links: [/srv/wheels, /srv/more-wheels]
index_url: https://mirror.example/simple
benchmark: {enabled: true, device: auto, preset: auto, seconds: 10}
"""


@pytest.mark.parametrize("facts", ["facts_workstation.json", "facts_cpu_box.json"])
@pytest.mark.slow
def test_the_plan_is_the_same_under_different_hash_seeds(tmp_path: Path, facts: str) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    outputs = []
    for seed in ("1", "2"):
        r = run_envwizard(
            "plan", "--answers", str(answers), "--facts", str(DATA / facts), "--json",
            state=tmp_path / "state", env={"PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        outputs.append(r.stdout)
    assert outputs[0] == outputs[1]
    assert '"torchvision' in outputs[0]  # the packages made it into the plan being compared
