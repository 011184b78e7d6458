"""Style models: what each genre plays, written as data.

A style holds its tempo feel, chord progressions per section (roman numerals, one bar per
entry, two chords in a bar separated by a space), and one-bar patterns for every part on a
16-step grid. Pattern letters:

* drums: ``X`` accent, ``x`` hit, ``o`` ghost note, ``.`` silence;
* bass: ``R`` root, ``5`` fifth, ``8`` octave, ``3`` third, ``A`` approach note to the next
  chord's root, ``-`` holds the previous note, ``.`` silence;
* keys: ``C`` the whole chord, ``L``/``H`` its lowest/highest note, ``1``-``6`` one chord
  note counted from the bottom (arpeggios), ``-``, ``.`` as for bass;
* guitar: ``D`` down strum, ``U`` up strum, ``1``-``6`` one string picked, ``-``, ``.``.

Patterns come in three levels of energy (``light``, ``groove``, ``full``); each section role
picks a level, the parts that play and a velocity scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

from vartist.composer.errors import UnknownGenreError
from vartist.lyrics.types import SectionKind

Role = SectionKind
"""What a span of the song does: its section kind, instrumental interludes included."""
ROLES: tuple[Role, ...] = get_args(SectionKind)
Level = Literal["light", "groove", "full"]

Progression = tuple[str, ...]
"""One entry per bar: ``"vi"`` or ``"IV V"`` (two chords, half a bar each)."""
DrumBar = Mapping[str, str]
"""Drum voice (see ``DRUM_NOTES``) → 16-step string."""

DRUM_NOTES: Mapping[str, int] = MappingProxyType(
    {
        "kick": 36,
        "snare": 38,
        "clap": 39,
        "hat": 42,
        "open_hat": 46,
        "crash": 49,
        "ride": 51,
        "tom_low": 45,
        "tom_high": 48,
    }
)
"""General MIDI percussion numbers the studio's drum kit plays."""


@dataclass(frozen=True)
class SectionArrangement:
    level: Level
    parts: frozenset[str]
    energy: float
    """Velocity scale, 0-1: sparser verses, fuller choruses."""


@dataclass(frozen=True)
class StyleModel:
    name: str
    description: str
    tempo: tuple[float, float]
    """Tempo range (bpm) where the style feels natural."""
    major: Mapping[str, tuple[Progression, ...]]
    """Progression options per role in major keys; one is drawn per song and role."""
    minor: Mapping[str, tuple[Progression, ...]]
    cadences_major: tuple[str, ...]
    """Chords that lead into the tonic at a section end (V or IV)."""
    cadences_minor: tuple[str, ...]
    """v or VII."""
    tonic_major: str
    tonic_minor: str
    drums: Mapping[Level, DrumBar]
    fill: DrumBar
    """The bar before a chorus: a fill into its crash."""
    bass: Mapping[Level, str]
    keys: Mapping[Level, str]
    guitar: Mapping[Level, str]
    """Empty when the style has no guitar."""
    sections: Mapping[Role, SectionArrangement]
    programs: Mapping[str, int]
    """General MIDI programs (0-based) per part, for the MIDI export."""
    guitar_voicing: Literal["open", "power"] = "open"
    swing: float = 0.0
    """How late (in beats) off-beat eighths of the band fall; 0 is straight, 1/6 full swing."""
    vocal_pace: float = 1.0
    """Above 1 the melody prefers longer notes (ballads), below 1 shorter ones."""
    melisma_rate: float = 0.2
    """Chance that a phrase ending long enough gets a two-note melisma."""
    vocal_cells: tuple[tuple[str, float], ...] = (("x.x.", 3.0), ("x...", 2.0), ("x.....x.", 1.0))
    """Rhythm cells the tune's rhythm is drawn from, with their weights: one or two beats in
    sixteenths (``x`` an onset, ``.`` held), eighth-note onsets only, so a dotted quarter
    (``x.....x.``), a syncopated quarter (``x.x...x.``) or a held half (``x.......``) give a
    genre its vocal rhythm. The words are fitted to these onsets where their stresses allow."""
    push_rate: float = 0.2
    """Share of phrases whose tune pushes one stressed syllable an eighth ahead of its beat
    (syncopation); kept low enough that nine in ten stresses still land on beats."""
    intro_bars: tuple[int, ...] = (4,)
    outro_bars: tuple[int, ...] = (4,)
    progression_roles: Mapping[str, str] = field(
        default_factory=lambda: {"intro": "verse", "interlude": "chorus", "outro": "chorus"}
    )
    """Roles without their own progressions borrow another role's."""

    def progressions(self, mode: str) -> Mapping[str, tuple[Progression, ...]]:
        return self.major if mode == "major" else self.minor

    def progression_options(self, role: str, mode: str) -> tuple[Progression, ...]:
        table = self.progressions(mode)
        if role in table:
            return table[role]
        borrowed = self.progression_roles.get(role, "verse")
        return table[borrowed] if borrowed in table else table["verse"]


