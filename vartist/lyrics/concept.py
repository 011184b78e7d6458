"""Reading a song prompt into a song concept: mood, energy, who, where and what happened.

The concept, not the seed, decides what a song is about: the lyric writer takes its tone,
story arc, imagery and topics from here, and the composer its energy; the seed only varies
how it is said. Prompts are read in English, Dutch or Swedish, whatever the persona sings:
nouns are looked up in :mod:`vartist.lyrics.phrasebook.lexicon` (which knows their sung form
and gender in each language), and an English noun the lexicon lacks is kept only when
lemminflect's part-of-speech lexicon (its data ships in the wheel) says it is a noun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from vartist.lyrics.phrasebook import PHRASEBOOKS
from vartist.lyrics.phrasebook.lexicon import NOUNS, LexiconNoun
from vartist.lyrics.text import base_language, split_words
from vartist.lyrics.text import word_set as _words

ConceptMood = Literal["joy", "love", "longing", "grief", "defiance", "calm"]
CONCEPT_MOODS: tuple[ConceptMood, ...] = ("joy", "love", "longing", "grief", "defiance", "calm")
TopicKind = Literal["who", "place", "image", "name"]
"""A person, a place, a thing to picture, or a name that could be a person or a place."""

# A prompt that names no mood is read as wistful: it suits a night, a city or a name.
DEFAULT_MOOD: ConceptMood = "longing"

# How driving each mood is before the prompt's own tempo words move it.
BASE_ENERGY: dict[ConceptMood, float] = {
    "joy": 0.8,
    "defiance": 0.85,
    "love": 0.55,
    "longing": 0.4,
    "grief": 0.2,
    "calm": 0.15,
}
# How far one tempo word ("slow", "upbeat") moves the energy.
ENERGY_STEP = 0.2

# What the verses, the chorus and the bridge tell, per mood; the phrase books' mood heads
# are written to these stages.
ARCS: dict[ConceptMood, tuple[str, str, str]] = {
    "grief": ("memory", "missing", "carrying on"),
    "love": ("meeting", "devotion", "promise"),
    "longing": ("distance", "longing", "return"),
    "defiance": ("doubt", "resistance", "standing tall"),
    "joy": ("gathering", "celebration", "the moment"),
    "calm": ("morning", "stillness", "gratitude"),
}

# The mood each story told by an event noun or verb sets.
STORY_MOODS: dict[str, ConceptMood] = {
    "loss": "grief",
    "leaving": "longing",
    "love": "love",
    "celebration": "joy",
    "breakup": "longing",
    "struggle": "defiance",
    "victory": "joy",
    "rest": "calm",
    "journey": "joy",
}

# Verbs that tell what happened, by prompt language: they weigh like an event noun. Kept per
# language because words cross: Swedish "dog" (died) is an English dog.
_STORY_VERBS: dict[str, dict[str, frozenset[str]]] = {
    "en": {
        "loss": _words("died dies dying passed"),
        "leaving": _words("left leaving moved moving"),
        "love": _words("married marry"),
        "victory": _words("won"),
    },
    "nl": {
        "loss": _words("overleden gestorven stierf"),
        "leaving": _words("vertrok vertrokken verhuisd verhuizen"),
        "love": _words("trouwden getrouwd"),
        "victory": _words("wonnen gewonnen"),
    },
    "sv": {
        "loss": _words("dog dött avled"),
        "leaving": _words("lämnade flyttade flyttar"),
        "love": _words("gifte"),
        "victory": _words("vann"),
    },
}
# How much more an event (a funeral, a death) weighs than a passing mood word.
EVENT_WEIGHT = 1.5

# Words that name a mood or the story behind one, by prompt language.
_MOOD_WORDS: dict[str, dict[ConceptMood, frozenset[str]]] = {
    "en": {
        "grief": _words(
            """sad sorrow sorrowful mourn mourning grieving grief tears crying cry cried die
            dead gone missed rip buried lost"""
        ),
        "love": _words("love loving lover romantic romance kiss kissing crush adore sweet tender"),
        "longing": _words(
            """miss missing longing yearning homesick faraway distant far waiting wait lonely
            alone nostalgia nostalgic remember memories away"""
        ),
        "defiance": _words(
            """angry anger rage fight fighting rebel rebellion defiant defiance protest resist
            stand free freedom break strong proud revolution boss quit unstoppable"""
        ),
        "joy": _words(
            """happy joy joyful fun party celebrate celebration dance dancing upbeat summer
            sunny birthday win victory cheerful hooray glad"""
        ),
        "calm": _words(
            """calm quiet peaceful peace gentle soft sleep sleepy lullaby relax relaxing chill
            cozy cosy rest resting lazy sunday"""
        ),
    },
    "nl": {
        "grief": _words("droevig verdriet rouw huilen huil tranen dood begraven"),
        "love": _words("liefde verliefd kus kussen trouwen romantisch"),
        "longing": _words("mis gemis verlangen heimwee ver eenzaam wachten herinnering"),
        "defiance": _words("boos woedend vechten strijd verzet vrij sterk trots"),
        "joy": _words("blij vrolijk feest dansen vieren gelukkig jarig zomer"),
        "calm": _words("stil rustig rust kalm zacht slapen slaapliedje"),
    },
    "sv": {
        "grief": _words("ledsen sorg sorgsen sörjer gråta gråter tårar död döda begravd"),
        "love": _words("kärlek kär förälskad kyss kyssas romantisk"),
        "longing": _words(
            "längtan längtar saknar saknad hemlängtan ensam långt bort väntar minnen"
        ),
        "defiance": _words("arg ilska kämpa kamp uppror fri stark stolt"),
        "joy": _words("glad glädje fest dansa fira lycklig födelsedag sommar sommaren"),
        "calm": _words("lugn stilla vila sova vaggvisa mysig"),
    },
}

# Mood words that more often set a scene than name a feeling ("summer love" is love): they
# count for less than a word that names the feeling.
_WEAK_CUES = _words(
    """summer sunny remember memories far home alone free freedom stand break sweet gone lost
    wait waiting zomer ver sommar sommaren långt"""
)
WEAK_CUE_WEIGHT = 0.5
_SLOWER = _words(
    "slow slowly gentle soft quiet acoustic lullaby ballad traag langzaam zacht rustig långsam"
)
_FASTER = _words(
    "upbeat fast loud driving energetic anthem banger wild dance snel luid wild snabb högt"
)
# Words after which a name is a place, in the three languages.
_PLACE_PREPOSITIONS = _words("in to from at naar uit i till från")
# Words after which an English word is a verb, whatever else it can be ("to leave").
_VERB_CONTEXT = _words("to will would can could must should i we you he she they")
_ENGLISH_ARTICLES = _words("a an the my your our his her their")
_NOUN_OPENERS = _ENGLISH_ARTICLES | _words(
    """this that these those of in on at by for from with about into through under over
    near without across along toward towards around grandmother mother father sister brother
    friend last next every each one some"""
)


@dataclass(frozen=True)
class Topic:
    """A noun phrase from the prompt, ready to sing in the song's language."""

    text: str
    """With its article or possessive: "my grandmother", "de zee", "havet"."""
    kind: TopicKind
    source: str
    """The prompt word it came from."""


