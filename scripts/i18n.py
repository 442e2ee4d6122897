"""Translations workflow, with Babel (pip install -e '.[test]' brings it).

    python scripts/i18n.py extract   # src/ -> src/envwizard/locale/envwizard.pot
    python scripts/i18n.py update    # merge the .pot into every .po (new msgids appear empty)
    python scripts/i18n.py compile   # every .po -> .mo (commit both)
    python scripts/i18n.py check     # what tests/test_i18n.py checks: nothing untranslated

After wrapping new text in `_()`: extract, update, translate the empty msgstr entries in
src/envwizard/locale/zh_CN/LC_MESSAGES/envwizard.po (keep the terms of docs/glossary.md and
every {placeholder}), compile, commit the .pot, .po and .mo.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "envwizard" / "locale"
POT = LOCALE / "envwizard.pot"
KEYWORDS = ["-k", "_", "-k", "N_", "-k", "ngettext:1,2"]


def babel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "help"
    if what == "extract":
        LOCALE.mkdir(parents=True, exist_ok=True)
        babel(
            "extract", "-F", "babel.cfg", "--no-default-keywords", *KEYWORDS, "--sort-by-file",
            "--project", "envwizard", "--no-wrap", "-o", str(POT), "src/envwizard",
        )  # fmt: skip
    elif what == "update":
        babel(
            "update", "-i", str(POT), "-d", str(LOCALE), "-D", "envwizard", "--no-wrap",
            "--ignore-obsolete",
        )  # fmt: skip
    elif what == "compile":
        babel("compile", "-d", str(LOCALE), "-D", "envwizard", "--statistics")
    elif what == "check":
        sys.path.insert(0, str(ROOT / "tests"))
        from test_i18n import untranslated

        missing = untranslated()
        for m in missing:
            print(m)
        return 1 if missing else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
