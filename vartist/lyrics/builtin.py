"""The builtin lyric writer: original lyrics offline, from the prompt and the persona's themes.

It fills a form from :mod:`vartist.song_forms` (verse–chorus with or without a pre-chorus,
AABA, a double-chorus ending, …, chosen from the prompt's mood, the genre and the seed) with lines built from a phrase book (see :mod:`vartist.lyrics.phrasebook`): each line
is ``[opener] head tail`` or a head ending in a noun phrase. Lines are chosen to a syllable
range the composer can fit in two bars, and the lines of a rhyme scheme end in different
words whose rhyme keys really match. All choices come from the generator passed in.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from vartist.lyrics.concept import (
    ConceptMood,
    SongConcept,
    TopicKind,
    english_parts,
    read_prompt,
)
from vartist.lyrics.engine import lyric_engines
from vartist.lyrics.errors import LyricsError
from vartist.lyrics.phonetics import (
    FUNCTION_WORDS,
    count_syllables,
    make_line,
    rhyme_key,
    rhyme_letters,
    words_of,
)
from vartist.lyrics.phrasebook import PHRASEBOOKS, Mood, PhraseBook, PromptVocabulary
from vartist.lyrics.phrasebook.book import PLACE, SLOTS, THING, WHO
from vartist.lyrics.screening import banned_words, is_banned
from vartist.lyrics.text import base_language, check_script, split_words
from vartist.lyrics.types import Lyrics, Section, SectionKind
from vartist.persona import Persona
from vartist.request import SongRequest
from vartist.song_forms import MAX_FRESH_VERSES, form_for_request

RhymeKey = tuple[str, ...]

VERSE_SYLLABLES = (7, 9)
OTHER_SYLLABLES = (6, 8)
MAX_TOPIC_SYLLABLES = 5
SCHEMES_FOUR_LINES = ("AABB", "ABAB", "XAXA")
# How many topic noun phrases (prompt first, then themes) a song draws on.
MAX_TOPICS = 6
# How often a line that fits without an opener goes without one.
PLAIN_LINE_SHARE = 0.75
# Lines tried per section before the writer gives up on the section's rhyme choice.
SECTION_ATTEMPTS = 12
# How often a line reaches first for a head that carries the song's mood, before the book's
# general heads; the rest keeps the general heads in the song for variety.
MOOD_LINE_SHARE = 0.7
# Which topics each slot takes.
SLOT_KINDS: dict[str, frozenset[TopicKind]] = {
    THING: frozenset({"who", "place", "image", "name"}),
    PLACE: frozenset({"place", "image"}),
    WHO: frozenset({"who"}),
}


@dataclass(frozen=True)
class _Head:
    text: str
    syllables: int
    """Syllables without the slot."""
    takes_verb: bool
    """A modal head ("I will never") takes a verb tail; a clause head an adverb tail."""

    @property
    def slot(self) -> str | None:
        """The noun slot the head holds ({thing}, {place} or {who}), if any."""
        return next((s for s in SLOTS if s in self.text), None)

    @property
    def has_thing(self) -> bool:
        return self.slot is not None

    @property
    def ends_with_thing(self) -> bool:
        return self.slot is not None and self.text.endswith(self.slot)

    def accepts(self, kind: TopicKind) -> bool:
        """Whether a topic of ``kind`` fits the slot: a person is never a place to drive to."""
        return kind in SLOT_KINDS[self.slot] if self.slot else False

    def filled(self, text: str) -> str:
        return self.text.replace(self.slot, text) if self.slot else self.text


@dataclass(frozen=True)
class _Topic:
    text: str
    syllables: int
    kind: TopicKind


@dataclass(frozen=True)
class _Tail:
    text: str
    syllables: int
    key: RhymeKey
    end_word: str
    is_verb: bool
    content_words: frozenset[str]
    """Its words minus function words, to keep a head from repeating them."""
    first_word: str


@dataclass(frozen=True)
class _Prepared:
    """A phrase book with every phrase's syllable count and every tail's rhyme key."""

    book: PhraseBook
    language: str
    heads: dict[Mood, tuple[_Head, ...]]
    concept_heads: dict[str, dict[Mood, tuple[_Head, ...]]]
    tails: tuple[_Tail, ...]
    openers: tuple[tuple[str, int], ...]
    things: tuple[_Topic, ...]
    concept_things: dict[str, tuple[_Topic, ...]]


@lru_cache(maxsize=8)
def _prepare(language: str) -> _Prepared:
    book = PHRASEBOOKS[base_language(language)]

    def head(text: str, takes_verb: bool) -> _Head:
        bare = text
        for slot in SLOTS:
            bare = bare.replace(slot, "")
        return _Head(text, count_syllables(bare, language), takes_verb)

    heads: dict[Mood, tuple[_Head, ...]] = {}
    for mood, clause_heads in book.clause_heads.items():
        prepared = [head(h, False) for h in clause_heads]
        prepared += [head(h, True) for h in book.modal_heads.get(mood, ())]
        heads[mood] = tuple(prepared)
    concept_heads = {
        concept_mood: {
            mood: tuple(head(h, False) for h in section_heads)
            for mood, section_heads in by_section.items()
        }
        for concept_mood, by_section in book.concept_heads.items()
    }
    function_words = FUNCTION_WORDS.get(book.language, frozenset())
    tails = []
    for groups, is_verb in ((book.adverb_tails, False), (book.verb_tails, True)):
        for group in groups:
            for text in group:
                words = words_of(text, language)
                tails.append(
                    _Tail(
                        text=text,
                        syllables=count_syllables(text, language),
                        key=rhyme_key(words[-1], language),
                        end_word=words[-1].text.lower(),
                        is_verb=is_verb,
                        content_words=frozenset(_lower_words(text)) - function_words,
                        first_word=words[0].text.lower(),
                    )
                )
    return _Prepared(
        book=book,
        language=language,
        heads=heads,
        concept_heads=concept_heads,
        tails=tuple(tails),
        openers=tuple((o, count_syllables(o, language)) for o in book.openers),
        things=tuple(_Topic(t, count_syllables(t, language), "image") for t in book.things),
        concept_things={
            concept_mood: tuple(_Topic(t, count_syllables(t, language), "image") for t in things)
            for concept_mood, things in book.concept_things.items()
        },
    )


# ----------------------------------------------------------------------------------------------
# Topics: noun phrases from the prompt and the persona's themes


def _lower_words(text: str) -> list[str]:
    return [w.lower() for w in split_words(text)]


def _is_adjective(word: str, vocabulary: PromptVocabulary) -> bool:
    lowered = word.lower()
    return lowered in vocabulary.adjectives or (
        len(lowered) > 4 and lowered.endswith(vocabulary.adjective_endings)
    )


def _prompt_is_foreign(text: str, book: PhraseBook) -> bool:
    """True when the text reads more like another language the writer knows than the book's."""
    tokens = _lower_words(text)
    own = sum(t in book.vocabulary.stopwords for t in tokens)
    other = max(
        (
            sum(t in b.vocabulary.stopwords for t in tokens)
            for b in PHRASEBOOKS.values()
            if b is not book
        ),
        default=0,
    )
    return other > own


