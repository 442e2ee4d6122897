"""The Facts: what the probe found, as plain data the planner can read.

The schema-1 keys (docs/facts.md) are the contract: a facts file holding only those must plan.
Everything else the probe adds is optional here, so a facts file from another machine, or
one written by hand, loads as long as the contract keys are right.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import N_, _
from envwizard.facts.pipconfig import PipConfig

SCHEMA = 1
SYSTEMS = ("Linux", "Darwin", "Windows")
VENDORS = ("nvidia", "amd", "intel", "apple")
_VERSION = re.compile(r"^\d+(\.\d+)*$")
_PY_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?((a|b|rc)\d+)?\+?$")


@dataclass
class OSInfo:
    """Operating system facts that decide which wheels exist."""

    system: str
    machine: str
    glibc: str | None = None
    wsl: bool = False
    macos_version: str | None = None
    kernel: str | None = None
    distro: str | None = None
    jetson_l4t: str | None = None
    """L4T release on NVIDIA Jetson boards (PyTorch's aarch64 wheels do not fit them)."""
    rosetta: bool = False
    """An x86_64 Python translated by Rosetta on an Apple Silicon Mac."""
    libc: str | None = None
    """"musl" on musl-based Linux (Alpine), where no manylinux wheel installs; else null."""


@dataclass
class GPU:
    """One accelerator. `compute_capability` is NVIDIA's, `arch` is AMD's gfx target."""

    vendor: str
    name: str
    memory_mib: int | None = None
    compute_capability: str | None = None
    arch: str | None = None
    integrated: bool = False
    index: int | None = None
    pci_id: str | None = None
    source: str | None = None


@dataclass
class PythonInfo:
    """An interpreter: the one running envwizard, or one found on this machine."""

    version: str
    executable: str
    origin: str | None = None
    """How it was found: current, PATH, pyenv, conda, uv."""
    bits: int | None = None
    implementation: str | None = None
    has_venv: bool | None = None
    has_ensurepip: bool | None = None
    ensurepip_pip: str | None = None
    """The pip version `python -m venv` would seed (decides pip's progress-bar options)."""
    pip: str | None = None
    externally_managed: bool | None = None
    """PEP 668: pip refuses to install into this interpreter's own site-packages."""
    in_venv: bool | None = None
    conda_base: bool | None = None
    error: str | None = None
    free_threaded: bool | None = None
    """A free-threaded build (3.13t/3.14t): it needs its own cp3XXt wheels."""


@dataclass
class Manager:
    """An environment manager or installer found on PATH (conda, uv, virtualenv, …)."""

    name: str
    path: str | None = None
    version: str | None = None
    envs_dir: str | None = None
    """Where a conda-like manager puts environments given by name."""
    error: str | None = None


@dataclass
class Facts:
    """Everything the planner may read about a machine."""

    os: OSInfo
    python: PythonInfo
    gpus: list[GPU] = field(default_factory=list)
    nvidia_driver: str | None = None
    cuda_driver: str | None = None
    """The newest CUDA the driver supports ("13.0"), when the driver reports it."""
    schema: int = SCHEMA
    pythons: list[PythonInfo] = field(default_factory=list)
    managers: dict[str, Manager] = field(default_factory=dict)
    cpu: dict[str, Any] = field(default_factory=dict)
    memory_mib: int | None = None
    disk: dict[str, Any] = field(default_factory=dict)
    home: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    """Where each fact came from ("nvidia_driver": "NVML")."""
    unknown: dict[str, str] = field(default_factory=dict)
    """Facts that could not be read, with why ("gpus.amd": "timed out after 3 s")."""
    pip_config: PipConfig | None = None
    """What `pip install` is configured with here (None: not known, e.g. another host's facts)."""
    normalised: list[str] = field(default_factory=list)
    """How values written in other tools' forms were read ("os.glibc 'ldd (GNU libc) 2.35' read as '2.35'")."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: contract keys first, then what the probe added."""
        data = asdict(self)
        ordered = {k: data.pop(k) for k in ("schema", "os", "python", "gpus", "nvidia_driver")}
        ordered.update(data)
        return ordered

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @property
    def nvidia_gpus(self) -> list[GPU]:
        return [g for g in self.gpus if g.vendor == "nvidia"]

    @property
    def amd_gpus(self) -> list[GPU]:
        return [g for g in self.gpus if g.vendor == "amd"]

    @property
    def intel_gpus(self) -> list[GPU]:
        return [g for g in self.gpus if g.vendor == "intel"]

    @classmethod
    def read(cls, data: Any, where: str = "facts", notes: list[str] | None = None) -> Facts:
        """Check facts already normalised (facts.load); a wrong contract key is an InvalidInput
        naming its path. `notes` are the normalisations made, kept in `normalised`."""
        notes = notes or []
        r = _Reader(where)
        obj = r.mapping(data, "")
        schema = obj.get("schema")
        if "schema" not in obj:
            raise InvalidInput(
                _(
                    "{where}: holds none of the facts a plan needs (os, python, gpus, "
                    "nvidia_driver); `envwizard probe --json` on that machine writes them"
                ).format(where=where)
            )
        if schema != SCHEMA:
            r.fail(
                "schema",
                schema,
                N_(
                    "{where}: {path} is {value}; expected {schema} (this envwizard reads schema {schema} facts)"
                ),
                schema=str(SCHEMA),
            )
        os_d = r.mapping(r.need(obj, "os", ""), "os")
        os_info = OSInfo(
            system=r.choice(r.need(os_d, "system", "os"), "os.system", SYSTEMS),
            machine=r.text(r.need(os_d, "machine", "os"), "os.machine"),
            glibc=r.version(os_d.get("glibc"), "os.glibc", optional=True),
            wsl=r.boolean(os_d.get("wsl", False), "os.wsl"),
            macos_version=r.version(os_d.get("macos_version"), "os.macos_version", optional=True),
            kernel=r.opt_text(os_d.get("kernel"), "os.kernel"),
            distro=r.opt_text(os_d.get("distro"), "os.distro"),
            jetson_l4t=r.opt_text(os_d.get("jetson_l4t"), "os.jetson_l4t"),
            rosetta=r.boolean(os_d.get("rosetta", False), "os.rosetta"),
            libc=r.opt_text(os_d.get("libc"), "os.libc"),
        )
        python = _python(r, r.need(obj, "python", ""), "python")
        gpus_raw = obj.get("gpus", [])
        if not isinstance(gpus_raw, list):
            r.fail("gpus", gpus_raw, N_("{where}: {path} is {value}; expected a list of GPUs"))
        gpus = [_gpu(r, g, f"gpus[{i}]") for i, g in enumerate(gpus_raw)]
        pythons_raw = obj.get("pythons", [])
        if not isinstance(pythons_raw, list):
            r.fail(
                "pythons",
                pythons_raw,
                N_("{where}: {path} is {value}; expected a list of interpreters"),
            )
        managers_raw = r.mapping(obj.get("managers", {}), "managers")
        managers = {}
        for name, m in managers_raw.items():
            m = r.mapping(m, f"managers.{name}")
            managers[name] = Manager(
                name=name,
                path=r.opt_text(m.get("path"), f"managers.{name}.path"),
                version=r.opt_text(m.get("version"), f"managers.{name}.version"),
                envs_dir=r.opt_text(m.get("envs_dir"), f"managers.{name}.envs_dir"),
                error=r.opt_text(m.get("error"), f"managers.{name}.error"),
            )
        memory = obj.get("memory_mib")
        return cls(
            schema=SCHEMA,
            os=os_info,
            python=python,
            gpus=gpus,
            nvidia_driver=r.version(obj.get("nvidia_driver"), "nvidia_driver", optional=True),
            cuda_driver=r.version(obj.get("cuda_driver"), "cuda_driver", optional=True),
            pythons=[_python(r, p, f"pythons[{i}]") for i, p in enumerate(pythons_raw)],
            managers=managers,
            cpu=r.mapping(obj.get("cpu", {}), "cpu"),
            memory_mib=memory if isinstance(memory, int) else None,
            disk=r.mapping(obj.get("disk", {}), "disk"),
            home=r.opt_text(obj.get("home"), "home"),
            sources={
                str(k): str(v) for k, v in r.mapping(obj.get("sources", {}), "sources").items()
            },
            unknown={
                str(k): str(v) for k, v in r.mapping(obj.get("unknown", {}), "unknown").items()
            },
            pip_config=(
                PipConfig.from_dict(r.mapping(obj["pip_config"], "pip_config"))
                if obj.get("pip_config") is not None
                else None
            ),
            normalised=[*notes, *(str(n) for n in obj.get("normalised") or [] if n not in notes)],
        )


def _python(r: _Reader, data: Any, path: str) -> PythonInfo:
    d = r.mapping(data, path)
    bits = d.get("bits")
    return PythonInfo(
        version=r.py_version(r.need(d, "version", path), f"{path}.version"),
        executable=r.text(r.need(d, "executable", path), f"{path}.executable"),
        origin=r.opt_text(d.get("origin"), f"{path}.origin"),
        bits=bits if isinstance(bits, int) else None,
        implementation=r.opt_text(d.get("implementation"), f"{path}.implementation"),
        has_venv=r.opt_bool(d.get("has_venv"), f"{path}.has_venv"),
        has_ensurepip=r.opt_bool(d.get("has_ensurepip"), f"{path}.has_ensurepip"),
        ensurepip_pip=r.opt_text(d.get("ensurepip_pip"), f"{path}.ensurepip_pip"),
        pip=r.opt_text(d.get("pip"), f"{path}.pip"),
        externally_managed=r.opt_bool(d.get("externally_managed"), f"{path}.externally_managed"),
        in_venv=r.opt_bool(d.get("in_venv"), f"{path}.in_venv"),
        conda_base=r.opt_bool(d.get("conda_base"), f"{path}.conda_base"),
        error=r.opt_text(d.get("error"), f"{path}.error"),
        free_threaded=r.opt_bool(d.get("free_threaded"), f"{path}.free_threaded"),
    )


def _gpu(r: _Reader, data: Any, path: str) -> GPU:
    d = r.mapping(data, path)
    mem = d.get("memory_mib")
    if mem is not None and (not isinstance(mem, int) or isinstance(mem, bool) or mem < 0):
        r.fail(
            f"{path}.memory_mib",
            mem,
            N_("{where}: {path} is {value}; expected a whole number of MiB, or null"),
        )
    cc = r.version(d.get("compute_capability"), f"{path}.compute_capability", optional=True)
    if cc is not None and not re.fullmatch(r"\d+\.\d+", cc):
        r.fail(
            f"{path}.compute_capability",
            cc,
            N_('{where}: {path} is {value}; expected major.minor, such as "8.9"'),
        )
    index = d.get("index")
    return GPU(
        vendor=r.choice(r.need(d, "vendor", path), f"{path}.vendor", VENDORS),
        name=r.text(r.need(d, "name", path), f"{path}.name"),
        memory_mib=mem,
        compute_capability=cc,
        arch=r.opt_text(d.get("arch"), f"{path}.arch"),
        integrated=r.boolean(d.get("integrated", False), f"{path}.integrated"),
        index=index if isinstance(index, int) else None,
        pci_id=r.opt_text(d.get("pci_id"), f"{path}.pci_id"),
        source=r.opt_text(d.get("source"), f"{path}.source"),
    )


_NEEDED = {
    "os": N_('an object such as {"system": "Linux", "machine": "x86_64", "glibc": "2.35"}'),
    "os.system": N_("Linux, Darwin or Windows"),
    "os.machine": N_("x86_64, aarch64, arm64 or AMD64"),
    "python": N_('an object such as {"version": "3.12"}'),
    "python.version": N_("such as 3.12"),
}
"""What a missing contract key holds, said beside the refusal."""


class _Reader:
    """Small typed accessors whose errors name the key path, the value and what is allowed."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, value: Any, expected: str, **names: str) -> NoReturn:
        """Refuse `value` at `path`: `expected` is a whole sentence marked with N_."""
        shown = json.dumps(value) if not isinstance(value, str) else repr(value)
        raise InvalidInput(_(expected).format(where=self.where, path=path, value=shown, **names))

    def top_level(self, value: Any) -> NoReturn:
        kind = (
            _("a list")
            if isinstance(value, list)
            else _("a string")
            if isinstance(value, str)
            else (json.dumps(value) if not isinstance(value, str) else repr(value))[:40]
        )
        raise InvalidInput(
            _("{where}: the top level is {value}; expected an object").format(
                where=self.where, value=kind
            )
        )

    def need(self, obj: dict[str, Any], key: str, parent: str) -> Any:
        if key not in obj:
            where = f"{parent}.{key}" if parent else key
            what = _NEEDED.get(where)
            raise InvalidInput(
                _("{where}: missing key {key} ({what})").format(
                    where=self.where, key=repr(where), what=_(what)
                )
                if what
                else _("{where}: missing key {key}").format(where=self.where, key=repr(where))
            )
        return obj[key]

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            if not path:
                self.top_level(value)
            self.fail(path, value, N_("{where}: {path} is {value}; expected an object"))
        return value

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            self.fail(path, value, N_("{where}: {path} is {value}; expected a non-empty string"))
        return value

    def opt_text(self, value: Any, path: str) -> str | None:
        return None if value is None else self.text(value, path)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, value, N_("{where}: {path} is {value}; expected true or false"))
        return value

    def opt_bool(self, value: Any, path: str) -> bool | None:
        return None if value is None else self.boolean(value, path)

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in allowed:
            self.fail(
                path,
                value,
                N_("{where}: {path} is {value}; expected one of {choices}"),
                choices=", ".join(allowed),
            )
        return value

    def py_version(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _PY_VERSION.match(value):
            self.fail(
                path,
                value,
                N_('{where}: {path} is {value}; expected a Python version such as "3.11.7"'),
            )
        return value

    def version(self, value: Any, path: str, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not _VERSION.match(value):
            self.fail(
                path,
                value,
                N_('{where}: {path} is {value}; expected a dotted version such as "2.35" or null')
                if optional
                else N_('{where}: {path} is {value}; expected a dotted version such as "2.35"'),
            )
        return value
