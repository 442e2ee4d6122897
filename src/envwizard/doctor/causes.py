"""For each finding code: what causes it and what fixes it, in a sentence each.

Paste mode builds its paragraph from these, and a live failure that doctor recognises carries
its cause. The causes are the ones the projects' maintainers gave in their trackers
(docs/doctor.md cites them per code).
"""

from __future__ import annotations

from envwizard.core.i18n import N_
from envwizard.doctor.model import Code, Text

CAUSES: dict[Code, Text] = {
    Code.ENV_NOT_FOUND: Text(N_("There is no Python environment where doctor was pointed.")),
    Code.ENV_INTERPRETER_BROKEN: Text(
        N_(
            "The environment's Python does not start, usually because the interpreter it was made from was removed or upgraded."
        )
    ),
    Code.TORCH_MISSING: Text(
        N_(
            "The Python that ran does not have torch: often `pip` installed into another environment than the `python` that runs (use `python -m pip`)."
        )
    ),
    Code.TORCH_IMPORT_FAILED: Text(N_("torch is installed but cannot be imported.")),
    Code.SHADOWED_TORCH: Text(
        N_(
            "Something named torch (a torch/ folder or torch.py in the working folder, or another copy on PYTHONPATH) is imported instead of the installed torch."
        )
    ),
    Code.DUPLICATE_DIST: Text(
        N_("Two copies of the same package are installed where Python looks.")
    ),
    Code.TORCH_FILES_MIXED: Text(
        N_(
            "torch's Python files and its compiled library come from different versions: two installs were mixed, or an upgrade stopped half-way."
        )
    ),
    Code.SYSTEM_SITE_LEAK: Text(
        N_("The environment sees the base interpreter's packages, and torch is taken from there.")
    ),
    Code.USER_SITE_ACTIVE: Text(
        N_(
            "Packages in the user site (~/.local) are visible and take the place of the environment's own."
        )
    ),
    Code.TORCH_CPU_ON_GPU_MACHINE: Text(
        N_(
            "The installed torch is a CPU-only build: it came from an index that serves CPU wheels, or a later `pip install` replaced the GPU build with the default one."
        )
    ),
    Code.TORCH_ARCH_MISSING: Text(
        N_(
            "The torch build has no kernels for this GPU's architecture: each build carries code for a range of compute capabilities, and this GPU is outside it."
        )
    ),
    Code.TORCH_PTX_ONLY: Text(
        N_(
            "The build carries no compiled kernels for this GPU, only PTX that the driver compiles at start-up."
        )
    ),
    Code.GPU_UNSUPPORTED: Text(N_("No current PyTorch build has kernels for this GPU.")),
    Code.DRIVER_TOO_OLD: Text(
        N_(
            "The NVIDIA driver is older than the CUDA version the torch build was made with requires."
        )
    ),
    Code.TORCH_VARIANT_OFF_PLAN: Text(
        N_("torch works, but it is not the build envwizard would choose for this machine today.")
    ),
    Code.COMPANION_VARIANT_MISMATCH: Text(
        N_(
            "torchvision (or torchaudio) was built for another variant of torch than the one installed (a CUDA build beside a CPU torch, or another CUDA version), so its compiled operators such as nms cannot load."
        )
    ),
    Code.COMPANION_VERSION_MISMATCH: Text(
        N_(
            "torchvision or torchaudio belongs to another torch release than the installed one (torchvision 0.N pairs with torch 2.(N-15), torchaudio 2.N with torch 2.N up to 2.11, and torchaudio 2.11 with every later torch)."
        )
    ),
    Code.CONDA_PIP_MIX: Text(
        N_(
            "torch and its companions came from different sources (a conda channel and a pip index), whose compiled parts do not fit together."
        )
    ),
    Code.EXTENSION_ABI_MISMATCH: Text(
        N_(
            "A compiled torch extension was built for another torch release, CUDA version or C++ ABI than the installed torch, so a symbol it needs is missing."
        )
    ),
    Code.PIP_CHECK_CONFLICT: Text(
        N_("An installed package needs another version of a package than the one installed.")
    ),
    Code.NUMPY_ABI: Text(
        N_(
            "A compiled module was built against NumPy 1.x and NumPy 2 is installed; modules must be rebuilt for NumPy 2 (torch supports NumPy 2 from 2.3)."
        )
    ),
    Code.NUMPY_MISSING: Text(
        N_("numpy is not installed; torch does not require it but uses it when present.")
    ),
    Code.LD_LIBRARY_PATH_OVERRIDE: Text(
        N_(
            "LD_LIBRARY_PATH points at another CUDA installation, and its libraries (nvJitLink, cuDNN) are loaded instead of the ones torch ships with."
        )
    ),
    Code.NVIDIA_WHEEL_MISMATCH: Text(
        N_(
            "An NVIDIA library wheel (NCCL, cuDNN, …) has another version than the one torch was built with and pins."
        )
    ),
    Code.NVIDIA_WHEEL_MIX: Text(
        N_(
            "NVIDIA library wheels for two CUDA major versions are installed; they share folders and overwrite each other's files."
        )
    ),
    Code.NVIDIA_LIBS_MISSING: Text(
        N_(
            "A CUDA library torch loads at import is not where torch looks for it: the nvidia-* wheels are missing, or installed in another site-packages folder."
        )
    ),
    Code.WINDOWS_DLL_MISSING: Text(
        N_(
            "torch 2.4.0's Windows wheels needed libomp140.x86_64.dll, which many systems lack (fixed in 2.4.1)."
        )
    ),
    Code.DEVICE_CHECK_FAILED: Text(N_("A small computation on the device failed.")),
    Code.DEVICE_CHECK_PASSED: Text(
        N_("A small computation on every device gave the right answer.")
    ),
}