def extract_topics(text: str, book: PhraseBook, language: str) -> list[tuple[str, ...]]:
    """Noun phrases of a prompt or theme that a line can sing, each with shorter fallbacks.

    "a rainy night in the city" gives ``[("a rainy night", "a night"), ("the city",)]``.
    """
    vocabulary = book.vocabulary
    tokens = split_words(text)
    foreign = _prompt_is_foreign(text, book)
    topics: list[tuple[str, ...]] = []
    chunk: list[str] = []
    determiner: str | None = None
    after_verb_marker = False

    def sing(phrase: list[str]) -> str:
        if determiner and not foreign:
            return " ".join([determiner, *phrase])
        return vocabulary.complete(phrase)

    def close_chunk() -> None:
        nonlocal chunk, determiner
        while chunk and _is_adjective(chunk[-1], vocabulary):
            chunk = chunk[:-1]  # "the night was cold": a trailing adjective is not a topic
        phrase = chunk[-3:]
        if foreign:
            # a prompt in another language lends only its names to the song
            phrase = (
                [w for w in phrase if w[:1].isupper()]
                if phrase and phrase[-1][:1].isupper()
                else []
            )
        if phrase:
            alternatives = [sing(phrase)]
            if len(phrase) > 1:
                alternatives.append(sing(phrase[-1:]))
            topics.append(tuple(alternatives))
        chunk, determiner = [], None

    for token in tokens:
        lowered = token.lower()
        try:
            check_script(token, language)
        except LyricsError:
            close_chunk()
            continue
        if lowered in vocabulary.determiners:
            close_chunk()
            determiner = lowered
        elif lowered in vocabulary.verb_markers:
            close_chunk()
            after_verb_marker = True
            continue
        elif lowered in vocabulary.stopwords or any(c.isdigit() for c in token):
            close_chunk()
        elif after_verb_marker and not chunk and determiner is None:
            pass  # "reasons to stay": a verb, not a topic
        else:
            # a capital opening a common word is the sentence's ("The", "Rainy"), not a name's
            chunk.append(lowered if lowered in vocabulary.adjectives else token)
        after_verb_marker = False
    close_chunk()
    return topics


