"""The words are understood: the Whisper judge of ``tests/judge.py``, checked on speech whose
words are known, and a floor under what it hears in one rendered song.

The full measurement over several songs and personas, beside espeak-ng's spoken baseline, is
``benchmarks/intelligibility.py``; the floor here only catches a singer grown much harder to
understand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.judge import _model as judge_model
from tests.judge import (
    align_words,
    judge_song,
    line_span,
    normalise,
    speak_plainly,
    sung_word_seconds,
    transcribe,
    word_counts,
    word_error_rate,
)
from vartist.persona import load_persona
from vartist.request import SongRequest
from vartist.runtime import Pipeline
from vartist.runtime.outputs import write_song_files

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Word error rate, on pairs worked out by hand.


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("the night is young", "the night is young", 0.0),
        ("the night is young", "the light is young", 0.25),  # one substitution
        ("the night is young", "the night young", 0.25),  # one deletion
        ("the night is young", "the night is so young", 0.25),  # one insertion
        ("the night is young", "", 1.0),  # every word deleted
        ("go", "oh no no", 3.0),  # a substitution and two insertions: above 1 on purpose
        ("night is young the", "the night is young", 0.5),  # a word moved costs two edits
        ("homesick tonight", "home sick tonight", 0.0),  # a compound spaced apart
        ("the sun lit sea", "the sunlit sea", 0.0),  # or two words run together
        ("home is home", "home sick is home", 1 / 3),  # joined only into a word sung
    ],
)
def test_word_error_rate_counts_edits_over_reference_words(
    reference: str, hypothesis: str, expected: float
) -> None:
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_normalising_drops_case_and_punctuation_alike_on_both_sides() -> None:
    assert normalise("Oh, I'm still dancing — through the NIGHT!") == [
        "oh",
        "i",
        "am",
        "still",
        "dancing",
        "through",
        "the",
        "night",
    ]
    assert normalise("sun-lit") == ["sun", "lit"]
    assert word_error_rate("Don't stop, now.", "do not stop now") == 0.0
    assert word_error_rate("We're alive, I'll stay", "we are alive i will stay") == 0.0
    assert normalise("the music's playing, it's late") == [
        "the",
        "musics",
        "playing",
        "it",
        "is",
        "late",
    ]


def test_alignment_counts_every_kind_of_edit_and_the_words_right() -> None:
    counts = word_counts("we were driving all night through", "we were laughing all night true")
    assert (counts.hits, counts.substitutions, counts.deletions, counts.insertions) == (4, 2, 0, 0)
    assert counts.missed == (2, 5)  # "driving" and "through"
    counts = align_words(["a", "b", "c"], ["x", "a", "c"])
    assert (counts.hits, counts.errors, counts.reference_words) == (2, 2, 3)
    assert counts.missed == (1,)
    assert align_words(["a", "b", "c"], []).missed == (0, 1, 2)
    # among alignments of equal cost the judge keeps the one with most words right
    counts = align_words(["a", "b"], ["b", "a"])
    assert (counts.errors, counts.hits) == (2, 1)
    assert align_words([], []).error_rate == 0.0
    assert align_words([], ["stray"]).error_rate == 1.0


def test_each_normalised_word_gets_the_length_its_word_is_sung() -> None:
    sung = [("I'm", 0.25), ("counting", 0.5), ("sun-lit", 0.75), ("hours", 1.5)]
    # "I'm" is "i am" and "sun-lit" is "sun lit": both halves were sung for the whole word
    assert sung_word_seconds("I'm counting sun-lit hours", sung) == (
        0.25,
        0.25,
        0.5,
        0.75,
        0.75,
        1.5,
    )
    # a timeline whose words do not make up the line gives no lengths rather than wrong ones
    assert sung_word_seconds("I'm counting sun-lit hours tonight", sung) == ()
    assert sung_word_seconds("", []) == ()


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("voice.breathiness=0.1", "write PERSONA:KEY=VALUE"),
        ("saga:voice.breathiness=0.1", "PERSONA one of nova, kit"),
        ('nova:voice.breathiness="lots"', "voice.breathiness"),
        ('kit:voice.speaker="castrato"', "no voice variant 'castrato'"),
    ],
)
def test_the_benchmark_refuses_a_bad_setting_in_one_line_before_singing(
    setting: str, complaint: str
) -> None:
    benchmark = ROOT / "benchmarks/intelligibility.py"
    done = subprocess.run(
        [sys.executable, str(benchmark), "--persona", "kit", "--set", setting],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""  # nothing was sung or judged


# ---------------------------------------------------------------------------------------------
# The judge hears plain speech.

SENTENCES = (
    "the cat sat on the mat",
    "please open the window",
    "we walked to the station in the morning",
    "my brother plays the guitar",
    "it is cold outside today",
    "she bought bread and milk at the shop",
)


@pytest.mark.slow
def test_the_judge_understands_espeak_ngs_plain_speech() -> None:
    """A judge that cannot hear clean speech would fail every singer alike. Measured: 30 of 36
    words right in en-us, 28 of 36 in en-gb (81% in all); tiny.en mishears a few of espeak-ng's
    words ("the cat sat" as "look at that"), so the bar leaves room for that and no more."""
    hits = words = 0
    heard = []
    for language in ("en-us", "en-gb"):
        for sentence, (speech, rate) in zip(
            SENTENCES, speak_plainly(SENTENCES, language), strict=True
        ):
            transcript = transcribe(speech, rate)
            counts = word_counts(sentence, transcript)
            hits += counts.hits
            words += counts.reference_words
            heard.append(f"{language}: {sentence!r} heard as {transcript!r}")
    assert hits / words >= 0.70, "\n".join(heard)


@pytest.mark.slow
def test_silence_has_no_words_to_get_right() -> None:
    """The judge must not find the words of a line in a slice where nothing was sung."""
    transcript = transcribe(np.zeros(3 * 44_100), 44_100)
    assert word_counts("I walked along the harbour wall", transcript).hits == 0


@pytest.mark.slow
def test_a_call_that_sampled_leaves_the_next_a_freshly_seeded_model() -> None:
    """CTranslate2 seeds a worker thread's sampler once, so a line judged after one that fell
    back to sampling would draw other numbers than it draws alone (4 of 166 sung lines changed
    their transcript with the order of the calls). A steady tone makes Whisper tiny.en fall back;
    the judge then drops its model, and the next call loads it freshly seeded. Plain speech
    needs no fallback and keeps the model loaded (a reload costs about a second)."""
    seconds = np.arange(3 * 16_000) / 16_000
    transcribe(0.3 * np.sin(2 * np.pi * 440.0 * seconds), 16_000)
    assert judge_model.cache_info().currsize == 0, "the tone did not make the judge reload"
    speech, rate = speak_plainly(["please open the window"], "en-us")[0]
    transcribe(speech, rate)
    assert judge_model.cache_info().currsize == 1, "plain speech made the judge reload"


# ---------------------------------------------------------------------------------------------
# A floor under a rendered song.

FLOOR_CASES = (("kit", "driving home at dawn"), ("nova", "a rainy night in the city"))
FLOOR_SEED = 1


@pytest.mark.slow
@pytest.mark.parametrize(("persona", "prompt"), FLOOR_CASES)
def test_a_rendered_song_stays_about_as_intelligible_as_today(
    tmp_path: Path, persona: str, prompt: str
) -> None:
    """Seed 1, measured when these floors were last raised (with word gaps, ducked effects and
    contractions spelt out): Kit Ember's "driving home at dawn" 82% of 28 sung lines at
    WER ≤ 0.5 and 79% of words right (espeak-ng speaking the same lines: 86% and 85%); Nova
    Lane's "a rainy night in the city", sung from espeak-ng's female speaker, 81% and 80% (100%
    and 82%). The floors sit far enough
    below to survive small changes to the singer or the mix, and catch one that makes the singer
    much harder to understand. DESIGN.md's bar (85% of lines in every song) is higher still."""
    song = Pipeline(
        load_persona(ROOT / f"examples/personas/{persona}.toml"), keep_stems=True
    ).render(SongRequest(prompt, seed=FLOOR_SEED))
    write_song_files(song, tmp_path, stems=True)
    judged = judge_song(tmp_path)
    report = "\n".join(
        f"{line.sung_counts.error_rate:.2f} {line.text!r} sung as {line.sung!r}"
        for line in judged.lines
    )
    assert len(judged.lines) >= 20, report
    # every line's words are found on the timeline, so losses can be read by how long each is sung
    assert all(line.word_seconds for line in judged.lines), report
    # the judge hears espeak-ng's speech of these very lines, so a low sung figure is the singer's
    assert judged.share_of_lines_passing(spoken=True) >= 0.65, report
    assert judged.share_of_lines_passing() >= 0.70, report
    assert judged.share_of_words_right() >= 0.65, report


