"""Fixtures shared by more than one test module."""

from __future__ import annotations

import pytest

from tests.builders import ComposedScores


@pytest.fixture(scope="session")
def composed() -> ComposedScores:
    """The hand-made song composed per genre, seed and voice, once for the whole session."""
    return ComposedScores()