def _is_english_non_noun(phrase: str) -> bool:
    """Whether an English phrase ends on a word the part-of-speech lexicon never calls a noun
    ("dancing", "rotting", "running"): such a word cannot fill a noun slot."""
    last = split_words(phrase)[-1]
    if last[:1].isupper():
        return False
    parts = english_parts(last)
    # "running" in a theme is an activity, not a thing to sing "here comes" to
    return "NOUN" not in parts or (last.lower().endswith("ing") and "VERB" in parts)


def _singable_topics(
    concept: SongConcept,
    themes: Iterable[str],
    prepared: _Prepared,
    banned: frozenset[str],
    clashes: tuple[str, ...],
) -> list[_Topic]:
    """The prompt's topics, then the persona's themes, minus banned and out-of-mood ones."""
    language = prepared.language
    candidates: list[tuple[str, TopicKind]] = [(t.text, t.kind) for t in concept.topics]
    for theme in themes:
        for alternatives in extract_topics(theme, prepared.book, language):
            for text in alternatives:
                if prepared.book.language == "en" and _is_english_non_noun(text):
                    continue
                candidates.append((text, "image"))
                break
    topics: list[_Topic] = []
    seen: set[str] = set()
    for text, kind in candidates:
        if text.lower() in seen or is_banned(text, banned) or _clashes(text, clashes):
            continue
        count = count_syllables(text, language)
        if 0 < count <= MAX_TOPIC_SYLLABLES:
            seen.add(text.lower())
            topics.append(_Topic(text, count, kind))
    return topics[:MAX_TOPICS]


def _clashes(text: str, clashes: tuple[str, ...]) -> bool:
    """Whether ``text`` holds a clash: its words in a row, the last matched as a beginning."""
    words = _lower_words(text)
    for clash in clashes:
        parts = clash.split()
        for start in range(len(words) - len(parts) + 1):
            window = words[start : start + len(parts)]
            if window[:-1] == parts[:-1] and window[-1].startswith(parts[-1]):
                return True
    return False


# ----------------------------------------------------------------------------------------------
# Sections


@dataclass
class _SongState:
    """What the song has used so far, so later sections do not repeat earlier ones."""

    used_heads: set[str] = field(default_factory=set)
    used_tails: set[str] = field(default_factory=set)
    used_keys: list[RhymeKey] = field(default_factory=list)