def _sections(
    levels: Mapping[Role, Level],
    parts: Mapping[Role, str],
    energy: Mapping[Role, float] | None = None,
) -> Mapping[Role, SectionArrangement]:
    default_energy: dict[Role, float] = {
        "intro": 0.75,
        "verse": 0.8,
        "pre-chorus": 0.88,
        "chorus": 1.0,
        "bridge": 0.85,
        "interlude": 0.9,
        "outro": 0.75,
    }
    default_energy.update(energy or {})
    return MappingProxyType(
        {
            role: SectionArrangement(
                levels[role], frozenset(parts[role].split()), default_energy[role]
            )
            for role in ROLES
        }
    )


_POP = StyleModel(
    name="pop",
    description="Bright, steady four-chord pop: piano and strummed guitar, big choruses.",
    tempo=(95.0, 125.0),
    major={
        "verse": (("I", "V", "vi", "IV"), ("I", "vi", "IV", "V"), ("vi", "IV", "I", "V")),
        "pre-chorus": (("IV", "V", "vi", "V"), ("ii", "IV", "vi", "V"), ("IV", "I", "ii", "V")),
        "chorus": (("I", "V", "vi", "IV"), ("IV", "I", "V", "vi"), ("vi", "IV", "I", "V")),
        "bridge": (("vi", "IV", "I", "V"), ("IV", "V", "iii", "vi")),
    },
    minor={
        "verse": (("i", "VI", "III", "VII"), ("i", "iv", "VI", "v")),
        "pre-chorus": (("VI", "VII", "i", "VII"), ("iv", "VI", "VII", "VII")),
        "chorus": (("VI", "VII", "i", "i"), ("i", "VII", "VI", "VII")),
        "bridge": (("iv", "v", "VI", "VII"), ("VI", "III", "VII", "i")),
    },
    cadences_major=("V", "IV"),
    cadences_minor=("VII", "v"),
    tonic_major="I",
    tonic_minor="i",
    drums={
        "light": {
            "kick": "x.......x.......",
            "snare": "....o.......o...",
            "hat": "x...x...x...x...",
        },
        "groove": {
            "kick": "x.....x.x.......",
            "snare": "....x.......x...",
            "hat": "x.x.x.x.x.x.x.x.",
        },
        "full": {
            "kick": "x.....x.x.x.....",
            "snare": "....X.......X...",
            "clap": "....x.......x...",
            "hat": "x.x.x.x.x.x.x...",
            "open_hat": "..............x.",
        },
    },
    fill={
        "kick": "x.....x.........",
        "snare": "....x...x.x.....",
        "hat": "x.x.x.x.........",
        "tom_high": "............xx..",
        "tom_low": "..............xx",
    },
    bass={"light": "R-------5-------", "groove": "R-----R-R---5---", "full": "R-R-R-R-R-R-R-A-"},
    keys={"light": "C---------------", "groove": "C-----C-----C---", "full": "C---C---C---C-C-"},
    guitar={"light": "D-------D-------", "groove": "D---D-U---U-D-U-", "full": "D---D-U---U-D-U-"},
    sections=_sections(
        {
            "intro": "light",
            "verse": "light",
            "pre-chorus": "groove",
            "chorus": "full",
            "bridge": "groove",
            "interlude": "groove",
            "outro": "light",
        },
        {
            "intro": "keys pad guitar",
            "verse": "drums bass keys",
            "pre-chorus": "drums bass keys pad",
            "chorus": "drums bass keys pad guitar",
            "bridge": "drums bass keys pad",
            "interlude": "drums bass keys guitar",
            "outro": "keys pad guitar bass",
        },
    ),
    programs={"drums": 0, "bass": 33, "keys": 0, "pad": 89, "guitar": 25},
    push_rate=0.3,
    vocal_cells=(
        ("x.x.", 2.5),
        ("x...", 1.5),
        ("x.....x.", 3.0),
        ("x.x...x.", 1.5),
        ("x.......", 0.7),
    ),
    intro_bars=(2, 4),
    outro_bars=(2, 4),
)

