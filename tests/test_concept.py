"""Songs that mean their prompt: measured on the Lyrics the builtin writer hands on.

Everything here is judged from the written lines, with word lists and a small grammar lexicon
of the test's own, never with the writer's phrase tables or its concept reader's tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from vartist.lyrics import Lyrics, lyric_engines, split_words
from vartist.lyrics.concept import CONCEPT_MOODS, read_prompt
from vartist.persona import Persona, load_persona
from vartist.request import SongRequest


def wordlist(text: str) -> set[str]:
    """The words of a whitespace-separated list."""
    return set(text.split())


PERSONAS = ("bram", "kit", "nova", "saga")
PERSONA_DIR = Path(__file__).resolve().parents[1] / "examples" / "personas"
SEEDS = (0, 1)

# Prompts a fan might send, of different moods, people, places and events.
PROMPTS = (
    "a song about my grandmother's funeral",
    "an upbeat party anthem for my sister's birthday",
    "falling in love with a girl from Lisbon",
    "we are moving away and I will miss the sea",
    "they told me to quit but I keep fighting",
    "a quiet sunday morning with my cat",
    "a rainy night in the city",
    "my brother left for the war",
)
GRIEF_PROMPTS = (
    "a song about my grandmother's funeral",
    "my dog died last winter",
    "mourning my father",
    "ik mis mijn vader, hij is overleden",
    "jag sörjer min mormor som dog i våras",
)
# Beginnings of words that make a line a dance or party line, in the three languages.
PARTY_STEMS = (
    "danc",
    "party",
    "parties",
    "partying",
    "celebrat",
    "disco",
    "club",
    "nightclub",
    "dans",
    "feest",
    "fest",
    "klubb",
    "kalas",
)

# Share of distinct lines two songs of one seed may share.
MAX_SHARED_LINES = 0.2


@cache
def persona(name: str) -> Persona:
    return load_persona(PERSONA_DIR / f"{name}.toml")


@cache
def song(name: str, prompt: str, seed: int) -> Lyrics:
    artist = persona(name)
    writer = lyric_engines.get("builtin")(artist)
    return writer.write(SongRequest(prompt, seed=seed), artist, np.random.default_rng(seed))


def distinct_lines(lyrics: Lyrics) -> set[str]:
    return {line.text for section in lyrics.sections for line in section.lines}


def lower_words(text: str) -> list[str]:
    return [w.lower() for w in split_words(text)]


def test_example_personas_cover_three_languages() -> None:
    languages = {persona(name).language.split("-")[0] for name in PERSONAS}
    assert languages == {"en", "nl", "sv"}


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("seed", SEEDS)
def test_one_seed_different_prompts_make_different_songs(name: str, seed: int) -> None:
    songs = {prompt: song(name, prompt, seed) for prompt in PROMPTS}
    titles = [s.title for s in songs.values()]
    assert len(set(titles)) == len(titles), titles
    for first, second in itertools.combinations(PROMPTS, 2):
        a, b = distinct_lines(songs[first]), distinct_lines(songs[second])
        shared = len(a & b) / min(len(a), len(b))
        assert shared < MAX_SHARED_LINES, (first, second, sorted(a & b))


@pytest.mark.parametrize("name", PERSONAS)
def test_grief_prompts_never_dance_or_party(name: str) -> None:
    for prompt, seed in itertools.product(GRIEF_PROMPTS, (0, 1, 2, 3)):
        lyrics = song(name, prompt, seed)
        for section in lyrics.sections:
            for line in section.lines:
                party = [w for w in lower_words(line.text) if w.startswith(PARTY_STEMS)]
                assert not party, (prompt, seed, line.text)
        assert not [w for w in lower_words(lyrics.title) if w.startswith(PARTY_STEMS)]


# Prompt words by the part of speech they have in their prompt (labelled by hand).
POS_PROMPTS: dict[str, tuple[set[str], set[str]]] = {
    # prompt: (verbs, nouns)
    "all I want is my rotting job": ({"rotting", "want"}, {"job"}),
    "we are moving to a new town": ({"moving"}, {"town"}),
    "they told me to quit but I keep fighting": ({"told", "quit", "keep", "fighting"}, set()),
    "my grandmother died in the spring": ({"died"}, {"grandmother", "spring"}),
    "I want to leave the city and run to the sea": ({"leave", "run"}, {"city", "sea"}),
}
# Words after which the next word fills a noun's place ("my rotting", "for leaving").
NOUN_CONTEXT = wordlist("the a an my your our his her their this that for with of about from")
# Words after which the next word is a verb ("to sea", "I city" would misuse a noun).
VERB_CONTEXT = wordlist("to i we you they will would can i'll we'll gonna")


@pytest.mark.parametrize("name", ["kit", "nova"])
def test_english_prompt_words_keep_their_part_of_speech(name: str) -> None:
    for (prompt, (verbs, nouns)), seed in itertools.product(POS_PROMPTS.items(), (0, 1, 2)):
        lyrics = song(name, prompt, seed)
        texts = [lyrics.title] + [ln.text for s in lyrics.sections for ln in s.lines]
        for text in texts:
            words = lower_words(text)
            for before, word in itertools.pairwise(words):
                assert not (word in verbs and before in NOUN_CONTEXT), (prompt, text)
                assert not (word in nouns and before in VERB_CONTEXT), (prompt, text)


@pytest.mark.parametrize("name", ["bram", "saga"])
def test_english_prompt_words_never_reach_dutch_or_swedish_lines(name: str) -> None:
    for (prompt, (verbs, nouns)), seed in itertools.product(POS_PROMPTS.items(), SEEDS):
        sung = set(lower_words(song(name, prompt, seed).text))
        assert not sung & (verbs | nouns), (prompt, sorted(sung & (verbs | nouns)))


# The person of a prompt, as each example persona's language names them.
PERSON_WORDS = {"kit": "grandmother", "nova": "grandmother", "bram": "oma", "saga": "mormor"}


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_prompts_person_is_in_the_hook_and_title(name: str, seed: int) -> None:
    lyrics = song(name, "a song about my grandmother's funeral", seed)
    chorus = next(s for s in lyrics.sections if s.kind == "chorus")
    assert PERSON_WORDS[name] in lower_words(chorus.lines[0].text), chorus.lines[0].text
    assert PERSON_WORDS[name] in lower_words(lyrics.title)


def test_the_concept_follows_the_prompt_not_the_seed() -> None:
    assert set(CONCEPT_MOODS) == {"joy", "love", "longing", "grief", "defiance", "calm"}
    funeral = read_prompt("a song about my grandmother's funeral", "en-us")
    party = read_prompt("an upbeat party anthem for my sister's birthday", "en-us")
    assert funeral.mood == "grief" and party.mood == "joy"
    assert 0.0 <= funeral.energy < party.energy <= 1.0
    assert read_prompt("jag saknar min mormor som dog", "sv").mood == "grief"
    assert read_prompt("een rustige zondagochtend, stil en zacht", "nl").mood == "calm"
    # an English dog is no Swedish "dog" (died), whatever language the persona sings
    assert read_prompt("a quiet evening by the lake with my dog", "sv").mood == "calm"


# ------------------------------------------------------------------------------------------------
# Dutch and Swedish grammar, against a lexicon of the test's own

DUTCH_DE = wordlist("""afstand dag hemel kaars ketel klok lantaarn menigte muziek nacht oceaan ochtend radio
    regen rivier snelweg stad start ster storm straat traan trein weg wereld wind winter wolk
    zee zomer zon kat kust haven maan grond duin brief foto roos heuvel dansvloer stem stoel
    hand schaduw zus oma opa moeder vader broer vriend vriendin hond tuin kerk school keuken
    lucht droom vrijheid vriendschap gitaar koffie auto lente herfst ochtendkoffie glimlach
    zomeravond kus ochtendthee ziel donder""")
DUTCH_HET = wordlist("""huis land leven licht station strand water zand zicht zwart raam geluid verdriet feest
    gedicht lied jaar meer bos dorp eiland tuinhek perron festival winterlicht noorden vuur
    werk vliegveld glas hart meisje""")
DUTCH_PLURALS = wordlist("""daken duinen dagen kaarsen klokken lantaarns lichten ramen sterren straten tranen uren
    wolken stadsmuren bergen velden rozen foto's bladeren heuvels zomerlichten harten brieven
    ogen kilometers wegen nachten muren""")
# Adjectives with their inflected (-e) form; a few never inflect.
DUTCH_ADJECTIVES = {
    "lege": "leeg",
    "oude": "oud",
    "stille": "stil",
    "vallende": "vallend",
    "verre": "ver",
    "laatste": "laatst",
    "open": "open",
    "opkomende": "opkomend",
    "zonnige": "zonnig",
    "slapende": "slapend",
    "zachte": "zacht",
    "eerste": "eerst",
    "hele": "heel",
    "lange": "lang",
    "blote": "bloot",
    "verlaten": "verlaten",
}
# Finite verb forms a line-opening subject takes, by subject.
DUTCH_FINITE = {
    "ik": wordlist("""adem ben bleef blijf brand breek dacht dans denk draag droom ga geef geloof heb hield
        hoor hoorde hou kies kijk kom kon laat lachte las liep luisterde mis noem ontmoette
        plant raak roep schreef sta strijd tel vecht verlang viel vind vlieg voel vond wacht was
        wil wilde word zag zal zat zie zing zit bewaar bewaarde kwam zit"""),
    "jij": wordlist("bent lachte houdt trekt hield vertelde was"),
    "we": wordlist("""blijven dansen doen dronken gaan gaven kunnen kusten kwamen lachen leven liepen namen
        praatten reden rennen vieren wilden zochten zongen zouden dansten geven horen stralen
        heffen komen zijn waren"""),
    "ze": wordlist("lachen lachten wilden zeiden"),
}
DUTCH_FINITE["wij"] = DUTCH_FINITE["we"]
DUTCH_OPENERS = {"en", "maar", "oh"}
# Words that, opening a clause, push the finite verb before the subject (V2).
DUTCH_FRONTED = {"ooit", "nu", "vannacht", "misschien", "daar"}


def dutch_errors(text: str) -> tuple[list[str], int]:
    """Grammar errors in a Dutch line, and how many article and verb checks it passed."""
    words = lower_words(text)
    errors: list[str] = []
    checks = 0
    for i, word in enumerate(words[:-1]):
        if word not in ("de", "het", "een"):
            continue
        rest = words[i + 1 :]
        if rest[2:3] == [rest[0]]:
            continue  # "ik voel het hand in hand": an idiom, not an article and its noun
        adjective = rest[0] if rest[0] in DUTCH_ADJECTIVES and len(rest) > 1 else None
        noun = rest[1] if adjective else rest[0]
        gender = (
            "de"
            if noun in DUTCH_DE
            else "het"
            if noun in DUTCH_HET
            else "plural"
            if noun in DUTCH_PLURALS
            else None
        )
        if gender is None:
            # "de" is only ever an article (or opens "de mijne"): its noun must be known
            if word == "de" and noun not in ("mijne", "jouwe"):
                errors.append(f"unknown noun after de: {noun!r}")
            continue
        checks += 1
        if word == "het" and gender != "het":
            errors.append(f"het {noun}")
        if word == "de" and gender == "het":
            errors.append(f"de {noun}")
        if word == "een" and gender == "plural":
            errors.append(f"een {noun}")
        if adjective and word == "een" and gender == "het" and adjective.endswith("e"):
            errors.append(f"een {adjective} {noun} (a het-noun takes the bare adjective)")
    clause = words[1:] if words and words[0] in DUTCH_OPENERS else words
    if len(clause) >= 2 and clause[0] in DUTCH_FINITE:
        checks += 1
        if clause[1] not in DUTCH_FINITE[clause[0]]:
            errors.append(f"{clause[0]} {clause[1]}: not a finite form for this subject")
    if len(clause) >= 3 and clause[0] in DUTCH_FRONTED:
        checks += 1
        finite = set().union(*DUTCH_FINITE.values()) | {"is", "had", "moet", "komt", "zal"}
        # the subject may be a noun phrase ("daar komt de wind"), but never a second verb
        if clause[1] not in finite or clause[2] in finite:
            errors.append(f"{' '.join(clause[:3])}: a fronted word wants verb then subject")
    return errors, checks


SWEDISH_EN = wordlist("""dag vind sjö skål sång strand sommarnatt ros gång hand röst stol blick""")
SWEDISH_ETT = wordlist("""ljus land brev namn hjärta hus ögonblick""")
# Definite nouns after den/det/de + adjective, with the article they take.
SWEDISH_DEFINITE = {
    "stolen": "den",
    "kusten": "den",
    "perrongen": "den",
    "solen": "den",
    "sjön": "den",
    "staden": "den",
    "kyssen": "den",
    "vägen": "den",
    "gitarren": "den",
    "flickan": "den",
    "pojken": "den",
    "huset": "det",
    "tåget": "det",
    "regnet": "det",
    "fotona": "de",
    "löven": "de",
    "bergen": "de",
    "gatorna": "de",
}
# Adjectives: indefinite common, indefinite neuter, and the definite/plural form.
SWEDISH_ADJECTIVES = {
    "ljum": ("ljum", "ljumt", "ljumma"),
    "regnig": ("regnig", "regnigt", "regniga"),
    "vacker": ("vacker", "vackert", "vackra"),
    "annan": ("annan", "annat", "andra"),
    "sista": ("sista", "sista", "sista"),
    "tom": ("tom", "tomt", "tomma"),
    "tyst": ("tyst", "tyst", "tysta"),
    "gammal": ("gammal", "gammalt", "gamla"),
    "fallande": ("fallande", "fallande", "fallande"),
    "fjärran": ("fjärran", "fjärran", "fjärran"),
    "blå": ("blå", "blått", "blåa"),
    "öppen": ("öppen", "öppet", "öppna"),
    "stigande": ("stigande", "stigande", "stigande"),
    "sovande": ("sovande", "sovande", "sovande"),
    "stilla": ("stilla", "stilla", "stilla"),
    "mild": ("mild", "milt", "milda"),
    "första": ("första", "första", "första"),
    "solig": ("solig", "soligt", "soliga"),
}
SWEDISH_FINITE = wordlist("""andas bryter bär dansar drömde drömmer fångade föddes försöker ger gick har hittade
    hittar håller höll hör hörde kommer kämpar känner lyssnade längtar läste minns mötte når
    ropar räknar saknar satt ser sitter sjunger ska skrev släpper slåss sparade stannar stod
    står säger såg tror tänder tänker tänkte vill ville väntar älskar är brukade drack firar
    fortsätter höjer kan kysstes körde letade lever lyser pratade samlades skrattar springer
    ställde tar tog var berättade drar log lärde skrattade sa försökte faller föll väljer
    planterar sparade vilar sjöng dansade flyger""")
SWEDISH_SUBJECTS = {"jag", "du", "vi"}
SWEDISH_OPENERS = {"och", "men", "åh"}
SWEDISH_FRONTED = {"nu", "ikväll", "idag", "här", "där"}


def _swedish_adjective(word: str) -> tuple[str, int] | None:
    """The adjective ``word`` is a form of, and which form: 0 common, 1 neuter, 2 definite."""
    for lemma, forms in SWEDISH_ADJECTIVES.items():
        if word in forms:
            return lemma, forms.index(word)
    return None


def swedish_errors(text: str) -> tuple[list[str], int]:
    """Grammar errors in a Swedish line, and how many agreement and verb checks it passed."""
    words = lower_words(text)
    errors: list[str] = []
    checks = 0
    for i, word in enumerate(words[:-1]):
        rest = words[i + 1 :]
        adjective = _swedish_adjective(rest[0])
        if word in ("en", "ett"):
            noun = rest[1] if adjective and len(rest) > 1 else rest[0]
            gender = "en" if noun in SWEDISH_EN else "ett" if noun in SWEDISH_ETT else None
            if gender is None:
                if adjective:
                    errors.append(f"unknown noun after {word} {rest[0]}: {noun!r}")
                continue
            checks += 1
            if gender != word:
                errors.append(f"{word} {noun}")
            invariant = adjective and adjective[0] in ("sista", "fallande", "fjärran", "första")
            if adjective and not invariant and adjective[1] != (0 if gender == "en" else 1):
                errors.append(f"{word} {rest[0]} {noun}: adjective form")
        elif word in ("den", "det", "de") and adjective and len(rest) > 1:
            noun = rest[1]
            article = SWEDISH_DEFINITE.get(noun)
            if article is None:
                errors.append(f"unknown noun after {word} {rest[0]}: {noun!r}")
                continue
            checks += 1
            if article != word:
                errors.append(f"{word} {rest[0]} {noun}")
            if adjective[1] != 2 and SWEDISH_ADJECTIVES[adjective[0]][2] != rest[0]:
                errors.append(f"{word} {rest[0]} {noun}: definite adjective form")
    clause = words[1:] if words and words[0] in SWEDISH_OPENERS else words
    if len(clause) >= 2 and clause[0] in SWEDISH_SUBJECTS:
        checks += 1
        if clause[1] not in SWEDISH_FINITE:
            errors.append(f"{clause[0]} {clause[1]}: not a finite verb")
    if len(clause) >= 3 and clause[0] in SWEDISH_FRONTED:
        checks += 1
        # the subject may be a noun ("här kommer natten"), but never a second verb
        if clause[1] not in SWEDISH_FINITE or clause[2] in SWEDISH_FINITE:
            errors.append(f"{' '.join(clause[:3])}: a fronted word wants verb then subject")
    return errors, checks


Checker = Callable[[str], tuple[list[str], int]]
"""Grammar errors in a line, and how many checks it passed."""

ALL_PROMPTS = (
    *PROMPTS,
    *GRIEF_PROMPTS,
    "een lied over de zee en de stad",
    "en sång om sommaren",
    "a road trip to the mountains with my brother",
    "a lullaby for my daughter",
)


@pytest.mark.parametrize(("name", "checker"), [("bram", dutch_errors), ("saga", swedish_errors)])
def test_dutch_and_swedish_lines_pass_a_grammar_lexicon(name: str, checker: Checker) -> None:
    lines = {
        line.text
        for prompt, seed in itertools.product(ALL_PROMPTS, (0, 1, 2, 3))
        for section in song(name, prompt, seed).sections
        for line in section.lines
    }
    errors: list[tuple[str, list[str]]] = []
    checks = 0
    for text in sorted(lines):
        found, passed = checker(text)
        checks += passed
        if found:
            errors.append((text, found))
    assert not errors, errors
    # the checker really looked at the lines: most carry an article or an opening subject
    assert checks >= len(lines) // 2, (checks, len(lines))


@pytest.mark.parametrize(
    ("text", "checker", "bad"),
    [
        ("ik roep naar het stad", dutch_errors, True),
        ("de huis is stil", dutch_errors, True),
        ("ik lopen naar de zee", dutch_errors, True),
        ("ooit ik kom terug", dutch_errors, True),
        ("ooit kom ik terug naar de zee", dutch_errors, False),
        ("jag dansa en natt", swedish_errors, True),
        ("jag tänder en ljus", swedish_errors, True),
        ("den tomma huset", swedish_errors, True),
        ("jag tänder ett ljus för det tysta huset", swedish_errors, False),
    ],
)
def test_the_grammar_checkers_catch_what_they_check(text: str, checker: Checker, bad: bool) -> None:
    errors, _ = checker(text)
    assert bool(errors) == bad, errors
