"""An input for URLs that may carry credentials: what it shows has the secret masked in place."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input

from envwizard.core.redact import mask_in_place


class UrlInput(Input):
    """Shows `https://user:••••@host/…` while holding what was typed, so the cursor, the
    selection and editing work on the real value and the screen never shows the token."""

    @property
    def _value(self) -> Text:
        text = Text(mask_in_place(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text