R_COLOURED_LYRICS = """[verse]
here comes the rain tonight
we were standing near the door
far away the stars are bright
I will wait for you once more

[chorus]
here comes the morning light
here comes the summer air
"""
R_COLOURED_WORDS = {"here", "near", "door", "far", "stars", "more", "for", "air"}


def sung_lines_heard(persona: str, prompt: str, seed: int, lyrics: str) -> list[tuple[str, str]]:
    """Each line of the persona's song on ``lyrics``, with what the judge heard of it sung."""
    song = Pipeline(
        load_persona(ROOT / f"examples/personas/{persona}.toml"), keep_stems=True
    ).render(SongRequest(prompt, seed=seed, lyrics_text=lyrics))
    vocal = song.stems["vocals"]
    rate = vocal.sample_rate
    heard = []
    for event in (e for e in song.timeline.events if e.kind == "line"):
        first, last = line_span(event.start, event.end, rate, vocal.samples.shape[-1])
        heard.append((event.text, transcribe(vocal.samples[..., first:last], rate)))
    return heard


@pytest.mark.slow
def test_words_that_end_in_r_are_heard_with_their_r() -> None:
    """A vowel closed by an r is sung as one r-coloured vowel: held as a pure vowel with a
    short r after it, "here" was heard as "he" in every sung line of the benchmark. Nova Lane
    (the high voice) sings lines full of such words. Measured: the judge finds 8 of their 10;
    with the vowel and the r sung apart, 3 ("he comes", "standing in the door")."""
    heard = sung_lines_heard("nova", "rain", 2, R_COLOURED_LYRICS)
    sung = found = 0
    for text, transcript in heard:
        wanted = [w for w in normalise(text) if w in R_COLOURED_WORDS]
        heard_words = normalise(transcript)
        sung += len(wanted)
        found += sum(w in heard_words for w in wanted)
    assert sung >= 10
    assert found / sung >= 0.6, "\n".join(f"{t!r} heard as {h!r}" for t, h in heard)


