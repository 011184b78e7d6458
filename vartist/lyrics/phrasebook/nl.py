"""Dutch phrase material for the builtin lyric writer (original text)."""

from __future__ import annotations

from vartist.lyrics.phrasebook.book import (
    Mood,
    PhraseBook,
    PromptVocabulary,
    groups,
    lines,
    stems,
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
        vanaf vanuit weg terug vanavond vandaag thuis"""
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
        we reden naar {place}
        je vertelde me over {thing}
        ik bleef denken aan {thing}
        we zochten naar {thing}
        ik zie nog steeds {thing}
        we liepen door {place}
        ik schreef een lied over {thing}
        ik vond de weg naar {place}
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
        ik raak bijna {place}
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
        ik ben verliefd op {who}
        breng me terug naar {place}
        wij horen bij {place}
        ik kom steeds terug naar {thing}
        dit is voor {thing}
        alles wat ik wil is {thing}
        niets is zo mooi als {thing}
        ik roep naar {thing}
        we dansen met {who}
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

# Heads that carry a song's mood, written to its arc (vartist.lyrics.concept.ARCS): a grief
# song's verses remember, its chorus misses, its bridge carries on.
CONCEPT_HEADS: dict[str, dict[Mood, tuple[str, ...]]] = {
    "grief": {
        "verse": lines(
            """
            ik bewaarde je winterjas
            je stoel staat leeg
            ik las je brieven
            de ketel is koud
            ik vond je leesbril
            ik zat naast {who}
            ik denk terug aan {thing}
            ik liep alleen naar {place}
            we namen afscheid van {who}
            """
        ),
        "pre-chorus": lines(
            """
            de kaarsen flakkeren
            het huis is stil
            de klokken luiden
            ik mis {who}
            """
        ),
        "chorus": lines(
            """
            ik draag je mee
            je bent nog bij me
            ik hoor je stem
            ik noem je naam
            ik brand een kaars voor {thing}
            ik mis nog steeds {who}
            ik zing dit voor {who}
            """
        ),
        "bridge": lines(
            """
            de tranen drogen
            het verdriet wordt zachter
            het komt wel goed
            ik plant een roos voor {who}
            """
        ),
    },
    "love": {
        "verse": lines(
            """
            je lachte naar mij
            ik zag je kijken
            we dronken koffie
            je hand vond de mijne
            ik viel voor {who}
            ik ontmoette {who}
            we kusten bij {place}
            """
        ),
        "pre-chorus": lines(
            """
            ik word verliefd
            je trekt me dichterbij
            ik denk aan {who}
            """
        ),
        "chorus": lines(
            """
            ik hou van jou
            jij bent alles
            ik ben van jou
            ik ben gek op {who}
            ik geef mijn hart aan {who}
            """
        ),
        "bridge": lines(
            """
            wat er ook gebeurt
            ik blijf bij jou
            ik kies voor jou
            ik sta naast {who}
            """
        ),
    },
    "longing": {
        "verse": lines(
            """
            ik kijk naar de weg
            ik tel de dagen
            je brieven komen
            je stem vervaagt
            ik droom van {thing}
            ik denk aan {place}
            ik mis het geluid van {thing}
            """
        ),
        "pre-chorus": lines(
            """
            de afstand groeit
            ik tel de uren
            ik wacht op {who}
            """
        ),
        "chorus": lines(
            """
            ik mis je
            ik kom naar huis
            ik wacht op jou
            ik verlang naar {thing}
            ik heb heimwee naar {place}
            ik denk steeds aan {who}
            """
        ),
        "bridge": lines(
            """
            ooit kom ik terug
            de kilometers vervagen
            ik vind de weg terug naar {place}
            """
        ),
    },
    "defiance": {
        "verse": lines(
            """
            ze zeiden nee
            ze wilden me stoppen
            ik hoorde ze lachen
            ik hield mijn hoofd omhoog
            ik bleef staan
            ze lachten om {thing}
            """
        ),
        "pre-chorus": lines(
            """
            ik geef niet op
            ik ben klaar met wachten
            ik breek me los
            """
        ),
        "chorus": lines(
            """
            ik sta rechtop
            jij houdt me niet tegen
            ik ben niet bang
            wij geven niet op
            ik vecht voor {thing}
            ik strijd voor {thing}
            """
        ),
        "bridge": lines(
            """
            laat ze maar praten
            ik ben nu sterker
            ik kom op voor {thing}
            """
        ),
    },
    "joy": {
        "verse": lines(
            """
            de zon schijnt
            we gaven een feest
            de muziek speelt
            we lachen hard
            we kwamen samen in {place}
            ik lachte met {who}
            """
        ),
        "pre-chorus": lines(
            """
            de nacht is jong
            de menigte juicht
            ik voel het stijgen
            """
        ),
        "chorus": lines(
            """
            we vieren feest
            laten we dansen
            dit is ons feest
            proost op {thing}
            we dansen in {place}
            """
        ),
        "bridge": lines(
            """
            dit vergeten we nooit
            de nacht gaat door
            we heffen het glas op {thing}
            """
        ),
    },
    "calm": {
        "verse": lines(
            """
            de ketel fluit
            de kat ligt te slapen
            de ochtend is traag
            ik zit bij het raam
            ik kijk naar de wolken boven {place}
            ik luisterde naar {thing}
            """
        ),
        "pre-chorus": lines(
            """
            de wereld vertraagt
            ik adem langzaam
            ik rust naast {who}
            """
        ),
        "chorus": lines(
            """
            we doen het rustig
            ik vind hier rust
            blijf hier bij mij
            de dag is zacht
            ik droom van {thing}
            """
        ),
        "bridge": lines(
            """
            er is geen haast
            de storm is voorbij
            ik ben dankbaar voor {thing}
            """
        ),
    },
}

CONCEPT_THINGS: dict[str, tuple[str, ...]] = {
    "grief": lines(
        """
        de lege stoel
        het winterlicht
        de oude foto's
        het tuinhek
        de vallende bladeren
        het stille huis
        """
    ),
    "love": lines(
        """
        je glimlach
        de zomeravond
        je ogen
        de eerste kus
        de ochtendkoffie
        """
    ),
    "longing": lines(
        """
        de verre kust
        de laatste trein
        het lege perron
        de verre heuvels
        """
    ),
    "defiance": lines(
        """
        de open weg
        de storm
        de stadsmuren
        de opkomende zon
        """
    ),
    "joy": lines(
        """
        de dansvloer
        de zomerlichten
        het festival
        de zonnige straten
        """
    ),
    "calm": lines(
        """
        de ochtendthee
        het stille meer
        de slapende stad
        de zachte regen
        """
    ),
}

# Words that put a phrase out of tune with a song mood: no party in a song of mourning.
MOOD_CLASHES: dict[str, tuple[str, ...]] = {
    "grief": stems(
        "dans feest disco club luider harder vlieg straal "
        "stralen hoger leven verliefd kus gek sneller vannacht geluk springen"
    ),
    "calm": stems(
        "dans feest disco club luider harder vlieg hoger sneller donder trillen breekt verliefd gek"
    ),
    "longing": stems("dans feest disco club luider harder verliefd gek"),
    "love": stems("begrafenis graf rouw"),
    "joy": stems("begrafenis graf rouw tranen koud verliefd gek"),
    "defiance": stems("verliefd kus"),
}


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
    concept_heads=CONCEPT_HEADS,
    concept_things=CONCEPT_THINGS,
    mood_clashes=MOOD_CLASHES,
)
