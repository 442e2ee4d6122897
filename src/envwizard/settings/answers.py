"""Answers: what the person chose, from the wizard's screens or from a YAML file.

Validation is the user interface of headless mode, so every error names the key path, the
value found, what is allowed, and a did-you-mean where one fits. YAML is read with the safe
loader (no tags that build objects), duplicate keys are refused, and the file is size-limited.
"""

from __future__ import annotations

import difflib
import os
import re
import reprlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from envwizard.core.errors import InvalidInput
from envwizard.core.i18n import N_, _
from envwizard.core.i18n import normalize as normalize_language
from envwizard.core.values import StrValue
from envwizard.core.versions import spec_text, vkey
from envwizard.knowledge import load as load_knowledge
from envwizard.knowledge.mirrors import CHOICES as MIRROR_CHOICES
from envwizard.knowledge.mirrors import aliases as mirror_aliases
from envwizard.knowledge.mirrors import canonical as mirror_canonical
from envwizard.knowledge.mirrors import names as mirror_names
from envwizard.knowledge.mirrors import presets as mirror_presets
from envwizard.knowledge.stack import load_stack
from envwizard.settings.choices import (
    AUTO_INDEX,
    DEFAULT_INDEX,
    Auto,
    BenchDevice,
    BenchDtype,
    BenchPreset,
    ComputeWord,
    Default,
    Existing,
    Framework,
    InstallerWord,
    Lang,
    Manager,
    Optimizer,
    TorchIndex,
    TorchSource,
    Url,
)

E = TypeVar("E", bound=StrValue)

MANAGERS = tuple(m.value for m in Manager)
CONDA_LIKE = tuple(m.value for m in Manager if m.conda_like)
COMPUTE_WORDS = tuple(w.value for w in ComputeWord)
FRAMEWORKS = tuple(f.value for f in Framework)
_FRAMEWORK_ALIASES = {"tf": "tensorflow", "tensorflow-cpu": "tensorflow", "keras": "tensorflow"}
_FRAMEWORK_ALIASES |= {"jaxlib": "jax", "flax": "jax"}
MAX_BYTES = 256 * 1024
MAX_ENV_PATH = 3584
"""Bytes of an environment's path: PATH_MAX (4096) less room for the deepest file inside it
(torch's wheel alone holds a 200-byte path under site-packages)."""
# PyYAML's scanner takes time quadratic in the depth of `[`/`{` nesting: 5000 levels take
# seconds, and the 130 000 a file of brackets within MAX_BYTES can hold would take most of an
# hour. No answers file nests more than a few levels.
MAX_FLOW_DEPTH = 100
_COMPUTE = re.compile(r"^(cu\d{3}|rocm\d+(\.\d+){1,2})$")
_CONDA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_URL = re.compile(r"^(https?|file)://\S+$")
_WINDOWS_ABS = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")

"""C:\\envs or \\\\server\\share: absolute on Windows, kept as written when planning elsewhere."""
_SYSTEM_DIRS = frozenset([
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt", "/proc", "/root", "/sbin",
    "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var",
])  # fmt: skip
"""Directories an environment must not *be*: `--clear` on one of them would empty it."""


@dataclass
class Benchmark:
    """The training benchmark that ends a run."""

    enabled: bool = True
    device: BenchDevice = BenchDevice.AUTO
    preset: BenchPreset = BenchPreset.AUTO
    seconds: float = 30
    nproc: int = 1
    dtype: BenchDtype = BenchDtype.AUTO
    optimizer: Optimizer = Optimizer.SGD

    def __post_init__(self) -> None:
        # Built in code with plain words (tests, replace()), it still holds the enums.
        self.device, self.preset = BenchDevice(self.device), BenchPreset(self.preset)
        self.dtype, self.optimizer = BenchDtype(self.dtype), Optimizer(self.optimizer)


