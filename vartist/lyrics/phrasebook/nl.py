"""Dutch phrase material for the builtin lyric writer (original text)."""

from __future__ import annotations

from vartist.lyrics.phrasebook.book import (
    Mood,
    PhraseBook,
    PromptVocabulary,
    groups,
    lines,
)
from vartist.lyrics.text import word_set

# Common "het" nouns; any other bare noun from a prompt takes "de", which is right for most
# Dutch nouns and for every plural.
_HET_NOUNS = word_set(
    """huis licht water strand land hart leven meer bos veld dorp raam bed park feest lied
    liedje geluk zand gras ijs vuur verhaal boek kind meisje jongetje station café eiland
    plein paard schip vliegtuig orkest gevoel verlangen verdriet donker geheim moment
    ochtendlicht maanlicht zonlicht avondrood noorderlicht hemelrijk paradijs"""
)
_BARE_NOUNS = word_set(
    """liefde regen sneeuw muziek tijd vrijheid hoop vrede zomer winter lente herfst thuis
    zonneschijn middernacht"""
)


def _complete(phrase: list[str]) -> str:
    head = phrase[-1]
    lowered = head.lower()
    if head[:1].isupper() or lowered in _BARE_NOUNS:
        return " ".join(phrase)
    # diminutives ("liedje") are "het"; plurals ("liedjes", "sterren") are always "de"
    is_het = lowered in _HET_NOUNS or lowered.endswith("je")
    return ("het " if is_het else "de ") + " ".join(phrase)


VOCABULARY = PromptVocabulary(
    stopwords=word_set(
        """de het een en of maar dat die dit deze van in op aan met voor naar uit bij om te
        tot over onder door tegen zonder ik je jij u hij zij ze we wij mijn jouw zijn haar
        ons onze hun me mij jullie is was ben bent zijn waren heb hebt heeft hebben had kan
        kun kunt wil wilt zal zou niet geen wel heel erg iets iemand alles lied liedje
        liedjes liederen nummer nummers song songs tekst songtekst schrijf schrijven zing
        zingen maak maken alsjeblieft graag soort stijl gevoel hoe wat wanneer waar wie
        waarom als dan er hier daar nog ook al veel meer een paar twee drie
        na achter naast tussen langs rond sinds tijdens binnen buiten boven beneden via
        vanaf vanuit weg terug vanavond vandaag"""
    ),
    determiners=word_set("de het een mijn jouw je zijn haar ons onze hun deze dit die dat"),
    adjectives=word_set(
        """droevig blij traag snel donker helder eenzaam oud oude nieuw nieuwe jong jonge koud
        koude warm warme groot grote klein kleine lang lange kort korte laat late vroeg wild
        wilde zoet zacht zachte luid stil stille verloren gebroken mooi mooie blauw blauwe
        rood rode zwart zwarte wit witte grijs leeg lege open vrij eindeloos gouden zilveren
        verliefd gelukkig verdrietig alleen samen"""
    ),
    adjective_endings=("ig", "ige", "lijk", "lijke", "loos", "loze", "baar", "bare", "isch"),
    verb_markers=frozenset({"te"}),
    complete=_complete,
)

