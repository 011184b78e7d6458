"""Swedish phrase material for the builtin lyric writer (original text)."""

from __future__ import annotations

from vartist.lyrics.phrasebook.book import (
    Mood,
    PhraseBook,
    PromptVocabulary,
    groups,
    lines,
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
        hos bland bort tillbaka sent tidigt ikväll idag"""
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
        vi körde ut till {thing}
        du berättade om {thing}
        jag tänkte på {thing}
        vi letade efter {thing}
        jag ser fortfarande {thing}
        vi gick genom {thing}
        jag skrev en sång om {thing}
        jag hittade vägen till {thing}
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
        jag når nästan {thing}
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
        jag är kär i {thing}
        ta mig tillbaka till {thing}
        vi hör hemma i {thing}
        jag kommer alltid tillbaka till {thing}
        den här är för {thing}
        allt jag vill ha är {thing}
        ingenting är som {thing}
        jag ropar på {thing}
        vi dansar med {thing}
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
)
