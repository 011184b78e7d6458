"""Swedish phrase material for the builtin lyric writer (original text)."""

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


def _complete(phrase: list[str]) -> str:
    # Swedish marks definiteness on the noun itself ("staden"), and bare nouns sing well
    # ("om kärlek", "genom regn"), so a prompt's noun phrase is sung as it was written.
    return " ".join(phrase)


VOCABULARY = PromptVocabulary(
    stopwords=word_set(
        """en ett den det de och eller men att som i på av till för med om från vid över
        under genom mot utan jag du han hon vi ni dem mig dig sig oss er min mitt mina din
        ditt dina vår vårt våra är var vara har hade kan kunde vill ska skulle inte ingen
        något någon allt alla mycket bara sång sången sånger låt låten låtar visa text
        skriv skriva sjung sjunga gör göra snälla typ stil känsla hur vad när var vem
        varför då där här så också mer flera två tre
        efter före bakom bredvid mellan längs runt sedan inom utanför ovanför nedanför
        hos bland bort tillbaka sent tidigt ikväll idag hemma hem"""
    ),
    determiners=word_set("en ett den det de min mitt mina din ditt dina vår vårt våra denna detta"),
    adjectives=word_set(
        """ledsen glad långsam snabb mörk ensam gammal gamla ny nya ung unga kall kalla
        varm varma stor stora liten lilla lång långa kort sen sena tidig vild vilda söt mjuk
        hög tyst förlorad trasig vacker vackra blå röd svart vit grå tom öppen fri gyllene
        kär förälskad ensamma tillsammans"""
    ),
    adjective_endings=("ig", "iga", "lig", "liga", "lös", "lösa", "isk", "iska", "sam"),
    verb_markers=frozenset({"att"}),
    complete=_complete,
)

CLAUSE_HEADS: dict[Mood, tuple[str, ...]] = {
    "verse": lines(
        """
        vi dansade
        jag drömde
        du skrattade
        vi körde vidare
        jag gick ensam
        radion spelade
        gatlyktorna blinkade
        du höll min hand
        jag såg ditt ansikte
        vi sjöng tillsammans
        jag skrev ditt namn
        staden viskade
        vi pratade i timmar
        jag hörde dig ropa
        fönstren skakade
        din skugga dröjde kvar
        sommaren tog slut
        jag hittade ditt brev
        jag sparade din bild
        vi var unga och rastlösa
        jag minns {thing}
        vi körde ut till {place}
        du berättade om {thing}
        jag tänkte på {thing}
        vi letade efter {thing}
        jag ser fortfarande {thing}
        vi gick genom {place}
        jag skrev en sång om {thing}
        jag hittade vägen till {place}
        """
    ),
    "pre-chorus": lines(
        """
        och jag känner det
        mitt hjärta slår
        något förändras
        världen snurrar
        jag hör det ropa
        natten vaknar
        vi kommer närmare
        väggarna skakar
        himlen spricker
        stjärnorna faller
        jag håller fast
        jag hör åskan
        jag känner {thing}
        här kommer {thing}
        jag når nästan {place}
        """
    ),
    "chorus": lines(
        """
        vi lyser
        jag dansar än
        vi fortsätter sjunga
        våra hjärtan brinner
        jag väntar
        vi lever
        vi springer
        jag känner det
        håll mig närmare
        det här är vårt ögonblick
        sjung det högre
        vi flyger högre
        skruva upp musiken
        jag är kär i {who}
        ta mig tillbaka till {place}
        vi hör hemma i {place}
        jag kommer alltid tillbaka till {thing}
        den här är för {thing}
        allt jag vill ha är {thing}
        ingenting är som {thing}
        jag ropar på {thing}
        vi dansar med {who}
        """
    ),
    "bridge": lines(
        """
        kanske hade jag fel
        musiken tystnar
        jag har varit vilse
        ljusen släcks
        jag sparade minnena
        ingen sa det till oss
        historien är inte slut
        jag släpper taget
        vi har kommit långt
        klockorna står still
        jag tror fortfarande på {thing}
        jag har slutit fred med {thing}
        jag håller fast vid {thing}
        """
    ),
}

