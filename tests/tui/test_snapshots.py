"""How every screen looks, with frozen data (pytest-textual-snapshot; the same scenes as
scripts/screenshots.py). After an intended UI change: pytest tests/tui --snapshot-update,
look at the report, and regenerate screenshots/ with the script."""

from __future__ import annotations

import pytest
from scripts.screenshots import SCENES, SIZE, app_for

from .conftest import HOME

# Every screen is rendered by the real Textual app through Pilot: slow tier.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def still(monkeypatch: pytest.MonkeyPatch, frozen: str) -> None:
    """No blinking cursor, no animation: a snapshot is the same at any instant."""
    monkeypatch.setattr("textual.widgets.Input._toggle_cursor", lambda self: None)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setattr("envwizard.core.i18n._cli", "en")  # English whatever the locale
    assert frozen == HOME


@pytest.mark.parametrize("name", list(SCENES))
def test_screen(name: str, snap_compare) -> None:  # type: ignore[no-untyped-def]
    scene, facts_file = SCENES[name]
    assert snap_compare(app_for(facts_file), run_before=scene, terminal_size=SIZE)
