"""The prose inside torch_builds.toml, listed so that Babel extracts it into the catalog.

The data keeps English (it is data, read by every language); where a sentence of it is shown
to a person it goes through `_()` (decide/wording.py, Knowledge.platform_limits).
tests/test_knowledge.py checks that every such text in the TOML is listed here.
"""

from __future__ import annotations

from envwizard.core.i18n import N_

TOML_PROSE = (
    # [[driver_eol]] family and outlook
    N_("Kepler"),
    N_(
        "torch 2.3 (cu118) is the last release that runs on Kepler: 2.4–2.7 carry its kernels but ship cuDNN 9, which has none"
    ),
    N_("Maxwell, Pascal and Volta"),
    N_(
        "torch 2.15 is planned without cu126, the last pip build with their kernels (RFC pytorch#190385); conda-forge's CUDA 12 builds keep them"
    ),
    # [[limit]] why
    N_(
        "PyTorch's last Intel-Mac wheel is torch 2.2.2 (pytorch#114602, #131766); set torch: '==2.2.*', or torch_source: conda-forge with manager: conda, mamba or micromamba"
    ),
    N_("Windows on Arm has CPU-only torch wheels, from torch 2.8 on, for Python 3.11 to 3.13"),
    N_(
        'this is a 32-bit Python (win32), and PyTorch publishes Windows wheels for 64-bit Python only; install the 64-bit Python (python.org\'s "Windows installer (64-bit)") and point python: at it'
    ),
    N_("this is a 32-bit Python (win32), and conda-forge builds pytorch for 64-bit Windows only"),
)
