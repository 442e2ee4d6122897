"""The sentences a person reads about the packages beside torch, one template per code.

envwizard.decide.stack decides with codes and values; this module alone turns them into words,
each a whole sentence (or clause) with named fields so a translation can reorder them.
"""

from __future__ import annotations

from envwizard.core.i18n import N_, _
from envwizard.core.values import StrValue


class Why(StrValue):
    """Why a package is included, left out, or what would help. Stable: plans carry them."""

    COMPANION_EXACT = "companion-exact"
    COMPANION_STABLE = "companion-stable-abi"
    COMPANION_GAP = "companion-gap"
    COMPANION_NONE = "companion-none"
    FROM_TORCH_INDEX = "from-torch-index"
    RESOLVE_OTHER_BUILD = "resolve-other-build"
    RESOLVE_NOT_FOUND = "resolve-not-found"
    NOT_IN_LOCK = "not-in-lock"
    LIBRARY_NOTE = "library-note"
    LIBRARY_CURRENT = "library-current"
    LIBRARY_CURRENT_PYTHON = "library-current-python"
    LIBRARY_TORCH = "library-torch-floor"
    LIBRARY_PYTHON = "library-python-floor"
    NUMPY_PIN = "numpy-pin"
    EXTENSION_PINNED = "extension-pinned"
    EXT_PLATFORM = "platform"
    EXT_JETSON = "jetson"
    EXT_GLIBC = "glibc"
    EXT_PYTHON_WINDOW = "python-window"
    EXT_PYTHON = "python-floor"
    EXT_TORCH = "torch-release"
    EXT_KIND = "torch-kind"
    EXT_ROCM = "rocm-version"
    EXT_VARIANT = "variant"
    EXT_NO_GPU = "no-nvidia-gpu"
    EXT_CC = "compute-capability"
    EXT_CUDA_MAJOR = "cuda-major"
    EXT_DEFAULT_BUILD = "default-index-build"
    EXT_CUDA_LIB = "cuda-library"
    EXT_SASS = "sass"
    EXT_FITS = "fits"
    EXT_GPUS = "gpus"
    INSTEAD = "instead"
    TRITON_WITH_TORCH = "triton-with-torch"
    TRITON_CPU = "triton-cpu"
    TRITON_WINDOWS = "triton-windows"
    TRITON_MACOS = "triton-macos"
    TRITON_AARCH64 = "triton-aarch64"
    FW_CPU = "framework-cpu"
    FW_PLATFORM = "framework-platform"
    FW_JETSON = "framework-jetson"
    FW_DRIVER = "driver-floor"
    FW_DRIVER_UNKNOWN = "driver-unknown"
    FW_CC = "framework-compute-capability"
    JAX_PYTHON = "jax-python"
    JAX_NO_GPU_PLATFORM = "jax-no-gpu-platform"
    JAX_CUDA = "jax-cuda"
    JAX_WSL = "jax-wsl"
    TF_PYTHON = "tensorflow-python"
    TF_NO_GPU_PLATFORM = "tensorflow-no-gpu-platform"
    TF_CUDA = "tensorflow-cuda"
    HELP_COMPUTE = "help-compute"
    HELP_CUDA = "help-cuda"
    HELP_PYTHON = "help-python"
    HELP_PYTHON_WINDOW = "help-python-window"
    HELP_JAX = "help-jax"
    HELP_WSL = "help-wsl"
    HELP_DRIVER = "help-driver"