CLAUSE_HEADS: dict[Mood, tuple[str, ...]] = {
    "verse": lines(
        """
        wij dansten
        ik was aan het dromen
        jij lachte
        we reden door
        ik bleef maar lopen
        de radio speelde
        de lantaarns flikkerden
        je hield mijn hand vast
        ik zag je gezicht
        we zongen samen
        ik schreef je naam
        de stad fluisterde
        we praatten urenlang
        ik hoorde je roepen
        de ramen trilden
        je schaduw bleef hangen
        de zomer verdween
        ik vond je brief
        ik bewaarde je foto
        we waren jong en rusteloos
        ik denk nog aan {thing}
        we reden naar {thing}
        je vertelde me over {thing}
        ik bleef denken aan {thing}
        we zochten naar {thing}
        ik zie nog steeds {thing}
        we liepen door {thing}
        ik schreef een lied over {thing}
        ik vond de weg naar {thing}
        """
    ),
    "pre-chorus": lines(
        """
        en ik voel het
        mijn hart gaat sneller
        er verandert iets
        de wereld draait
        ik hoor het roepen
        de nacht ontwaakt
        we komen dichterbij
        de muren trillen
        de hemel breekt open
        de sterren vallen
        ik hou me vast
        ik hoor de donder
        ik voel {thing}
        daar komt {thing}
        ik raak bijna {thing}
        """
    ),
    "chorus": lines(
        """
        wij stralen
        ik dans nog steeds
        we blijven zingen
        onze harten branden
        ik zal wachten
        we leven
        we rennen
        ik voel het
        hou me dicht bij je
        dit is ons moment
        zing het luider
        ik vlieg steeds hoger
        zet de muziek harder
        ik ben verliefd op {thing}
        breng me terug naar {thing}
        wij horen bij {thing}
        ik kom steeds terug naar {thing}
        dit is voor {thing}
        alles wat ik wil is {thing}
        niets is zo mooi als {thing}
        ik roep naar {thing}
        we dansen met {thing}
        """
    ),
    "bridge": lines(
        """
        misschien had ik het mis
        de muziek sterft langzaam weg
        ik was zo verloren
        de lichten gaan uit
        ik bewaar de herinneringen
        niemand zei het ons
        het verhaal is nog niet uit
        ik laat het los
        we zijn zo ver gekomen
        de klokken staan stil
        ik geloof nog in {thing}
        ik heb vrede met {thing}
        ik hou vast aan {thing}
        """
    ),
}

MODAL_HEADS: dict[Mood, tuple[str, ...]] = {
    "verse": lines(
        """
        ik wilde
        we zouden
        we wilden
        """
    ),
    "pre-chorus": lines(
        """
        ik wil
        nu wil ik
        ik ga
        we gaan
        """
    ),
    "chorus": lines(
        """
        ik zal
        ik wil
        ik ga
        we kunnen
        laten we
        vannacht gaan we
        """
    ),
    "bridge": lines(
        """
        ik kon
        misschien moet ik
        ooit zal ik
        """
    ),
}

ADVERB_TAILS = groups(
    """
    in de nacht
    heel zacht
    met al mijn kracht
    meer dan ik dacht
    vannacht
    zoals ik had verwacht

    in het licht
    met de ogen dicht
    als een gedicht
    uit het zicht

    onder de maan
    langs de oceaan

    dicht bij mij
    naast mij
    voorbij
    eindelijk vrij
    aan jouw zij

    naar de zee
    aan zee
    langs de zee
    met je mee
    wij twee

    het hele jaar
    ergens daar
    zonder gevaar
    hier en daar

    in mijn hart
    met heel mijn hart
    in het zwart
    vanaf de start

    in de regen
    op alle wegen
    op verlaten wegen

    naar huis
    weer thuis
    bij jou thuis
    op weg naar huis

    mijn hele leven
    voor even
    heel even
    voor het leven

    over het water
    vroeg of later

    hand in hand
    langs het strand
    door het land
    in het zand

    op de grond
    de hele wereld rond

    op blote voet
    in mijn bloed
    zoals het moet

    in lange nachten
    in mijn gedachten
    zonder te wachten

    zonder pijn
    in de trein

    misschien
    """
)

VERB_TAILS = groups(
    """
    samen verder gaan
    naast je staan
    je nooit meer laten gaan
    hier blijven staan

    alles geven
    het opnieuw beleven
    boven de wolken zweven

    bij je zijn
    eindelijk vrij zijn
    nooit meer alleen zijn

    blijven hopen
    door de straten lopen

    op je wachten

    de hele nacht zingen
    van geluk springen

    het waar maken
    je hart raken
    de hemel raken

    je weer zien
    """
)

THINGS = lines(
    """
    de stad
    de zee
    het licht
    de regen
    de straten
    de rivier
    de sterren
    de zomer
    de haven
    de radio
    de snelweg
    het strand
    de maan
    de daken
    het station
    de dansvloer
    de duinen
    de winter
    """
)

DUTCH = PhraseBook(
    language="nl",
    openers=("en", "oh,", "maar"),
    clause_heads=CLAUSE_HEADS,
    modal_heads=MODAL_HEADS,
    adverb_tails=ADVERB_TAILS,
    verb_tails=VERB_TAILS,
    things=THINGS,
    vocabulary=VOCABULARY,
    title_case=False,
)
