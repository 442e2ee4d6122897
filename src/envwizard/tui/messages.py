"""What workers tell the screens: results of work done off the UI thread, as messages."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from envwizard.app.session import Planned
from envwizard.app.session import Prepared as PreparedValue


@dataclass
class Prepared(Message):
    """The session's prepare stage answered: a start, a question, or a refusal."""

    prepared: PreparedValue


@dataclass
class Waiting(Message):
    """The environment's lock waits for an installer a dead run left behind."""

    text: str


@dataclass
class Measured(Message):
    """`mirror: auto` measured its sources; `planned` is the plan with the measured route."""

    planned: Planned
