"""The answers against the machine they are for: the rules that need its facts.

`validate()` checks what an answers document says on its own; these check it against the
machine (this one, or the one a facts file describes), so `validate`, `plan`, `--dry-run` and the
wizard refuse what the benchmark at the end of a run would refuse.
"""

from __future__ import annotations

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import _
from envwizard.facts.model import Facts
from envwizard.settings.answers import Answers
from envwizard.settings.choices import BenchDevice


def check_fits(answers: Answers, facts: Facts) -> None:
    """InvalidInput, one sentence, when the benchmark asks for a device the machine lacks."""
    b = answers.benchmark
    if not b.enabled:
        return
    os_ = facts.os
    machine = f"{os_.system} {os_.machine}"
    if b.device is BenchDevice.MPS and not (
        os_.system == "Darwin" and os_.machine in ("arm64", "aarch64")
    ):
        raise InvalidInput(
            _(
                "benchmark.device is 'mps', but the machine is {machine}: mps is the GPU of Apple "
                "silicon under macOS; use benchmark.device: auto or cpu"
            ).format(machine=machine)
        )
    # ROCm builds of torch use the `cuda` device too.
    cuda = [g for g in facts.gpus if g.vendor in ("nvidia", "amd") and not g.integrated]
    if b.device is BenchDevice.CUDA and not cuda:
        raise InvalidInput(
            _(
                "benchmark.device is 'cuda', but the machine ({machine}) has no NVIDIA or AMD GPU; "
                "use benchmark.device: auto or cpu"
            ).format(machine=machine)
        )
    if b.device is BenchDevice.CUDA and b.nproc > len(cuda):
        raise InvalidInput(
            _(
                "benchmark.nproc is {nproc}, but the machine has {gpus} GPU(s) for cuda and each "
                "process takes one; use benchmark.nproc: {gpus} or less"
            ).format(nproc=b.nproc, gpus=len(cuda))
        )
    if b.device is BenchDevice.XPU and not facts.intel_gpus:
        raise InvalidInput(
            _(
                "benchmark.device is 'xpu', but the machine ({machine}) has no Intel GPU; "
                "use benchmark.device: auto or cpu"
            ).format(machine=machine)
        )