TEMPLATES: dict[Why, str] = {
    Why.COMPANION_EXACT: N_(
        "{name} {line} pairs with torch {torch} (each {name} release is built for one torch release)"
    ),
    Why.COMPANION_STABLE: N_(
        "{name}{spec} serves torch {torch} (built on torch's stable ABI, one release serves later torch releases)"
    ),
    Why.COMPANION_GAP: N_("{name}: {text}"),
    Why.COMPANION_NONE: N_("envwizard knows no {name} release that pairs with torch {torch}"),
    Why.FROM_TORCH_INDEX: N_(
        "installed with torch from the same place, so it matches torch's {variant} build"
    ),
    Why.RESOLVE_OTHER_BUILD: N_(
        "the configured sources hold no {want} build of {name}: {source} has its {theirs} build ({name} {version}), which would fail beside this torch; PyTorch's {variant} index or a wheel folder with one would add it"
    ),
    Why.RESOLVE_NOT_FOUND: N_(
        "the configured sources hold no {name} that installs beside torch {torch} (the installer said: {said})"
    ),
    Why.NOT_IN_LOCK: N_("not in the environment's lock, which was resolved without it"),
    Why.LIBRARY_NOTE: N_("{text}"),
    Why.LIBRARY_CURRENT: N_("current {name} releases support Python {python} and torch {torch}"),
    Why.LIBRARY_CURRENT_PYTHON: N_("current {name} releases support Python {python}"),
    Why.LIBRARY_TORCH: N_(
        "{name} {bound} and newer need torch {need} or newer; this torch is {torch}, so {name} stays below {bound}"
    ),
    Why.LIBRARY_PYTHON: N_(
        "{name} {bound} and newer need Python {need} or newer; this environment has Python {python}, so {name} stays below {bound}"
    ),
    Why.NUMPY_PIN: N_("torch {torch} was built against NumPy 1.x, so numpy{spec}"),
    Why.EXTENSION_PINNED: N_(
        "envwizard's knowledge pairs {requirement} with this torch build; drop the version and envwizard pins the matching one"
    ),
    Why.EXT_PLATFORM: N_("{name} publishes no prebuilt wheel for {platform}"),
    Why.EXT_JETSON: N_(
        "{name}'s aarch64 wheels are built for servers, not for a Jetson's L4T {l4t} (only a source build fits)"
    ),
    Why.EXT_GLIBC: N_("{name} needs glibc {need} or newer; this system has {have}"),
    Why.EXT_PYTHON_WINDOW: N_(
        "{name} has prebuilt wheels for Python {lo}–{hi} with this torch; this environment has Python {python}"
    ),
    Why.EXT_PYTHON: N_("{name} needs Python {need} or newer; this environment has Python {python}"),
    Why.EXT_TORCH: N_("{name} has prebuilt wheels for torch {torches} only; this torch is {torch}"),
    Why.EXT_KIND: N_("{name} is built for {kinds} builds of torch; this one is the {kind} build"),
    Why.EXT_ROCM: N_("{name} carries ROCm libraries for {have}, not for ROCm {rocm}"),
    Why.EXT_VARIANT: N_("{name} is published for {have}, not for torch's {variant} build"),
    Why.EXT_NO_GPU: N_("{name} needs an NVIDIA GPU, and none is a target here"),
    Why.EXT_CC: N_("{name} needs {need} or newer; {gpus} is older"),
    Why.EXT_CUDA_MAJOR: N_(
        "{name} has prebuilt wheels for CUDA {majors} only; this torch uses CUDA {cuda}"
    ),
    Why.EXT_DEFAULT_BUILD: N_(
        "{name} on the default index is its {variant} build, which does not match this torch's CUDA {cuda}"
    ),
    Why.EXT_CUDA_LIB: N_("{name} carries CUDA libraries for {have}, none for CUDA {cuda}"),
    Why.EXT_SASS: N_("{name}'s CUDA {lib} library carries kernels for {archs}, nothing for {gpus}"),
    Why.EXT_FITS: N_(
        "{name}: a prebuilt wheel fits torch {torch} ({variant}) and Python {python} here"
    ),
    Why.EXT_GPUS: N_("its kernels cover {gpus}"),
    Why.INSTEAD: N_("{text}"),
    Why.TRITON_WITH_TORCH: N_(
        "torch {torch}'s own dependency ({requirement}); it comes with torch and is verified with it"
    ),
    Why.TRITON_CPU: N_(
        "the CPU build of torch does not use triton (torch.compile on the CPU generates C++); it comes with a CUDA build"
    ),
    Why.TRITON_WINDOWS: N_(
        "there is no official triton for Windows, so torch.compile has no GPU backend there; envwizard does not install the community triton-windows"
    ),
    Why.TRITON_MACOS: N_(
        "triton publishes no macOS build; torch.compile uses C++ on the CPU there"
    ),
    Why.TRITON_AARCH64: N_(
        "torch {torch}'s aarch64 wheels do not depend on triton (from torch {need} on they do)"
    ),
    Why.FW_CPU: N_("{name} {versions} (the CPU build)"),
    Why.FW_PLATFORM: N_("{name} publishes no wheel for {platform}"),
    Why.FW_JETSON: N_("{name}'s CUDA wheels do not fit a Jetson's L4T; it runs on the CPU"),
    Why.FW_DRIVER: N_(
        "its {toolkit} build needs NVIDIA driver {floor} or newer; this driver is {driver}"
    ),
    Why.FW_DRIVER_UNKNOWN: N_(
        "its {toolkit} build needs a known NVIDIA driver version, and none was found"
    ),
    Why.FW_CC: N_("its {toolkit} build needs {need} or newer; {gpus} is older"),
    Why.JAX_PYTHON: N_("JAX needs Python {need} or newer; this environment has Python {python}"),
    Why.JAX_NO_GPU_PLATFORM: N_(
        "JAX publishes CUDA builds for Linux only (x86_64 and aarch64), not for {platform}"
    ),
    Why.JAX_CUDA: N_(
        "JAX's CUDA {major} plugin: driver {driver} meets its floor {floor} and {gpus} meets sm_{min_cc}"
    ),
    Why.JAX_WSL: N_("JAX calls its CUDA builds under WSL2 experimental"),
    Why.TF_PYTHON: N_(
        "TensorFlow {versions} publishes wheels for Python {lo}–{hi}; this environment has Python {python}"
    ),
    Why.TF_NO_GPU_PLATFORM: N_(
        "TensorFlow's GPU build is for Linux x86_64 (and WSL2) only, not for {platform}"
    ),
    Why.TF_CUDA: N_(
        "TensorFlow {versions} with its and-cuda extra (CUDA 12 libraries): driver {driver} meets its floor {floor} and {gpus} meets sm_{min_cc}"
    ),
    Why.HELP_COMPUTE: N_("a torch build for {variant} (compute: {variant}) would take it"),
    Why.HELP_CUDA: N_("a torch built for CUDA {cuda} would get a library with kernels for it"),
    Why.HELP_PYTHON: N_("an environment with Python {need} or newer would take it"),
    Why.HELP_PYTHON_WINDOW: N_("an environment with Python {lo}–{hi} would take it"),
    Why.HELP_JAX: N_("JAX has wheels for Python {python} (frameworks: [jax])"),
    Why.HELP_WSL: N_("under WSL2 it would get the GPU"),
    Why.HELP_DRIVER: N_(
        "an NVIDIA driver {floor} or newer would let it use the GPU (CUDA {major})"
    ),
}


def say(code: Why, fields: dict[str, str]) -> str:
    """The sentence for a code, in the current language."""
    return _(TEMPLATES[code]).format(**fields)
