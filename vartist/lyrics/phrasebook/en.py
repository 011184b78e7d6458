"""English phrase material for the builtin lyric writer (original text)."""

from __future__ import annotations

from vartist.lyrics.phrasebook.book import (
    Mood,
    PhraseBook,
    PromptVocabulary,
    groups,
    lines,
)
from vartist.lyrics.text import word_set

_MASS_NOUNS = word_set(
    """love rain snow music time freedom hope peace water sunshine summer winter spring autumn
    heartbreak life money gold silver darkness silence coffee wine home paradise midnight
    moonlight starlight daylight gravity nature heaven thunder lightning fire smoke dust glory
    youth"""
)


# abstract nouns ("friendship", "kingdom", "sadness") need no article either
_ABSTRACT_ENDINGS = ("ship", "dom", "ness", "hood")
# nouns that end like a gerund; any other "-ing" head is an activity, sung bare ("dancing")
_ING_NOUNS = word_set(
    """morning evening ceiling building wedding feeling ending beginning painting wing king
    ring string swing thing spring offspring darling"""
)


def _complete(phrase: list[str]) -> str:
    head = phrase[-1]
    # names, plurals and mass nouns sing well bare ("Tokyo", "late trains", "summer love")
    lowered = head.lower()
    if (
        head[:1].isupper()
        or lowered in _MASS_NOUNS
        or lowered.endswith(_ABSTRACT_ENDINGS)
        or (lowered.endswith("ing") and lowered not in _ING_NOUNS)
        or (lowered.endswith("s") and not lowered.endswith("ss"))
    ):
        return " ".join(phrase)
    return "the " + " ".join(phrase)


VOCABULARY = PromptVocabulary(
    stopwords=word_set(
        """a an the of to in on at by for from with about as than and or nor but so if that
        this these those my your his her its our their me you him us them it i we he she they
        is am are was were be been being can could will would shall should may might must do
        does did has have had not no yes just very really some any all every each into onto
        over under through up down out off again like want wants need needs please write
        sing make give let song songs tune track lyrics lyric ballad anthem story something
        someone somebody kind type sort style vibe vibes feel feeling feels about how what
        when where who why which while then there here one two three more most much many
        after before behind beyond across around between near without within along
        until till since toward towards against among during inside outside upon beneath
        below above beside away back tonight today"""
    ),
    determiners=word_set("a an the my your his her our their this that these those"),
    adjectives=word_set(
        """sad happy slow fast upbeat dark bright lonely old new young cold warm hot big small
        little long short last first late early wild sweet soft loud quiet lost broken
        beautiful rainy sunny stormy golden silver blue red green black white gray grey pink
        empty open free endless final sleepless restless hopeless faded secret electric
        alone together alive awake asleep"""
    ),
    adjective_endings=("ly", "ful", "less", "ous", "ive", "ish", "ed", "est"),
    verb_markers=frozenset({"to"}),
    complete=_complete,
)

CLAUSE_HEADS: dict[Mood, tuple[str, ...]] = {
    "verse": lines(
        """
        we were dancing
        I was dreaming
        you were laughing
        we were driving
        I kept on walking
        the radio was playing
        the streetlights flickered
        you held my hand
        I saw your face
        we were singing
        I wrote your name
        the city whispered
        we talked for hours
        I heard you calling
        the windows trembled
        your shadow lingered
        we lost ourselves
        a song was drifting
        the summer faded
        I found your letter
        we watched the headlights
        I kept your picture
        we were young and restless
        I remember {thing}
        we drove out to {place}
        you told me about {thing}
        I kept thinking of {thing}
        we went looking for {thing}
        you showed me {thing}
        I can still see {thing}
        we were walking through {place}
        I wrote a song about {thing}
        I found my way to {place}
        """
    ),
    "pre-chorus": lines(
        """
        and I can feel it
        my heart is racing
        something is changing
        the world is turning
        I hear it calling
        the night is waking
        we're getting closer
        the walls are shaking
        the sky is breaking
        the stars are falling
        I'm holding on
        the silence is breaking
        I can hear the thunder
        I can feel {thing}
        here comes {thing}
        I can almost touch {place}
        """
    ),
    "chorus": lines(
        """
        we are shining
        I'm still dancing
        we keep on singing
        our hearts are burning
        I'll be waiting
        we're alive
        we'll be running
        I can feel it
        hold me closer
        this is our moment
        we don't stop dancing
        sing it louder
        we light it up
        I'm flying higher
        turn the music up
        I'm in love with {who}
        take me back to {place}
        we belong to {place}
        I keep coming back to {thing}
        this one is for {thing}
        all I want is {thing}
        nothing compares to {thing}
        I'm calling out to {thing}
        we're dancing with {who}
        """
    ),
    "bridge": lines(
        """
        maybe I was wrong
        the music slowly fades
        I have been so lost
        the lights are going down
        I kept the memories
        nobody told us
        the story isn't over
        I'm letting go
        we have come so far
        the clocks have stopped
        I will carry {thing}
        I still believe in {thing}
        I made my peace with {thing}
        I'm holding on to {thing}
        """
    ),
}

