"""Paste mode over real error texts quoted from public issues (tests/data/doctor/pastes/).

Each file starts with `# source: <issue URL>` and `# title:`; the table below is what the issue's
maintainers (or thread) identified as the cause, as the finding code doctor must name. The
files are quoted verbatim; `body()` skips the header block.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from envwizard.cli import main
from envwizard.doctor.model import Code
from envwizard.doctor.signatures import classify

DATA = Path(__file__).resolve().parents[1] / "data"
PASTES = DATA / "doctor" / "pastes"
WORKSTATION = str(DATA / "facts_workstation.json")  # RTX 4090 + GTX 1080, driver 580.95.05

# file -> the cause its issue settled on, as a finding code (sources in each file's header)
ORACLE = {
    "bitsandbytes-no-gpu-support.txt": "TORCH_CPU_ON_GPU_MACHINE",  # bitsandbytes-windows-webui#15
    "cpu-build-on-gpu-uv-sync-windows.txt": "TORCH_CPU_ON_GPU_MACHINE",  # huggingface/lerobot#4093
    "cudnn-version-incompat-ld-library-path.txt": "LD_LIBRARY_PATH_OVERRIDE",  # pytorch/functorch#926
    "cudnn-version-incompat-new-wording.txt": "LD_LIBRARY_PATH_OVERRIDE",  # audiocraft#186
    "driver-insufficient-cuda13.txt": "DRIVER_TOO_OLD",  # nagadomi/nunif#702
    "driver-insufficient-thcudacheck.txt": "DRIVER_TOO_OLD",  # human-pose-estimation#23
    "driver-too-old-11040.txt": "DRIVER_TOO_OLD",  # lllyasviel/Fooocus#1313
    "driver-too-old-userwarning-11000.txt": "DRIVER_TOO_OLD",  # Yuan-2.0#65
    "fbgemm-winerror126-plain.txt": "WINDOWS_DLL_MISSING",  # pytorch/pytorch#133397
    "fbgemm-winerror126.txt": "WINDOWS_DLL_MISSING",  # pytorch/pytorch#131662
    "flash-attn-undefined-symbol-cxx11abi.txt": "EXTENSION_ABI_MISMATCH",  # flash-attention#1832
    "flash-attn-undefined-symbol-setdevice.txt": "EXTENSION_ABI_MISMATCH",  # flash-attention#931
    "gpu-too-old-sm30-kernel-image.txt": "TORCH_ARCH_MISSING",  # avatarify#58
    "gpu-too-old-sm35.txt": "TORCH_ARCH_MISSING",  # AUTOMATIC1111 webui#3003
    "hip-invalid-device-function.txt": "TORCH_ARCH_MISSING",  # pytorch/pytorch#132570
    "hip-no-binary-for-gpu.txt": "TORCH_ARCH_MISSING",  # legacy-rocm-build#2061
    "kernel-image-sm120-cu124.txt": "TORCH_ARCH_MISSING",  # pytorch/pytorch#167244
    "kernel-image-sm120-forge-log.txt": "TORCH_ARCH_MISSING",  # stable-diffusion-webui-nix#9
    "kernel-image-sm61-cu128-uv-auto.txt": "TORCH_ARCH_MISSING",  # astral-sh/uv#14742
    "kernel-image-sm61-range-hint.txt": "TORCH_ARCH_MISSING",  # ComfyUI-Nvidia-Docker#61
    "libcudart12-missing-uv-isolated.txt": "NVIDIA_LIBS_MISSING",  # neosr#105
    "libcudnn9-missing-lib64.txt": "NVIDIA_LIBS_MISSING",  # pytorch/pytorch#165812
    "mixed-install-initextension.txt": "TORCH_FILES_MIXED",  # pytorch/pytorch#40277
    "nccl-commregister.txt": "NVIDIA_WHEEL_MISMATCH",  # yolov10#306
    "nccl-two-families-memfree.txt": "NVIDIA_WHEEL_MIX",  # rwth-i6/returnn#1802
    "no-module-torch-pip-python-mismatch.txt": "TORCH_MISSING",  # pytorch/pytorch#172808
    "numpy2-array-api-userwarning.txt": "NUMPY_ABI",  # xai4space/meteors#20
    "numpy2-other-extension.txt": "NUMPY_ABI",  # NVIDIA/Model-Optimizer#87
    "numpy2-torch-import.txt": "NUMPY_ABI",  # pytorch/pytorch#135013
    "nvjitlink-complete-12-4-conda.txt": "LD_LIBRARY_PATH_OVERRIDE",  # pytorch/pytorch#131312
    "nvjitlink-ld-library-path.txt": "LD_LIBRARY_PATH_OVERRIDE",  # infiniflow/ragflow#4466
    "partially-initialized-untypedstorage.txt": "TORCH_FILES_MIXED",  # mit-han-lab/smoothquant#50
    "shadow-torch-folder-in-cwd.txt": "SHADOWED_TORCH",  # pytorch/pytorch#574
    "shadow-torch-py-circular.txt": "SHADOWED_TORCH",  # obss/sahi#402
    "torch-not-compiled-cuda-after-update.txt": "TORCH_CPU_ON_GPU_MACHINE",  # ComfyUI#2427
    "torch-not-compiled-cuda-detectron.txt": "TORCH_CPU_ON_GPU_MACHINE",  # detectron2#460
    "torchaudio-undefined-symbol-conda-forge-mix.txt": "EXTENSION_ABI_MISMATCH",  # pytorch/audio#3335
    "torchaudio-undefined-symbol.txt": "COMPANION_VERSION_MISMATCH",  # RangiLyu/nanodet#547
    "torchvision-cuda-major-mismatch.txt": "COMPANION_VARIANT_MISMATCH",  # deforum#348
    "torchvision-cuda-minor-mismatch-old.txt": "COMPANION_VARIANT_MISMATCH",  # sd-notebook#36
    "torchvision-nms-conda-pip-mix.txt": "COMPANION_VARIANT_MISMATCH",  # pytorch/vision#8985
    "torchvision-nms-cpu-torch.txt": "COMPANION_VARIANT_MISMATCH",  # pytorch/pytorch#122494
    "torchvision-nms-version-skew.txt": "COMPANION_VERSION_MISMATCH",  # vladmandic/sdnext#3531
    "transformers-disabling-pytorch.txt": "PIP_CHECK_CONFLICT",  # jingyaogong/minimind#588
}


def header_and_body(name: str) -> tuple[str, str]:
    text = (PASTES / name).read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    return head, body


def test_every_paste_is_in_the_table() -> None:
    """The table covers every error text kept (the uv.lock excerpt is no error text)."""
    kept = {p.name for p in PASTES.glob("*.txt")}
    assert kept - set(ORACLE) == {"cpu-build-on-gpu-uv-lock-marker.txt"}
    assert len(ORACLE) >= 10


@pytest.mark.parametrize("name", sorted(ORACLE))
def test_pasted_error_is_named_by_its_cause(name: str) -> None:
    head, body = header_and_body(name)
    assert head.startswith("# source: https://github.com/")  # where it was quoted from
    m = classify(body)
    assert m is not None, name
    assert m.code.value == ORACLE[name]


def test_colours_and_windows_line_ends_do_not_hide_an_error() -> None:
    """A Jupyter traceback copied with its colour codes, saved with CRLF line ends."""
    body = header_and_body("torchvision-cuda-major-mismatch.txt")[1]
    coloured = "\x1b[0;31mRuntimeError\x1b[0m: " + body.split(": ", 1)[1].replace("\n", "\r\n")
    m = classify(coloured)
    assert m is not None and m.code is Code.COMPANION_VARIANT_MISMATCH
    assert "\x1b" not in m.line and m.values["torchvision_cuda"] == "11.8"


def test_a_lockfile_excerpt_is_no_error() -> None:
    _, body = header_and_body("cpu-build-on-gpu-uv-lock-marker.txt")
    assert classify(body) is None


def test_order_torchvision_own_message_beats_a_generic_match() -> None:
    """torchvision's CUDA-mismatch message also says "reinstall"; it is named first."""
    m = classify(header_and_body("torchvision-cuda-major-mismatch.txt")[1])
    assert m is not None and m.code is Code.COMPANION_VARIANT_MISMATCH
    assert m.values == {"torch_cuda": "12.1", "torchvision_cuda": "11.8"}