DH_LYRICS = """[verse]
the night is young and the road is long
this is the song that the river knows
then the lights come on across the town
there is a door that the wind has closed

[verse]
they say that the summer is gone
then the rain came down on the bay
those were the days that we knew

[chorus]
the stars are ours tonight
this is the time and this is the place
"""
DH_WORDS = {"the", "this", "that", "then", "there", "they", "those"}


@pytest.mark.slow
def test_the_this_and_then_are_heard_with_their_th() -> None:
    """A voiced fricative ("the", "this", "then") is sung half devoiced: with the pulse train
    running all the way through it, it was a hummed murmur, and "the miles" was heard as "my
    miles", "the clocks" as "look". Kit Ember sings lines full of such words. Measured: the judge
    finds 17 of their 26; sung with the voicing all the way through, 9."""
    heard = sung_lines_heard("kit", "night", 3, DH_LYRICS)
    sung = found = 0
    for text, transcript in heard:
        missed = set(word_counts(text, transcript).missed)
        wanted = [k for k, word in enumerate(normalise(text)) if word in DH_WORDS]
        sung += len(wanted)
        found += sum(k not in missed for k in wanted)
    assert sung >= 20
    assert found / sung >= 0.5, "\n".join(f"{t!r} heard as {h!r}" for t, h in heard)