_BALLAD = StyleModel(
    name="ballad",
    description="Slow piano ballad: arpeggiated piano, soft pad, drums only when it swells.",
    tempo=(60.0, 84.0),
    major={
        "verse": (("I", "vi", "IV", "V"), ("I", "iii", "vi", "IV"), ("I", "V", "vi", "IV")),
        "pre-chorus": (("IV", "V", "iii", "vi"), ("ii", "iii", "IV", "V")),
        "chorus": (("IV", "V", "I", "vi"), ("I", "V", "vi", "IV"), ("vi", "IV", "I", "V")),
        "bridge": (("vi", "V", "IV", "V"), ("ii", "V", "I", "IV")),
    },
    minor={
        "verse": (("i", "VI", "iv", "v"), ("i", "III", "VII", "iv")),
        "pre-chorus": (("iv", "v", "VI", "VII"), ("VI", "iv", "VII", "VII")),
        "chorus": (("VI", "III", "VII", "i"), ("i", "VI", "III", "VII")),
        "bridge": (("iv", "i", "VI", "VII"),),
    },
    cadences_major=("IV", "V"),
    cadences_minor=("v", "VII"),
    tonic_major="I",
    tonic_minor="i",
    drums={
        "light": {"kick": "x.......x.......", "ride": "x...x...x...x..."},
        "groove": {
            "kick": "x.......x.......",
            "snare": "....o.......o...",
            "ride": "x...x...x...x...",
        },
        "full": {
            "kick": "x.....x.x.......",
            "snare": "....x.......x...",
            "hat": "x.x.x.x.x.x.x.x.",
        },
    },
    fill={
        "kick": "x...............",
        "snare": "....o...x...x.x.",
        "tom_high": "..........x.....",
        "tom_low": "..............x.",
    },
    bass={"light": "R---------------", "groove": "R-------5-------", "full": "R-----R-5-------"},
    keys={"light": "1-2-3-2-4-2-3-2-", "groove": "1-2-3-4-1-2-3-4-", "full": "C-----3-C-----3-"},
    guitar={},
    sections=_sections(
        {
            "intro": "light",
            "verse": "light",
            "pre-chorus": "groove",
            "chorus": "full",
            "bridge": "groove",
            "interlude": "light",
            "outro": "light",
        },
        {
            "intro": "keys",
            "verse": "keys bass",
            "pre-chorus": "keys bass pad drums",
            "chorus": "keys bass pad drums",
            "bridge": "keys pad bass drums",
            "interlude": "keys pad",
            "outro": "keys pad",
        },
        {"verse": 0.72, "intro": 0.7, "outro": 0.68},
    ),
    programs={"drums": 0, "bass": 32, "keys": 0, "pad": 88},
    vocal_pace=1.35,
    melisma_rate=0.35,
    push_rate=0.1,
    vocal_cells=(("x...", 2.5), ("x.......", 2.0), ("x.....x.", 3.5), ("x.x.", 1.0)),
    intro_bars=(2, 4),
    outro_bars=(4,),
)

