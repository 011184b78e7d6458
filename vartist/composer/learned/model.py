"""A style learned from a corpus: counts of what its melodies and harmonies do, key-invariant.

Everything is stored relative to each piece's estimated tonic, so a corpus in many keys
teaches one style. The model is a set of count tables (counts, not probabilities, so the file
says how much evidence each number has):

* ``degrees[mode][metric]``: 12 counts of melody pitch classes above the tonic, per metric
  position (``strong``: beats 1 and 3 of the bar, ``weak``: beats 2 and 4, ``offbeat``);
* ``chord_tones[metric]``: 12 counts of melody pitch classes above the bar chord's root;
* ``intervals``: 25 counts of signed melodic intervals -12..+12 semitones (wider ones clipped);
* ``durations[on_beat|off_beat]``: counts per duration class (:data:`DURATION_CLASSES`, beats)
  of notes starting on or off a beat;
* ``onsets``: 16 counts of note starts per sixteenth of the bar;
* ``chords[mode]``: a variable-order Markov model of bar chords as roman numerals in the
  piece's mode: context (the previous 0-2 chords joined by spaces, ``^`` for the piece start)
  → next chord → count;
* ``modes``: melody notes learned in major and in minor pieces; ``files``: each piece with its
  estimated key.

The file is JSON, ``{"format": "vartist-style", "version": 1, "name": …, …}``, kept in
``$XDG_DATA_HOME/vartist/styles/NAME.json``. :class:`StyleBlend` reads one or several with
weights (``"a:0.7,b:0.3"``) and answers every question as a weighted mix of each model's
smoothed probabilities.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vartist.composer.errors import ComposerError
from vartist.composer.learned.corpus import (
    BEATS_PER_BAR,
    Piece,
    corpus_files,
    read_piece,
)
from vartist.errors import StorageError, describe_os_error
from vartist.pitch import Key
from vartist.userfiles import shown

FloatArray = npt.NDArray[np.float64]

FORMAT = "vartist-style"
VERSION = 1
MODES = ("major", "minor")
METRICS = ("strong", "weak", "offbeat")
ONSET_SLOTS = 16
"""Sixteenth notes in a 4/4 bar."""
DURATION_CLASSES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
"""Note lengths in beats the rhythm tables count; a note counts as the nearest (in ratio)."""
MAX_INTERVAL = 12
MARKOV_ORDER = 2
"""Chord contexts of up to two previous bars: enough for a four-bar loop's shape, few enough
that a corpus of a dozen songs fills them."""
CONTEXT_EVIDENCE = 2.0
"""Pseudo-count with which a context's counts are blended with the next shorter context
(interpolated back-off): a context seen twice weighs as much as everything shorter."""
SMOOTHING = 0.5
"""Add-half (Jeffreys) pseudo-count on every table, so nothing the corpus lacks is impossible."""
START = "^"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")


class UnknownStyleError(ComposerError):
    """A persona or command names a learned style that is not stored."""


class StyleFileError(ComposerError):
    """A stored style file is damaged or from another version."""


def metric_class(beat: float) -> str:
    """``strong`` on beats 1 and 3 of a 4/4 bar, ``weak`` on 2 and 4, else ``offbeat``."""
    if abs(beat - round(beat)) > 1e-6:
        return "offbeat"
    return "strong" if round(beat) % 2 == 0 else "weak"


def duration_class(beats: float) -> int:
    """Index of the nearest :data:`DURATION_CLASSES` entry by ratio."""
    logs = np.log(np.asarray(DURATION_CLASSES))
    return int(np.argmin(np.abs(logs - math.log(max(beats, 1e-3)))))


def roman_symbol(root: int, quality: str, key: Key) -> str | None:
    """``(root, quality)`` as a roman numeral in ``key`` (``"IV"``, ``"ii"``, ``"vii°"``);
    None for a root outside the key's scale."""
    if root not in key.scale:
        return None
    numeral = _NUMERALS[key.scale.index(root)]
    if quality == "maj":
        return numeral
    return numeral.lower() + ("°" if quality == "dim" else "")