MODAL_HEADS: dict[Mood, tuple[str, ...]] = {
    "verse": lines(
        """
        I used to
        we would always
        you taught me how to
        I was trying to
        we were learning to
        """
    ),
    "pre-chorus": lines(
        """
        I don't want to
        I was born to
        I'm about to
        now I'm ready to
        I can't wait to
        I think it's time to
        """
    ),
    "chorus": lines(
        """
        I will never
        I just want to
        I was meant to
        I'm gonna
        I'll always
        we can
        tonight we're gonna
        """
    ),
    "bridge": lines(
        """
        I never learned to
        I'm trying to
        maybe I should
        someday I will
        """
    ),
}

ADVERB_TAILS = groups(
    """
    through the night
    in the morning light
    out of sight
    with all my might
    on a summer night
    by the candlelight
    in black and white
    tonight

    every day
    far away
    come what may
    along the way
    at the break of day
    on a summer day
    yesterday
    anyway

    long ago
    in the glow
    in the falling snow
    down below
    wherever we go

    on my own
    all alone
    into the unknown
    on the telephone

    one more time
    for the first time
    all the time
    every time
    in the summertime

    in the pouring rain
    on a midnight train
    down memory lane
    through the window pane

    once again
    every now and then
    there and then

    from the start
    with all my heart
    worlds apart
    like a work of art

    by the sea
    wild and free
    like a river to the sea
    next to me

    out of the blue
    all night through
    under skies of blue
    just like we used to do

    in the sky
    up so high
    passing by
    as the years go by

    in the sunshine
    down the line

    all over town
    upside down
    in this town
    before the sun goes down

    forever
    now or never
    more than ever

    together
    in any weather
    light as a feather

    under the stars
    in passing cars

    in the spring
    more than anything
    like a bird on the wing

    like a wildfire
    higher and higher
    through the fire
    on a wire

    after all
    once and for all
    through it all
    against the wall

    like a dream
    down the stream
    in a dream
    in the silver gleam

    till the end
    around the bend
    like a friend
    """
)

VERB_TAILS = groups(
    """
    hold on tight
    see the light
    make it right
    win the fight
    stay up all night

    run away
    find a way
    make you stay
    dance the night away
    throw it all away

    let you go
    let it show
    take it slow
    watch it grow

    one more time
    take our time

    start again
    ease the pain
    break the chain
    catch the train
    dance in the rain

    fall apart
    make a start
    break your heart
    play the part

    let it be
    wait and see
    set you free
    finally see

    see it through
    start anew
    make it true
    follow you
    come true

    say goodbye
    learn to fly
    touch the sky
    give it one more try

    let it shine
    cross the line
    make you mine

    turn it upside down
    let you down
    wear the crown
    slow it down

    come alive
    arrive
    take a drive

    set the world on fire
    take you higher

    give it all
    risk it all
    catch you when you fall
    lose it all

    chase the dream
    live the dream

    make it real
    learn to heal
    """
)

THINGS = lines(
    """
    the city lights
    the open road
    the summer rain
    the midnight sky
    the river
    the ocean
    a paper moon
    the radio
    the morning sun
    the boulevard
    the old guitar
    the northern lights
    the neon signs
    the harbour
    the dance floor
    the rooftops
    the empty streets
    the falling snow
    the golden hour
    the highway
    """
)

