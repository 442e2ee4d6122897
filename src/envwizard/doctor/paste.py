"""Paste mode: explain a pasted error in one paragraph, checked against a machine's facts.

The text is classified by the same signatures the live check uses; the paragraph says what the
error means, what the facts (this machine's, a facts file's, or a collect_env report inside
the paste) confirm or could not confirm, what envwizard would install there, and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from envwizard.core.i18n import N_
from envwizard.core.versions import vkey
from envwizard.decide.decision import Decision
from envwizard.decide.machine import gpu_label
from envwizard.doctor.causes import CAUSES, FIXES
from envwizard.doctor.judge import _covers
from envwizard.doctor.model import Code, Evidence, Finding, Severity, Text
from envwizard.doctor.signatures import Match, classify
from envwizard.doctor.variants import companion_line, torch_line_of_companion
from envwizard.facts.model import Facts
from envwizard.knowledge import Knowledge

FIXABLE = {
    Code.COMPANION_VARIANT_MISMATCH,
    Code.COMPANION_VERSION_MISMATCH,
    Code.TORCH_CPU_ON_GPU_MACHINE,
    Code.TORCH_ARCH_MISSING,
    Code.DRIVER_TOO_OLD,
    Code.NUMPY_ABI,
    Code.NVIDIA_WHEEL_MISMATCH,
    Code.NVIDIA_WHEEL_MIX,
    Code.NVIDIA_LIBS_MISSING,
    Code.TORCH_FILES_MIXED,
    Code.DUPLICATE_DIST,
    Code.PIP_CHECK_CONFLICT,
}


@dataclass
class Explanation:
    match: Match
    sentences: list[Text]
    facts_from: str
    evidence: list[Evidence] = field(default_factory=list)

    def paragraph(self) -> str:
        return " ".join(s.show() for s in self.sentences)

    def finding(self) -> Finding:
        return Finding(
            self.match.code,
            Severity.ERROR,
            Text("{paragraph}", {"paragraph": self.paragraph()}),
            None,
            tuple(self.evidence),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.match.code.value,
            "line": self.match.line,
            "values": dict(self.match.values),
            "facts": self.facts_from,
            "paragraph": self.paragraph(),
        }


def _nvidia(facts: Facts | None) -> list[Any]:
    if facts is None:
        return []
    return [g for g in facts.gpus if g.vendor == "nvidia"]


def _machine_sentences(
    m: Match, facts: Facts | None, where: str, decision: Decision | None, kb: Knowledge
) -> list[Text]:
    v = m.values
    out: list[Text] = []
    gpus = _nvidia(facts)
    names = ", ".join(gpu_label(g) for g in gpus)
    plan = (
        Text(
            N_("envwizard would install torch {torch} ({variant}) there."),
            {"torch": decision.torch, "variant": decision.variant},
        )
        if decision is not None
        else None
    )
    if m.code is Code.TORCH_ARCH_MISSING:
        cc = v.get("cc") or next((g.compute_capability for g in gpus if g.compute_capability), None)
        archs = v.get("archs", "").split()
        if cc and archs:
            how = _covers(archs, cc)
            if how == "none":
                out.append(
                    Text(
                        N_(
                            "The build lists {archs}; none of them runs on compute capability {cc}."
                        ),
                        {"archs": " ".join(archs), "cc": cc},
                    )
                )
        elif v.get("minimum") and cc:
            out.append(
                Text(
                    N_("The build starts at compute capability {minimum}; this GPU has {cc}."),
                    {"minimum": v["minimum"], "cc": cc},
                )
            )
        if gpus:
            out.append(Text(N_("{where} has {gpus}."), {"where": where, "gpus": names}))
            if decision is not None and decision.kind == "cuda":
                out.append(
                    Text(
                        N_(
                            "envwizard would install torch {torch} ({variant}) there, whose kernels cover it."
                        ),
                        {"torch": decision.torch, "variant": decision.variant},
                    )
                )
            elif decision is not None:
                out.append(
                    Text(
                        N_(
                            "No current CUDA build covers that GPU; envwizard would install torch {torch} ({variant}) there."
                        ),
                        {"torch": decision.torch, "variant": decision.variant},
                    )
                )
        elif v.get("rocm"):
            amd = [g for g in (facts.gpus if facts else []) if g.vendor == "amd"]
            if amd:
                out.append(
                    Text(
                        N_("{where} has {gpus}."),
                        {"where": where, "gpus": ", ".join(gpu_label(g) for g in amd)},
                    )
                )
            if plan:
                out.append(plan)
        else:
            out.append(
                Text(
                    N_("{where} shows no NVIDIA GPU, so the GPU could not be checked."),
                    {"where": where},
                )
            )
    elif m.code is Code.DRIVER_TOO_OLD:
        if v.get("driver_cuda"):
            out.append(
                Text(
                    N_("The driver in the paste serves CUDA {cuda} at most."),
                    {"cuda": v["driver_cuda"]},
                )
            )
        if facts is not None and facts.nvidia_driver:
            dcuda = facts.cuda_driver or kb.driver_cuda(facts.nvidia_driver) or "?"
            out.append(
                Text(
                    N_("{where} has NVIDIA driver {driver} (CUDA {cuda} at most)."),
                    {"where": where, "driver": facts.nvidia_driver, "cuda": dcuda},
                )
            )
            if plan:
                out.append(plan)
        else:
            out.append(
                Text(
                    N_("{where} shows no NVIDIA driver, so it could not be checked."),
                    {"where": where},
                )
            )
    elif m.code is Code.TORCH_CPU_ON_GPU_MACHINE:
        if v.get("torch"):
            out.append(Text(N_("The paste shows torch {version}."), {"version": v["torch"]}))
        accel = [g for g in (facts.gpus if facts else []) if not g.integrated]
        if accel:
            out.append(
                Text(
                    N_("{where} has {gpus}."),
                    {"where": where, "gpus": ", ".join(gpu_label(g) for g in accel)},
                )
            )
            if plan:
                out.append(plan)
        else:
            out.append(
                Text(
                    N_(
                        "{where} shows no GPU: there the CPU build is the right one, and the code must not ask for CUDA."
                    ),
                    {"where": where},
                )
            )
    elif m.code is Code.COMPANION_VARIANT_MISMATCH:
        if v.get("torch_cuda") and v.get("torchvision_cuda"):
            out.append(
                Text(
                    N_("torch was built with CUDA {torch}, torchvision with CUDA {torchvision}."),
                    {"torch": v["torch_cuda"], "torchvision": v["torchvision_cuda"]},
                )
            )
    elif m.code is Code.COMPANION_VERSION_MISMATCH:
        if v.get("torch") and v.get("torchvision"):
            belongs = torch_line_of_companion(kb, "torchvision", v["torchvision"]) or "?"
            line = companion_line(kb, v["torch"], "torchvision") or "?"
            out.append(
                Text(
                    N_(
                        "torchvision {tv} belongs to torch {belongs}, but torch {torch} is installed; its torchvision is {line}."
                    ),
                    {"tv": v["torchvision"], "belongs": belongs, "torch": v["torch"], "line": line},
                )
            )
    elif m.code is Code.NUMPY_ABI:
        if v.get("numpy"):
            out.append(Text(N_("NumPy {version} is installed there."), {"version": v["numpy"]}))
        if v.get("torch") and vkey(v["torch"]) < (2, 3):
            out.append(
                Text(N_("torch {version} was built against NumPy 1.x."), {"version": v["torch"]})
            )
    elif m.code is Code.LD_LIBRARY_PATH_OVERRIDE:
        if v.get("ld_library_path"):
            out.append(
                Text(N_("LD_LIBRARY_PATH in the paste: {value}."), {"value": v["ld_library_path"]})
            )
        if v.get("cudnn_built") and v.get("cudnn_found"):
            out.append(
                Text(
                    N_("torch was built with cuDNN {built} but loaded cuDNN {found}."),
                    {"built": v["cudnn_built"], "found": v["cudnn_found"]},
                )
            )
        if v.get("nvjitlink"):
            out.append(
                Text(
                    N_("The library needs nvJitLink {version}, and an older one was loaded."),
                    {"version": v["nvjitlink"].replace("_", ".")},
                )
            )
    elif m.code is Code.NVIDIA_LIBS_MISSING and v.get("library"):
        out.append(Text(N_("The missing library is {library}."), {"library": v["library"]}))
    elif m.code is Code.PIP_CHECK_CONFLICT and v.get("needs"):
        out.append(
            Text(
                N_("transformers needs torch {needs} or newer; torch {found} is installed."),
                {"needs": v["needs"], "found": v.get("found", "?")},
            )
        )
    elif m.code is Code.EXTENSION_ABI_MISMATCH and v.get("symbol"):
        abi = "TRUE" if "__cxx11" in v["symbol"] or "B5cxx11" in v["symbol"] else None
        module = v.get("module") or "the extension"
        if abi:
            out.append(
                Text(
                    N_(
                        "The missing symbol uses the new C++ ABI, so {module} was built with cxx11abi=TRUE for some torch; it must match the installed torch's release and ABI."
                    ),
                    {"module": module},
                )
            )
    elif m.code is Code.NVIDIA_WHEEL_MISMATCH and v.get("symbol"):
        out.append(Text(N_("The NCCL library loaded lacks {symbol}."), {"symbol": v["symbol"]}))
    return out


def explain(
    text: str, facts: Facts | None, where: str, decision: Decision | None, kb: Knowledge
) -> Explanation | None:
    m = classify(text)
    if m is None:
        return None
    sentences = [
        Text(
            N_("“{line}” is {code}: {cause}"),
            {"line": m.line, "code": m.code.value, "cause": CAUSES[m.code]},
        )
    ]
    sentences += _machine_sentences(m, facts, where, decision, kb)
    sentences.append(Text(N_("Fix: {fix}"), {"fix": FIXES[m.code]}))
    if m.code in FIXABLE:
        sentences.append(
            Text(
                N_(
                    "`envwizard doctor ENV` runs the same check ({code}) on the environment, and `--fix` repairs it."
                ),
                {"code": m.code.value},
            )
        )
    evidence = [Evidence("pasted line", m.line, "paste")]
    evidence += [Evidence(k, val, "paste") for k, val in m.values.items()]
    return Explanation(m, sentences, where, evidence)


def collect_env_in(text: str) -> bool:
    """Whether a paste carries a collect_env report (its labels, two or more)."""
    return (
        len(re.findall(r"^(?:OS|Python version|Python platform|Libc version): ", text, re.M)) >= 2
    )