@dataclass(frozen=True)
class SongConcept:
    mood: ConceptMood
    energy: float
    """0.0 still … 1.0 driving."""
    who: Topic | None = None
    """The person the song is about or sung to."""
    where: Topic | None = None
    event: str | None = None
    """What happened, as a story: "loss", "leaving", "love", "celebration", … or None."""
    imagery: tuple[Topic, ...] = ()
    """The prompt's other singable nouns and names, in prompt order."""
    arc: tuple[str, str, str] = ("", "", "")
    """What the verses, the chorus and the bridge tell."""
    dropped: tuple[str, ...] = field(default=())
    """Prompt words that looked like topics but fit no slot (a verb, an unknown word)."""

    @property
    def topics(self) -> tuple[Topic, ...]:
        """Who, where and the images, in the order a song should sing them."""
        found = [t for t in (self.who, self.where) if t is not None]
        return (*found, *self.imagery)


def _prompt_language(tokens: list[str], language: str) -> str:
    """The base language the prompt is written in: the persona's, unless another's reads better."""
    own = base_language(language)
    lowered = [t.lower() for t in tokens]
    counts = {
        code: sum(t in book.vocabulary.stopwords for t in lowered)
        for code, book in PHRASEBOOKS.items()
    }
    best = max(counts, key=lambda code: counts[code])
    return own if counts.get(own, 0) >= counts[best] else best