@dataclass(frozen=True)
class _LineRequest:
    mood: Mood
    syllables: tuple[int, int]
    key: RhymeKey | None
    """The rhyme the line must end on; None for an unrhymed (X) line."""
    avoid_keys: frozenset[RhymeKey]
    """Rhymes an unrhymed line must not fall on (they belong to other lines of the section)."""
    avoid_end_words: frozenset[str]
    thing: _Topic | None
    """A topic the line must carry, or None to let it use the book's own images."""


@dataclass(frozen=True)
class _WrittenLine:
    text: str
    end_word: str
    key: RhymeKey


def _repeats(sung: Sequence[str], content_words: Iterable[str]) -> bool:
    """Whether a tail's content word repeats a word of the head, inflected or not."""
    # five letters hold the stem of most inflections ("learn"/"learned", "dream"/"dreaming")
    stems = [w[:5] for w in content_words]
    return any(word.startswith(stem) for stem in stems for word in sung)


@lru_cache(maxsize=1024)
def _end_of(text: str, language: str) -> tuple[str, RhymeKey]:
    """The last word of ``text`` (lower case) and its rhyme key."""
    last = words_of(text, language)[-1]
    return last.text.lower(), rhyme_key(last, language)


class _SectionWriter:
    """Writes sections of one song from a prepared phrase book, minus the avoided words."""

    def __init__(
        self,
        prepared: _Prepared,
        banned: frozenset[str],
        rng: np.random.Generator,
        concept_mood: ConceptMood,
    ) -> None:
        self.prepared = prepared
        self.rng = rng
        clashes = prepared.book.mood_clashes.get(concept_mood, ())

        def fits(text: str) -> bool:
            for slot in SLOTS:
                text = text.replace(slot, "")
            return not is_banned(text, banned) and not _clashes(text, clashes)

        self.heads = {
            mood: tuple(h for h in heads if fits(h.text)) for mood, heads in prepared.heads.items()
        }
        self.mood_heads = {
            mood: tuple(h for h in heads if fits(h.text))
            for mood, heads in prepared.concept_heads.get(concept_mood, {}).items()
        }
        self.tails = tuple(t for t in prepared.tails if fits(t.text))
        self.openers = tuple(o for o in prepared.openers if not is_banned(o[0], banned))
        self.things = tuple(
            t
            for t in (*prepared.concept_things.get(concept_mood, ()), *prepared.things)
            if fits(t.text)
        )
        by_key: dict[RhymeKey, list[_Tail]] = {}
        for tail in self.tails:
            by_key.setdefault(tail.key, []).append(tail)
        self.tails_by_key = by_key
        self.titles: dict[str, str] = {}
        """Lines that sing a topic, mapped to their head: "Here's to my sister after all" →
        "Here's to my sister"."""

    def rhyme_keys(self, needed: int) -> list[RhymeKey]:
        """Rhymes with at least ``needed`` different end words, in a stable order."""
        return [
            k
            for k, tails in self.tails_by_key.items()
            if len({t.end_word for t in tails}) >= needed
        ]

    def _pick(self, options: Sequence[object]) -> int:
        return int(self.rng.integers(len(options)))

    def write_line(
        self, request: _LineRequest, state: _SongState, strict: bool
    ) -> _WrittenLine | None:
        """One line for ``request``, or None when no head and tail fit it.

        ``strict`` keeps heads and tails the song has already sung out of the running.
        """
        low, high = request.syllables
        for head in self._heads_in_turn(request, state, strict):
            thing = request.thing
            if head.has_thing and thing is None:
                images = [t for t in self.things if head.accepts(t.kind)]
                if not images:
                    continue  # the avoid list took every image the book has
                thing = images[self._pick(images)]
            base = head.syllables + (thing.syllables if head.has_thing and thing else 0)
            standalone_end = (
                _end_of(thing.text, self.prepared.language)
                if request.key is None and head.ends_with_thing and thing
                else None
            )
            if standalone_end and not self._end_allowed(*standalone_end, request):
                standalone_end = None
            sung = _lower_words(head.filled(thing.text if thing else ""))
            tails = [
                t
                for t in self._tails_for(head, request, state, strict)
                # not "learned to learn to heal", not "holding on on a wire"
                if not _repeats(sung, t.content_words) and not (sung and t.first_word == sung[-1])
            ]
            plain: list[tuple[str, _Tail | None]] = []
            opened: list[tuple[str, _Tail | None]] = []
            for opener, opener_syllables in (("", 0), *self.openers):
                options = opened if opener else plain
                if standalone_end and low <= base + opener_syllables <= high:
                    options.append((opener, None))
                options.extend(
                    (opener, tail)
                    for tail in tails
                    if low <= base + opener_syllables + tail.syllables <= high
                )
            if not plain and not opened:
                continue
            # an opener ("and", "oh,") is a filler: use one mostly where the line needs it
            options = (
                plain if plain and (not opened or self.rng.random() < PLAIN_LINE_SHARE) else opened
            )
            opener, tail = options[self._pick(options)]
            text = head.filled(thing.text) if thing else head.text
            state.used_heads.add(head.text)
            if tail is not None:
                state.used_tails.add(tail.text)
                end_word, key = tail.end_word, tail.key
            else:
                assert standalone_end is not None
                end_word, key = standalone_end
            parts = (opener, text, tail.text if tail else "")
            line = " ".join(p for p in parts if p)
            if request.thing is not None and head.ends_with_thing:
                # a line that ends its head on the song's topic names the song without its tail
                self.titles[line] = text
            return _WrittenLine(line, end_word, key)
        return None

    def _heads_in_turn(self, request: _LineRequest, state: _SongState, strict: bool) -> list[_Head]:
        """The heads a line may open with, in the order to try them: mostly the song mood's
        first, then the book's general ones, each group shuffled."""

        def usable(heads: Sequence[_Head]) -> list[_Head]:
            kept = [h for h in heads if not (strict and h.text in state.used_heads)]
            if request.thing is not None:
                kept = [h for h in kept if h.accepts(request.thing.kind)]
            else:
                # a {who} slot sings only the song's own people, never a stand-in
                kept = [h for h in kept if h.slot != WHO]
            return [kept[int(i)] for i in self.rng.permutation(len(kept))]

        mood_heads = usable(self.mood_heads.get(request.mood, ()))
        general = usable(self.heads[request.mood])
        if self.rng.random() < MOOD_LINE_SHARE:
            return mood_heads + general
        return general + mood_heads

    @staticmethod
    def _end_allowed(end_word: str, key: RhymeKey, request: _LineRequest) -> bool:
        if end_word in request.avoid_end_words:
            return False
        return key == request.key if request.key is not None else key not in request.avoid_keys

    def _tails_for(
        self, head: _Head, request: _LineRequest, state: _SongState, strict: bool
    ) -> list[_Tail]:
        candidates = self.tails_by_key.get(request.key, ()) if request.key else self.tails
        return [
            t
            for t in candidates
            if t.is_verb == head.takes_verb
            and self._end_allowed(t.end_word, t.key, request)
            and not (strict and t.text in state.used_tails)
        ]

    def write_section(
        self,
        mood: Mood,
        scheme: str,
        syllables: tuple[int, int],
        topics: Sequence[_Topic | None],
        state: _SongState,
    ) -> list[str]:
        """The lines of one section, rhymed by ``scheme`` ("AABB", "XAXA", …)."""
        letters = sorted({c for c in scheme if c != "X"})
        for attempt in range(SECTION_ATTEMPTS):
            strict = attempt < SECTION_ATTEMPTS // 2
            keys = self._choose_keys(letters, scheme, state)
            if keys is None:
                break
            trial = dataclasses.replace(
                state, used_heads=set(state.used_heads), used_tails=set(state.used_tails)
            )
            lines: list[str] = []
            # every line of a section ends on its own word, and unrhymed lines on their own rhyme
            end_words: set[str] = set()
            unrhymed_keys: set[RhymeKey] = set()
            for letter, topic in zip(scheme, topics, strict=True):
                request = _LineRequest(
                    mood=mood,
                    syllables=syllables,
                    key=keys.get(letter),
                    avoid_keys=frozenset(keys.values()) | unrhymed_keys,
                    avoid_end_words=frozenset(end_words),
                    thing=topic,
                )
                written = self.write_line(request, trial, strict)
                if written is None and topic is not None:
                    # the topic does not fit this line's length: let the book fill it
                    written = self.write_line(
                        dataclasses.replace(request, thing=None), trial, strict
                    )
                if written is None:
                    break
                end_words.add(written.end_word)
                if request.key is None:
                    unrhymed_keys.add(written.key)
                lines.append(written.text)
            else:
                state.used_heads, state.used_tails = trial.used_heads, trial.used_tails
                state.used_keys.extend(keys.values())
                return lines
        raise LyricsError(
            f"the builtin lyric writer could not fill a {mood} in {self.prepared.language!r}; "
            "the persona's lyrics.avoid list probably removes too many words; shorten it"
        )

    def _choose_keys(
        self, letters: list[str], scheme: str, state: _SongState
    ) -> dict[str, RhymeKey] | None:
        keys: dict[str, RhymeKey] = {}
        for letter in letters:
            needed = scheme.count(letter)
            candidates = [k for k in self.rhyme_keys(needed) if k not in keys.values()]
            fresh = [k for k in candidates if k not in state.used_keys]
            pool = fresh or candidates
            if not pool:
                return None
            keys[letter] = pool[self._pick(pool)]
        return keys


