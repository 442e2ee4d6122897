"""The stack decision over GPUs, drivers, Pythons and platforms: what goes beside torch.

Machines are schema-1 facts built in code (as in test_decide), so each case is a machine a
`plan --facts` file can describe. Every expectation names the source it comes from; the same
sources are the rows of envwizard/knowledge/stack.toml, and tests/stack/test_stack_knowledge.py checks
the rows against the wheels' own metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envwizard.core.errors import ImpossibleRequest
from envwizard.decide.decision import decide
from envwizard.decide.stack import Role, Source, StackDecision, StackItem, decide_stack, kernel_name
from envwizard.facts.load import facts_from_dict
from envwizard.facts.model import Facts
from envwizard.plan.build import make_plan
from envwizard.settings.answers import validate

from ..test_decide import (
    A100,
    FUTURE,
    GTX1080,
    H100,
    KB,
    M40,
    MI300X,
    ORIN,
    R470,
    R535,
    R580,
    RTX4090,
    T4,
    V100,
    apple,
    mac,
    machine,
    windows,
)

ENV = "/srv/envs/dl"
SDPA = "scaled_dot_product_attention"


def stack(facts: Facts, **answers: Any) -> StackDecision:
    a = validate({"env": ENV, **answers}, cwd="/work")
    return decide_stack(facts, a, decide(facts, a, KB), KB)


def item(s: StackDecision, name: str) -> StackItem:
    found = s.item(name)
    assert found is not None, [i.name for i in s.items]
    return found


def refused(facts: Facts, **answers: Any) -> str:
    with pytest.raises(ImpossibleRequest) as e:
        stack(facts, **answers)
    return str(e.value)


CPU = machine()  # Linux x86_64, no GPU, Python 3.11 (this machine's kind)


# ---- stacks as data ----------------------------------------------------------------------------


def test_the_default_stack_is_the_tutorial_line() -> None:
    # PyTorch's install selector: pip3 install torch torchvision torchaudio; numpy because
    # torch's CPU wheel does not depend on it and warns without it (torch 2.13.0+cpu METADATA).
    s = stack(CPU)
    assert s.name == "tutorial"
    assert [i.name for i in s.items] == ["torchvision", "torchaudio", "numpy"]
    assert all(i.included and not i.asked for i in s.items)
    assert [i.source for i in s.items] == [Source.TORCH, Source.TORCH, Source.INDEX]
    assert "Failed to initialize NumPy" in item(s, "numpy").why


def test_torch_stack_is_torch_alone_and_packages_add_to_any_stack() -> None:
    assert stack(CPU, stack="torch").items == ()
    s = stack(CPU, stack="torch", packages=["torchvision", "rich"])
    assert [(i.name, i.asked) for i in s.items] == [("torchvision", True)]  # rich: not decided
    s = stack(CPU, packages=["Transformers>=5"])
    assert [i.name for i in s.items][-1] == "transformers" and item(s, "transformers").asked
    assert item(s, "transformers").requirement == "transformers>=5"


def test_llm_stack_holds_the_fine_tuning_set_and_the_extensions() -> None:
    s = stack(CPU, stack="llm")
    assert [i.name for i in s.items] == [
        "torchvision", "torchaudio", "numpy", "transformers", "peft", "accelerate", "datasets",
        "bitsandbytes", "flash-attn", "xformers", "triton",
    ]  # fmt: skip


# ---- companions: matched to torch's release and variant ---------------------------------------


@pytest.mark.parametrize(
    ("torch", "torchvision", "torchaudio"),
    [
        # torchvision wheels pin one torch release (Requires-Dist torch==X.Y.Z) up to 0.29.0;
        # torchaudio the same up to 2.10.0 (docs.pytorch.org/audio/2.11.0/installation.html).
        ("==2.5.*", "torchvision==0.20.*", "torchaudio==2.5.*"),
        ("==2.10.*", "torchvision==0.25.*", "torchaudio==2.10.*"),
        ("==2.11.*", "torchvision==0.26.*", "torchaudio==2.11.*"),
        # torchaudio's last release is 2.11 (pytorch/audio#3902); 2.11.1 supports torch >= 2.11
        # (pytorch/audio v2.11.1 release, #4225): no torchaudio 2.12/2.13 exists.
        ("==2.12.*", "torchvision==0.27.*", "torchaudio>=2.11.1,<2.12"),
        ("==2.13.0", "torchvision==0.28.*", "torchaudio>=2.11.1,<2.12"),
        # torchvision 0.29.1 relaxed its pin to torch>=2.14 (pytorch/vision v0.29.1, #9683).
        ("==2.14.*", "torchvision>=0.29.1,<0.30", "torchaudio>=2.11.1,<2.12"),
        # A release past the table is planned by the stable-ABI rows, not a guessed 0.30/2.15.
        (">=2.15", "torchvision>=0.29.1,<0.30", "torchaudio>=2.11.1,<2.12"),
    ],
)
def test_companions_follow_each_companions_own_pairing(
    torch: str, torchvision: str, torchaudio: str
) -> None:
    s = stack(CPU, torch=torch, compute="cpu")
    assert item(s, "torchvision").requirement == torchvision
    assert item(s, "torchaudio").requirement == torchaudio
    assert item(s, "torchvision").ref and item(s, "torchvision").as_of


def test_companions_come_from_torchs_own_index_and_say_which_build() -> None:
    # Same sub-index as torch: a CUDA torchvision beside a CPU torch fails
    # "operator torchvision::nms does not exist" (reproduced with 2.13.0+cpu and 0.28.0).
    s = stack(machine(RTX4090, driver=R580))
    tv = item(s, "torchvision")
    assert tv.source is Source.TORCH and tv.device == "cuda"
    assert "cu132" in tv.why or "cu130" in tv.why
    p = make_plan(
        machine(RTX4090, driver=R580), validate({"env": ENV, "packages": ["torchvision"]})
    )
    assert "torchvision>=0.29.1,<0.30" in p.step("install-torch").argv


def test_companion_gap_leaves_them_out_of_the_default_stack_and_refuses_them_asked() -> None:
    # Windows XPU 2.5: "build from source for torchvision and torchaudio"
    # (docs.pytorch.org/docs/2.5/_sources/notes/get_start_xpu.rst.txt).
    arc = {"vendor": "intel", "name": "Intel(R) Arc(TM) A770 Graphics", "integrated": False}
    win_arc = windows(arc)
    s = stack(win_arc, torch="==2.5.*", compute="xpu")
    assert not item(s, "torchvision").included
    assert "build from source" in item(s, "torchvision").why
    msg = refused(win_arc, torch="==2.5.*", compute="xpu", packages=["torchaudio"])
    assert msg.startswith("packages: 'torchaudio' cannot be installed here")


def test_asked_companions_keep_extras_markers_and_exact_pins() -> None:
    s = stack(machine(RTX4090, driver=R580), packages=["torchvision[extra]>=0.20"])
    assert item(s, "torchvision").requirement == "torchvision[extra]>=0.29.1,<0.30"
    s = stack(machine(RTX4090, driver=R580), packages=["torchvision==0.29.2"])
    assert item(s, "torchvision").requirement == "torchvision==0.29.2"
    s = stack(machine(RTX4090, driver=R580), packages=["torchaudio; sys_platform == 'linux'"])
    assert item(s, "torchaudio").requirement == 'torchaudio>=2.11.1,<2.12; sys_platform == "linux"'
    s = stack(machine(), torch="==2.3.*", packages=["torchvision", "TorchAudio", "numpy"])
    assert [i.requirement for i in s.items] == [
        "torchvision==0.18.*", "torchaudio==2.3.*", "numpy<2",
    ]  # fmt: skip


def test_jetson_companions_come_from_nvidias_jetson_index_with_torch() -> None:
    facts = machine(ORIN, arch="aarch64", python="3.10.12", jetson_l4t="36.4.7")
    p = make_plan(facts, validate({"env": ENV, "packages": ["torchvision"]}), KB)
    assert p.decision.index_owner == "jetson"
    assert "torchvision==0.26.*" in p.step("install-torch").argv


def test_a_companion_that_does_not_match_torch_is_refused() -> None:
    msg = refused(machine(RTX4090, driver=R580), packages=["torchvision==0.20.*"])
    assert msg.startswith("packages: 'torchvision==0.20.*' does not match torch 2.14")
    assert "torchvision>=0.29.1,<0.30" in msg
    msg = refused(CPU, packages=["torchvision @ https://x.example/tv.whl"])
    assert "names a URL" in msg


# ---- libraries: floors per release line --------------------------------------------------------


def test_llm_libraries_are_capped_below_releases_this_python_or_torch_cannot_take() -> None:
    # transformers >= 5.21 and accelerate 1.16 need Python >= 3.11 and torch >= 2.6 (their
    # wheels' Requires-Python and torch requirements, read 2026-12-06).
    s = stack(machine(python="3.10.14"), stack="llm")
    assert item(s, "transformers").requirement == "transformers<5.21"
    assert item(s, "accelerate").requirement == "accelerate<1.16"
    assert "library-python-floor" in item(s, "transformers").codes
    s = stack(CPU, stack="llm", torch="==2.5.*")
    assert item(s, "transformers").requirement == "transformers<5.21"
    assert "library-torch-floor" in item(s, "transformers").codes
    s = stack(CPU, stack="llm")
    assert item(s, "transformers").requirement == "transformers"


def test_numpy_follows_torchs_numpy_1_pin() -> None:
    # torch 2.2/2.3 were built against NumPy 1.x (pytorch/pytorch#114602).
    s = stack(CPU, torch="==2.3.*")
    assert item(s, "numpy").requirement == "numpy<2"
    assert "numpy-pin" in item(s, "numpy").codes


def test_an_asked_library_pin_past_a_floor_is_refused() -> None:
    msg = refused(machine(python="3.10.14"), packages=["transformers==5.25.0"])
    assert "transformers 5.21 and newer need Python 3.11 or newer" in msg


# ---- extensions: only a prebuilt build that fits ------------------------------------------------


def test_flash_attn_left_out_on_turing() -> None:
    # FlashAttention 2 supports Ampere, Ada and Hopper (sm_80+); Turing has its own repository
    # (Dao-AILab/flash-attention README.md@0251105).
    s = stack(machine(T4, driver=R580), stack="llm", torch="==2.8.*")
    fa = item(s, "flash-attn")
    assert not fa.included and fa.requirement is None
    assert "sm_80 or newer" in fa.why and "Tesla T4 (sm_75)" in fa.why and SDPA in fa.why
    assert "compute-capability" in fa.codes


def test_flash_attn_left_out_on_windows() -> None:
    # Its release matrix builds Linux wheels only (.github/workflows/publish.yml at v2.8.3).
    s = stack(windows(RTX4090, driver="581.57"), stack="llm", torch="==2.8.*")
    assert not item(s, "flash-attn").included
    assert "platform" in item(s, "flash-attn").codes


def test_flash_attn_left_out_past_its_last_torch() -> None:
    # v2.8.3(.post1) publish torch 2.4-2.8 wheels only; newer torch has no official wheel.
    s = stack(machine(H100, driver=R580), stack="llm")
    fa = item(s, "flash-attn")
    assert not fa.included and "torch 2.4–2.8 only; this torch is 2.14" in fa.why


def test_flash_attn_included_as_the_exact_release_asset_never_a_source_build() -> None:
    # setup.py get_wheel_url: flash_attn-{v}+cu{major}torch{X.Y}cxx11abi{ABI}-cp{py}-cp{py}-linux_x86_64.whl;
    # the default index holds only the sdist, which builds for hours when no asset matches.
    s = stack(machine(A100, driver=R580), stack="llm", torch="==2.8.*")
    fa = item(s, "flash-attn")
    assert fa.included and fa.source is Source.URL
    assert fa.requirement == (
        "flash-attn @ https://github.com/Dao-AILab/flash-attention/releases/download/v2.8.3/"
        "flash_attn-2.8.3+cu12torch2.8cxx11abiTRUE-cp311-cp311-linux_x86_64.whl"
    )
    s = stack(machine(A100, driver=R580), stack="llm", torch="==2.6.*", compute="cu126")
    assert "cxx11abiFALSE" in (item(s, "flash-attn").requirement or "")


@pytest.mark.parametrize(
    ("torch", "compute", "xformers"),
    [
        # Each xformers release <= 0.0.34 pins one torch (wheel Requires-Dist torch==X.Y.Z);
        # 0.0.35 is on torch's stable ABI and wants torch>=2.10 (xformers CHANGELOG 0.0.34/0.0.35).
        ("==2.5.*", "cu124", "xformers==0.0.28.post3"),
        ("==2.6.*", "cu126", "xformers==0.0.29.post3"),
        ("==2.7.*", "cu128", "xformers==0.0.31.post1"),
        ("==2.8.*", "cu128", "xformers==0.0.32.post2"),
        ("==2.9.*", "cu128", "xformers==0.0.33.post2"),
        ("==2.10.*", "cu128", "xformers==0.0.35"),
        ("==2.14.*", "cu130", "xformers==0.0.35"),
    ],
)
def test_xformers_matched_to_torch(torch: str, compute: str, xformers: str) -> None:
    s = stack(machine(RTX4090, driver=R580), stack="llm", torch=torch, compute=compute)
    x = item(s, "xformers")
    assert (x.included, x.requirement, x.source) == (True, xformers, Source.TORCH)


def test_xformers_left_out_where_no_build_is_published() -> None:
    # Published for cu126/cu128/cu130/rocm7.1 (xformers v0.0.35 .github/workflows/wheels.yml).
    x = item(stack(machine(RTX4090, driver=R580), stack="llm", compute="cu132"), "xformers")
    assert not x.included and "variant" in x.codes
    assert "compute: cu130" in x.why
    # CUDA/ROCm kernels only; "no longer support V100 or older" (CHANGELOG 0.0.31).
    assert not item(stack(CPU, stack="llm"), "xformers").included
    v100 = item(stack(machine(V100, driver=R580), stack="llm", torch="==2.8.*"), "xformers")
    assert not v100.included and "sm_75 or newer" in v100.why


def test_an_asked_extension_that_cannot_fit_is_refused_before_anything_is_made() -> None:
    msg = refused(CPU, packages=["xformers"])
    assert msg.startswith("packages: 'xformers' cannot be installed here")
    assert "CPU build" in msg
    msg = refused(machine(T4, driver=R580), torch="==2.8.*", packages=["flash-attn"])
    assert "sm_80" in msg and SDPA in msg
    msg = refused(machine(RTX4090, driver=R580), compute="cu130", packages=["xformers==0.0.30"])
    assert "xformers==0.0.35" in msg


def test_bitsandbytes_picks_the_library_for_torchs_cuda_and_checks_its_kernels() -> None:
    # 0.50: CUDA 11.8-12.6 libraries carry sm_60+, 12.8 sm_70+, 13.x sm_75+
    # (bitsandbytes 0.50.1 docs/source/installation.mdx; cextension.py library choice).
    s = stack(machine(GTX1080, driver=R580), stack="llm", compute="cu126")
    assert item(s, "bitsandbytes").included
    # torch runs a GPU newer than its SASS through PTX; bitsandbytes carries no PTX.
    s = stack(machine(FUTURE, driver=R580), stack="llm")
    b = item(s, "bitsandbytes")
    assert not b.included and "sass" in b.codes
    assert "CUDA 13.0 library carries kernels for sm_75–sm_120, nothing for" in b.why
    # Maxwell dropped from the wheels at 0.48 (CC floor 6.0).
    assert not item(stack(machine(M40, driver=R580), stack="llm"), "bitsandbytes").included


def test_bitsandbytes_on_cpu_mac_and_where_no_wheel_exists() -> None:
    # One py3-none wheel per platform, CPU library inside; macOS arm64 from 0.49; no macOS
    # x86_64 wheel for any release (wheel listings read 2026-12-06).
    assert item(stack(CPU, stack="llm"), "bitsandbytes").included
    assert item(stack(mac("14.5", apple()), stack="llm"), "bitsandbytes").included
    intel_mac = item(stack(mac("13.6", arch="x86_64"), stack="llm"), "bitsandbytes")
    assert not intel_mac.included and "platform" in intel_mac.codes


def test_triton_comes_with_a_cuda_torch_on_linux_only() -> None:
    # torch's Linux wheels require triton (2.13.0: triton==3.7.1; 2.14: triton~=3.8.0); the
    # +cpu wheel has no triton dependency; no official triton for Windows (pytorch/pytorch#136361).
    t = item(stack(machine(RTX4090, driver=R580), stack="llm", torch="==2.13.0"), "triton")
    assert (t.included, t.requirement, t.source) == (True, "triton==3.7.1", Source.WITH_TORCH)
    assert not item(stack(CPU, stack="llm"), "triton").included
    assert (
        "triton-windows"
        in item(stack(windows(RTX4090, driver="581.57"), stack="llm"), "triton").why
    )
    rocm = item(stack(machine(MI300X), stack="llm"), "triton")
    assert rocm.requirement == "pytorch-triton-rocm"


def test_jetson_gets_no_server_aarch64_extension() -> None:
    # bitsandbytes' aarch64 wheels do not run on L4T ("named symbol not found"; installation.mdx).
    orin = machine(ORIN, arch="aarch64", jetson_l4t="36.4.7")
    b = item(stack(orin, stack="llm"), "bitsandbytes")
    assert not b.included and "jetson" in b.codes


# ---- frameworks ----------------------------------------------------------------------------------


def test_jax_cuda13_needs_driver_580_and_sm75_else_cuda12() -> None:
    # "the driver version must be >= 525 for CUDA 12 on Linux, and >= 580 for CUDA 13"; "On CUDA
    # 13, JAX supports ... SM version 7.5 or newer" (jax-ml/jax@cec06d1:docs/installation.md).
    j = item(stack(machine(RTX4090, driver=R580), frameworks=["jax"]), "jax")
    assert (j.requirement, j.device) == ("jax[cuda13]>=0.7.2,<0.11", "gpu")
    j = item(stack(machine(RTX4090, driver=R535), frameworks=["jax"]), "jax")
    assert j.requirement == "jax[cuda12]>=0.7.2,<0.11"
    j = item(stack(machine(GTX1080, driver=R580), frameworks=["jax"]), "jax")
    assert j.requirement == "jax[cuda12]>=0.7.2,<0.11"  # sm_61 < sm_75


def test_jax_cuda_refused_below_its_driver_floor_runs_on_the_cpu_and_says_what_would_help() -> None:
    j = item(stack(machine(GTX1080, driver=R470), frameworks=["jax"]), "jax")
    assert (j.included, j.requirement, j.device) == (True, "jax>=0.7.2,<0.11", "cpu")
    assert "needs NVIDIA driver 525 or newer; this driver is 470.256.02" in j.why
    assert "help-driver" in j.codes


def test_jax_follows_its_python_floors() -> None:
    # 0.7.0: Python >= 3.11; 0.11.0 dropped 3.11 (jax CHANGELOG.md).
    assert (
        item(stack(machine(python="3.12.3"), frameworks=["jax"]), "jax").requirement == "jax>=0.11"
    )
    j = item(stack(machine(python="3.10.14"), frameworks=["jax"]), "jax")
    assert j.requirement == "jax>=0.4.31,<0.7.2"


def test_jax_on_windows_is_the_cpu_build_and_wsl_gets_the_gpu() -> None:
    # NVIDIA GPU: Linux x86_64/aarch64 yes, Windows native no, WSL2 experimental
    # (docs/installation.md "Supported platforms"); no win_amd64 jax-cuda12-plugin wheel.
    j = item(stack(windows(RTX4090, driver="581.57"), frameworks=["jax"]), "jax")
    assert j.device == "cpu" and "WSL2" in j.why
    wsl = machine(RTX4090, driver="581.57", wsl=True)
    j = item(stack(wsl, frameworks=["jax"]), "jax")
    assert j.device == "gpu" and "jax-wsl" in j.codes


def test_tensorflow_and_cuda_on_linux_with_its_floors_else_the_cpu_package() -> None:
    # and-cuda: CUDA 12 libraries, driver >= 525.60.13 (pip.md); CC 5.x removed in 2.17.
    t = item(stack(machine(RTX4090, driver=R580), frameworks=["tensorflow"]), "tensorflow")
    assert (t.requirement, t.device) == ("tensorflow[and-cuda]==2.21.*", "gpu")
    t = item(stack(machine(M40, driver=R580), frameworks=["tensorflow"]), "tensorflow")
    assert t.requirement == "tensorflow-cpu==2.21.*" and "sm_60 or newer" in t.why
    t = item(stack(windows(RTX4090, driver="581.57"), frameworks=["tensorflow"]), "tensorflow")
    assert t.requirement == "tensorflow-cpu==2.21.*" and "WSL2" in t.why
    # tensorflow-cpu has no linux_aarch64 wheel; `tensorflow` there (wheel listing 2026-12-06).
    arm = machine(arch="aarch64")
    assert (
        item(stack(arm, frameworks=["tensorflow"]), "tensorflow").requirement
        == "tensorflow==2.21.*"
    )
    assert (
        item(stack(mac("14.5", apple()), frameworks=["tensorflow"]), "tensorflow").device == "cpu"
    )


def test_a_framework_that_cannot_run_is_left_out_with_the_nearest_that_can() -> None:
    # TensorFlow 2.21: Python 3.10-3.13 (source.md); JAX has Python 3.14 wheels.
    s = stack(machine(python="3.14.0"), frameworks=["tensorflow"])
    t = item(s, "tensorflow")
    assert not t.included and "Python 3.10–3.13" in t.why and "frameworks: [jax]" in t.why
    assert t.role is Role.FRAMEWORK


def test_compute_cpu_keeps_the_frameworks_on_the_cpu() -> None:
    s = stack(machine(RTX4090, driver=R580), compute="cpu", frameworks=["jax", "tensorflow"])
    assert [item(s, n).device for n in ("jax", "tensorflow")] == ["cpu", "cpu"]


# ---- Jupyter --------------------------------------------------------------------------------------


def test_jupyter_adds_ipykernel_and_names_the_kernel_after_the_environment() -> None:
    s = stack(CPU, jupyter=True)
    assert item(s, "ipykernel").role is Role.JUPYTER and item(s, "ipykernel").included
    assert s.kernel is not None and s.kernel.name == "dl"
    assert s.kernel.display_name == "Python (dl, torch {torch})"
    assert stack(CPU).kernel is None and stack(CPU).item("ipykernel") is None
    # ipykernel 7.4 needs Python >= 3.11 (its wheel's Requires-Python).
    assert item(stack(machine(python="3.10.14"), jupyter=True), "ipykernel").requirement == (
        "ipykernel<7.4"
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ("/srv/envs/dl", "dl"),
        ("/x/My Env!", "my-env"),
        ("C:\\envs\\LLM_2", "llm_2"),
        ("/x/..", "envwizard"),
    ],
)
def test_kernel_names_follow_jupyter_clients_rule(env: str, name: str) -> None:
    assert kernel_name(env) == name


# ---- the plan -------------------------------------------------------------------------------------


def test_plan_json_carries_the_stack_with_a_why_for_every_left_out_package() -> None:
    facts = machine(T4, driver=R580)
    p = make_plan(facts, validate({"env": ENV, "stack": "llm", "frameworks": ["jax"]}), KB)
    data = p.to_dict()["stack"]
    assert data["name"] == "llm"
    names = [x["name"] for x in data["packages"]]
    assert names[:3] == ["torchvision", "torchaudio", "numpy"] and names[-1] == "jax"
    for x in data["packages"]:
        assert x["name"] == x["name"].lower()
        assert x["why"] and x["ref"] and x["as_of"]
        assert (x["requirement"] is None) == (not x["included"])


def test_the_stack_decision_is_deterministic() -> None:
    facts = machine(RTX4090, driver=R580)
    answers = {"stack": "llm", "frameworks": ["tensorflow", "jax"], "jupyter": True}
    assert stack(facts, **answers).to_dict() == stack(facts, **answers).to_dict()
    assert [i.name for i in stack(facts, **answers).items][-2:] == ["tensorflow", "jax"]


# ---- machines from facts files (tests/data/facts, the same files `plan --facts` reads) -----------

FACTS = Path(__file__).parent.parent / "data" / "facts"
LLM_ALL = {"stack": "llm", "frameworks": ["jax", "tensorflow"], "jupyter": True}


def planned(fixture: str) -> StackDecision:
    facts = facts_from_dict(json.loads((FACTS / f"{fixture}.json").read_text()))
    env = "C:\\envs\\dl" if facts.os.system == "Windows" else ENV
    p = make_plan(facts, validate({"env": env, **LLM_ALL}, cwd="/work"), KB)
    assert p.stack is not None
    return p.stack


@pytest.mark.parametrize(
    ("fixture", "name", "included", "requirement", "code"),
    [
        # xformers >= 0.0.31: "no longer support V100 or older GPUs" (sm_75 floor).
        ("gtx1080-r580", "xformers", False, None, "compute-capability"),
        # JAX CUDA 13 needs sm_75: a GTX 1080 takes the CUDA 12 plugin (installation.md).
        ("gtx1080-r580", "jax", True, "jax[cuda12]>=0.7.2,<0.11", None),
        # TensorFlow >= 2.17 needs sm_60 (2.17.0 release notes): sm_61 is in.
        ("gtx1080-r580", "tensorflow", True, "tensorflow[and-cuda]==2.21.*", None),
        # JAX's CUDA wheels include linux aarch64 (jax-cuda13-plugin 0.10.2 aarch64 wheel).
        ("gb10-aarch64-r580", "jax", True, "jax[cuda13]>=0.11", None),
        # tensorflow-cpu 2.21.0 has no linux_aarch64 wheel; `tensorflow` is the CPU package there.
        (
            "gb10-aarch64-r580",
            "tensorflow",
            True,
            "tensorflow==2.21.*",
            "tensorflow-no-gpu-platform",
        ),
        ("gb10-aarch64-r580", "xformers", False, None, "platform"),
        # bitsandbytes' aarch64 wheels do not fit L4T (installation.mdx).
        ("jetson-orin-l4t36", "bitsandbytes", False, None, "jetson"),
        ("jetson-orin-l4t36", "jax", True, "jax>=0.4.31,<0.7.2", "framework-jetson"),
        # No macOS x86_64 wheel of jaxlib 0.10.2, tensorflow 2.21 or bitsandbytes 0.50.2.
        ("intel-mac", "jax", False, None, "framework-platform"),
        ("intel-mac", "tensorflow", False, None, "framework-platform"),
        ("intel-mac", "bitsandbytes", False, None, "platform"),
        ("intel-mac", "numpy", True, "numpy<2", "numpy-pin"),
        # bitsandbytes 0.49+ ships macOS arm64 wheels; triton has none.
        ("macos14-arm64", "bitsandbytes", True, "bitsandbytes>=0.50,<0.51", None),
        ("macos14-arm64", "triton", False, None, "triton-macos"),
        # Python 3.8 on a K80: JAX >= 0.4.31 needs 3.10; TensorFlow 2.18+ needs 3.9.
        ("k80-r470", "jax", False, None, "jax-python"),
        ("k80-r470", "tensorflow", False, None, "tensorflow-python"),
        # bitsandbytes' Linux wheels need glibc 2.24 (installation.mdx); CentOS 7 has 2.17.
        ("centos7-glibc217", "bitsandbytes", False, None, "glibc"),
        # No official flash-attn or triton for Windows; JAX/TF GPU only under WSL2.
        ("windows-rtx4090-r528", "flash-attn", False, None, "platform"),
        ("windows-rtx4090-r528", "triton", False, None, "triton-windows"),
        ("windows-rtx4090-r528", "jax", True, "jax>=0.7.2,<0.11", "help-wsl"),
        # Under WSL the Windows driver serves CUDA: 528.24 is below CUDA 12's 528.33.
        ("wsl-rtx4090-r528", "jax", True, "jax>=0.7.2,<0.11", "help-driver"),
        ("wsl-rtx4090-r528", "tensorflow", True, "tensorflow-cpu==2.21.*", "driver-floor"),
        # xformers 0.0.35 serves torch 2.10 and later (stable ABI), cu128 included.
        ("rtx5090-r570", "xformers", True, "xformers==0.0.35", None),
        ("rtx5090-r570", "triton", True, "triton==3.6.0", None),
    ],
)
def test_plans_from_facts_files(
    fixture: str, name: str, included: bool, requirement: str | None, code: str | None
) -> None:
    x = item(planned(fixture), name)
    assert (x.included, x.requirement) == (included, requirement), x.why
    if code:
        assert code in x.codes, (x.codes, x.why)
    assert x.why
