"""Command line: `envwizard` (the wizard), `envwizard --answers FILE` (headless) and the tools.

This module parses arguments and turns errors into one message and an exit code
(0 done, 1 a step failed, 2 invalid input, 130 cancelled). The work happens elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from envwizard import __version__
from envwizard.core import i18n
from envwizard.core.errors import EXIT_CANCELLED, EnvwizardError, InvalidInput
from envwizard.core.i18n import N_, _
from envwizard.core.redact import redact_text, safe_text

DESCRIPTION = N_("""\
Build a deep-learning Python environment that really runs on this machine, and prove it.

envwizard checks your Pythons, GPUs and driver, picks the PyTorch build whose kernels match
your GPUs (not only your driver), creates the environment with the tool you choose (conda,
mamba, micromamba, virtualenv, venv or uv), installs, verifies on the device, and ends with a
short training benchmark.
""")

EPILOG = N_("""\
examples:
  envwizard                              the interactive wizard
  envwizard --dry-run                    walk the wizard, run nothing
  envwizard --answers dl.yaml            headless: apply an answers file
  envwizard --answers dl.yaml --dry-run  print every command the answers would run
  envwizard probe                        what envwizard sees on this machine
  envwizard plan --answers dl.yaml --facts other-host.json --json
  envwizard validate dl.yaml             check an answers file (exit 0 or 2)
  envwizard bench --python ~/envs/dl/bin/python --seconds 10
  envwizard mirrors --measure            mirror presets and how fast they answer here
  envwizard report reports/*.json        many hosts' run reports as one table
  envwizard doctor ~/envs/dl             what is wrong with an existing environment
  envwizard doctor --traceback err.txt   explain a pasted error
  envwizard bundle --answers dl.yaml --facts gpu-box.json bundle/   for a machine without internet
  envwizard --answers dl.yaml --bundle bundle/                       install there, offline
  envwizard export ~/envs/dl --format requirements -o requirements.txt

a minimal answers file:
  manager: venv            # conda | mamba | micromamba | virtualenv | venv | uv
  env: ~/envs/dl           # a path (conda: a name or a path)
  compute: auto            # or cpu, cu126, cu130, rocm7.2, xpu, mps …
  torch: ">=2.5"           # optional PEP 440 specifier
  mirror: none             # none | auto | a preset from `envwizard mirrors`

exit codes: 0 done, 1 a step failed, 2 invalid input, 130 cancelled
""")


def build_parser() -> argparse.ArgumentParser:
    # argparse's own words ("usage:", "options:", its errors) come from our catalog too: it looks
    # up the module globals `_` and `ngettext`, which its type stubs do not declare.
    vars(argparse).update(_=_, ngettext=i18n.ngettext)
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument(
        "--lang",
        metavar="LANG",
        help=_(
            "language of the output: en or zh-CN (default: the answers' lang:, else the locale)"
        ),
    )
    p = argparse.ArgumentParser(
        prog="envwizard",
        description=_(DESCRIPTION),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[lang],
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"envwizard {__version__}",
        help=_("show program's version number and exit"),
    )
    p.add_argument(
        "--answers",
        metavar="FILE",
        help=_("answers file (YAML): run headless, or prefill the wizard"),
    )
    p.add_argument(
        "--interactive",
        action="store_true",
        help=_("with --answers: open the wizard prefilled from FILE"),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=_("plan and show every command; run nothing, create nothing"),
    )
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help=_("no confirmations (needed for existing: recreate without a terminal)"),
    )
    p.add_argument(
        "--rebenchmark",
        action="store_true",
        help=_(
            "benchmark again when the environment was finished by an earlier run (it is only verified otherwise)"
        ),
    )
    p.add_argument(
        "--report", metavar="PATH", help=_("write a JSON report (and a Markdown twin beside it)")
    )
    p.add_argument(
        "--bundle",
        metavar="DIR",
        help=_(
            "with --answers: install from a bundle made by `envwizard bundle` only (no index, "
            "no network, every file checked against its lock)"
        ),
    )
    p.add_argument(
        "--stall-seconds",
        type=_stall,
        metavar="N",
        help=_(
            "fail an installer that shows no output and downloads nothing for N seconds "
            "(default: the answers' stall_seconds, 300)"
        ),
    )
    p.add_argument("--debug", action="store_true", help=_("show tracebacks for unexpected errors"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sp = sub.add_parser(
        parents=[lang],
        name="probe",
        help=_("show what envwizard finds on this machine"),
        description=_(
            "Show the facts of this machine: OS, Pythons, environment managers, GPUs, driver, disk."
        ),
    )
    sp.add_argument("--json", action="store_true", help=_("print the facts as JSON (schema 1)"))

    sp = sub.add_parser(
        parents=[lang],
        name="plan",
        help=_("show the torch build and commands for an answers file"),
        description=_(
            "Show the decision (torch build and reasons) and every command, for this machine or the one a facts file describes. Runs nothing."
        ),
    )
    sp.add_argument("--answers", metavar="FILE", required=True, help=_("answers file (YAML)"))
    sp.add_argument(
        "--facts",
        metavar="FILE",
        help=_(
            "another machine's facts: `envwizard probe --json` there, or a paste of collect_env, "
            "nvidia-smi (table, -L or CSV query), Win32_VideoController or ansible -m setup"
        ),
    )
    sp.add_argument("--json", action="store_true", help=_("print the plan as JSON"))

    sp = sub.add_parser(
        parents=[lang],
        name="validate",
        help=_("check an answers file"),
        description=_(
            "Check an answers file and plan it against this machine (or --facts FILE) as a run would before changing anything: exit 0 when it would run, 2 with a sentence when not."
        ),
    )
    sp.add_argument("file", metavar="FILE")
    sp.add_argument(
        "--facts",
        metavar="FILE",
        help=_(
            "plan for another machine instead of this one: its `envwizard probe --json`, or a "
            "paste of collect_env, nvidia-smi (table, -L or CSV query), Win32_VideoController or "
            "ansible -m setup"
        ),
    )

    sp = sub.add_parser(
        parents=[lang],
        name="bench",
        help=_("run the training benchmark in an existing environment"),
        description=_(
            "Train Linear → ReLU → Linear with SGD on a synthetic task in the environment of PYTHON, and report loss, accuracy, samples/s, TFLOP/s and MFU."
        ),
    )
    sp.add_argument(
        "--python",
        required=True,
        metavar="PATH",
        help=_("the environment's interpreter (it must have torch)"),
    )
    sp.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps", "xpu"])
    sp.add_argument(
        "--preset",
        default="auto",
        choices=["auto", "tiny", "medium", "large"],
        help=_("model size; large is the one that means something for MFU on a datacenter GPU"),
    )
    sp.add_argument("--dtype", default="auto", choices=["auto", "fp32", "tf32", "bf16", "fp16"])
    sp.add_argument(
        "--seconds",
        type=_positive,
        default=30.0,
        help=_("measured time after warm-up (default 30)"),
    )
    sp.add_argument(
        "--nproc",
        type=_positive_int,
        default=1,
        help=_("processes (torchrun; NCCL on GPUs, gloo on CPU)"),
    )
    sp.add_argument("--compile", action="store_true", help=_("torch.compile the model first"))
    sp.add_argument(
        "--optimizer",
        default="sgd",
        choices=["sgd", "momentum", "adam", "adamw"],
        help=_("sgd: the tutorial's plain SGD (default); momentum: SGD with momentum 0.9"),
    )
    sp.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help=_("CPU threads per process (default: the usable cores split among the processes)"),
    )
    sp.add_argument(
        "--nnodes",
        type=_positive_int,
        default=1,
        help=_("machines taking part; run the same command on each (torchrun c10d rendezvous)"),
    )
    sp.add_argument(
        "--node-rank",
        type=int,
        default=0,
        metavar="R",
        help=_("this machine's rank, 0 to NNODES-1; node 0 hosts the rendezvous at --master"),
    )
    sp.add_argument(
        "--master",
        metavar="ADDR:PORT",
        help=_("with --nnodes > 1: node 0's address and a free port, the same on every node"),
    )
    sp.add_argument(
        "--scaling",
        action="store_true",
        help=_("with --nproc N: run one process first and report the scaling efficiency"),
    )
    sp.add_argument(
        "--json",
        action="store_true",
        help=_("print the worker's JSON lines; the last is the summary"),
    )
    sp = sub.add_parser(
        parents=[lang],
        name="mirrors",
        help=_("list the mirror presets (and measure them)"),
        description=_(
            "List the mirror presets: name, kind, URL shape, region and source. With --measure, also how fast each answers from here."
        ),
    )
    sp.add_argument("--json", action="store_true", help=_("print a JSON list of objects"))
    sp.add_argument(
        "--measure", action="store_true", help=_("measure which presets answer here, and how fast")
    )
    sp = sub.add_parser(
        parents=[lang],
        name="doctor",
        help=_("diagnose an existing environment, or explain a pasted error"),
        description=_(
            "Inspect an existing Python environment (venv, virtualenv, uv or conda; made by envwizard or not) without changing it: which torch is loaded and from where, its build against this machine's GPUs and driver, torchvision and torchaudio, NumPy, shadowing copies, library paths, and a small computation on each device. Exit 0 healthy, 1 problems found, 2 could not inspect. With --traceback, explain a pasted error instead."
        ),
    )
    sp.add_argument(
        "env",
        nargs="?",
        metavar="ENV",
        help=_(
            "the environment: a folder or a conda name (default: the active one, VIRTUAL_ENV or CONDA_PREFIX)"
        ),
    )
    sp.add_argument(
        "--python", metavar="PY", help=_("the environment's interpreter, instead of ENV")
    )
    sp.add_argument("--json", action="store_true", help=_("print the findings as JSON"))
    sp.add_argument(
        "--traceback",
        metavar="FILE",
        help=_("explain a pasted error (a file, or - for stdin) in one paragraph"),
    )
    sp.add_argument(
        "--facts",
        metavar="FILE",
        help=_(
            "judge against the machine a facts file describes (`envwizard probe --json`, or a pasted collect_env report)"
        ),
    )
    sp.add_argument(
        "--fix",
        action="store_true",
        help=_(
            "repair what was found through the normal runner: only the named packages change, the environment is never removed, and what a failed repair changed is put back"
        ),
    )
    sp.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help=_(
            "with --fix: do not ask; take the recommended repair (the next one where it cannot run here)"
        ),
    )
    sp = sub.add_parser(
        parents=[lang],
        name="report",
        help=_("many run reports as one fleet table"),
        description=_(
            "Read the JSON run reports of many hosts (from --report, or collected by deploy/ansible/envwizard.yml) and show host, GPUs, driver, chosen build and why, verification, benchmark and failures. Exit 0 when every host is done, 1 when one is not, 2 when a file is not a report."
        ),
    )
    sp.add_argument("files", nargs="+", metavar="FILE", help=_("run report JSON files"))
    fmt = sp.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help=_("print a list with one object per host"))
    fmt.add_argument("--markdown", action="store_true", help=_("print a Markdown table for a wiki"))

    sp = sub.add_parser(
        parents=[lang],
        name="bundle",
        help=_("gather everything an environment installs, for a machine without internet"),
        description=_(
            "Plan and resolve for the target (this machine, or the one a facts file describes), "
            "then fetch every file of the lock for its platform and Python into OUT, with the "
            "answers, the plan, the lock and a README. Install it there with "
            "`envwizard --answers FILE --bundle OUT`."
        ),
    )
    sp.add_argument("--answers", metavar="FILE", required=True, help=_("answers file (YAML)"))
    sp.add_argument(
        "--facts",
        metavar="FILE",
        help=_("facts JSON from `envwizard probe --json` on the target machine"),
    )
    sp.add_argument(
        "--with-python",
        action="store_true",
        help=_("add a standalone CPython for the target, and uv, for a target without that Python"),
    )
    sp.add_argument("out", metavar="OUT", help=_("the bundle folder to make (new or empty)"))

    sp = sub.add_parser(
        parents=[lang],
        name="export",
        help=_("write an environment's lock in the format another tool reads"),
        description=_(
            "Write the lock of an environment envwizard made (or of a bundle) as requirements.txt "
            "with hashes, pylock.toml (PEP 751), a conda environment.yml, a Dockerfile that "
            "recreates the environment and runs envwizard's verify, or a devcontainer. "
            "Credentials are never written."
        ),
    )
    sp.add_argument("env", metavar="ENV", help=_("the environment (or a bundle, or a lock file)"))
    sp.add_argument(
        "--format",
        required=True,
        choices=["requirements", "pylock", "conda", "dockerfile", "devcontainer"],
    )
    sp.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help=_(
            "where to write: a file (requirements, pylock, conda; default: standard output) or a "
            "folder (dockerfile: default ./envwizard-docker; devcontainer: default ., which gets "
            ".devcontainer/)"
        ),
    )
    return p


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a number").format(text=repr(text))
        ) from None
    if not 0 < value <= 3600:  # also NaN and infinities
        raise argparse.ArgumentTypeError(
            _("{text}: give a number of seconds greater than 0 and at most 3600").format(text=text)
        )
    return value


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number from low to high, refused in one sentence."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("{text} is not a whole number").format(text=repr(text))
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                _("{text} is outside {low}–{high}").format(text=text, low=low, high=high)
            )
        return value

    return parse


_stall = _whole_number(2, 86400)
_positive_int = _whole_number(1, 64)


def main(argv: Sequence[str] | None = None) -> int:
    # The language is known before the parser is built: its help is written in it.
    i18n.set_cli_language(_lang_flag(sys.argv[1:] if argv is None else list(argv)))
    parser = build_parser()
    args = parser.parse_args(argv)
    headless = _is_headless_apply(args)
    if headless:
        _cancel_on_signals()
    try:
        return dispatch(parser, args)
    except EnvwizardError as e:
        _error(str(e))
        if headless:
            _exit_report(args, e.exit_code, str(e))
        return e.exit_code
    except KeyboardInterrupt:
        _error(_("cancelled"))
        if headless:
            _exit_report(args, EXIT_CANCELLED, _("cancelled by a signal before the run started"))
            # Probe threads may still wait on a slow program: do not wait for them.
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(EXIT_CANCELLED)
        return EXIT_CANCELLED
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug: say so in one line, unless --debug
        if args.debug:
            raise
        message = _(
            "internal error: {kind}: {error} (run again with --debug for the traceback)"
        ).format(kind=type(e).__name__, error=e)
        _error(message)
        if headless:
            _exit_report(args, 1, message)
        return 1


def _is_headless_apply(args: argparse.Namespace) -> bool:
    return bool(args.command is None and args.answers and not args.interactive and not args.dry_run)


def _cancel_on_signals() -> None:
    """Before the run's own handlers exist, SIGTERM and SIGHUP cancel like Ctrl+C (exit 130)."""
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.default_int_handler)


def _exit_report(args: argparse.Namespace, exit_code: int, reason: str) -> None:
    """A headless run that stops before its steps still leaves a report that says why."""
    import socket

    import platformdirs

    status = {EXIT_CANCELLED: "cancelled", 2: "invalid"}.get(exit_code, "failed")
    report = {
        "envwizard": __version__,
        "host": socket.gethostname(),
        "status": status,
        "exit_code": exit_code,
        "reason": redact_text(reason),
        "answers_file": os.path.abspath(args.answers),
        "facts": None,
        "answers": None,
        "decision": None,
        "steps": [],
        "verify": None,
        "benchmark": None,
    }
    text = json.dumps(report, indent=2) + "\n"
    runs = os.path.join(platformdirs.user_log_dir("envwizard"), "runs")
    folder = os.path.join(runs, time.strftime("%Y%m%d-%H%M%S") + f"-{status}-{os.getpid()}")
    targets = [os.path.join(folder, "report.json")] + ([args.report] if args.report else [])
    from envwizard.report.report import write_whole

    for path in targets:  # whole or not at all: a full disk leaves no empty report
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            write_whole({Path(path): text})
        except OSError as e:
            if path == args.report:  # the run folder's copy is envwizard's own: said if not made
                _error(
                    _("cannot write the report to {report} ({error}); it is in {path}").format(
                        report=path, error=e.strerror or e, path=targets[0]
                    )
                )


def _lang_flag(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


def dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "probe":
        from envwizard.app.commands import probe_command

        return probe_command(args)
    if args.command == "plan":
        from envwizard.app.commands import plan_command

        return plan_command(args)
    if args.command == "validate":
        from envwizard.app.commands import validate_command

        return validate_command(args)
    if args.command == "mirrors":
        from envwizard.app.commands import mirrors_command

        return mirrors_command(args)
    if args.command == "bench":
        from envwizard.bench.command import bench_command

        return bench_command(args)
    if args.command == "doctor":
        from envwizard.app.doctor import doctor_command

        return doctor_command(args)
    if args.command == "bundle":
        from envwizard.app.bundle import bundle_command

        return bundle_command(args)
    if args.command == "export":
        from envwizard.app.export import export_command

        return export_command(args)
    if args.command == "report":
        from envwizard.report.fleet import Format, report_command

        fmt = Format.JSON if args.json else Format.MARKDOWN if args.markdown else Format.TABLE
        return report_command(args.files, fmt)
    if args.interactive and not args.answers:
        parser.error(_("--interactive needs --answers FILE to prefill from"))
    if args.bundle and not args.answers:
        parser.error(_("--bundle needs --answers FILE"))
    if args.bundle and not args.interactive:
        from envwizard.app.bundle import apply_bundle_command

        return apply_bundle_command(args)
    if args.answers and not args.interactive:
        from envwizard.app.commands import apply_command

        return apply_command(args)
    return wizard_command(args)


def wizard_command(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InvalidInput(
            _(
                "the wizard needs a terminal; without one, run headless with `envwizard --answers FILE` "
                "(see `envwizard --help`), or look at this machine with `envwizard probe`"
            )
        )
    if args.answers:
        # Prefilled answers say the language before the wizard is imported: its key bindings
        # are labelled when their classes are made.
        from envwizard.settings.answers import load_answers

        i18n.set_answers_language(load_answers(args.answers).lang)
    from envwizard.tui.app import run_wizard

    return run_wizard(args)


def _error(message: str) -> None:
    # One line, unwrapped: the terminal wraps it, and scripts can grep it.
    # The prefix stays English in every language: scripts grep for it (docs/cli.md).
    with contextlib.suppress(OSError):
        print("envwizard: error: " + safe_text(message).replace("\n", " "), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
