"""The ``transformers`` lyric engine: a Hugging Face causal LM writes lines to the builtin plan.

The builtin writer first writes the whole song, which fixes its form, every line's syllable
count and the rhyme scheme. Then, line by line in sung order, the model continues the song so
far with a batch of candidate lines, and a candidate replaces the planned line only when
vartist's own phonetics say that it

- sings exactly the planned number of syllables,
- ends on the planned rhyme where the scheme rhymes the line (the rhyme its partners keep),
  or, on an unrhymed line, on none of the section's other rhymes,
- is made of words the phonetics layer can pronounce (English: words CMUdict knows), and
- holds no word of the blocklist or the persona's ``lyrics.avoid`` list.

A line that no candidate meets stays as the builtin writer wrote it, so every line meets its
count and its rhyme by construction, never by hope. A repeated section (the chorus, the
pre-chorus) is rewritten once and sung the same each time. The chorus's first line, the hook,
stays the builtin's: it carries the fan's topic and is the song's title.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from vartist.lyrics.builtin import BuiltinLyricWriter
from vartist.lyrics.causal_lm import CausalLM, load_causal_lm, sample_lines
from vartist.lyrics.cmu import arpabet
from vartist.lyrics.engine import lyric_engines
from vartist.lyrics.errors import LyricsError
from vartist.lyrics.phonetics import is_english, make_line, rhyme_key, rhyme_letters, words_of
from vartist.lyrics.screening import banned_words, is_banned, refuse_banned_request
from vartist.lyrics.text import HYPHEN, clean_line, split_words
from vartist.lyrics.types import Line, Lyrics, Section, SectionKind, Word
from vartist.persona import Persona
from vartist.request import SongRequest

RhymeKey = tuple[str, ...]

TEMPERATURE = 0.9
"""A little below 1: varied candidates without the word salad of the distribution's tail."""
TOP_P = 0.95
"""Nucleus sampling keeps the tokens holding 95% of the mass and drops the long tail."""
TOKENS_PER_SYLLABLE = 2
"""Room for the new line: common BPE vocabularies spend about one token per English syllable;
twice that, plus the slack, leaves room for punctuation, a rare word split up and the newline."""
TOKEN_SLACK = 8

_PUNCTUATION_INSIDE = frozenset(" ',!?-")
"""Besides letters, what a sung line may hold; digits and symbols sing badly or not at all."""
_EDGE_NOISE = " \"'*-_.,;:"
"""Quotes, list bullets and closing punctuation a model puts around a line."""


@dataclass(frozen=True)
class LineRule:
    """What a candidate must meet to replace one planned line."""

    syllables: int
    rhyme: RhymeKey | None
    """The rhyme the line must end on; None for an unrhymed line."""
    taken_rhymes: frozenset[RhymeKey]
    """The rhymes of the section's other lines, which an unrhymed line must not fall on."""
    taken_end_words: frozenset[str]
    """The section's other lines' last words: no two lines end on the same word."""


def _candidate_text(raw: str) -> str | None:
    """The line a model wrote, without the quotes and bullets around it; None if unsingable."""
    text = clean_line(raw).strip(_EDGE_NOISE)
    if not text or not all(c.isalpha() or c in _PUNCTUATION_INSIDE for c in text):
        return None
    return text[:1].upper() + text[1:]


def _pronounceable_words(text: str, language: str) -> tuple[Word, ...] | None:
    """The sung words of ``text`` when the phonetics layer can pronounce every one, else None.

    In English a word must be in CMUdict: espeak-ng would spell out a made-up word ("ingthe")
    letter by letter, which parses but is not a lyric.
    """
    written = split_words(text)
    try:
        words = words_of(text, language)
    except LyricsError:
        return None
    if len(words) != len(written):
        return None  # a word with no sound would drop out of the sung line
    if is_english(language):
        for word in written:
            for part in word.lower().split(HYPHEN):
                if part and not (arpabet(part) or arpabet(part.strip("'"))):
                    return None
    return words


def fitting_line(
    raw: str, rule: LineRule, language: str, banned: frozenset[str], sung: set[str]
) -> Line | None:
    """The candidate as a :class:`Line` when it meets ``rule``, else None."""
    text = _candidate_text(raw)
    if text is None or text.lower() in sung or is_banned(text, banned):
        return None
    words = _pronounceable_words(text, language)
    if not words or sum(len(w.syllables) for w in words) != rule.syllables:
        return None
    end_word = words[-1].text.lower()
    key = rhyme_key(words[-1], language)
    if not key or end_word in rule.taken_end_words:
        return None
    if rule.rhyme is not None and key != rule.rhyme:
        return None
    if rule.rhyme is None and key in rule.taken_rhymes:
        return None
    return make_line(text, language)


def rule_for_line(plan: Section, lines: list[Line], index: int, language: str) -> LineRule:
    """The rule for line ``index`` of ``plan``, given the section's lines as written so far.

    Whether the line rhymes comes from the plan's rhyme letters; the rhymes and end words to
    keep clear of come from ``lines``, where earlier lines may already be the model's.
    """
    planned = plan.lines[index]
    rhymed = bool(planned.rhyme) and any(
        line.rhyme == planned.rhyme for i, line in enumerate(plan.lines) if i != index
    )
    others = [line for i, line in enumerate(lines) if i != index and line.words]
    return LineRule(
        syllables=len(planned.syllables),
        rhyme=rhyme_key(planned.words[-1], language) if rhymed else None,
        taken_rhymes=frozenset(rhyme_key(line.words[-1], language) for line in others),
        taken_end_words=frozenset(line.words[-1].text.lower() for line in others),
    )


