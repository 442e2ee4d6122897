"""The closed sets of the answers: each a `str` enum whose value is the word an answers file uses
(docs/answers.md), so comparing with the plain word still holds while callers move over.

`torch_index` is not a word but one of three things, so it is a small sum type of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from envwizard.core.values import StrValue


class Manager(StrValue):
    """The tool that creates the environment."""

    CONDA = "conda"
    MAMBA = "mamba"
    MICROMAMBA = "micromamba"
    VIRTUALENV = "virtualenv"
    VENV = "venv"
    UV = "uv"

    @property
    def conda_like(self) -> bool:
        return self in (Manager.CONDA, Manager.MAMBA, Manager.MICROMAMBA)


class Existing(StrValue):
    """What to do when something is already at the environment's path."""

    ABORT = "abort"
    REUSE = "reuse"
    RECREATE = "recreate"


class ComputeWord(StrValue):
    """The `compute:` values that are words; the others name a variant (cu126, rocm6.4)."""

    AUTO = "auto"
    CPU = "cpu"
    MPS = "mps"
    XPU = "xpu"


class TorchSource(StrValue):
    """Where torch's build comes from: PyTorch's wheels, or conda-forge's packages."""

    PIP = "pip"
    CONDA_FORGE = "conda-forge"


class InstallerWord(StrValue):
    """Who fills pip-style environments: auto (uv when it installs what pip would), pip or uv."""

    AUTO = "auto"
    PIP = "pip"
    UV = "uv"


class BenchDevice(StrValue):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    MPS = "mps"
    XPU = "xpu"


class BenchPreset(StrValue):
    AUTO = "auto"
    TINY = "tiny"
    MEDIUM = "medium"
    LARGE = "large"


class BenchDtype(StrValue):
    AUTO = "auto"
    FP32 = "fp32"
    TF32 = "tf32"
    BF16 = "bf16"
    FP16 = "fp16"


class Optimizer(StrValue):
    """sgd is the tutorial's plain SGD; momentum is SGD with momentum 0.9."""

    SGD = "sgd"
    MOMENTUM = "momentum"
    ADAM = "adam"
    ADAMW = "adamw"


Lang = Literal["en", "zh-CN"]
"""The languages envwizard speaks (core.i18n.LANGUAGES)."""


# ---- torch_index: auto | default | a URL -------------------------------------------------------
@dataclass(frozen=True)
class Auto:
    """PyTorch's own index for the chosen variant."""

    def __str__(self) -> str:
        return "auto"


@dataclass(frozen=True)
class Default:
    """The installer's own configured index (pip.conf, uv.toml, PIP_INDEX_URL) and wheel folders:
    they decide which build arrives."""

    def __str__(self) -> str:
        return "default"


@dataclass(frozen=True)
class Url:
    """A mirror of PyTorch's index: the variant's folder is added to it."""

    url: str

    def __str__(self) -> str:
        return self.url


TorchIndex = Union[Auto, Default, Url]
AUTO_INDEX = Auto()
DEFAULT_INDEX = Default()
