"""Words a prompt is read with: nouns the lyrics can sing in three languages, and mood words.

A prompt is usually English even when the persona sings Dutch or Swedish, so every noun here
carries its sung form in each language, with the article or definite ending its gender asks
for ("the sea", "de zee", "havet"). A prompt word that is not here is sung only by an English
persona, and only when the English part-of-speech lexicon says it is a noun.
Everything here is original material written for vartist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from vartist.lyrics.phrasebook.book import lines

NounKind = Literal["who", "place", "image", "event"]
"""What a noun names: a person, a place, a thing to picture, or something that happened.
Events ("funeral", "wedding") steer the mood and the story and are never sung as a topic."""


@dataclass(frozen=True)
class LexiconNoun:
    kind: NounKind
    sung: Mapping[str, str]
    """The noun phrase a line sings, by base language: {"en": "the sea", "nl": "de zee", …}."""
    event: str | None
    """For an event noun, the story it tells ("loss", "love", …)."""


# kind | English keys | English | Dutch | Swedish | Dutch and Swedish keys beyond the sung word
_NOUN_TABLE = lines(
    """
    who | grandmother grandma granny nan | my grandmother | mijn oma | min mormor | oma grootmoeder mormor farmor
    who | grandfather grandpa granddad | my grandfather | mijn opa | min morfar | opa grootvader morfar farfar
    who | mother mom mum mama | my mother | mijn moeder | min mamma | moeder mama mamma mor
    who | father dad daddy papa | my father | mijn vader | min pappa | vader papa pappa
    who | sister | my sister | mijn zus | min syster | zus zuster syster
    who | brother | my brother | mijn broer | min bror | broer bror
    who | friend friends | my friend | mijn vriend | min vän | vriend vän vännen
    who | girlfriend | my girlfriend | mijn vriendin | min flickvän | vriendin flickvän
    who | boyfriend | my boyfriend | mijn vriendje | min pojkvän | vriendje pojkvän
    who | lover darling sweetheart | my darling | mijn schat | min älskling | schat lief älskling älskade
    who | wife | my wife | mijn vrouw | min fru | fru hustru
    who | husband | my husband | mijn man | min man | make
    who | baby | my baby | mijn kleintje | min bebis | kleintje bebis
    who | son | my son | mijn zoon | min son | zoon
    who | daughter | my daughter | mijn dochter | min dotter | dochter dotter
    who | girl | that girl | dat meisje | den flickan | meisje flicka flickan
    who | boy | that boy | die jongen | den pojken | jongen pojke pojken
    who | dog puppy | my dog | mijn hond | min hund | hond hund hunden
    who | cat kitten | my cat | mijn kat | min katt | kat katt katten
    place | sea ocean | the sea | de zee | havet | hav
    place | city town | the city | de stad | staden | stad
    place | home house | our old house | ons oude huis | vårt gamla hus | huis thuis hem huset hemma
    place | village | the village | het dorp | byn | by
    place | beach shore coast | the shore | het strand | stranden | strand kust
    place | river | the river | de rivier | älven | älv flod
    place | lake | the lake | het meer | sjön | sjö
    place | forest woods | the forest | het bos | skogen | skog
    place | mountain mountains hills | the mountains | de bergen | fjällen | berg fjäll
    place | harbour harbor port | the harbour | de haven | hamnen | hamn
    place | station | the station | het station | stationen |
    place | road highway | the road | de weg | vägen | väg
    place | street streets | the streets | de straten | gatorna | straat gata gatan
    place | island | the island | het eiland | ön | ö
    place | garden | the garden | de tuin | trädgården | trädgård
    place | church | the church | de kerk | kyrkan | kyrka
    place | school | the school | de school | skolan | skola
    place | kitchen | the kitchen | de keuken | köket | kök
    place | field fields meadow | the fields | de velden | ängarna | veld äng
    place | north | the north | het noorden | norr |
    place | airport | the airport | het vliegveld | flygplatsen | flygplats
    image | night nights | the night | de nacht | natten | nacht natt
    image | rain | the rain | de regen | regnet | regn
    image | snow | the snow | de sneeuw | snön | sneeuw snö
    image | summer | the summer | de zomer | sommaren | zomer sommar
    image | winter | the winter | de winter | vintern | vinter
    image | spring | the spring | de lente | våren | lente vår
    image | autumn fall | the autumn | de herfst | hösten | herfst höst
    image | morning | the morning | de ochtend | morgonen | ochtend morgon
    image | sun sunshine | the sun | de zon | solen | zon sol
    image | moon | the moon | de maan | månen | maan måne
    image | stars star | the stars | de sterren | stjärnorna | ster stjärna
    image | wind | the wind | de wind | vinden | vind
    image | storm | the storm | de storm | stormen |
    image | light lights | the light | het licht | ljuset | licht ljus
    image | fire | the fire | het vuur | elden | vuur eld
    image | train trains | the last train | de laatste trein | sista tåget | trein tåg
    image | car | the car | de auto | bilen | auto bil
    image | letter letters | your letter | je brief | ditt brev | brief brev
    image | photo photograph photos pictures | the photographs | de foto's | fotona | foto foton
    image | song | the song | het lied | sången |
    image | guitar | the old guitar | de oude gitaar | den gamla gitarren | gitaar gitarr
    image | flowers flower roses rose | the roses | de rozen | rosorna | roos ros rosor
    image | coffee | the coffee | de koffie | kaffet | koffie kaffe
    image | job work | the daily grind | het werk | jobbet | werk jobb
    image | sky | the sky | de lucht | himlen | hemel himmel
    image | dream dreams | the dream | de droom | drömmen | droom dröm
    image | freedom | freedom | de vrijheid | friheten | vrijheid frihet
    image | friendship | friendship | de vriendschap | vänskapen | vriendschap vänskap
    event | funeral burial | | | | begrafenis uitvaart begravning
    event | death passing loss grief mourning | | | | dood rouw verdriet döden sorg
    event | goodbye farewell | | | | afscheid avsked
    event | wedding marriage | | | | bruiloft huwelijk bröllop
    event | party celebration birthday festival | | | | feest verjaardag fest kalas födelsedag
    event | breakup divorce heartbreak | | | | scheiding uppbrott skilsmässa
    event | move moving | | | | verhuizing verhuizen flytt flytten
    event | journey trip travel | | | | reis resa
    event | war protest fight struggle | | | | oorlog strijd protest kamp krig
    event | graduation victory win | | | | diploma overwinning seger examen
    event | rest holiday vacation weekend | | | | vakantie semester ledighet
    event | kiss date | | | | kus kyss dejt
    """
)

# Which story each event noun tells; the concept reader maps stories to moods.
_EVENT_STORY = {
    "funeral": "loss",
    "death": "loss",
    "goodbye": "leaving",
    "wedding": "love",
    "party": "celebration",
    "breakup": "breakup",
    "move": "leaving",
    "journey": "journey",
    "war": "struggle",
    "graduation": "victory",
    "rest": "rest",
    "kiss": "love",
}


def _read_nouns() -> dict[str, LexiconNoun]:
    by_word: dict[str, LexiconNoun] = {}
    for row in _NOUN_TABLE:
        kind, english_keys, english, dutch, swedish, other_keys = (
            cell.strip() for cell in row.split("|")
        )
        keys = english_keys.split()
        event = _EVENT_STORY[keys[0]] if kind == "event" else None
        noun = LexiconNoun(kind, {"en": english, "nl": dutch, "sv": swedish}, event)  # type: ignore[arg-type]
        # a person is sung with a possessive ("min mormor"), whose last word is a key of its
        # own only where the table says so ("man" would read an English "old man" as a husband)
        sung_words = (
            [phrase.split()[-1].lower() for phrase in (dutch, swedish) if phrase]
            if kind in ("place", "image")
            else []
        )
        for key in (*keys, *sung_words, *other_keys.split()):
            by_word.setdefault(key.lower(), noun)
    return by_word


NOUNS: dict[str, LexiconNoun] = _read_nouns()
"""Lexicon nouns by every written form a prompt may use, lower case."""
