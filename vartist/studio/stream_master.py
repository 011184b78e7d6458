"""Mastering a song while it renders, a chunk at a time, for streamed renders.

:func:`~vartist.studio.master.master_with_report` needs the whole mix: its make-up gain comes
from the song's integrated loudness. A streamed render cannot wait for that, so
:class:`StreamingMaster` works the way a broadcast processor does. It keeps the same chain (the
20 kHz band limit, the bus compressor, the make-up gain and the true-peak limiter, from the same
building blocks), but each stage carries its state from one chunk to the next, and the make-up
gain is chosen per chunk: the gain that brings that chunk, after compression and limiting, to
the loudness the caller asks of it. The pipeline asks each section for the song's target plus
an offset by the section's role (a verse sits under a chorus), with offsets that average to the
target over the song, so the song as a whole lands on its target and keeps its shape.

Between chunks the make-up gain glides over :data:`MAKEUP_GLIDE_SECONDS`, and the limiter's
release and the compressor's detectors carry on from where they were, so a join is inaudible.
The master holds back the last :data:`HOLD_FRAMES` of each chunk until the next one arrives:
the limiter and the true-peak meter look ahead into them. The output is the same whatever the
chunks' sizes only when the chunks are the same; the pipeline's sections always are, so a
streamed render and a batch render of one seed are the same bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import signal

from vartist.audio import MASTER_RATE, db_to_gain, gain_to_db
from vartist.persona.schema import MixConfig
from vartist.studio.errors import SilentMixError, StudioError
from vartist.studio.loudness import (
    _lufs,
    k_weighted_block_power,
    loudness_from_block_power,
    true_peak_blocks,
)
from vartist.studio.master import (
    BLOCK,
    CEILING_MARGIN_DB,
    COMPRESSOR_DETECTOR_SECONDS,
    COMPRESSOR_SMOOTHING_SECONDS,
    EDGE_FADE_IN_SECONDS,
    EDGE_FADE_OUT_SECONDS,
    GUARD_DB,
    LIMITER_RELEASE_SECONDS,
    LOUDNESS_TOLERANCE_LU,
    TRIM_EXTRA_DB,
    _band_limit_sections,
    _compression_db,
    _knots_to_samples,
    _limiter_ramp,
    _loudness_after,
)

FloatArray64 = npt.NDArray[np.float64]
FloatArray32 = npt.NDArray[np.float32]

HISTORY_FRAMES = 8192
"""Band-limited mix kept from before each chunk, so the K-weighting filter and the true-peak
interpolator start settled (170 ms: the K-weighting's memory has decayed by 10^-9)."""
HOLD_FRAMES = 4096
"""Samples held back at the end of each chunk until the next arrives (85 ms): the limiter looks
2 ms ahead and the true-peak interpolator 16 samples."""
MAKEUP_GLIDE_SECONDS = 1.0
MAKEUP_STEPS = 8
TARGET_MISS_LU = 0.5
"""A streamed master further than this from its loudness target says so (per-section gains
land the whole song within a few tenths of it)."""
PEAK_CONTEXT_FRAMES = 64
"""Finished samples kept to measure the true peak across a join."""

_BLOCK_RATE = MASTER_RATE / BLOCK


@dataclass
class _OnePole:
    """A one-pole low-pass over block values whose state carries from chunk to chunk; it starts
    settled at the first value it sees, as the batch master's does."""

    seconds: float
    _state: npt.NDArray[np.float64] | None = field(default=None, repr=False)

    def run(self, values: FloatArray64, commit: int) -> tuple[FloatArray64, FloatArray64]:
        """The filter over ``values`` and its state after the first ``commit`` of them; call
        :meth:`keep` with that state once the chunk's output is final."""
        pole = math.exp(-1.0 / (self.seconds * _BLOCK_RATE))
        b, a = [1.0 - pole], [1.0, -pole]
        start = np.array([pole * values[0]]) if self._state is None else self._state
        head, state = signal.lfilter(b, a, values[:commit], zi=start)
        tail, _ = signal.lfilter(b, a, values[commit:], zi=state)
        return np.concatenate([head, tail]).astype(np.float64), np.asarray(state, np.float64)

    def keep(self, state: FloatArray64) -> None:
        self._state = state


class NonFiniteMixError(StudioError):
    """A chunk handed to the streaming master holds NaN or infinite samples."""


@dataclass(frozen=True)
class StreamReport:
    """What the whole streamed master reached."""

    loudness_lufs: float
    """Integrated loudness of everything pushed, as the master's block model measures it."""
    true_peak_dbtp: float
    """The highest true peak the master measured in its output (8x meter)."""


class StreamingMaster:
    """Masters consecutive chunks of one mixdown (48 kHz stereo) as they come.

    ``push(chunk, target)`` returns the finished master for everything final so far (it may
    be empty); ``push(..., last=True)`` flushes the rest and adds the end fade. The output
    chunks, joined, are the whole master: no sample is dropped or doubled.
    """

    def __init__(self, config: MixConfig) -> None:
        self._ceiling_db = config.true_peak_dbtp - GUARD_DB
        self._limit = db_to_gain(self._ceiling_db - CEILING_MARGIN_DB)
        self._sections = _band_limit_sections()
        self._filter_state = np.zeros((2, self._sections.shape[0], 2), np.float32)
        self._history = np.zeros((2, 0), np.float32)
        self._pending = np.zeros((2, 0), np.float32)
        self._finished_tail = np.zeros((2, 0), np.float32)
        self._detector = _OnePole(COMPRESSOR_DETECTOR_SECONDS)
        self._smoothing = _OnePole(COMPRESSOR_SMOOTHING_SECONDS)
        self._release = _OnePole(LIMITER_RELEASE_SECONDS)
        self._makeup_db: float | None = None
        self._last_knot: float | None = None
        self._emitted = 0
        self._gained_power: list[FloatArray64] = []
        self._peak = 0.0
        self._closed = False

    @property
    def frames_out(self) -> int:
        """Samples of finished master handed out so far."""
        return self._emitted

    def push(self, mix: FloatArray32, target_lufs: float, last: bool = False) -> FloatArray32:
        """Master the next ``mix`` samples (2 × n) aiming at ``target_lufs``; the finished
        samples that are now final (2 × m)."""
        if self._closed:
            raise RuntimeError("this master has already been flushed")
        if mix.ndim != 2 or mix.shape[0] != 2:
            raise ValueError(f"the master takes stereo chunks shaped (2, n), got {mix.shape}")
        if not np.isfinite(mix).all():
            # NaN or inf would pass the limiter (every comparison with NaN is false) and reach
            # the listener; the meters would then call the song silent
            where = int(np.flatnonzero(~np.isfinite(mix).all(axis=0))[0])
            raise NonFiniteMixError(
                f"the mixdown holds NaN or infinite samples (the first at sample {where} of "
                f"this chunk, {(self._emitted + self._pending.shape[1] + where) / MASTER_RATE:.3f} s "
                "into the song); an instrument or the vocal rendered garbage"
            )
        if mix.shape[1]:  # scipy's sosfilt refuses an empty signal when given a state
            limited = np.empty_like(mix, dtype=np.float32)
            for channel in range(2):
                limited[channel], self._filter_state[channel] = signal.sosfilt(
                    self._sections, mix[channel], zi=self._filter_state[channel]
                )
            self._pending = np.concatenate([self._pending, limited], axis=1)
        pending_frames = self._pending.shape[1]
        if last:
            final = pending_frames
            self._closed = True
        else:
            final = (pending_frames - HOLD_FRAMES) // BLOCK * BLOCK
        if final <= 0:
            return np.zeros((2, 0), np.float32)
        out = self._finish(final, target_lufs, last)
        self._history = np.concatenate([self._history, self._pending[:, :final]], axis=1)[
            :, -HISTORY_FRAMES:
        ]
        self._pending = self._pending[:, final:]
        return out

    def report(self) -> StreamReport:
        """Loudness and true peak of the whole master; call after the last push."""
        power = np.concatenate(self._gained_power) if self._gained_power else np.zeros(0)
        loudness = loudness_from_block_power(power, BLOCK, self._emitted, MASTER_RATE)
        if not math.isfinite(loudness):
            raise SilentMixError(
                "the mixdown is silent (below -70 LUFS once cut to 20 kHz), so no gain can "
                "reach the loudness target; check that the band and the vocal rendered any sound"
            )
        return StreamReport(loudness, gain_to_db(self._peak))

    def _finish(self, final: int, target: float, last: bool) -> FloatArray32:
        history = self._history.shape[1]  # always a whole number of blocks
        context = np.concatenate([self._history, self._pending], axis=1)
        skip = history // BLOCK
        power = k_weighted_block_power(context, MASTER_RATE, BLOCK)[skip:]
        peaks = true_peak_blocks(context, MASTER_RATE, BLOCK)[skip:]
        blocks = len(power)
        done = -(-final // BLOCK)  # blocks finished now; the last may be partial
        detector, detector_state = self._detector.run(power / BLOCK, done)
        reduction, smoothing_state = self._smoothing.run(
            _compression_db(_lufs(np.maximum(detector, 1e-12)), self._reference(power)), done
        )
        compression = db_to_gain(np.concatenate([reduction[:1], reduction]))
        knot_index = np.arange(blocks + 1, dtype=np.float64)
        glide = np.minimum(1.0, knot_index / (MAKEUP_GLIDE_SECONDS * _BLOCK_RATE))

        def knots_for(gain_db: float) -> tuple[FloatArray64, FloatArray64]:
            start_db = gain_db if self._makeup_db is None else self._makeup_db
            pre = compression * db_to_gain(start_db + (gain_db - start_db) * glide)
            ramp = _limiter_ramp(pre, peaks, self._limit)
            released, state = self._release.run(ramp, done)
            knots = pre * np.minimum(ramp, released)
            if self._last_knot is not None:
                knots[0] = min(self._last_knot, knots[0])  # the join keeps the gain it had
            return knots, state

        gain = self._first_guess(power, final, target)
        knots, release_state = knots_for(gain)
        reached = _loudness_after(knots[: done + 1], power[:done], final)
        for _ in range(MAKEUP_STEPS):
            if not math.isfinite(reached) or abs(reached - target) <= LOUDNESS_TOLERANCE_LU:
                break
            step = max(-12.0, min(12.0, target - reached))
            louder, louder_state = knots_for(gain + step)
            now = _loudness_after(louder[: done + 1], power[:done], final)
            if step > 0 and now - reached < LOUDNESS_TOLERANCE_LU:
                break  # every block already sits at the ceiling: more gain adds no loudness
            gain, knots, release_state, reached = gain + step, louder, louder_state, now

        out = self._pending[:, :final] * _knots_to_samples(knots, 0, final)[None, :]
        if self._emitted == 0:
            fade_in = min(final, round(EDGE_FADE_IN_SECONDS * MASTER_RATE))
            out[:, :fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
        if last:
            fade_out = min(final, round(EDGE_FADE_OUT_SECONDS * MASTER_RATE))
            out[:, final - fade_out :] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)
        self._trim_over_ceiling(out)

        start, end = knots[:done], knots[1 : done + 1]
        self._gained_power.append(power[:done] * (start * start + start * end + end * end) / 3.0)
        self._detector.keep(detector_state)
        self._smoothing.keep(smoothing_state)
        self._release.keep(release_state)
        self._makeup_db = gain
        self._last_knot = float(knots[done])
        self._emitted += final
        return out.astype(np.float32, copy=False)

    def _reference(self, power: FloatArray64) -> float:
        """The loudness the compressor's threshold sits over: this chunk's, or the song's
        target region when the chunk is silent."""
        loudness = loudness_from_block_power(power, BLOCK, len(power) * BLOCK, MASTER_RATE)
        return loudness if math.isfinite(loudness) else -20.0

    def _first_guess(self, power: FloatArray64, final: int, target: float) -> float:
        """Make-up gain (dB) to start the search from: what the chunk needs before any
        limiting, or the gain in use when the chunk is silent."""
        done = -(-final // BLOCK)
        loudness = loudness_from_block_power(power[:done], BLOCK, final, MASTER_RATE)
        if math.isfinite(loudness):
            return target - loudness
        return 0.0 if self._makeup_db is None else self._makeup_db

    def _trim_over_ceiling(self, out: FloatArray32) -> None:
        """Measure the finished samples' true peak (across the join too) and, in the rare case
        the limiter's block model strayed over the ceiling, turn this chunk down to it."""
        context = np.concatenate([self._finished_tail, out], axis=1)
        peak = float(true_peak_blocks(context, MASTER_RATE, BLOCK).max(initial=0.0))
        if peak > 0.0 and gain_to_db(peak) > self._ceiling_db:
            trim = db_to_gain(self._ceiling_db - gain_to_db(peak) - TRIM_EXTRA_DB)
            out *= np.float32(trim)
            peak *= trim
        self._peak = max(self._peak, peak)
        self._finished_tail = context[:, -PEAK_CONTEXT_FRAMES:].copy()


SECTION_LOUDNESS_OFFSETS_LU = {
    "intro": -3.0,
    "verse": -1.5,
    "pre-chorus": -0.5,
    "chorus": 1.0,
    "stripped chorus": -1.5,
    "bridge": -1.0,
    "interlude": -2.0,
    "outro": -2.5,
}
"""How loud each kind of section sits against the others: the shape of a song (quiet intro,
verses under the choruses, a stripped final chorus pulled back to a verse's intimacy) that a
per-section master must keep."""


def section_loudness_targets(sections: list[tuple[str, float]], target_lufs: float) -> list[float]:
    """Loudness to master each of ``sections`` (kind, seconds) to, so that the song keeps its
    shape and its integrated loudness is ``target_lufs``: the offsets by kind, shifted so that
    their power mean over the song's length is zero."""
    offsets = np.array([SECTION_LOUDNESS_OFFSETS_LU.get(kind, 0.0) for kind, _ in sections])
    seconds = np.array([max(0.0, length) for _, length in sections])
    if seconds.sum() <= 0.0:
        return [target_lufs] * len(sections)
    mean_power = float((seconds * 10.0 ** (offsets / 10.0)).sum() / seconds.sum())
    shift = -10.0 * math.log10(mean_power)
    return [float(target_lufs + offset + shift) for offset in offsets]