def test_values_are_read_from_the_text() -> None:
    m = classify(header_and_body("driver-too-old-11040.txt")[1])
    assert m is not None and m.values["driver_cuda"] == "11.4" and m.values["driver"] == "470.86"
    m = classify(header_and_body("kernel-image-sm61-cu128-uv-auto.txt")[1])
    assert m is not None and m.values["cc"] == "6.1"
    assert m.values["archs"].split() == [
        "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120",
    ]  # fmt: skip
    m = classify(header_and_body("torchvision-nms-version-skew.txt")[1])
    assert m is not None and (m.values["torch"], m.values["torchvision"]) == (
        "2.4.0+cu121",
        "0.20.1+cu124",
    )


@pytest.fixture
def pasted(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A file holding only the quoted text, as a person saves what they copied."""

    def write(name: str) -> str:
        f = tmp_path / name
        f.write_text(header_and_body(name)[1], encoding="utf-8")
        return str(f)

    return write


def run_doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["doctor", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_sm120_paste_against_a_workstation_names_the_build_envwizard_would_choose(
    capsys: pytest.CaptureFixture[str], pasted: Any
) -> None:
    code, out, _ = run_doctor(
        capsys, "--traceback", pasted("kernel-image-sm120-cu124.txt"), "--facts", WORKSTATION
    )
    assert code == 1
    assert "TORCH_ARCH_MISSING" in out
    assert "none of them runs on compute capability 12.0" in out
    assert "GeForce RTX 4090 (sm_89), GeForce GTX 1080 (sm_61)" in out
    # the planner's choice for that machine covers both cards (sm_61 needs a cu126 build)
    assert "envwizard would install torch 2.14.* (cu126) there, whose kernels cover it" in out
    assert out.count("\n") == 1  # one paragraph


def test_driver_paste_against_an_old_driver(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pasted: Any
) -> None:
    facts = json.loads((DATA / "facts_workstation.json").read_text())
    facts["nvidia_driver"], facts["cuda_driver"] = "470.86", "11.4"
    facts["gpus"] = facts["gpus"][1:]  # the GTX 1080
    f = tmp_path / "facts.json"
    f.write_text(json.dumps(facts))
    code, out, _ = run_doctor(
        capsys, "--traceback", pasted("driver-too-old-11040.txt"), "--facts", str(f)
    )
    assert code == 1
    assert "DRIVER_TOO_OLD" in out and "serves CUDA 11.4 at most" in out
    assert "NVIDIA driver 470.86 (CUDA 11.4 at most)" in out
    assert "(cu118) there" in out  # the CUDA 11 build that driver runs


def test_cpu_build_paste_on_a_machine_without_gpu_says_so(
    capsys: pytest.CaptureFixture[str], pasted: Any
) -> None:
    code, out, _ = run_doctor(
        capsys,
        "--traceback",
        pasted("torch-not-compiled-cuda-detectron.txt"),
        "--facts",
        str(DATA / "facts_cpu_box.json"),
    )
    assert code == 1 and "TORCH_CPU_ON_GPU_MACHINE" in out
    assert "shows no GPU: there the CPU build is the right one" in out


def test_companion_version_skew_names_the_pair(
    capsys: pytest.CaptureFixture[str], pasted: Any
) -> None:
    code, out, _ = run_doctor(
        capsys,
        "--traceback",
        pasted("torchvision-nms-version-skew.txt"),
        "--facts",
        WORKSTATION,
        "--json",
    )
    data = json.loads(out)
    assert code == 1 and data["healthy"] is False and data["env"] is None
    assert data["paste"]["code"] == "COMPANION_VERSION_MISMATCH"
    assert (
        "torchvision 0.20.1+cu124 belongs to torch 2.5, but torch 2.4.0+cu121 is installed; "
        "its torchvision is 0.19." in data["paste"]["paragraph"]
    )
    f = data["findings"][0]
    assert set(f) == {"code", "severity", "package", "message", "evidence", "repair"}
    assert {"fact": "pasted line", "value": "RuntimeError: operator torchvision::nms does not exist", "source": "paste"} in f["evidence"]  # fmt: skip


def test_paste_from_stdin_with_its_collect_env(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """People paste the error and collect_env together: the facts come from the paste."""
    collect_env = (
        "PyTorch version: 2.7.0+cu124\n"
        "OS: Ubuntu 22.04.4 LTS (x86_64)\n"
        "Libc version: glibc-2.35\n"
        "Python version: 3.11.9 (main, Apr  6 2024, 17:59:24) [GCC 11.4.0] (64-bit runtime)\n"
        "Python platform: Linux-6.8.0-49-generic-x86_64-with-glibc2.35\n"
        "Nvidia driver version: 570.124.06\n"
        "GPU models and configuration:\nGPU 0: NVIDIA GeForce RTX 5090\n"
    )
    paste = header_and_body("kernel-image-sm120-cu124.txt")[1] + "\n" + collect_env
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(paste.encode())))
    code, out, _ = run_doctor(capsys, "--traceback", "-")
    assert code == 1
    assert "the machine in the pasted collect_env report has GeForce RTX 5090 (sm_120)" in out
    assert "(cu128) there, whose kernels cover it" in out or "(cu130) there" in out


def test_numpy_paste_in_chinese(capsys: pytest.CaptureFixture[str], pasted: Any) -> None:
    code, out, _ = run_doctor(
        capsys,
        "--lang",
        "zh-CN",
        "--traceback",
        pasted("numpy2-torch-import.txt"),
        "--facts",
        WORKSTATION,
    )
    assert code == 1 and "NUMPY_ABI" in out
    assert "NumPy 2.1.0" in out and "numpy<2" in out
    assert "修复" in out  # the paragraph is in Simplified Chinese


def test_text_without_a_known_error_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "log.txt"
    f.write_text("Epoch 1/10: loss 0.31\nEpoch 2/10: loss 0.22\n")
    code, out, err = run_doctor(capsys, "--traceback", str(f), "--facts", WORKSTATION)
    assert code == 2 and out == ""
    assert err.startswith("envwizard: error: ") and "found no error it knows" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_an_unreadable_paste_is_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, what: str
) -> None:
    path = tmp_path / "nope.txt" if what == "missing" else tmp_path
    code, _, err = run_doctor(capsys, "--traceback", str(path), "--facts", WORKSTATION)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