def song_prompt(
    persona: Persona,
    request: SongRequest,
    title: str,
    song_so_far: list[tuple[SectionKind, list[str]]],
    banned: frozenset[str] = frozenset(),
) -> str:
    """The text the model continues: who sings, what the fan asked for, the song so far.

    It ends inside the section being written, after a newline, so the model's next line is
    the song's next line.
    """
    genre = request.genre or persona.style.genres[0]
    header = [f"Song lyrics by {persona.name}."]
    if persona.bio.strip():
        header.append(f"About {persona.name}: {persona.bio.strip()}")
    header.append(f"Genre: {genre}. Language: {persona.language}.")
    themes = [t for t in persona.lyrics.themes if not is_banned(t, banned)]
    if themes:
        header.append(f"Themes: {', '.join(themes)}.")
    header.append(f"A fan asked for a song about: {request.prompt}")
    header.append(f"Title: {title}")
    blocks = ["\n".join(header)]
    blocks += ["\n".join([f"[{kind}]", *lines]) for kind, lines in song_so_far]
    return "\n\n".join(blocks) + "\n"


class _SongRewriter:
    """Rewrites one planned song's lines with a model; one per :meth:`write` call."""

    def __init__(
        self,
        lm: CausalLM,
        persona: Persona,
        request: SongRequest,
        rng: np.random.Generator,
        candidates_per_line: int,
    ) -> None:
        self.lm = lm
        self.persona = persona
        self.request = request
        self.rng = rng
        self.candidates_per_line = candidates_per_line
        self.language = persona.language
        self.banned = banned_words(persona.lyrics.avoid, persona.language)
        self.sung: set[str] = set()
        """Every line of the song, lower case: a new line must not repeat one."""

    def rewrite(self, plan: Lyrics) -> Lyrics:
        self.sung = {line.text.lower() for s in plan.sections for line in s.lines}
        rewritten: dict[Section, Section] = {}
        song_so_far: list[tuple[SectionKind, list[str]]] = []
        for section in plan.sections:
            if section not in rewritten:
                rewritten[section] = self._rewrite_section(section, plan.title, song_so_far)
            song_so_far.append((section.kind, [line.text for line in rewritten[section].lines]))
        sections = tuple(rewritten[s] for s in plan.sections)
        return Lyrics(plan.title, plan.language, sections, "transformers")

    def _rewrite_section(
        self, section: Section, title: str, song_so_far: list[tuple[SectionKind, list[str]]]
    ) -> Section:
        lines = list(section.lines)
        for index in range(len(lines)):
            if section.kind == "chorus" and index == 0:
                continue  # the hook: the fan's topic and the title
            rule = rule_for_line(section, lines, index, self.language)
            so_far = [*song_so_far, (section.kind, [line.text for line in lines[:index]])]
            prompt = song_prompt(self.persona, self.request, title, so_far, self.banned)
            written = self._best_candidate(prompt, rule)
            if written is not None:
                self.sung.add(written.text.lower())
                lines[index] = written
        letters = rhyme_letters(lines, self.language)
        return Section(
            section.kind,
            tuple(
                dataclasses.replace(line, rhyme=letter)
                for line, letter in zip(lines, letters, strict=True)
            ),
        )

    def _best_candidate(self, prompt: str, rule: LineRule) -> Line | None:
        samples = sample_lines(
            self.lm,
            prompt,
            count=self.candidates_per_line,
            max_new_tokens=TOKENS_PER_SYLLABLE * rule.syllables + TOKEN_SLACK,
            seed=int(self.rng.integers(2**63)),
            temperature=TEMPERATURE,
            top_p=TOP_P,
        )
        # the model's most fluent candidate that fits; sorted() is stable, so ties keep order
        for sample in sorted(samples, key=lambda s: -s.mean_logprob):
            line = fitting_line(sample.text, rule, self.language, self.banned, self.sung)
            if line is not None:
                return line
        return None


@lyric_engines.register("transformers")
class TransformersLyricWriter:
    """Writes lyrics with any Hugging Face causal LM (``lyrics.model``: a folder or hub id).

    Needs ``vartist[neural]``. The model loads once per process, on CUDA when there is a GPU.
    """

    def __init__(self, persona: Persona, device: str = "auto") -> None:
        self.device = device
        self._planner = BuiltinLyricWriter(persona)

    def write(self, request: SongRequest, persona: Persona, rng: np.random.Generator) -> Lyrics:
        banned = banned_words(persona.lyrics.avoid, persona.language)
        refuse_banned_request(request.prompt, banned, persona.name)
        lm = load_causal_lm(persona.lyrics.model, self.device)
        # the plan draws first, so it is the song the builtin engine writes for this seed
        plan = self._planner.write(request, persona, rng)
        rewriter = _SongRewriter(lm, persona, request, rng, persona.lyrics.candidates)
        return rewriter.rewrite(plan)