# ----------------------------------------------------------------------------------------------
# The engine


def _capitalise(line: str) -> str:
    return line[:1].upper() + line[1:]


def _title(line: str, book: PhraseBook) -> str:
    words = line.split()
    if len(words) > 1 and words[0] in book.openers:
        words = words[1:]  # "and" or "oh," opens a sung line, not a title
    if not book.title_case:
        return _capitalise(" ".join(words))
    return " ".join(
        w if i > 0 and w.lower() in book.minor_words else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


@lyric_engines.register("builtin")
class BuiltinLyricWriter:
    """Writes original lyrics offline in English, Dutch or Swedish from a phrase book."""

    def __init__(self, persona: Persona) -> None:
        """Takes the persona as every lyric engine's factory does, but keeps nothing:
        :meth:`write` reads the persona it is given."""

    def write(self, request: SongRequest, persona: Persona, rng: np.random.Generator) -> Lyrics:
        language = persona.language
        if base_language(language) not in PHRASEBOOKS:
            raise LyricsError(
                f"the builtin lyric writer writes English (en-us, en-gb), Dutch (nl) and Swedish "
                f"(sv), not {language!r}; pass your own lyrics with --lyrics FILE, or pick a "
                "lyric engine for that language in the persona's lyrics.engine"
            )
        prepared = _prepare(language)
        banned = banned_words(persona.lyrics.avoid, language)
        concept = read_prompt(request.prompt, language)
        # The prompt joins the seed in every choice, so one seed gives two prompts two songs;
        # the concept itself was read from the prompt alone.
        rng = np.random.default_rng(
            [int(rng.integers(2**32)), zlib.crc32(request.prompt.casefold().encode("utf-8"))]
        )
        writer = _SectionWriter(prepared, banned, rng, concept.mood)
        clashes = prepared.book.mood_clashes.get(concept.mood, ())
        topics = _singable_topics(concept, persona.lyrics.themes, prepared, banned, clashes)
        state = _SongState()
        topic_cycle = _TopicCycle(topics)

        def scheme() -> str:
            return SCHEMES_FOUR_LINES[int(rng.integers(len(SCHEMES_FOUR_LINES)))]

        def carriers(count: int, wanted: int) -> list[_Topic | None]:
            """Which of ``count`` lines carry a topic: ``wanted`` of them, at random."""
            chosen = (
                set(rng.choice(count, size=min(wanted, count), replace=False).tolist())
                if topics
                else set()
            )
            return [topic_cycle.next() if i in chosen else None for i in range(count)]

        # The form (verse–chorus, AABA, …) follows the concept and the genre; the request's seed
        # picks among the fitting ones and its length sizes the verse rounds.
        form = form_for_request(request, persona, concept.mood, concept.energy)
        kinds = form.lyric_kinds
        # The chorus is written first: its opening line is the hook and the title, so it sings
        # the main topic; an unrhymed first line (XAXA) leaves that line the room to.
        chorus_scheme = ("XAXA" if topics else scheme())[: form.shape.chorus_lines]
        # the hook (line 1) and the other unrhymed line (line 3) sing the first two topics
        chorus_topics: list[_Topic | None] = [None] * len(chorus_scheme)
        for line, topic in zip((0, 2), topics, strict=False):
            if line < len(chorus_topics):
                chorus_topics[line] = topic
        chorus = writer.write_section(
            "chorus", chorus_scheme, OTHER_SYLLABLES, chorus_topics, state
        )
        fresh_verses = min(kinds.count("verse"), MAX_FRESH_VERSES)
        verses: list[list[str]] = []
        if fresh_verses:
            verses.append(
                writer.write_section("verse", scheme(), VERSE_SYLLABLES, carriers(4, 2), state)
            )
        pre_chorus = (
            writer.write_section("pre-chorus", "AA", OTHER_SYLLABLES, carriers(2, 1), state)
            if "pre-chorus" in kinds
            else []
        )
        while len(verses) < fresh_verses:
            verses.append(
                writer.write_section("verse", scheme(), VERSE_SYLLABLES, carriers(4, 2), state)
            )
        bridge: list[str] = []
        if "bridge" in kinds:
            bridge_length = int(rng.integers(2, 5))
            bridge_scheme = (
                "AA" if bridge_length == 2 else "AXA" if bridge_length == 3 else scheme()
            )
            bridge = writer.write_section(
                "bridge", bridge_scheme, OTHER_SYLLABLES, carriers(bridge_length, 1), state
            )

        def section(kind: SectionKind, texts: list[str]) -> Section:
            lines = [make_line(_capitalise(t), language) for t in texts]
            letters = rhyme_letters(lines, language)
            return Section(
                kind,
                tuple(
                    dataclasses.replace(ln, rhyme=r) for ln, r in zip(lines, letters, strict=True)
                ),
            )

        # a repeated chorus or pre-chorus is the same Section each time; a long song's verses
        # come round again after the fresh ones
        fresh = [section("verse", texts) for texts in verses]
        sung_verses = [fresh[i % len(fresh)] for i in range(kinds.count("verse"))] if fresh else []
        once: dict[SectionKind, Section] = {"chorus": section("chorus", chorus)}
        if pre_chorus:
            once["pre-chorus"] = section("pre-chorus", pre_chorus)
        if bridge:
            once["bridge"] = section("bridge", bridge)
        verse_turns = iter(sung_verses)
        sections = tuple(next(verse_turns) if kind == "verse" else once[kind] for kind in kinds)
        hook = chorus[0]
        title = _title(writer.titles.get(hook, hook), prepared.book)
        return Lyrics(title, language, sections, "builtin")


class _TopicCycle:
    """Hands out topics in turn, so every prompt noun gets sung before any comes twice."""

    def __init__(self, topics: Sequence[_Topic]) -> None:
        self._topics = list(topics)
        self._next = 0

    def next(self) -> _Topic | None:
        if not self._topics:
            return None
        topic = self._topics[self._next % len(self._topics)]
        self._next += 1
        return topic