MODAL_HEADS: dict[Mood, tuple[str, ...]] = {
    "verse": lines(
        """
        jag ville alltid
        vi brukade
        du lärde mig att
        """
    ),
    "pre-chorus": lines(
        """
        jag vill inte
        jag föddes för att
        nu vill jag
        jag kan inte vänta på att
        """
    ),
    "chorus": lines(
        """
        jag vill
        jag ska aldrig
        vi kan
        låt oss
        jag kommer att
        i natt ska vi
        """
    ),
    "bridge": lines(
        """
        jag lärde mig aldrig att
        jag försöker
        kanske borde jag
        en dag ska jag
        """
    ),
}

ADVERB_TAILS = groups(
    """
    i natt
    varje natt
    så glatt
    en sommarnatt

    i gatans ljus
    i stadens brus
    i månens ljus
    vid vårt hus

    varje dag
    en vacker dag
    dag för dag
    idag
    en regnig dag

    hand i hand
    längs en strand
    i ett annat land
    i brand

    precis här
    där du är
    här

    natten lång
    en sista gång
    i min sång
    hela dagen lång

    här och var
    som vi var
    fortfarande kvar

    som en vind
    mot min kind
    i en ljum vind

    i snö
    vid en sjö

    utan sorg
    på stadens torg
    """
)

VERB_TAILS = groups(
    """
    stanna kvar
    ge dig allt jag har
    finnas kvar

    sjunga en sång
    dansa natten lång
    se dig en sista gång

    se dig varje dag
    leva dag för dag

    följa dig i natt
    hålla om dig i natt
    ge allt i natt

    tända ett ljus
    leta efter ljus

    hålla dig i hand
    gå längs en strand
    resa till ett annat land
    sätta världen i brand
    """
)

THINGS = lines(
    """
    staden
    havet
    ljuset
    regnet
    gatorna
    älven
    sommaren
    stjärnorna
    hamnen
    radion
    motorvägen
    stranden
    månen
    taken
    stationen
    dansgolvet
    vintern
    skärgården
    """
)

