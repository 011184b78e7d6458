"""Lyrics: the user's lyrics parser and the builtin writer.

The writer's English is checked against CMUdict as ``pronouncing`` reads it; its Dutch and
Swedish against their spelling (syllables) and espeak-ng's IPA (rhymes), never against the
syllabifier and rhyme keys the writer used to choose its lines.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.measure import cmudict_rhyme, cmudict_syllables, ipa_rhyme, written_syllables
from vartist.lyrics import (
    BuiltinLyricWriter,
    Lyrics,
    LyricsError,
    lyric_engines,
    parse_lyrics,
    split_words,
)
from vartist.lyrics.parse import MAX_LINES
from vartist.persona import Persona
from vartist.request import SongRequest

# ------------------------------------------------------------------------------------------------
# The parser

SONG = """\
[Intro]
Oh oh oh

[Verse 1]
I walked along the river
the water running slow
the city lights were shining
and I was letting go

[Pre chorus]
Hold on, hold on

[CHORUS]
We are burning bright tonight
dancing in the neon light

[verse 2]
Another line to sing

[bridge]
Quiet now

[Prechorus]
Hold on, hold on

[Pre-Chorus]
Hold on, hold on

[chorus]
We are burning bright tonight
dancing in the neon light

[outro]
Goodbye
"""


def test_parser_reads_tags_case_and_numbering() -> None:
    parsed = parse_lyrics(SONG, "en-us")
    kinds = [s.kind for s in parsed.sections]
    assert kinds == [
        "intro",
        "verse",
        "pre-chorus",
        "chorus",
        "verse",
        "bridge",
        "pre-chorus",
        "pre-chorus",
        "chorus",
        "outro",
    ]
    assert parsed.engine == "user"
    assert parsed.language == "en-us"
    assert [len(s.lines) for s in parsed.sections][:4] == [1, 4, 1, 2]
    assert parsed.sections[1].lines[2].text == "the city lights were shining"


def test_parser_reads_singer_credits_in_tags() -> None:
    parsed = parse_lyrics("[Verse 2: Mia]\nla la\n[Chorus:]\nla", "en-us")
    assert [s.kind for s in parsed.sections] == ["verse", "chorus"]


def test_parser_names_a_language_espeak_does_not_know() -> None:
    with pytest.raises(LyricsError, match="does not know the language"):
        parse_lyrics("hello", "xx-nowhere")


def test_parser_title_defaults_to_the_first_chorus_line() -> None:
    assert parse_lyrics(SONG, "en-us").title == "We are burning bright tonight"
    assert parse_lyrics("first line here\nsecond line", "en-us").title == "first line here"
    assert parse_lyrics(SONG, "en-us", title="Neon").title == "Neon"


def test_untagged_text_is_a_verse_and_blank_lines_split_sections() -> None:
    parsed = parse_lyrics("one two three\nfour five six\n\nseven eight\n\n\nnine ten", "en-us")
    assert [s.kind for s in parsed.sections] == ["verse", "verse", "verse"]
    assert [len(s.lines) for s in parsed.sections] == [2, 1, 1]
    # a tag followed by a blank line still names the text after it
    tagged = parse_lyrics("[chorus]\n\nla la la\n\nmore words", "en-us")
    assert [s.kind for s in tagged.sections] == ["chorus", "verse"]


def test_parser_syllabifies_every_line() -> None:
    parsed = parse_lyrics(SONG, "en-us")
    verse = parsed.sections[1]
    assert [len(line.syllables) for line in verse.lines] == [7, 6, 7, 6]
    assert all(s.phonemes and 0 <= s.nucleus < len(s.phonemes) for s in verse.lines[0].syllables)


def test_parser_gives_rhyming_lines_one_letter() -> None:
    verse = parse_lyrics(SONG, "en-us").sections[1]
    # river / slow / shining / go: only slow and go rhyme
    assert [line.rhyme for line in verse.lines] == ["A", "B", "C", "B"]
    chorus = parse_lyrics(SONG, "en-us").sections[3]
    assert chorus.lines[0].rhyme == chorus.lines[1].rhyme


def test_parser_drops_emoji() -> None:
    parsed = parse_lyrics("I love you 💖💖 so 🎶 much\n🔥🔥🔥\n", "en-us")
    (line,) = parsed.sections[0].lines  # the emoji-only line is not sung
    assert line.text == "I love you so much"
    assert [w.text for w in line.words] == ["I", "love", "you", "so", "much"]
    assert len(line.syllables) == 5


def test_parser_reads_dutch_and_swedish() -> None:
    dutch = parse_lyrics("De nacht is zacht\nik lach", "nl")
    assert len(dutch.sections[0].lines[0].syllables) == 4
    swedish = parse_lyrics("[chorus]\nVi dansar hela natten\noch det är glatt", "sv")
    assert swedish.sections[0].kind == "chorus"
    assert len(swedish.sections[0].lines[0].syllables) == 7


def test_parser_rejects_other_scripts_naming_the_line() -> None:
    with pytest.raises(LyricsError, match=r"line 3: .*--set language=ja"):
        parse_lyrics("[verse]\nhello there\nさくら blooms\n", "en-us")
    with pytest.raises(LyricsError, match=r"line 1: .*Cyrillic.*--set language=ru"):
        parse_lyrics("ik hou van любовь", "nl")


@pytest.mark.parametrize("text", ["", "   \n\n  ", "[verse]\n[chorus]\n", "💖🔥\n..."])
def test_parser_rejects_lyrics_without_singable_text(text: str) -> None:
    with pytest.raises(LyricsError, match="no singable text"):
        parse_lyrics(text, "en-us")


def test_parser_rejects_unknown_tags_naming_the_line() -> None:
    with pytest.raises(LyricsError, match=r"line 2: unknown section tag \[hook\]"):
        parse_lyrics("la la\n[hook]\nla la", "en-us")


def test_parser_rejects_oversized_lyrics() -> None:
    with pytest.raises(LyricsError, match="10 kB"):
        parse_lyrics("la la la la la la la\n" * 700, "en-us")
    with pytest.raises(LyricsError, match=f"line {MAX_LINES + 1}: .*more than {MAX_LINES}"):
        parse_lyrics("la\n" * (MAX_LINES + 1), "en-us")


def test_parser_rejects_a_line_too_long_to_sing() -> None:
    long_line = (
        "and the rain keeps falling on the empty city streets tonight "
        "while we are dancing slowly underneath the flickering lights"
    )
    counts = [cmudict_syllables(word) for word in split_words(long_line)]
    assert None not in counts and sum(c for c in counts if c) > 24
    with pytest.raises(LyricsError, match=r"line 2 has \d+ syllables.*split it"):
        parse_lyrics(f"short line\n{long_line}", "en-us")


# ------------------------------------------------------------------------------------------------
# The builtin writer

PROMPTS = {
    "en-us": ("a rainy night in the city", ["the open sea"]),
    "nl": ("een lied over de zee en de stad", ["vriendschap"]),
    "sv": ("en sång om sommaren i staden", ["vänskap"]),
}
# nouns of each prompt and theme above
TOPIC_WORDS = {
    "en-us": {"night", "city", "sea"},
    "nl": {"zee", "stad", "vriendschap"},
    "sv": {"sommaren", "staden", "vänskap"},
}
SEEDS = (0, 1, 2, 3)


def persona(language: str, avoid: tuple[str, ...] = ()) -> Persona:
    return Persona(
        name="Test",
        language=language,
        lyrics={"themes": PROMPTS[language][1], "avoid": list(avoid)},
    )


def write(language: str, seed: int, avoid: tuple[str, ...] = ()) -> Lyrics:
    artist = persona(language, avoid)
    writer = lyric_engines.get("builtin")(artist)
    request = SongRequest(PROMPTS[language][0], seed=seed)
    return writer.write(request, artist, np.random.default_rng(seed))


def test_importing_the_package_registers_the_builtin_engine() -> None:
    assert "builtin" in lyric_engines.names()
    assert lyric_engines.get("builtin") is BuiltinLyricWriter


@pytest.mark.parametrize("language", list(PROMPTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_builtin_writes_a_verse_chorus_form(language: str, seed: int) -> None:
    song = write(language, seed)
    kinds = [s.kind for s in song.sections]
    # a pop song of the natural length: two verse rounds, each ending on the chorus (with or
    # without a pre-chorus), a bridge, and the last chorus (once or twice)
    assert kinds[0] == "verse" and kinds[-1] == "chorus"
    assert kinds.count("verse") == 2 and kinds.count("bridge") == 1
    assert kinds[kinds.index("bridge") - 1] == "chorus" == kinds[kinds.index("verse", 1) - 1]
    assert song.engine == "builtin"
    assert song.language == language
    counts = {s.kind: len(s.lines) for s in song.sections}
    assert counts["verse"] == 4 and counts["chorus"] == 4
    assert counts.get("pre-chorus", 2) == 2
    assert 2 <= counts["bridge"] <= 4
    choruses = [s for s in song.sections if s.kind == "chorus"]
    assert len(choruses) >= 3 and all(c == choruses[0] for c in choruses)
    pre_choruses = [s for s in song.sections if s.kind == "pre-chorus"]
    assert all(p == pre_choruses[0] for p in pre_choruses)
    verses = [s for s in song.sections if s.kind == "verse"]
    assert verses[0].lines != verses[1].lines


# Below this share of words (or rhyming words) found in CMUdict, the English oracle says too
# little; the writer's phrase book has one word CMUdict lacks ("streetlights").
CMUDICT_COVERAGE = 0.97


def oracle_syllables(word: str, language: str) -> int | None:
    """Syllables of ``word`` from CMUdict for English, from the spelling for Dutch and Swedish."""
    if language.startswith("en"):
        return cmudict_syllables(word)
    return written_syllables(word, language)


def oracle_rhyme(word: str, language: str) -> str | tuple[str, ...] | None:
    """What must match for two words to rhyme: CMUdict's rhyming part for English, espeak-ng's
    IPA from the last stressed vowel for Dutch and Swedish."""
    if language.startswith("en"):
        return cmudict_rhyme(word)
    return ipa_rhyme(word, language)


@pytest.mark.parametrize("language", list(PROMPTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_builtin_lines_fit_their_syllable_targets(language: str, seed: int) -> None:
    words = known = 0
    for section in write(language, seed).sections:
        low, high = (7, 9) if section.kind == "verse" else (6, 8)
        for line in section.lines:
            assert [w.text for w in line.words] == split_words(line.text)
            counts = [oracle_syllables(w.text, language) for w in line.words]
            words += len(counts)
            known += sum(c is not None for c in counts)
            # the syllables the composer will set are the ones the word has
            for word, count in zip(line.words, counts, strict=True):
                assert count is None or len(word.syllables) == count, (word.text, count)
            if None not in counts:
                total = sum(c for c in counts if c is not None)
                assert low <= total <= high, (section.kind, line.text, total)
    if language.startswith("en"):  # the Dutch and Swedish oracles know every word
        assert known / words >= CMUDICT_COVERAGE


@pytest.mark.parametrize("language", list(PROMPTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_builtin_rhyme_schemes_really_rhyme(language: str, seed: int) -> None:
    ends = known = 0
    for section in write(language, seed).sections:
        endings = [split_words(line.text)[-1] for line in section.lines]
        sounds = [oracle_rhyme(word, language) for word in endings]
        ends += len(sounds)
        known += sum(s is not None for s in sounds)
        pairs = [
            (i, j)
            for i in range(len(endings))
            for j in range(i + 1, len(endings))
            if sounds[i] is not None and sounds[j] is not None
        ]
        rhyming = [(i, j) for i, j in pairs if sounds[i] == sounds[j]]
        # every section has a rhyme; no rhyme is a word repeated
        assert rhyming, (section.kind, endings)
        assert all(endings[i].lower() != endings[j].lower() for i, j in rhyming)
        # the rhyme letters the writer hands on say which lines rhyme
        for i, j in pairs:
            same_letter = section.lines[i].rhyme == section.lines[j].rhyme
            assert same_letter == (sounds[i] == sounds[j]), (endings[i], endings[j])
    if language.startswith("en"):
        assert known / ends >= CMUDICT_COVERAGE


@pytest.mark.parametrize("language", list(PROMPTS))
def test_builtin_weaves_in_the_prompt_and_themes(language: str) -> None:
    topic_words = TOPIC_WORDS[language]
    for seed in SEEDS:
        song = write(language, seed)
        sung = {w.lower() for w in split_words(song.text)}
        assert len(topic_words & sung) >= 2, (seed, sorted(topic_words - sung))
        chorus = next(s for s in song.sections if s.kind == "chorus")
        hook = {w.lower() for w in split_words(chorus.lines[0].text)}
        assert topic_words & hook, chorus.lines[0].text
        assert {w.lower() for w in split_words(song.title)} <= hook


def test_builtin_never_sings_avoided_words() -> None:
    avoid = ("night", "heart", "love", "tonight", "rain")
    for seed in SEEDS:
        sung = {w.lower() for w in split_words(write("en-us", seed, avoid).text)}
        assert not sung & set(avoid), sorted(sung & set(avoid))
    dutch = {w.lower() for w in split_words(write("nl", 0, ("zee", "hart")).text)}
    assert not dutch & {"zee", "hart"}


@pytest.mark.parametrize("language", list(PROMPTS))
def test_builtin_same_seed_same_lyrics_other_seeds_other_lyrics(language: str) -> None:
    first, again = write(language, 7), write(language, 7)
    assert first == again
    texts = {write(language, seed).text for seed in SEEDS}
    assert len(texts) == len(SEEDS)
    # clearly different: most lines of two songs differ
    a, b = (write(language, seed) for seed in SEEDS[:2])
    lines_a = {line.text for s in a.sections for line in s.lines}
    lines_b = {line.text for s in b.sections for line in s.lines}
    assert len(lines_a & lines_b) <= len(lines_a) // 3


def test_builtin_rejects_languages_it_does_not_write() -> None:
    artist = Persona(name="Test", language="de")
    writer = BuiltinLyricWriter(artist)
    with pytest.raises(LyricsError, match=r"en.*nl.*sv.*--lyrics FILE"):
        writer.write(SongRequest("ein Lied"), artist, np.random.default_rng(0))


def test_builtin_writes_without_prompt_nouns() -> None:
    artist = Persona(name="Test", language="en-us")
    song = BuiltinLyricWriter(artist).write(
        SongRequest("something happy please"), artist, np.random.default_rng(5)
    )
    assert {"verse", "chorus"} <= {s.kind for s in song.sections}
    # the title is the hook: the first chorus line, less an opening "and" or "oh"
    hook = next(s for s in song.sections if s.kind == "chorus").lines[0]
    hook_words = [w.lower() for w in split_words(hook.text)]
    assert [w.lower() for w in split_words(song.title)] in (hook_words, hook_words[1:])