@dataclass
class Answers:
    """A validated answers document. Paths are absolute once loaded from a file."""

    env: str
    python: str = "current"
    manager: Manager = Manager.VENV
    existing: Existing = Existing.ABORT
    compute: str = ComputeWord.AUTO.value
    """A ComputeWord, or a variant the knowledge names (cu126, rocm6.4)."""
    torch: str | None = None
    packages: list[str] = field(default_factory=list)
    torch_index: TorchIndex = AUTO_INDEX
    index_url: str | None = None
    find_links: list[str] = field(default_factory=list)
    offline: bool = False
    """Install from `find_links` only, with no index at all (air-gapped machines)."""
    torch_source: TorchSource = TorchSource.PIP
    installer: InstallerWord = InstallerWord.AUTO
    keep_failed: bool = False
    stall_seconds: int = 300
    """An installer with no output and no bytes downloaded for this long has stalled: fail it."""
    benchmark: Benchmark = field(default_factory=Benchmark)
    mirror: str = "none"
    """none, auto, or a preset or site name from `envwizard mirrors`."""
    lang: Lang | None = None
    """en or zh-CN; None: the locale decides."""
    stack: str = "tutorial"
    """tutorial (torch, torchvision, torchaudio, numpy), llm or torch; `packages` adds to it."""
    frameworks: list[Framework] = field(default_factory=list)
    """jax and/or tensorflow beside torch."""
    jupyter: bool = False
    """Register the environment as a Jupyter kernel."""

    def __post_init__(self) -> None:
        # Built in code with plain words (tests, replace()), it still holds the typed values.
        self.manager, self.existing = Manager(self.manager), Existing(self.existing)
        self.torch_source, self.installer = (
            TorchSource(self.torch_source),
            InstallerWord(self.installer),
        )
        if isinstance(self.torch_index, str):
            self.torch_index = torch_index_of(self.torch_index)
        self.frameworks = [Framework(f) for f in self.frameworks]

    def to_dict(self) -> dict[str, Any]:
        """The answers document (plain words, numbers and lists) that validates back to these."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    def to_yaml(self) -> str:
        """A YAML document that loads back to these same answers."""
        header = "# envwizard answers: replay with `envwizard --answers THIS_FILE`\n"
        return header + yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @property
    def torch_specifier(self) -> SpecifierSet:
        return SpecifierSet(self.torch or "")

    @property
    def is_conda(self) -> bool:
        return Manager(self.manager).conda_like

    @property
    def env_is_name(self) -> bool:
        """A conda environment given by name rather than by path."""
        return self.is_conda and _CONDA_NAME.match(self.env) is not None


_TOP_KEYS = tuple(f.name for f in fields(Answers))
_BENCH_KEYS = tuple(f.name for f in fields(Benchmark))
_DEFAULT = Answers(env="")
"""Every default, written once (in the dataclasses): validation fills what a document leaves out."""


def torch_index_of(text: str) -> TorchIndex:
    """`auto`, `default` or a URL, as the value an answers file means by it."""
    if text == "auto":
        return AUTO_INDEX
    if text == "default":
        return DEFAULT_INDEX
    return Url(text)


def _plain(value: Any) -> Any:
    """A value as an answers file writes it."""
    if isinstance(value, StrValue):
        return value.value
    if isinstance(value, (Auto, Default, Url)):
        return str(value)
    if isinstance(value, Benchmark):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_answers(path: str | os.PathLike[str], *, cwd: str | None = None) -> Answers:
    """Read and validate an answers file; every problem is an InvalidInput with one sentence."""
    p = Path(path)
    where = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InvalidInput(
                _("{where}: is a directory, not an answers file").format(where=where)
            )
        if size > MAX_BYTES:
            raise InvalidInput(
                _("{where}: is {size} KiB; an answers file is at most {limit} KiB").format(
                    where=where, size=size // 1024, limit=MAX_BYTES // 1024
                )
            )
        with p.open("rb") as f:
            # Bounded even where stat() says 0 bytes: a pipe or /dev/zero never ends.
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput(_("{where}: no such answers file").format(where=where)) from None
    except PermissionError:
        raise InvalidInput(
            _("{where}: cannot be read (permission denied)").format(where=where)
        ) from None
    except OSError as e:
        raise InvalidInput(
            _("{where}: cannot be read ({error})").format(where=where, error=e.strerror or e)
        ) from None
    return parse_answers(raw, where=where, cwd=cwd)


def parse_answers(raw: bytes | str, *, where: str = "answers", cwd: str | None = None) -> Answers:
    """Validate an answers document given as bytes or text."""
    if isinstance(raw, bytes):
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InvalidInput(_("{where}: is UTF-16 text; save it as UTF-8").format(where=where))
        if b"\x00" in raw:
            raise InvalidInput(_("{where}: is a binary file, not YAML text").format(where=where))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(_("{where}: is not UTF-8 text").format(where=where)) from None
    else:
        text = raw
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise InvalidInput(
            _("{where}: is larger than {limit} KiB").format(where=where, limit=MAX_BYTES // 1024)
        )
    _full_width_colon(text, where)
    if _flow_nesting_exceeds(text, MAX_FLOW_DEPTH):
        raise InvalidInput(
            _("{where}: is nested too deeply to be an answers file").format(where=where)
        )
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as e:
        raise InvalidInput(f"{where}: {e}") from None
    except yaml.YAMLError as e:
        raise InvalidInput(
            _("{where}: is not valid YAML ({problem})").format(
                where=where, problem=_yaml_problem(e)
            )
        ) from None
    except RecursionError:
        raise InvalidInput(
            _("{where}: is nested too deeply to be an answers file").format(where=where)
        ) from None
    except Exception as e:
        # PyYAML's own constructors raise assorted errors on malformed values: `2024-13-45`
        # (ValueError: no 13th month), an empty `!!float` (IndexError), …
        raise InvalidInput(
            _("{where}: is not valid YAML ({problem})").format(
                where=where, problem=f"{type(e).__name__}: {e}"
            )
        ) from None
    if data is None:
        raise InvalidInput(
            _("{where}: is empty; an answers file needs at least `env:`").format(where=where)
        )
    return validate(data, where=where, cwd=cwd)


def _flow_nesting_exceeds(text: str, limit: int) -> bool:
    """Whether `[` and `{` nest deeper than `limit` outside quoted text and comments.

    A quote is taken to end at its line's end, so an apostrophe that is not one (`don't`) hides
    the brackets of one line at most; a flat file is refused only if its quoted text spans lines
    and holds more than `limit` unclosed brackets.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, quote, before = 0, "", "\n"
    for ch in text:
        if quote:
            if ch == quote or ch == "\n":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and before in " \t\n":
            quote = "\n"  # a comment, to the line's end
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth = max(0, depth - 1)
        before = ch
    return False


def validate(data: Any, *, where: str = "answers", cwd: str | None = None) -> Answers:
    """Turn a decoded YAML/JSON document into Answers, or raise InvalidInput."""
    v = _Validator(where)
    if not isinstance(data, dict):
        raise InvalidInput(
            _(
                "{where}: must be a mapping of keys such as `manager:` and `env:`, not {kind}"
            ).format(where=where, kind=_kind(data))
        )
    v.known_keys(data, _TOP_KEYS, "")
    if "env" not in data:
        raise InvalidInput(
            _(
                "{where}: missing `env:` (where the environment goes: a path, or a conda name)"
            ).format(where=where)
        )
    d, db = _DEFAULT, _DEFAULT.benchmark
    manager = v.choice(data.get("manager", d.manager), "manager", Manager)
    base = cwd or os.getcwd()
    env = v.env(data["env"], manager, base)
    bench = data.get("benchmark", {})
    if bench is None:
        bench = {}
    if isinstance(bench, bool):
        bench = {"enabled": bench}
    if not isinstance(bench, dict):
        v.fail(
            "benchmark",
            bench,
            N_(
                "{where}: {path} is {value}; expected a mapping such as {{enabled: true, seconds: 30}}, or true/false"
            ),
        )
    v.known_keys(bench, _BENCH_KEYS, "benchmark")
    answers = Answers(
        env=env,
        python=v.python(data.get("python", d.python), base),
        manager=manager,
        existing=v.choice(data.get("existing", d.existing), "existing", Existing),
        compute=v.compute(data.get("compute", d.compute)),
        torch=v.torch(data.get("torch", d.torch)),
        packages=v.packages(data.get("packages", d.packages)),
        torch_index=v.torch_index(data.get("torch_index", str(d.torch_index))),
        index_url=v.url(data.get("index_url", d.index_url), "index_url"),
        find_links=v.find_links(data.get("find_links", d.find_links), base),
        offline=v.boolean(data.get("offline", d.offline), "offline"),
        torch_source=v.choice(
            data.get("torch_source", d.torch_source), "torch_source", TorchSource
        ),
        installer=v.choice(data.get("installer", d.installer), "installer", InstallerWord),
        keep_failed=v.boolean(data.get("keep_failed", d.keep_failed), "keep_failed"),
        stall_seconds=v.stall(data.get("stall_seconds", d.stall_seconds)),
        benchmark=Benchmark(
            enabled=v.boolean(bench.get("enabled", db.enabled), "benchmark.enabled"),
            device=v.choice(bench.get("device", db.device), "benchmark.device", BenchDevice),
            preset=v.choice(bench.get("preset", db.preset), "benchmark.preset", BenchPreset),
            seconds=v.seconds(bench.get("seconds", db.seconds)),
            nproc=v.nproc(bench.get("nproc", db.nproc)),
            dtype=v.choice(bench.get("dtype", db.dtype), "benchmark.dtype", BenchDtype),
            optimizer=v.choice(
                bench.get("optimizer", db.optimizer), "benchmark.optimizer", Optimizer
            ),
        ),
        mirror=v.mirror(data.get("mirror", d.mirror)),
        lang=v.lang(data.get("lang", d.lang)),
        stack=v.word(data.get("stack", d.stack), "stack", load_stack().stack_names()),
        frameworks=v.frameworks(data.get("frameworks", d.frameworks)),
        jupyter=v.boolean(data.get("jupyter", d.jupyter), "jupyter"),
    )
    both = [
        f.value
        for f in answers.frameworks
        if f.value in {Requirement(p).name.lower() for p in answers.packages}
    ]
    if both:
        raise InvalidInput(
            _(
                "{where}: {name} is in both packages and frameworks; keep it in frameworks, "
                "where envwizard chooses its build for this machine"
            ).format(where=where, name=both[0])
        )
    if answers.torch_source is TorchSource.CONDA_FORGE and not answers.is_conda:
        raise InvalidInput(
            _(
                "{where}: torch_source is 'conda-forge' but manager is {manager}; conda-forge "
                "builds need manager: conda, mamba or micromamba (or use torch_source: pip)"
            ).format(where=where, manager=repr(manager.value))
        )
    if answers.offline and not answers.find_links:
        raise InvalidInput(
            _(
                "{where}: offline is true but find_links is empty; an offline install needs a "
                "wheelhouse folder in find_links"
            ).format(where=where)
        )
    _benchmark_rules(answers.benchmark, answers.compute, v)
    _companion_rules(answers, v)
    return answers


def _benchmark_rules(b: Benchmark, compute: str, v: _Validator) -> None:
    """What the benchmark's worker would refuse after the whole install: refused before it."""
    if b.nproc > 1 and b.device not in (BenchDevice.AUTO, BenchDevice.CUDA, BenchDevice.CPU):
        v.fail(
            "benchmark.nproc",
            b.nproc,
            N_("{where}: {path} is {value}; expected 1 with benchmark.device {device}"),
            _("several processes run on cuda or cpu only"),
            device=b.device.value,
        )
    if b.dtype is BenchDtype.TF32 and b.device not in (BenchDevice.AUTO, BenchDevice.CUDA):
        v.fail(
            "benchmark.dtype",
            b.dtype.value,
            N_(
                "{where}: {path} is {value}; expected fp32, bf16, fp16 or auto with benchmark.device {device}"
            ),
            _("TF32 is an NVIDIA GPU mode"),
            device=b.device.value,
        )
    builds = {
        BenchDevice.CUDA: _("a CUDA or ROCm build: compute auto, cuNNN or rocmX.Y"),
        BenchDevice.XPU: _("an XPU build: compute auto or xpu"),
        BenchDevice.MPS: _("the macOS build: compute auto, mps or cpu"),
    }
    runs_on = {
        BenchDevice.CUDA: compute == "auto" or compute.startswith(("cu", "rocm")),
        BenchDevice.XPU: compute in ("auto", "xpu"),
        BenchDevice.MPS: compute in ("auto", "mps", "cpu"),
    }
    if b.device in builds and not runs_on[b.device]:
        v.fail(
            "benchmark.device",
            b.device.value,
            N_("{where}: {path} is {value}; expected auto or cpu with compute: {compute}"),
            _("{device} needs {build}"),
            compute=compute,
            device=b.device.value,
            build=builds[b.device],
        )


def _companion_rules(a: Answers, v: _Validator) -> None:
    """A companion pinned beside a torch pin: some torch release must admit both."""
    if not a.torch:
        return
    spec = a.torch_specifier
    releases = [r.version for r in load_knowledge().releases if _line_admitted(spec, r.version)]
    stack = load_stack()
    for i, text in enumerate(a.packages):
        req = Requirement(text)
        name = req.name.lower()
        if name not in stack.companion_names() or not req.specifier or not releases:
            continue
        rows = {t: stack.companion(name, t) for t in releases}
        if not any(row.pairs_with(req.specifier, t) for t, row in rows.items() if row):
            pairs = ", ".join(
                f"torch {t}: {name}{spec_text(row.specifier(t))}"
                for t, row in list(rows.items())[:3]
                if row
            )
            v.fail(
                f"packages[{i}]",
                text,
                N_(
                    "{where}: {path} is {value}; expected a {name} version that pairs with torch {torch} ({pairs})"
                ),
                _("drop its version and envwizard pins the matching one"),
                name=name,
                torch=a.torch,
                pairs=pairs,
            )


def _line_admitted(spec: SpecifierSet, line: str) -> bool:
    """Whether a specifier admits some release of a line ("2.13" -> 2.13.0 … 2.13.29)."""
    return any(spec.contains(f"{line}.{p}") for p in range(30))


class _Validator:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, value: Any, expected: str, hint: str = "", **names: str) -> NoReturn:
        """Refuse `value`: `expected` is a whole sentence (marked with N_ where it is written)
        with {where}, {path} and {value}; `names` fill its other placeholders and the hint's."""
        message = _(expected).format(where=self.where, path=path, value=_show(value), **names)
        wide = _full_width_hint(value) if path.split("[")[0] not in _PATH_KEYS else ""
        hint = wide or hint  # the typo that explains the value beats every other hint
        if hint:
            hint = hint.format(**names) if names else hint
            message = _("{message} ({hint})").format(message=message, hint=hint)
        raise InvalidInput(message)

    def known_keys(self, data: dict[Any, Any], allowed: tuple[str, ...], parent: str) -> None:
        for key in data:
            if key in allowed:
                continue
            path = f"{parent}.{key}" if parent else str(key)
            guess = _did_you_mean(str(key), allowed)
            wide = _full_width_hint(key)
            if wide:  # `{seconds： 10}`: YAML read the key, the colon and the value as one key
                raise InvalidInput(
                    _("{where}: unknown key `{path}` ({hint})").format(
                        where=self.where, path=path, hint=wide
                    )
                )
            if guess and parent:
                template = _(
                    "{where}: unknown key `{path}`; did you mean `{guess}`? (allowed in {parent}: {allowed})"
                )
            elif guess:
                template = _(
                    "{where}: unknown key `{path}`; did you mean `{guess}`? (allowed: {allowed})"
                )
            elif parent:
                template = _("{where}: unknown key `{path}` (allowed in {parent}: {allowed})")
            else:
                template = _("{where}: unknown key `{path}` (allowed: {allowed})")
            raise InvalidInput(
                template.format(
                    where=self.where,
                    path=path,
                    guess=guess,
                    parent=parent,
                    allowed=", ".join(allowed),
                )
            )

    def choice(self, value: Any, path: str, allowed: type[E]) -> E:
        """One of an enum's words (case and spaces forgiven)."""
        return allowed(self.word(value, path, tuple(w.value for w in allowed)))

    def word(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        if isinstance(value, str) and value.strip().lower() in allowed:
            return value.strip().lower()
        guess = _did_you_mean(str(value), allowed) if isinstance(value, str) else None
        self.fail(
            path,
            value,
            N_("{where}: {path} is {value}; expected one of {choices}"),
            _did_you_mean_hint(guess),
            choices=", ".join(allowed),
        )

    def mirror(self, value: Any) -> str:
        """A preset or site name, or one of its other names ("tsinghua", "清华" for tuna)."""
        found = mirror_canonical(value) if isinstance(value, str) else None
        if found:
            return found
        allowed = (*MIRROR_CHOICES, *mirror_names())
        if isinstance(value, str) and _URL.match(value.strip()):
            self.fail(
                "mirror",
                value,
                N_("{where}: {path} is {value}; expected a preset name such as tuna, or none"),
                _mirror_url_hint(value.strip()),
            )
        guess = (
            _did_you_mean(value, (*allowed, *mirror_aliases())) if isinstance(value, str) else None
        )
        self.fail(
            "mirror",
            value,
            N_("{where}: {path} is {value}; expected one of {choices}"),
            _did_you_mean_hint(guess),
            choices=", ".join(allowed),
        )

    def stall(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 86400:
            self.fail(
                "stall_seconds",
                value,
                N_(
                    "{where}: {path} is {value}; expected a whole number of seconds from 2 to 86400"
                ),
            )
        return int(value)

    def lang(self, value: Any) -> Lang | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail("lang", value, N_("{where}: {path} is {value}; expected en, zh-CN or null"))
        # An unknown language is English, without an error (like an unknown locale).
        return "zh-CN" if normalize_language(value) == "zh-CN" else "en"

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, value, N_("{where}: {path} is {value}; expected true or false"))
        return value

    def env(self, raw: Any, manager: str, base: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            hint = (
                _("YAML reads ~ and an empty value as null; quote the path") if raw is None else ""
            )
            self.fail(
                "env",
                raw,
                N_(
                    "{where}: {path} is {value}; expected a path (or, for conda, an environment name)"
                ),
                hint,
            )
        value = raw.strip()
        if not value.isprintable():
            self.fail(
                "env",
                value,
                N_("{where}: {path} is {value}; expected a path without control characters"),
            )
        if re.search(r"\$\{?[A-Za-z_]|%[A-Za-z_]\w*%", value):
            self.fail(
                "env",
                value,
                N_("{where}: {path} is {value}; expected a path written out"),
                _("envwizard expands ~ but not shell or Windows variables"),
            )
        if value.startswith("~") and os.path.expanduser(value).startswith("~"):
            self.fail(
                "env",
                value,
                N_(
                    "{where}: {path} is {value}; expected a path whose ~user names a user of this machine"
                ),
            )
        if any(len(part.encode()) > 255 for part in re.split(r"[\\/]", value)):
            self.fail(
                "env",
                value,
                N_(
                    "{where}: {path} is {value}; expected a path whose every name is at most 255 bytes long"
                ),
            )
        if manager in CONDA_LIKE and _CONDA_NAME.match(value):
            if value in ("base", "root"):
                self.fail(
                    "env",
                    value,
                    N_("{where}: {path} is {value}; expected a new environment, not conda's base"),
                    _("installing into base breaks conda itself"),
                )
            return value
        if manager in CONDA_LIKE:
            self.conda_rules(value)
        path = _abspath(value, base)
        if len(path.encode()) > MAX_ENV_PATH:
            self.fail(
                "env",
                value,
                N_("{where}: {path} is {value}; expected a path of at most {limit} bytes"),
                _(
                    "the environment's own files lie up to about 250 bytes deeper, and a path "
                    "may be 4096 bytes long in all"
                ),
                limit=str(MAX_ENV_PATH),
            )
        drive_root = re.fullmatch(r"[A-Za-z]:[\\/]*", path)
        if path in _SYSTEM_DIRS or drive_root or path == os.path.abspath(os.path.expanduser("~")):
            self.fail(
                "env",
                value,
                N_(
                    "{where}: {path} is {value}; expected a directory of its own, not a system directory or your home"
                ),
            )
        return path

    def conda_rules(self, value: str) -> None:
        """conda's own rules: a name has none of / space : #, and a prefix has no ':' or '#'.

        Without this, "my env" would pass here and fail at `conda create` after the run began.
        """
        bare = "/" not in value and "\\" not in value and not value.startswith((".", "~"))
        if bare and any(c in value for c in " :#"):
            self.fail(
                "env",
                value,
                N_(
                    "{where}: {path} is {value}; expected a conda environment name without spaces, ':' or '#' (conda refuses them), or a path"
                ),
            )
        rest = value[2:] if _WINDOWS_ABS.match(value) else value
        if not bare and (":" in rest or "#" in rest):
            self.fail(
                "env",
                value,
                N_(
                    "{where}: {path} is {value}; expected a path without ':' or '#' (conda refuses such prefixes)"
                ),
            )

    def python(self, value: Any, base: str) -> str:
        if isinstance(value, float):
            written = _written(value)
            self.fail(
                "python",
                value,
                N_(
                    "{where}: {path} is {value}; expected a version in quotes such as '3.12', a path, or 'current'"
                ),
                _("YAML read {text} as a number; write python: '{text}'").format(text=written),
            )
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(
                "python",
                value,
                N_(
                    "{where}: {path} is {value}; expected a version such as '3.12', a path to an interpreter, or 'current'"
                ),
            )
        text = value.strip()
        if text == "current" or re.fullmatch(r"3\.\d{1,2}(\.\d{1,2})?", text):
            return text
        if not text.isprintable():
            self.fail(
                "python",
                text,
                N_("{where}: {path} is {value}; expected a path without control characters"),
            )
        if os.sep in text or "/" in text or "\\" in text or text.startswith("~"):
            return _abspath(text, base)
        if re.fullmatch(r"python3(\.\d{1,2})?", text):
            self.fail(
                "python",
                text,
                N_("{where}: {path} is {value}; expected a version, a path or 'current'"),
                _did_you_mean_hint(text[6:] or "3"),
            )
        self.fail(
            "python",
            text,
            N_(
                "{where}: {path} is {value}; expected a version such as '3.12', a path to an interpreter, or 'current'"
            ),
        )

    def compute(self, value: Any) -> str:
        variants = sorted(
            (v for v in load_knowledge().variants() if _COMPUTE.match(v)),
            key=lambda v: (v.startswith("rocm"), vkey(re.sub(r"^\D+", "", v))),
        )
        known = (*COMPUTE_WORDS, *variants)
        allowed = N_(
            "{where}: {path} is {value}; expected auto, cpu, mps, xpu, or a variant envwizard knows ({variants})"
        )
        if isinstance(value, str):
            v = value.strip().lower()
            if v in known:
                return v
            fixed = re.sub(r"^(?:cuda|cu)[-_ ]?(\d+)\.(\d)$", r"cu\1\2", v)
            fixed = re.sub(r"^rocm[-_ ]?", "rocm", fixed)
            guess = fixed if fixed != v and fixed in known else _nearest_cuda(fixed, variants)
            vendor = _VENDOR_WORDS.get(re.sub(r"[-_ ]?\d+$", "", v))
            if vendor in COMPUTE_WORDS:  # "intel" is xpu, "apple" is mps
                guess = guess or vendor
            guess = guess or (None if vendor else _did_you_mean(v, known))
            if not guess and vendor:
                # "cuda", "gpu", "rocm", "cuda12": a kind of build, not one build
                family = [x for x in variants if x.startswith(vendor)]
                major = re.search(r"(\d+)$", v)
                if major and vendor == "cu":
                    family = [x for x in family if x[2:-1] == major.group(1)] or family
                self.fail(
                    "compute",
                    value,
                    allowed,
                    _(
                        "compute: auto picks the build this machine's GPUs and driver run; or "
                        "name one, such as {variant}"
                    ).format(variant=family[-1] if family else "cpu"),
                    variants=", ".join(variants),
                )
            self.fail(
                "compute", value, allowed, _did_you_mean_hint(guess), variants=", ".join(variants)
            )
        self.fail("compute", value, allowed, variants=", ".join(variants))

    def torch(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = _written(value)
            self.fail(
                "torch",
                value,
                N_(
                    "{where}: {path} is {value}; expected a PEP 440 specifier in quotes such as '>=2.5' or '==2.13.*'"
                ),
                _("YAML read {text} as a number; did you mean '=={text}.*'?").format(text=text),
            )
        if not isinstance(value, str):
            self.fail(
                "torch",
                value,
                N_("{where}: {path} is {value}; expected a PEP 440 specifier such as '>=2.5'"),
            )
        text = value.strip()
        if text.lower().startswith("torch"):
            text = text[5:].strip()
        if not text:
            return None
        local = re.fullmatch(r"(==)?\s*(\d+(?:\.\d+)*)\+(\w[\w.]*)", text)
        if local:
            # "2.5.1+cu121" is how pip shows a build; the build is the compute key's job
            self.fail(
                "torch",
                value,
                N_("{where}: {path} is {value}; expected a version without the build suffix"),
                _("write torch: '=={version}' and compute: {variant}").format(
                    version=local.group(2), variant=local.group(3)
                ),
            )
        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            hint = ""
            if re.fullmatch(r"\d+\.\d+", text):
                hint = _did_you_mean_hint(f"=={text}.*")
            elif re.fullmatch(r"\d+(\.\d+)*(\.\*)?", text):
                hint = _did_you_mean_hint(f"=={text}")
            elif re.fullmatch(
                r"([<>=!~]=?\s*\d+(\.\d+)*(\.\*)?\s+)+[<>=!~]=?\s*\d+(\.\d+)*(\.\*)?", text
            ):
                hint = _did_you_mean_hint(",".join(text.split()))
            self.fail(
                "torch",
                value,
                N_(
                    "{where}: {path} is {value}; expected a PEP 440 specifier such as '>=2.5' or '==2.13.*'"
                ),
                hint,
            )
        return text

    def packages(self, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            self.fail(
                "packages",
                value,
                N_("{where}: {path} is {value}; expected a list of requirements"),
                _("write packages: [{value}]").format(value=_as_flow_list(value)),
            )
        if not isinstance(value, list):
            self.fail(
                "packages",
                value,
                N_(
                    "{where}: {path} is {value}; expected a list of requirements such as [torchvision, 'numpy<3']"
                ),
            )
        out = []
        for i, item in enumerate(value):
            path = f"packages[{i}]"
            if not isinstance(item, str) or not item.strip():
                self.fail(
                    path,
                    item,
                    N_(
                        "{where}: {path} is {value}; expected a requirement string such as 'numpy<3'"
                    ),
                )
            text = item.strip()
            if text.startswith("-"):
                self.fail(
                    path,
                    item,
                    N_(
                        "{where}: {path} is {value}; expected a requirement, not an installer option"
                    ),
                    _("use the answers keys index_url, find_links or torch_index instead"),
                )
            try:
                req = Requirement(text)
            except InvalidRequirement as e:
                self.fail(
                    path,
                    item,
                    N_(
                        "{where}: {path} is {value}; expected a PEP 508 requirement such as 'numpy<3'"
                    ),
                    str(e).splitlines()[0],
                )
            if req.name.lower() == "torch":
                self.fail(
                    path,
                    item,
                    N_("{where}: {path} is {value}; expected packages other than torch"),
                    _("put the version in the `torch:` key"),
                )
            if req.name.lower() == "pytorch":
                self.fail(
                    path,
                    item,
                    N_("{where}: {path} is {value}; expected packages other than torch"),
                    _("the package is named `torch` and envwizard installs it; drop this entry"),
                )
            out.append(text)
        return out

    def frameworks(self, value: Any) -> list[Framework]:
        if value is None:
            return []
        expected = N_("{where}: {path} is {value}; expected a list of {choices}")
        choices = ", ".join(FRAMEWORKS)
        if isinstance(value, str):
            hint = _("write frameworks: [{value}]").format(value=value)
            self.fail("frameworks", value, expected, hint, choices=choices)
        if not isinstance(value, list):
            self.fail("frameworks", value, expected, choices=choices)
        out: list[Framework] = []
        for i, item in enumerate(value):
            path = f"frameworks[{i}]"
            word = item.strip().lower() if isinstance(item, str) else None
            if word in ("torch", "pytorch"):
                hint = _("torch is always installed; drop this entry")
                self.fail(path, item, expected, hint, choices=choices)
            if word not in FRAMEWORKS:
                guess = None
                if word is not None:
                    guess = _FRAMEWORK_ALIASES.get(word) or _did_you_mean(word, FRAMEWORKS)
                self.fail(path, item, expected, _did_you_mean_hint(guess), choices=choices)
            if Framework(word) not in out:
                out.append(Framework(word))
        return out

    def torch_index(self, value: Any) -> TorchIndex:
        if value in ("auto", "default"):
            return torch_index_of(value)
        if isinstance(value, str) and _URL.match(value.strip()) and value.isprintable():
            return Url(value.strip().rstrip("/"))
        guess = _did_you_mean(str(value), ("auto", "default")) if isinstance(value, str) else None
        self.fail(
            "torch_index",
            value,
            N_(
                "{where}: {path} is {value}; expected auto, default, or the URL of a mirror of PyTorch's index"
            ),
            _did_you_mean_hint(guess),
        )

    def url(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and _URL.match(value.strip()) and value.isprintable():
            return value.strip()
        self.fail(
            path,
            value,
            N_("{where}: {path} is {value}; expected an http(s):// or file:// URL, or null"),
        )

    def find_links(self, value: Any, base: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(
                "find_links",
                value,
                N_("{where}: {path} is {value}; expected a list of folders or URLs holding wheels"),
            )
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip() or not item.isprintable():
                self.fail(
                    f"find_links[{i}]",
                    item,
                    N_("{where}: {path} is {value}; expected a folder or URL holding wheels"),
                )
            item = item.strip()
            out.append(item if _URL.match(item) else _abspath(item, base))
        return out

    def seconds(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 3600:
            self.fail(
                "benchmark.seconds",
                value,
                N_("{where}: {path} is {value}; expected a number of seconds from 1 to 3600"),
            )
        return value if isinstance(value, int) else float(value)

    def nproc(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
            self.fail(
                "benchmark.nproc",
                value,
                N_("{where}: {path} is {value}; expected a whole number of processes from 1 to 64"),
            )
        return value


_VENDOR_WORDS = {
    "cuda": "cu",
    "cu": "cu",
    "gpu": "cu",
    "nvidia": "cu",
    "rocm": "rocm",
    "amd": "rocm",
    "hip": "rocm",
    "radeon": "rocm",
    "intel": "xpu",
    "arc": "xpu",
    "apple": "mps",
    "metal": "mps",
    "none": "cpu",
}
"""Words for a kind of build, answered with "auto, or one such as …"."""


def _mirror_url_hint(url: str) -> str:
    """`mirror:` takes names; a URL there is either a preset's (say its name) or belongs in
    index_url / torch_index."""
    bare = url.rstrip("/").lower()
    for p in mirror_presets():
        stem = p.url.split("{", 1)[0].rstrip("/").lower()
        if bare == stem or bare.startswith(stem + "/"):
            return _("that is the preset {name}: write mirror: {name}").format(name=p.name)
        if stem.startswith(bare + "/"):  # the site's address alone: every preset of the site
            return _("that is the site {name}: write mirror: {name}").format(name=p.site)
    return _(
        "a URL goes in index_url (a mirror of PyPI) or torch_index (a mirror of PyTorch's index)"
    )


def _as_flow_list(text: str) -> str:
    """ "torchvision torchaudio" -> "torchvision, torchaudio": a YAML list's items, as written
    between its brackets (one whose version holds spaces or a comma is quoted)."""
    items = re.findall(r"[^\s,]+(?:\s*[<>=!~]=?\s*[^\s,]+)?", text)
    return ", ".join(f"'{i}'" if re.search(r"[<>=!~ ,:#]", i) else i for i in items)


def is_windows_path(value: str) -> bool:
    """C:\\envs\\dl or \\\\server\\share: a path only Windows can create."""
    return _WINDOWS_ABS.match(value) is not None


def _abspath(value: str, base: str) -> str:
    """An absolute path; a Windows path stays as written when this host is not Windows."""
    if os.name != "nt" and _WINDOWS_ABS.match(value):
        return value
    return os.path.abspath(os.path.join(base, os.path.expanduser(value)))


def _nearest_cuda(text: str, variants: list[str]) -> str | None:
    """cu127 -> cu126: the known CUDA variant closest in version (the older one on a tie)."""
    m = re.fullmatch(r"cu(\d{3})", text)
    cudas = [v for v in variants if v.startswith("cu")]
    if not m or not cudas:
        return None
    return min(cudas, key=lambda v: (abs(int(v[2:]) - int(m.group(1))), int(v[2:])))


def _written(number: float) -> str:
    """How a YAML number was written: `python: 3.10` loads as 3.1, but the person wrote 3.10."""
    return getattr(number, "text", None) or str(number)


def _did_you_mean_hint(guess: str | None) -> str:
    return _("did you mean {guess}?").format(guess=repr(guess)) if guess else ""


def _did_you_mean(word: str, allowed: tuple[str, ...]) -> str | None:
    found = difflib.get_close_matches(word.lower(), allowed, n=1, cutoff=0.6)
    return found[0] if found else None


_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlevel = 3


def _show(value: Any) -> str:
    """The value as the error message shows it: bounded, even for an alias bomb."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _written(value)
    return _REPR.repr(value)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, str):
        return _("a single string")
    if isinstance(value, bool):
        return _("a boolean")
    if isinstance(value, (int, float)):
        return _("a number")
    return type(value).__name__


_FULL_WIDTH = {
    "：": ":",
    "，": ",",
    "、": ",",
    "［": "[",
    "］": "]",
    "｛": "{",
    "｝": "}",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
}
"""Punctuation a Chinese input method types where YAML needs the ASCII character."""
_PATH_KEYS = ("env", "python", "find_links")
"""Keys whose values are paths: a folder may well be named with full-width punctuation."""


def _full_width_hint(value: Any) -> str:
    """The hint for a value (or a list's items) holding full-width punctuation, or ""."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found = sorted(
        {ch for t in texts if isinstance(t, str) for ch in t if ch in _FULL_WIDTH},
        key=list(_FULL_WIDTH).index,
    )
    if not found:
        return ""
    ascii_ = sorted({_FULL_WIDTH[ch] for ch in found}, key=list(_FULL_WIDTH.values()).index)
    return _(
        "full-width punctuation typed by a Chinese input method: {chars}; YAML needs the ASCII {ascii}"
    ).format(chars=" ".join(f"`{c}`" for c in found), ascii=" ".join(f"`{c}`" for c in ascii_))


_WIDE_COLON = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_.-]*)(\s*)[\uff1a\ufe55]\s*(.*)$")


def _full_width_colon(text: str, where: str) -> None:
    """`manager：venv`, as a Chinese input method types it: YAML reads one string or fails far
    from the cause; point at the `：` instead."""
    for number, line in enumerate(text.splitlines(), start=1):
        m = _WIDE_COLON.match(line)
        if m:
            indent, key, space, rest = m.groups()
            raise InvalidInput(
                _(
                    "{where}: line {line}, column {column}: `{key}` is followed by a full-width "
                    "colon (：, as Chinese input methods type it); YAML needs an ASCII colon and a "
                    "space: `{fixed}`"
                ).format(
                    where=where,
                    line=number,
                    column=len(indent) + len(key) + len(space) + 1,
                    key=key,
                    fixed=f"{key}: {rest}".rstrip(),
                )
            )


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    if mark is not None:
        return _("{problem} at line {line}, column {column}").format(
            problem=problem, line=mark.line + 1, column=mark.column + 1
        )
    return problem


class _DuplicateKey(yaml.YAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which plain YAML silently lets the last one win."""


class _Float(float):
    """A YAML float that remembers its text, for hints such as "write python: '3.10'"."""

    text: str


def _float(loader: _StrictLoader, node: yaml.ScalarNode) -> float:
    number = _Float(loader.construct_yaml_float(node))
    number.text = str(node.value)
    return number


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            dup = key in seen
        except TypeError:
            raise _DuplicateKey(
                _("line {line}: a key must be plain text, not {kind}").format(
                    line=key_node.start_mark.line + 1, kind=_kind(key)
                )
            ) from None
        if dup:
            raise _DuplicateKey(
                _("key `{key}` appears twice (line {line})").format(
                    key=key, line=key_node.start_mark.line + 1
                )
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _float)