def check_style_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise UnknownStyleError(
            f"{shown(name)!r} is not a style name; use 1-64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def styles_dir() -> Path:
    """``$XDG_DATA_HOME/vartist/styles`` (``~/.local/share/vartist/styles`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(base) / "vartist" / "styles"


def _zeros(size: int) -> list[float]:
    return [0.0] * size


def empty_tables() -> dict[str, Any]:
    return {
        "modes": {m: 0 for m in MODES},
        "degrees": {m: {k: _zeros(12) for k in METRICS} for m in MODES},
        "chord_tones": {k: _zeros(12) for k in METRICS},
        "intervals": _zeros(2 * MAX_INTERVAL + 1),
        "durations": {
            "on_beat": _zeros(len(DURATION_CLASSES)),
            "off_beat": _zeros(len(DURATION_CLASSES)),
        },
        "onsets": _zeros(ONSET_SLOTS),
        "chords": {m: {} for m in MODES},
    }


def _count_piece(tables: dict[str, Any], piece: Piece) -> None:
    key, mode = piece.key, piece.key.mode
    tables["modes"][mode] += len(piece.melody)
    previous: int | None = None
    for note in piece.melody:
        metric = metric_class(note.start)
        tables["degrees"][mode][metric][(note.pitch - key.tonic) % 12] += 1
        bar = int(note.start // BEATS_PER_BAR)
        chord = piece.bar_chords[bar] if bar < len(piece.bar_chords) else None
        if chord is not None:
            tables["chord_tones"][metric][(note.pitch - chord[0]) % 12] += 1
        if previous is not None:
            step = int(np.clip(note.pitch - previous, -MAX_INTERVAL, MAX_INTERVAL))
            tables["intervals"][step + MAX_INTERVAL] += 1
        previous = note.pitch
        where = "off_beat" if metric == "offbeat" else "on_beat"
        tables["durations"][where][duration_class(note.duration)] += 1
        tables["onsets"][round(note.start * 4) % ONSET_SLOTS] += 1
    symbols = [roman_symbol(c[0], c[1], key) if c else None for c in piece.bar_chords]
    history: list[str] = [START]
    chords = tables["chords"][mode]
    for symbol in symbols:
        if symbol is None:
            continue
        for order in range(0, MARKOV_ORDER + 1):
            if order > len(history):
                break
            context = " ".join(history[len(history) - order :]) if order else ""
            row = chords.setdefault(context, {})
            row[symbol] = row.get(symbol, 0) + 1
        history.append(symbol)


def learn_style(folder: Path, name: str) -> dict[str, Any]:
    """Read every MIDI/MusicXML file under ``folder`` and count its style (see the module)."""
    check_style_name(name)
    pieces = [read_piece(path) for path in corpus_files(folder)]
    tables = empty_tables()
    for piece in pieces:
        _count_piece(tables, piece)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "files": [
            {"name": p.name, "key": p.key.name, "melody_notes": len(p.melody)} for p in pieces
        ],
        **tables,
    }


# --- the store -------------------------------------------------------------------------------


def style_path(name: str) -> Path:
    return styles_dir() / f"{check_style_name(name)}.json"


def save_style(model: dict[str, Any]) -> Path:
    path = style_path(model["name"])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(model, ensure_ascii=False, indent=1), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        raise StorageError(
            f"cannot save style {model['name']!r} to {shown(path)}: {describe_os_error(exc)}"
        ) from None
    return path


def stored_styles() -> list[str]:
    folder = styles_dir()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_style(name: str) -> dict[str, Any]:
    path = style_path(name)
    if not path.is_file():
        known = ", ".join(stored_styles()) or "none yet"
        raise UnknownStyleError(
            f"no learned style {name!r} (stored: {known}); learn it with "
            f"`vartist style learn FOLDER --name {name}`"
        )
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StorageError(f"cannot read {shown(path)}: {describe_os_error(exc)}") from None
    except ValueError as exc:
        raise StyleFileError(
            f"{shown(path)} is not valid JSON ({exc}); learn the style again"
        ) from None
    if (
        not isinstance(model, dict)
        or model.get("format") != FORMAT
        or model.get("version") != VERSION
    ):
        raise StyleFileError(
            f"{shown(path)} is not a version-{VERSION} vartist style; learn the style again"
        )
    expected = empty_tables()
    missing = [field for field in expected if field not in model]
    if missing:
        raise StyleFileError(f"{shown(path)} lacks {', '.join(missing)}; learn the style again")
    return model


def delete_style(name: str) -> Path:
    path = style_path(name)
    if not path.is_file():
        load_style(name)  # raises the error that lists what is stored
    try:
        path.unlink()
    except OSError as exc:
        raise StorageError(f"cannot delete {shown(path)}: {describe_os_error(exc)}") from None
    return path


# --- blends ----------------------------------------------------------------------------------


def parse_blend(spec: str) -> list[tuple[str, float]]:
    """``"a:0.7,b:0.3"`` → [("a", 0.7), ("b", 0.3)]; a bare ``"a"`` weighs 1. Weights are
    normalised to sum to 1."""
    parts: list[tuple[str, float]] = []
    for item in spec.split(","):
        name, _, weight_text = item.strip().partition(":")
        try:
            weight = float(weight_text) if weight_text.strip() else 1.0
        except ValueError:
            weight = math.nan
        if not math.isfinite(weight) or weight <= 0:
            raise UnknownStyleError(
                f"style blend {shown(spec)!r}: weight {shown(weight_text)!r} of {shown(name)!r} is "
                "not a positive number; write 'name:weight,name:weight' like 'a:0.7,b:0.3'"
            )
        parts.append((check_style_name(name.strip()), weight))
    total = sum(w for _, w in parts)
    return [(n, w / total) for n, w in parts]


def _normalised(counts: Sequence[float]) -> FloatArray:
    values = np.asarray(counts, dtype=np.float64) + SMOOTHING
    return values / values.sum()


@dataclass(frozen=True)
class StyleBlend:
    """One or more learned styles with weights; every distribution is the weighted mix of each
    style's own smoothed distribution (a mixture model, so a 50/50 blend lies between)."""

    models: tuple[dict[str, Any], ...]
    weights: tuple[float, ...]

    @classmethod
    def load(cls, spec: str) -> StyleBlend:
        parts = parse_blend(spec)
        return cls(tuple(load_style(n) for n, _ in parts), tuple(w for _, w in parts))

    @property
    def name(self) -> str:
        return ",".join(
            f"{m['name']}:{w:g}" for m, w in zip(self.models, self.weights, strict=True)
        )

    def _mix(self, pick: Any) -> FloatArray:
        return sum(
            (w * pick(m) for m, w in zip(self.models, self.weights, strict=True)),
            np.zeros(1),
        )

    @property
    def main_mode(self) -> str:
        """The mode most of the corpus melodies were in (weighted by the blend)."""
        share = {
            mode: sum(
                w * m["modes"][mode] / max(1, sum(m["modes"].values()))
                for m, w in zip(self.models, self.weights, strict=True)
            )
            for mode in MODES
        }
        return max(MODES, key=lambda mode: share[mode])

    @staticmethod
    def _mode_counts(model: dict[str, Any], mode: str) -> dict[str, list[float]]:
        # a style learned only in the other mode still says something: its own tables
        return model["degrees"][
            mode if model["modes"][mode] else max(MODES, key=lambda m: model["modes"][m])
        ]

    def degree_probs(self, mode: str, metric: str | None = None) -> FloatArray:
        """P(pitch class above the tonic | mode, metric position); all positions when None."""

        def pick(model: dict[str, Any]) -> FloatArray:
            tables = self._mode_counts(model, mode)
            overall = np.sum([tables[k] for k in METRICS], axis=0)
            if metric is None:
                return _normalised(overall)
            own = np.asarray(tables[metric], dtype=np.float64)
            backoff = _normalised(overall)
            return (own + CONTEXT_EVIDENCE * backoff + SMOOTHING * backoff) / (
                own.sum() + CONTEXT_EVIDENCE + SMOOTHING
            )

        return self._mix(pick)

    def chord_tone_probs(self, metric: str) -> FloatArray:
        """P(pitch class above the chord root | metric position)."""

        def pick(model: dict[str, Any]) -> FloatArray:
            return _normalised(model["chord_tones"][metric])

        return self._mix(pick)

    def interval_probs(self) -> FloatArray:
        """P(signed interval), index 0 for -12 semitones."""
        return self._mix(lambda m: _normalised(m["intervals"]))

    def duration_probs(self, on_beat: bool | None = None) -> FloatArray:
        """P(duration class | the note starts on a beat or not); both when None."""

        def pick(model: dict[str, Any]) -> FloatArray:
            tables = model["durations"]
            if on_beat is None:
                return _normalised(np.add(tables["on_beat"], tables["off_beat"]))
            return _normalised(tables["on_beat" if on_beat else "off_beat"])

        return self._mix(pick)

    def onset_probs(self) -> FloatArray:
        """P(position of a note start within its beat), 4 sixteenth positions."""
        return self._mix(lambda m: _normalised(np.reshape(m["onsets"], (4, 4)).sum(axis=0)))

    def next_chord_probs(self, mode: str, history: Sequence[str]) -> dict[str, float]:
        """P(next bar chord | the previous chords), interpolating from the longest context a
        style has seen down to the chord frequencies (``history`` starts with ``^``)."""
        mixed: dict[str, float] = {}
        for model, weight in zip(self.models, self.weights, strict=True):
            table: dict[str, dict[str, float]] = model["chords"][mode]
            if not table.get(""):
                continue  # numerals learned in the other mode name other chords
            probs = _row_probs(table[""])
            for order in range(1, MARKOV_ORDER + 1):
                if order > len(history):
                    break
                row = table.get(" ".join(history[len(history) - order :]))
                if not row:
                    break
                seen = float(sum(row.values()))
                own = _row_probs(row)
                symbols = set(probs) | set(own)
                probs = {
                    s: (seen * own.get(s, 0.0) + CONTEXT_EVIDENCE * probs.get(s, 0.0))
                    / (seen + CONTEXT_EVIDENCE)
                    for s in symbols
                }
            for symbol, p in probs.items():
                mixed[symbol] = mixed.get(symbol, 0.0) + weight * p
        total = sum(mixed.values())
        return {s: p / total for s, p in mixed.items()} if total else {}


def _row_probs(row: dict[str, float]) -> dict[str, float]:
    total = float(sum(row.values()))
    return {s: c / total for s, c in row.items()}
