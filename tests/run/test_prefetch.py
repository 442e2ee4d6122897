"""scripts/prefetch.py: the bytecode of what `import PACKAGE` loads is written ahead of the import.

A made-up package shows which imports it follows (top-level ones, in every form an import
statement takes, with the packages they pass through) and which it leaves to the import itself
(inside functions and `if`/`try` blocks).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from envwizard.plan.build import script_path

FILES = {
    "pkg/__init__.py": (
        "import os\n"
        "from . import a\n"
        "from .b import thing\n"
        "from pkg.c import (\n    x,\n    y as why,\n)\n"
        "import pkg.d.e as de, json\n"
        "try:\n    from . import optional\nexcept ImportError:\n    pass\n"
        "def later():\n    from . import lazy\n"
    ),
    "pkg/a.py": "from .sub.deep import z\n",
    "pkg/b.py": "thing = 1\n",
    "pkg/c/__init__.py": "",
    "pkg/c/x.py": "from ..b import thing\n",
    "pkg/c/y.py": "",
    "pkg/d/__init__.py": "",
    "pkg/d/e.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": "z = 2\n",
    "pkg/optional.py": "",
    "pkg/lazy.py": "",
    "pkg/unused.py": "",
}


def test_the_top_level_imports_are_compiled_and_the_rest_left_to_the_import(
    tmp_path: Path,
) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, script_path("prefetch.py"), "pkg"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    compiled = {
        name for name in FILES if Path(importlib.util.cache_from_source(tmp_path / name)).exists()
    }
    assert compiled == set(FILES) - {"pkg/optional.py", "pkg/lazy.py", "pkg/unused.py"}
    assert r.stdout.strip() == str(len(compiled))
    # A second run finds everything written and writes nothing; no temporary file is left.
    again = subprocess.run(
        [sys.executable, script_path("prefetch.py"), "pkg"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    assert again.stdout.strip() == "0"
    assert not [p for p in tmp_path.rglob("*.pyc.*")]