_SYNTHPOP = StyleModel(
    name="synthpop",
    description="Four-on-the-floor synth pop: octave bass, off-beat synth stabs, bright pads.",
    tempo=(105.0, 130.0),
    major={
        "verse": (("vi", "IV", "I", "V"), ("I", "V", "vi", "IV")),
        "pre-chorus": (("IV", "V", "IV", "V"), ("ii", "IV", "V", "V")),
        "chorus": (("vi", "IV", "I", "V"), ("IV", "V", "vi", "I")),
        "bridge": (("ii", "IV", "vi", "V"), ("IV", "vi", "V", "V")),
    },
    minor={
        "verse": (("i", "VI", "III", "VII"), ("i", "i", "VI", "VII")),
        "pre-chorus": (("iv", "VI", "VII", "VII"), ("VI", "VII", "VI", "VII")),
        "chorus": (("VI", "VII", "i", "i"), ("i", "VI", "III", "VII")),
        "bridge": (("VI", "VII", "iv", "v"),),
    },
    cadences_major=("V",),
    cadences_minor=("VII", "v"),
    tonic_major="I",
    tonic_minor="i",
    drums={
        "light": {"kick": "x...x...x...x...", "hat": "..x...x...x...x."},
        "groove": {
            "kick": "x...x...x...x...",
            "clap": "....x.......x...",
            "hat": "..x...x...x...x.",
        },
        "full": {
            "kick": "x...x...x...x...",
            "snare": "....X.......X...",
            "clap": "....x.......x...",
            "hat": "xo.oxo.oxo.oxo.o",
            "open_hat": "..x...x...x...x.",
        },
    },
    fill={
        "kick": "x...x...x...x...",
        "snare": "........x.x.xxxx",
        "hat": "xo.oxo.o........",
    },
    bass={"light": "R-------R-------", "groove": "R-R-R-R-R-R-R-R-", "full": "R-8-R-8-R-8-R-8-"},
    keys={"light": "C---------------", "groove": "..C-..C-..C-..C-", "full": "1-3-2-4-1-3-2-4-"},
    guitar={},
    sections=_sections(
        {
            "intro": "light",
            "verse": "light",
            "pre-chorus": "groove",
            "chorus": "full",
            "bridge": "groove",
            "interlude": "full",
            "outro": "light",
        },
        {
            "intro": "drums pad keys",
            "verse": "drums bass keys",
            "pre-chorus": "drums bass keys pad",
            "chorus": "drums bass keys pad",
            "bridge": "bass keys pad",
            "interlude": "drums bass keys pad",
            "outro": "drums pad keys",
        },
    ),
    programs={"drums": 0, "bass": 38, "keys": 81, "pad": 90},
    vocal_pace=0.95,
    melisma_rate=0.1,
    push_rate=0.35,
    vocal_cells=(("x.x.", 2.5), ("x.x...x.", 2.5), ("x.....x.", 2.5), ("x...", 1.0)),
    intro_bars=(4,),
    outro_bars=(4,),
)

_ROCK = StyleModel(
    name="rock",
    description="Driving guitar rock: power-chord eighths, pumping bass, ride-cymbal choruses.",
    tempo=(110.0, 150.0),
    major={
        "verse": (("I", "IV", "I", "V"), ("I", "V", "IV", "IV")),
        "pre-chorus": (("IV", "V", "IV", "V"), ("vi", "V", "IV", "V")),
        "chorus": (("I", "V", "vi", "IV"), ("IV", "I", "V", "V")),
        "bridge": (("vi", "IV", "V", "V"), ("IV", "vi", "IV", "V")),
    },
    minor={
        "verse": (("i", "VII", "VI", "VII"), ("i", "i", "VI", "VII")),
        "pre-chorus": (("VI", "VII", "VI", "VII"), ("iv", "VI", "VII", "VII")),
        "chorus": (("i", "VI", "III", "VII"), ("VI", "VII", "i", "i")),
        "bridge": (("iv", "VI", "VII", "VII"),),
    },
    cadences_major=("V", "IV"),
    cadences_minor=("VII",),
    tonic_major="I",
    tonic_minor="i",
    drums={
        "light": {
            "kick": "x.......x.......",
            "snare": "....x.......x...",
            "hat": "x.x.x.x.x.x.x.x.",
        },
        "groove": {
            "kick": "x.....x.x.......",
            "snare": "....x.......x...",
            "hat": "x.x.x.x.x.x.x.x.",
        },
        "full": {
            "kick": "x.....x.x.x.....",
            "snare": "....X.......X...",
            "ride": "x.x.x.x.x.x.x.x.",
        },
    },
    fill={
        "kick": "x.....x.........",
        "snare": "....x...xxxx....",
        "tom_high": "............xx..",
        "tom_low": "..............xx",
    },
    bass={"light": "R-------R---R---", "groove": "R-R-R-R-R-R-R-R-", "full": "R-R-R-R-R-R-R-A-"},
    keys={"light": "C---------------", "groove": "C-------C-------", "full": "C-------C-------"},
    guitar={"light": "D-------D-------", "groove": "D-D-D-D-D-D-D-D-", "full": "D-D-D-D-D-D-D-D-"},
    sections=_sections(
        {
            "intro": "groove",
            "verse": "light",
            "pre-chorus": "groove",
            "chorus": "full",
            "bridge": "groove",
            "interlude": "full",
            "outro": "full",
        },
        {
            "intro": "drums bass guitar",
            "verse": "drums bass guitar",
            "pre-chorus": "drums bass guitar keys",
            "chorus": "drums bass guitar keys pad",
            "bridge": "drums bass keys pad",
            "interlude": "drums bass guitar",
            "outro": "drums bass guitar keys",
        },
        {"intro": 0.85, "outro": 0.9},
    ),
    programs={"drums": 0, "bass": 33, "keys": 16, "pad": 89, "guitar": 29},
    guitar_voicing="power",
    vocal_pace=0.9,
    melisma_rate=0.15,
    push_rate=0.3,
    vocal_cells=(
        ("x.x.", 3.5),
        ("x...", 1.5),
        ("x.x...x.", 2.0),
        ("x.....x.", 2.0),
        ("x.......", 0.8),
    ),
    intro_bars=(2, 4),
    outro_bars=(2, 4),
)