@lru_cache(maxsize=4096)
def english_parts(word: str) -> frozenset[str]:
    """Universal part-of-speech tags an English word can have, from lemminflect's lexicon."""
    # imported here: loading the lexicon costs a few tenths of a second, which a song whose
    # prompt and persona are both Dutch or Swedish never pays
    import lemminflect

    return frozenset(lemminflect.getAllLemmas(word.lower()))


def _english_noun(word: str) -> str | None:
    """The singular lemma of an English word that can be a noun, or None."""
    import lemminflect

    lemmas = lemminflect.getAllLemmas(word.lower())
    nouns = lemmas.get("NOUN")
    return str(nouns[0]) if nouns else None


def _lexicon_noun(word: str, prompt_language: str) -> LexiconNoun | None:
    lowered = word.lower()
    if any(lowered in verbs for verbs in _STORY_VERBS[prompt_language].values()):
        return None  # Swedish "dog" (died) is no English dog
    noun = NOUNS.get(lowered)
    if noun is None and prompt_language == "en":
        lemma = _english_noun(lowered)
        noun = NOUNS.get(lemma) if lemma else None
    return noun


def _is_name(token: str, index: int, prompt_language: str) -> bool:
    """A capitalised word not opening the prompt, not a known word: a name ("Lisbon")."""
    return (
        index > 0
        and token[:1].isupper()
        and token.lower() not in NOUNS
        and not (prompt_language == "en" and english_parts(token))
    )


def _is_plain_adjective(word: str) -> bool:
    """An English adjective that is not also a verb form or a mood or tempo word."""
    parts = english_parts(word)
    return (
        "ADJ" in parts
        and "VERB" not in parts
        and "NOUN" not in parts
        and word not in _MOOD_WORDS_ALL
        and word not in _SLOWER | _FASTER
    )


def _is_plain_noun(word: str) -> bool:
    """An English noun that is not also a verb: it opens a compound ("road trip")."""
    parts = english_parts(word)
    return word in NOUNS or ("NOUN" in parts and "VERB" not in parts)


def _with_english_modifier(tokens: list[str], index: int, sung: str) -> str:
    """ "a rainy night" stays itself: an adjective before the noun, with the prompt's article."""
    if index == 0 or not _is_plain_adjective(tokens[index - 1].lower()):
        return sung
    adjective = tokens[index - 1].lower()
    noun = sung.split()[-1]
    article = tokens[index - 2].lower() if index >= 2 else ""
    if article not in _ENGLISH_ARTICLES:
        article = "the"
    return f"{article} {adjective} {noun}"


def _score_moods(
    words: list[str], prompt_language: str
) -> tuple[dict[ConceptMood, float], str | None]:
    """How strongly the prompt's mood words and story verbs point at each mood, and the story
    the first story verb tells ("died": loss)."""
    scores = dict.fromkeys(CONCEPT_MOODS, 0.0)
    event: str | None = None
    for word in words:
        for mood, mood_words in _MOOD_WORDS[prompt_language].items():
            if word in mood_words:
                scores[mood] += WEAK_CUE_WEIGHT if word in _WEAK_CUES else 1.0
        for story, verbs in _STORY_VERBS[prompt_language].items():
            if word in verbs:
                event = event or story
                scores[STORY_MOODS[story]] += EVENT_WEIGHT
    return scores, event