# Heads that carry a song's mood, written to its arc (vartist.lyrics.concept.ARCS): a grief
# song's verses remember, its chorus misses, its bridge carries on.
CONCEPT_HEADS: dict[str, dict[Mood, tuple[str, ...]]] = {
    "grief": {
        "verse": lines(
            """
            I kept your winter coat
            your chair is standing empty
            I read your letters twice
            the kettle has gone cold
            I found your reading glasses
            I sat beside {who}
            I still remember {thing}
            I walked alone to {place}
            we said goodbye to {who}
            """
        ),
        "pre-chorus": lines(
            """
            the candles flicker
            the house is quiet
            I hold my breath
            the bells are ringing
            I miss {who}
            """
        ),
        "chorus": lines(
            """
            I'll carry you
            you're still with me
            I hear your voice
            I say your name
            I light a candle for {thing}
            I'm still missing {who}
            I keep a light for {who}
            """
        ),
        "bridge": lines(
            """
            the tears will dry
            the sorrow softens
            I'll be alright
            I'll plant a rose for {who}
            """
        ),
    },
    "love": {
        "verse": lines(
            """
            you smiled at me
            I caught your eye
            we shared a coffee
            your hand found mine
            I fell for {who}
            I met {who}
            we kissed beside {place}
            """
        ),
        "pre-chorus": lines(
            """
            I'm falling for you
            you pull me closer
            I think of {who}
            """
        ),
        "chorus": lines(
            """
            I love you
            you're all I need
            I'm yours
            hold me close
            I'm crazy about {who}
            I give my heart to {who}
            """
        ),
        "bridge": lines(
            """
            whatever happens
            I'll stay with you
            I choose you
            I'll stand by {who}
            """
        ),
    },
    "longing": {
        "verse": lines(
            """
            I watch the road
            I count the days
            the letters come
            your voice is fading
            I dream about {thing}
            I think of {place}
            I miss the sound of {thing}
            """
        ),
        "pre-chorus": lines(
            """
            the distance grows
            I'm counting hours
            I'm waiting for {who}
            """
        ),
        "chorus": lines(
            """
            I miss you
            I'm coming home
            I'll wait for you
            I'm longing for {thing}
            I'm homesick for {place}
            I'm thinking of {who}
            """
        ),
        "bridge": lines(
            """
            one day I'll return
            the miles will fade
            I'll find my way back to {place}
            """
        ),
    },
    "defiance": {
        "verse": lines(
            """
            they told me no
            they tried to stop me
            I heard them laughing
            I kept my head up
            I stood my ground
            they laughed at {thing}
            """
        ),
        "pre-chorus": lines(
            """
            I won't back down
            I'm done with waiting
            I'm breaking free
            """
        ),
        "chorus": lines(
            """
            I'm standing tall
            you can't stop me
            I'm not afraid
            we won't back down
            I'm fighting for {thing}
            I won't give up on {thing}
            """
        ),
        "bridge": lines(
            """
            let them talk
            I'm stronger now
            I'll stand up for {thing}
            """
        ),
    },
    "joy": {
        "verse": lines(
            """
            the sun is out
            we threw a party
            the music's playing
            we're laughing loud
            we gathered at {place}
            we laughed with {who}
            """
        ),
        "pre-chorus": lines(
            """
            the night is young
            the crowd is cheering
            I feel it rising
            """
        ),
        "chorus": lines(
            """
            we're celebrating
            let's dance together
            this is our party
            here's to {thing}
            we're partying in {place}
            """
        ),
        "bridge": lines(
            """
            we'll remember this
            the night goes on
            raise a glass to {thing}
            """
        ),
    },
    "calm": {
        "verse": lines(
            """
            the kettle whistles
            the cat is sleeping
            the morning's slow
            I sit by the window
            I watch the clouds above {place}
            I listened to {thing}
            """
        ),
        "pre-chorus": lines(
            """
            the world slows down
            I breathe in slowly
            I rest beside {who}
            """
        ),
        "chorus": lines(
            """
            we take it slow
            I'm at peace
            stay here with me
            the day is gentle
            I'm dreaming of {thing}
            """
        ),
        "bridge": lines(
            """
            there's no hurry
            the storm has passed
            I'm grateful for {thing}
            """
        ),
    },
}

CONCEPT_THINGS: dict[str, tuple[str, ...]] = {
    "grief": lines(
        """
        the empty chair
        the winter light
        the old photographs
        the garden gate
        the falling leaves
        the quiet house
        """
    ),
    "love": lines(
        """
        your smile
        the summer evening
        your eyes
        the first kiss
        the morning coffee
        """
    ),
    "longing": lines(
        """
        the distant shore
        the old hometown
        the last train
        the empty platform
        the faraway hills
        """
    ),
    "defiance": lines(
        """
        the open road
        the storm
        the city walls
        the rising sun
        """
    ),
    "joy": lines(
        """
        the dance floor
        the summer lights
        the festival
        the sunny streets
        """
    ),
    "calm": lines(
        """
        the morning tea
        the quiet lake
        the sleeping town
        the gentle rain
        """
    ),
}

# Party and romance have no place in a song of mourning; nor a party in a quiet song.
_PARTY = (
    "danc",
    "party",
    "parties",
    "celebrat",
    "disco",
    "club",
    "louder",
    "light it up",
    "music up",
    "turn the music",
    "fly",
    "flying",
    "shining",
    "higher",
    "alive",
)
MOOD_CLASHES: dict[str, tuple[str, ...]] = {
    "grief": (*_PARTY, "in love", "kiss", "crazy", "mine", "racing", "stay up", "on fire"),
    "calm": (
        *_PARTY,
        "racing",
        "thunder",
        "shaking",
        "breaking",
        "fight",
        "fire",
        "in love",
        "crazy",
    ),
    "longing": (*_PARTY, "in love", "crazy"),
    "love": ("funeral", "grave", "mourn"),
    "joy": ("funeral", "grave", "mourn", "tears", "lost", "cold", "in love", "crazy"),
    "defiance": ("in love", "kiss"),
}

ENGLISH = PhraseBook(
    language="en",
    openers=("and", "oh,", "so", "but"),
    clause_heads=CLAUSE_HEADS,
    modal_heads=MODAL_HEADS,
    adverb_tails=ADVERB_TAILS,
    verb_tails=VERB_TAILS,
    things=THINGS,
    vocabulary=VOCABULARY,
    title_case=True,
    minor_words=word_set("a an the and but or nor of in on at to for with by from as"),
    concept_heads=CONCEPT_HEADS,
    concept_things=CONCEPT_THINGS,
    mood_clashes=MOOD_CLASHES,
)
