"""`envwizard doctor`: diagnose an existing environment, or explain a pasted error.

Exit 0 healthy, 1 problems found, 2 could not inspect (docs/doctor.md). Diagnosing changes
nothing in the environment; only `--fix` does, through the normal runner.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from envwizard.core.errors import EXIT_OK, EXIT_STEP_FAILED, InvalidInput
from envwizard.core.i18n import _
from envwizard.facts.model import Facts

PASTE_MAX_BYTES = 4 * 2**20


def _facts(args: argparse.Namespace) -> Facts:
    if getattr(args, "facts", None):
        from envwizard.app.commands import load_facts

        return load_facts(args.facts)
    from envwizard.facts.probe import probe

    return probe()


def doctor_command(args: argparse.Namespace) -> int:
    if args.traceback:
        if args.fix:
            raise InvalidInput(
                _("--fix repairs an environment; it cannot be used with --traceback")
            )
        return paste_command(args)
    if args.yes and not args.fix:
        raise InvalidInput(_("--yes only means something with --fix"))
    from envwizard.doctor.diagnose import diagnose
    from envwizard.doctor.envs import locate

    facts = _facts(args)
    env = locate(args.env, args.python, os.environ, facts)
    result = diagnose(env, facts, os.environ, cwd=os.getcwd())
    if args.fix:
        if args.json:
            raise InvalidInput(_("--fix shows what it does as it goes; it has no --json"))
        from envwizard.app.doctor_fix import fix_command

        return fix_command(args, result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        from envwizard.doctor.render import print_result

        print_result(result)
    return EXIT_OK if result.diagnosis.healthy else EXIT_STEP_FAILED


def read_paste(path: str) -> str:
    """The pasted text from a file or stdin ("-"), bounded; one sentence when unreadable."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(PASTE_MAX_BYTES + 1)
        else:
            with open(path, "rb") as f:
                raw = f.read(PASTE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput(_("{path}: no such file").format(path=path)) from None
    except IsADirectoryError:
        raise InvalidInput(
            _("{path}: is a directory, not a pasted error").format(path=path)
        ) from None
    except OSError as e:
        raise InvalidInput(
            _("{path}: cannot be read ({error})").format(path=path, error=e.strerror or e)
        ) from None
    if len(raw) > PASTE_MAX_BYTES:
        raise InvalidInput(
            _("{path}: is larger than {limit} MiB; paste the error and the lines around it").format(
                path=path, limit=PASTE_MAX_BYTES // 2**20
            )
        )
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    return raw.decode("utf-16" if utf16 else "utf-8", errors="replace").lstrip("\ufeff")


def paste_command(args: argparse.Namespace) -> int:
    from envwizard.doctor.paste import collect_env_in, explain
    from envwizard.facts.load import facts_from_json
    from envwizard.knowledge import load as load_knowledge

    text = read_paste(args.traceback)
    kb = load_knowledge()
    where = _("this machine")
    if getattr(args, "facts", None):
        facts = _facts(args)
        where = _("the machine in {file}").format(file=args.facts)
    elif collect_env_in(text):
        facts = facts_from_json(text, where=args.traceback)
        where = _("the machine in the pasted collect_env report")
    else:
        facts = _facts(args)
    from envwizard.decide.decision import decide
    from envwizard.settings.answers import Answers

    diag = None
    if args.env or args.python:
        from envwizard.doctor.diagnose import diagnose
        from envwizard.doctor.envs import locate

        env = locate(args.env, args.python, os.environ, facts)
        diag = diagnose(env, facts, os.environ, cwd=os.getcwd())
        decision = diag.decision
    else:
        try:
            decision = decide(facts, Answers(env="env"), kb)
        except InvalidInput:
            decision = None
    explanation = explain(text, facts, where, decision, kb)
    if explanation is None:
        raise InvalidInput(
            _(
                "{file}: doctor found no error it knows in this text; paste the whole error output (the traceback and the lines before it)"
            ).format(file=args.traceback)
        )
    same = []
    if diag is not None:
        same = [f for f in diag.diagnosis.findings if f.code is explanation.match.code]
    if args.json:
        out = {
            "env": str(diag.env.prefix) if diag else None,
            "healthy": False,
            "findings": [explanation.finding().to_dict()]
            + ([diag.finding_dict(f) for f in diag.diagnosis.findings] if diag else []),
            "paste": explanation.to_dict(),
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return EXIT_STEP_FAILED
    print(explanation.paragraph())
    if diag is not None:
        if same:
            print()
            print(
                _("In {env} doctor finds the same: {message}").format(
                    env=diag.env.prefix, message=same[0].message.show()
                )
            )
        else:
            print()
            print(
                _("In {env} doctor does not find {code} now.").format(
                    env=diag.env.prefix, code=explanation.match.code.value
                )
            )
    return EXIT_STEP_FAILED