def read_prompt(prompt: str, language: str) -> SongConcept:
    """The concept a prompt asks for, with its topics sung in ``language``."""
    # "my grandmother's funeral": the possessive ending is not part of the noun
    tokens = [re.sub(r"'s$", "", t, flags=re.IGNORECASE) for t in split_words(prompt)]
    lowered = [t.lower() for t in tokens]
    prompt_language = _prompt_language(tokens, language)
    sung_language = base_language(language)
    if sung_language not in PHRASEBOOKS:
        sung_language = "en"
    stopwords = PHRASEBOOKS[prompt_language].vocabulary.stopwords

    scores, event = _score_moods(lowered, prompt_language)
    who: Topic | None = None
    where: Topic | None = None
    imagery: list[Topic] = []
    dropped: list[str] = []
    seen: set[str] = set()

    for index, (token, word) in enumerate(zip(tokens, lowered, strict=True)):
        if word in stopwords:
            continue
        previous = lowered[index - 1] if index else ""
        noun = _lexicon_noun(word, prompt_language)
        # A word that can be a noun or a verb ("run", "leave") is read as a noun only where a
        # noun phrase opens: after an article, a possessive, a preposition or an adjective.
        verb_position = prompt_language == "en" and (
            previous in _VERB_CONTEXT
            or (
                index > 0
                and "VERB" in english_parts(word)
                and previous not in _NOUN_OPENERS
                and not _is_plain_adjective(previous)
                and not _is_plain_noun(previous)
            )
        )
        if noun is not None and noun.kind == "event":
            if not verb_position or "VERB" not in english_parts(word):
                event = event or noun.event
                if noun.event is not None:
                    # an event outweighs a passing mood word: a funeral is grief, however sunny
                    scores[STORY_MOODS[noun.event]] += EVENT_WEIGHT
            continue
        if noun is not None and verb_position and "VERB" in english_parts(word):
            dropped.append(token)  # "I want to leave": a verb, not a place
            continue
        if noun is not None:
            text = noun.sung[sung_language]
            kind: TopicKind = noun.kind  # type: ignore[assignment]
            if prompt_language == sung_language == "en" and kind != "who":
                sung_words = text.split()
                if len(sung_words) == 2 and sung_words[0] == "the":
                    text = f"the {word}"  # "the town" stays the town, not the lexicon's city
                text = _with_english_modifier(tokens, index, text)
        elif _is_name(token, index, prompt_language):
            text, kind = (
                token,
                # "from Lisbon" is a place; "with Sam" may be a person, a city or a dog
                "place" if previous in _PLACE_PREPOSITIONS else "name",
            )
        elif (
            prompt_language == sung_language == "en"
            and "NOUN" in english_parts(word)
            and not verb_position
            and word not in _MOOD_WORDS_ALL
        ):
            text, kind = _with_english_modifier(tokens, index, f"the {word}"), "image"
        else:
            if (
                prompt_language == "en"
                and "VERB" in english_parts(word)
                and word not in _MOOD_WORDS_ALL
            ):
                dropped.append(token)  # a verb has no noun slot to go in
            continue
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        topic = Topic(text, kind, token)
        if kind == "who" and who is None:
            who = topic
        elif kind == "place" and where is None:
            where = topic
        else:
            imagery.append(topic)

    best = max(CONCEPT_MOODS, key=lambda m: scores[m])
    mood = best if scores[best] > 0 else DEFAULT_MOOD
    energy = BASE_ENERGY[mood]
    energy -= ENERGY_STEP * sum(w in _SLOWER for w in lowered)
    energy += ENERGY_STEP * sum(w in _FASTER for w in lowered)
    return SongConcept(
        mood=mood,
        energy=round(min(1.0, max(0.0, energy)), 2),
        who=who,
        where=where,
        event=event,
        imagery=tuple(imagery),
        arc=ARCS[mood],
        dropped=tuple(dropped),
    )


_MOOD_WORDS_ALL: frozenset[str] = frozenset().union(
    *(words for by_mood in _MOOD_WORDS.values() for words in by_mood.values())
)
"""Every mood word of every language: none of them is ever a topic."""