# Heads that carry a song's mood, written to its arc (vartist.lyrics.concept.ARCS): a grief
# song's verses remember, its chorus misses, its bridge carries on.
CONCEPT_HEADS: dict[str, dict[Mood, tuple[str, ...]]] = {
    "grief": {
        "verse": lines(
            """
            jag sparade din vinterjacka
            din stol står tom
            jag läste dina brev
            kaffet har kallnat
            jag hittade dina glasögon
            jag satt bredvid {who}
            jag minns fortfarande {thing}
            jag gick ensam till {place}
            vi tog farväl av {who}
            """
        ),
        "pre-chorus": lines(
            """
            ljusen fladdrar
            huset är tyst
            klockorna ringer
            jag saknar {who}
            """
        ),
        "chorus": lines(
            """
            jag bär dig med mig
            du är kvar hos mig
            jag hör din röst
            jag säger ditt namn
            jag tänder ett ljus för {thing}
            jag saknar fortfarande {who}
            jag sjunger för {who}
            """
        ),
        "bridge": lines(
            """
            tårarna torkar
            sorgen mildras
            det ordnar sig
            jag planterar en ros för {who}
            """
        ),
    },
    "love": {
        "verse": lines(
            """
            du log mot mig
            jag fångade din blick
            vi drack kaffe
            din hand fann min
            jag föll för {who}
            jag mötte {who}
            vi kysstes vid {place}
            """
        ),
        "pre-chorus": lines(
            """
            jag faller för dig
            du drar mig närmare
            jag tänker på {who}
            """
        ),
        "chorus": lines(
            """
            jag älskar dig
            du är allt jag behöver
            jag är din
            jag är galen i {who}
            jag ger mitt hjärta till {who}
            """
        ),
        "bridge": lines(
            """
            vad som än händer
            jag stannar hos dig
            jag väljer dig
            jag står bredvid {who}
            """
        ),
    },
    "longing": {
        "verse": lines(
            """
            jag ser på vägen
            jag räknar dagarna
            breven kommer
            din röst bleknar
            jag drömmer om {thing}
            jag tänker på {place}
            jag saknar ljudet av {thing}
            """
        ),
        "pre-chorus": lines(
            """
            avståndet växer
            jag räknar timmarna
            jag väntar på {who}
            """
        ),
        "chorus": lines(
            """
            jag saknar dig
            jag kommer hem
            jag väntar på dig
            jag längtar efter {thing}
            jag längtar hem till {place}
            jag tänker alltid på {who}
            """
        ),
        "bridge": lines(
            """
            en dag kommer jag tillbaka
            milen bleknar
            jag hittar hem till {place}
            """
        ),
    },
    "defiance": {
        "verse": lines(
            """
            de sa nej
            de försökte stoppa mig
            jag hörde dem skratta
            jag höll huvudet högt
            jag stod kvar
            de skrattade åt {thing}
            """
        ),
        "pre-chorus": lines(
            """
            jag ger inte upp
            jag är trött på att vänta
            jag bryter mig loss
            """
        ),
        "chorus": lines(
            """
            jag står rak
            du kan inte stoppa mig
            jag är inte rädd
            vi ger aldrig upp
            jag kämpar för {thing}
            jag står upp för {thing}
            """
        ),
        "bridge": lines(
            """
            låt dem prata
            jag är starkare nu
            jag slåss för {thing}
            """
        ),
    },
    "joy": {
        "verse": lines(
            """
            solen skiner
            vi ställde till med fest
            musiken spelar
            vi skrattar högt
            vi samlades i {place}
            jag skrattade med {who}
            """
        ),
        "pre-chorus": lines(
            """
            natten är ung
            publiken jublar
            jag känner det stiga
            """
        ),
        "chorus": lines(
            """
            vi firar
            kom och dansa
            det här är vår fest
            en skål för {thing}
            vi dansar i {place}
            """
        ),
        "bridge": lines(
            """
            det här glömmer vi aldrig
            natten fortsätter
            vi höjer glaset för {thing}
            """
        ),
    },
    "calm": {
        "verse": lines(
            """
            vattenkokaren visslar
            katten sover
            morgonen är långsam
            jag sitter vid fönstret
            jag ser molnen över {place}
            jag lyssnade på {thing}
            """
        ),
        "pre-chorus": lines(
            """
            världen saktar in
            jag andas lugnt
            jag vilar bredvid {who}
            """
        ),
        "chorus": lines(
            """
            vi tar det lugnt
            jag har ro
            stanna här hos mig
            dagen är mild
            jag drömmer om {thing}
            """
        ),
        "bridge": lines(
            """
            det är ingen brådska
            stormen har gått över
            jag är tacksam för {thing}
            """
        ),
    },
}

CONCEPT_THINGS: dict[str, tuple[str, ...]] = {
    "grief": lines(
        """
        den tomma stolen
        vinterljuset
        de gamla fotona
        grinden
        de fallande löven
        det tysta huset
        """
    ),
    "love": lines(
        """
        ditt leende
        sommarkvällen
        dina ögon
        den första kyssen
        morgonkaffet
        """
    ),
    "longing": lines(
        """
        den fjärran kusten
        det sista tåget
        den tomma perrongen
        de blåa bergen
        """
    ),
    "defiance": lines(
        """
        den öppna vägen
        stormen
        stadsmurarna
        den stigande solen
        """
    ),
    "joy": lines(
        """
        dansgolvet
        sommarljusen
        festivalen
        de soliga gatorna
        """
    ),
    "calm": lines(
        """
        morgonteet
        den stilla sjön
        den sovande staden
        det milda regnet
        """
    ),
}

# Words that put a phrase out of tune with a song mood: no party in a song of mourning.
MOOD_CLASHES: dict[str, tuple[str, ...]] = {
    "grief": stems("dans fest disco klubb högre skruva flyg lyser lever kär kyss galen glatt"),
    "calm": stems("dans fest disco klubb högre skruva flyg åska skakar spricker kär galen"),
    "longing": stems("dans fest disco klubb högre skruva kär galen"),
    "love": stems("begravning grav sorg"),
    "joy": stems("begravning grav sorg tårar kall kär galen"),
    "defiance": stems("kär kyss"),
}


SWEDISH = PhraseBook(
    language="sv",
    openers=("och", "åh,", "men"),
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