_FOLK = StyleModel(
    name="folk",
    description="Acoustic folk: finger-picked guitar, boom-chick bass, claps in the chorus.",
    tempo=(80.0, 115.0),
    major={
        "verse": (("I", "IV", "I", "V"), ("I", "vi", "IV", "V")),
        "pre-chorus": (("IV", "I", "IV", "V"), ("vi", "IV", "I", "V")),
        "chorus": (("IV", "I", "V", "vi"), ("I", "IV", "vi", "V")),
        "bridge": (("vi", "IV", "I", "V"), ("IV", "V", "vi", "vi")),
    },
    minor={
        "verse": (("i", "VII", "VI", "VII"), ("i", "III", "VII", "i")),
        "pre-chorus": (("VI", "III", "VII", "VII"), ("iv", "i", "VI", "VII")),
        "chorus": (("III", "VII", "i", "i"), ("VI", "VII", "III", "i")),
        "bridge": (("iv", "i", "v", "VII"),),
    },
    cadences_major=("V", "IV"),
    cadences_minor=("VII", "v"),
    tonic_major="I",
    tonic_minor="i",
    drums={
        "light": {"kick": "x.......x.......", "hat": "....x.......x..."},
        "groove": {"kick": "x.......x.......", "clap": "....x.......x..."},
        "full": {
            "kick": "x.......x.x.....",
            "snare": "....x.......x...",
            "clap": "....x.......x...",
            "hat": "x...x...x...x...",
        },
    },
    fill={
        "kick": "x.......x.......",
        "snare": "....x.......x.xx",
        "tom_low": "..........x.....",
    },
    bass={"light": "R-------5-------", "groove": "R---....5---....", "full": "R---5---R---5-A-"},
    keys={"light": "C---------------", "groove": "C---------------", "full": "C-------C-------"},
    guitar={"light": "1-4-3-5-2-4-3-5-", "groove": "1-4-3-5-2-4-3-5-", "full": "D---D-U---U-D-U-"},
    sections=_sections(
        {
            "intro": "light",
            "verse": "light",
            "pre-chorus": "groove",
            "chorus": "full",
            "bridge": "groove",
            "interlude": "groove",
            "outro": "light",
        },
        {
            "intro": "guitar",
            "verse": "guitar bass",
            "pre-chorus": "guitar bass drums",
            "chorus": "guitar bass drums keys pad",
            "bridge": "guitar bass pad",
            "interlude": "guitar bass drums",
            "outro": "guitar pad",
        },
    ),
    programs={"drums": 0, "bass": 32, "keys": 0, "pad": 89, "guitar": 25},
    vocal_pace=1.1,
    melisma_rate=0.25,
    push_rate=0.15,
    vocal_cells=(("x...", 2.0), ("x.x.", 1.5), ("x.....x.", 3.5), ("x.......", 1.0)),
    intro_bars=(2, 4),
    outro_bars=(2, 4),
)