FIXES: dict[Code, Text] = {
    Code.ENV_NOT_FOUND: Text(
        N_("Name the environment's folder, its conda name, or its interpreter with --python.")
    ),
    Code.ENV_INTERPRETER_BROKEN: Text(N_("Recreate the environment from a Python that exists.")),
    Code.TORCH_MISSING: Text(
        N_(
            "Install torch with the environment's own interpreter: `python -m pip install …` from inside it, or let envwizard install the build for this machine."
        )
    ),
    Code.TORCH_IMPORT_FAILED: Text(N_("Run `envwizard doctor ENV` on the environment to see why.")),
    Code.SHADOWED_TORCH: Text(
        N_("Rename the local torch/ folder or torch.py, or take the other copy off PYTHONPATH.")
    ),
    Code.DUPLICATE_DIST: Text(
        N_("Uninstall the package until no copy is left, then install it once.")
    ),
    Code.TORCH_FILES_MIXED: Text(
        N_(
            "Uninstall torch until no copy is left (`pip uninstall torch`, repeated), then install it once."
        )
    ),
    Code.SYSTEM_SITE_LEAK: Text(N_("Install torch into the environment itself.")),
    Code.USER_SITE_ACTIVE: Text(N_("Set PYTHONNOUSERSITE=1 where the environment is used.")),
    Code.TORCH_CPU_ON_GPU_MACHINE: Text(
        N_(
            "Reinstall torch and its companions as the GPU build for this machine, from the index of that build."
        )
    ),
    Code.TORCH_ARCH_MISSING: Text(
        N_(
            "Install a torch build whose architecture list covers this GPU (for an old GPU an older CUDA build, for a new one a newer CUDA build)."
        )
    ),
    Code.TORCH_PTX_ONLY: Text(
        N_("Install a build with compiled kernels for this GPU, where one exists.")
    ),
    Code.GPU_UNSUPPORTED: Text(
        N_("Use the CPU build, or an old torch release that still had kernels for this GPU.")
    ),
    Code.DRIVER_TOO_OLD: Text(
        N_(
            "Update the NVIDIA driver, or install a torch build for an older CUDA version that this driver supports."
        )
    ),
    Code.TORCH_VARIANT_OFF_PLAN: Text(
        N_("Nothing needs fixing; reinstall only if you want the newer build.")
    ),
    Code.COMPANION_VARIANT_MISMATCH: Text(
        N_(
            "Install torchvision (and torchaudio) from the same index as torch, in the same variant, or remove it if nothing needs it."
        )
    ),
    Code.COMPANION_VERSION_MISMATCH: Text(
        N_(
            "Install the companion release that pairs with the installed torch, from the same index as torch."
        )
    ),
    Code.CONDA_PIP_MIX: Text(N_("Install torch and its companions from one source.")),
    Code.EXTENSION_ABI_MISMATCH: Text(
        N_(
            "Install the extension's build for this torch, CUDA version and C++ ABI, or build it from source against this torch."
        )
    ),
    Code.PIP_CHECK_CONFLICT: Text(
        N_("Install a version of one of the two that fits the other (keep torch's build as it is).")
    ),
    Code.NUMPY_ABI: Text(
        N_("Install numpy<2, or upgrade the module to a release built for NumPy 2.")
    ),
    Code.NUMPY_MISSING: Text(N_("Install numpy if you need the bridge.")),
    Code.LD_LIBRARY_PATH_OVERRIDE: Text(
        N_("Remove the other CUDA folders from LD_LIBRARY_PATH where the environment is used.")
    ),
    Code.NVIDIA_WHEEL_MISMATCH: Text(N_("Install the NVIDIA library versions torch pins.")),
    Code.NVIDIA_WHEEL_MIX: Text(
        N_(
            "Uninstall the NVIDIA wheels of the CUDA version torch does not use, then reinstall torch's own."
        )
    ),
    Code.NVIDIA_LIBS_MISSING: Text(
        N_(
            "Install torch with its dependencies into one site-packages folder (not --no-deps, not split between lib and lib64)."
        )
    ),
    Code.WINDOWS_DLL_MISSING: Text(N_("Install torch 2.4.1 or newer.")),
    Code.DEVICE_CHECK_FAILED: Text(N_("Run `envwizard doctor ENV` on the environment to see why.")),
    Code.DEVICE_CHECK_PASSED: Text(N_("Nothing needs fixing.")),
}