_LOFI = StyleModel(
    name="lofi",
    description="Laid-back lo-fi: swung beat, seventh chords on electric piano, soft bass.",
    tempo=(70.0, 90.0),
    major={
        "verse": (("Imaj7", "vi7", "ii7", "V7"), ("IVmaj7", "iii7", "vi7", "ii7")),
        "pre-chorus": (("ii7", "V7", "iii7", "vi7"), ("IVmaj7", "V7", "iii7", "vi7")),
        "chorus": (("IVmaj7", "iii7", "ii7", "Imaj7"), ("ii7", "V7", "Imaj7", "vi7")),
        "bridge": (("vi7", "ii7", "V7", "Imaj7"), ("iii7", "vi7", "ii7", "V7")),
    },
    minor={
        "verse": (("i7", "iv7", "VImaj7", "v7"), ("i7", "VImaj7", "IIImaj7", "VII7")),
        "pre-chorus": (("iv7", "v7", "VImaj7", "VII7"),),
        "chorus": (("VImaj7", "v7", "i7", "i7"), ("iv7", "VII7", "IIImaj7", "VImaj7")),
        "bridge": (("VImaj7", "VII7", "i7", "v7"),),
    },
    cadences_major=("V7", "IVmaj7"),
    cadences_minor=("v7", "VII7"),
    tonic_major="Imaj7",
    tonic_minor="i7",
    drums={
        "light": {
            "kick": "x......x..x.....",
            "snare": "....o.......o...",
            "hat": "x.x.x.x.x.x.x.x.",
        },
        "groove": {
            "kick": "x......x..x.....",
            "snare": "....x.......x...",
            "hat": "x.x.x.x.x.x.x.x.",
        },
        "full": {
            "kick": "x......x..x..x..",
            "snare": "....x.o.....x...",
            "hat": "x.x.x.x.x.x.x...",
            "open_hat": "..............x.",
        },
    },
    fill={
        "kick": "x......x........",
        "snare": "....x.......x.o.",
        "hat": "x.x.x.x.x.x.....",
        "tom_low": "..............x.",
    },
    bass={"light": "R-------........", "groove": "R-----.R--5-----", "full": "R-----.R--5---A-"},
    keys={"light": "C-------........", "groove": "C-----C---------", "full": "C-----C-----C---"},
    guitar={},
    sections=_sections(
        {
            "intro": "light",
            "verse": "groove",
            "pre-chorus": "groove",
            "chorus": "full",
            "bridge": "light",
            "interlude": "groove",
            "outro": "light",
        },
        {
            "intro": "keys pad",
            "verse": "drums bass keys",
            "pre-chorus": "drums bass keys pad",
            "chorus": "drums bass keys pad",
            "bridge": "bass keys pad",
            "interlude": "drums bass keys",
            "outro": "keys pad",
        },
        {"verse": 0.78, "chorus": 0.9},
    ),
    programs={"drums": 0, "bass": 33, "keys": 4, "pad": 89},
    swing=0.1,
    vocal_pace=1.15,
    melisma_rate=0.2,
    push_rate=0.35,
    vocal_cells=(
        ("x.....x.", 3.5),
        ("x.x...x.", 2.0),
        ("x...", 1.5),
        ("x.x.", 1.0),
        ("x.......", 1.0),
    ),
    intro_bars=(2, 4),
    outro_bars=(2, 4),
)

STYLES: Mapping[str, StyleModel] = MappingProxyType(
    {style.name: style for style in (_POP, _BALLAD, _SYNTHPOP, _ROCK, _FOLK, _LOFI)}
)
"""Every style model by genre name."""

GENRES: tuple[str, ...] = tuple(STYLES)
"""The genres the composer writes in, for ``vartist genres`` and persona checks."""


def get_style(genre: str) -> StyleModel:
    """The style model for a genre name (case and surrounding spaces ignored)."""
    name = genre.strip().lower()
    if name not in STYLES:
        raise UnknownGenreError(
            f"unknown genre {genre!r}; the composer writes in: {', '.join(GENRES)} "
            "(set style.genres in the persona or pass --genre with one of these)"
        )
    return STYLES[name]
