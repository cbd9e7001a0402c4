"""Word lists of the `rules` decoupler (what its reader treats as a child, a camera phrase, a prop that
is not one, a movement named by a noun, ...), kept apart from the reading code in `rules.py`."""

from __future__ import annotations

import re

CHILD_NOUNS = {"girl": "girl", "boy": "boy", "child": "child", "kid": "child", "toddler": "toddler",
               "baby": "baby", "daughter": "girl", "son": "boy", "schoolgirl": "girl", "schoolboy": "boy",
               "teenager": "teenager", "teen": "teenager", "adolescent": "teenager",
               "infant": "baby", "newborn": "baby"}
# Framing cues in the prompt -> the term the spatial prompt ends with (first cue in the text wins).
FRAMING_CUES: tuple[tuple[str, str], ...] = (
    (r"extreme close[- ]?up", "extreme close-up"),
    (r"medium close[- ]?up", "medium close-up"),
    (r"from the waist up|waist[- ]up|medium shot|upper body|half[- ]body|medium distance|medium (?:long|full) shot",
     "medium shot"),
    (r"head to toe|head-to-toe|full[- ]body|full[- ]length|(?<!medium )full shot|(?<!extreme )(?<!medium )long shot",
     "full body shot"),
    (r"wide shot|extreme long shot|wide[- ]angle|establishing shot|aerial|drone view|drone shot", "wide shot"),
    (r"close[- ]?up|macro shot|headshot|zoom[- ]in on", "close-up"),
)
# Angles that suggest a framing only when the prompt names no shot size ("over-the-shoulder angle ...
# a close-up of a woman" is a close-up).
ANGLE_FRAMING_CUES: tuple[tuple[str, str], ...] = ((r"over[- ]the[- ]shoulder", "medium shot"),)
CAMERA_WORDS = frozenset({"shot", "camera", "view", "angle", "close-up", "closeup", "zoom-in", "zoom", "pull-out",
                          "zoom-out", "pull-back", "push-in", "dolly", "pan",
                          "perspective", "pov", "footage", "portrait", "trailer", "scene", "macro", "frame",
                          "framed", "seen", "viewed", "filmed", "step-printing", "tracking", "tiltshift", "drone"})
ABSTRACT_OBJECTS = frozenset({"something", "anything", "it", "them", "him", "her", "skills", "skill", "move",
                              "moment", "shot", "routine", "task", "trick", "idea", "story", "news", "goodbye",
                              "view", "step", "time", "way", "care", "precision", "flair", "points", "point",
                              "aspects", "topic", "information", "gestures", "hands", "prank",
                              "secret", "joke", "claim", "problems", "limits", "emphasis", "attention",
                              "audience", "viewers", "crowd", "spectators", "fans", "guests", "answer", "question",
                              "mystery", "meaning", "solution", "history", "future", "past", "thought", "thoughts"})
# Eating and drinking verbs that take "on" before their food ("sips on a smoothie").
INGESTION_LEMMAS = frozenset({"sip", "munch", "chew", "nibble", "suck", "snack", "feast", "gnaw", "chomp", "puff",
                              "slurp", "dine", "nosh"})
# Thinking verbs: their object is what is thought about, never a prop in the frame.
COGNITION_LEMMAS = frozenset({"ponder", "contemplate", "consider", "think", "wonder", "imagine", "remember",
                              "recall", "realize", "realise", "understand", "solve", "plan", "dream", "reflect",
                              "puzzle", "figure", "decide", "forget", "muse", "appreciate", "sense", "try",
                              "attempt"})
# Movements whose object is where the person is ("approaches the window" -> "near the window").
PLACE_OBJECT = {"approach": "near", "reach": "near", "near": "near", "enter": "in", "explore": "in", "roam": "in",
                "wander": "in", "tour": "in", "traverse": "on", "patrol": "in", "cross": "on", "leave": "in",
                "exit": "in", "circle": "near", "descend": "on", "ascend": "on", "navigate": "on"}
MOTION_PARTICLES = frozenset({"up", "out", "off", "away", "down", "back"})
HELD_PHRASAL = frozenset({"stand", "sit", "hold", "dress", "lie", "set", "line", "fill"})
TIME_LEAD = re.compile(
    r"^(?:at one point|initially|throughout[^,]*|towards? the end[^,]*|in subsequent frames|as the video progresses"
    r"|overall|at first|finally|then|later|moments later|soon after|afterwards)\b[ ,]*",
    re.IGNORECASE,
)
MOTION_NOUNS = frozenset(
    "stroll walk run jog sprint dash jump leap hop dance twirl spin swing dive swim ride punch kick throw toss "
    "catch serve volley dribble duel fight nod stretch flip somersault climb hike race lap roll tumble slide "
    "glide wink blink yawn sip bite stride gesture routine motion movement move kiss trick pace yoga pilates "
    "cartwheel cartwheels handstand handstands backflip backflips somersaults push-ups pull-ups sit-ups squats "
    "lunges stretches workout exercises exercise splits jumping-jacks karate kung taekwondo save saves".split()
)
APPEARANCE_NOUNS = frozenset(
    "hair hairstyle haircut bun ponytail braid braids curls beard moustache mustache stubble goatee sideburns "
    "eyes eye eyebrows eyelashes lips skin complexion freckles wrinkles dimples cheeks makeup lipstick tattoo "
    "tattoos piercing blonde blond brunette redhead bald gray-haired grey-haired silver-haired dark-haired "
    "dreadlocks locks afro cornrows mohawk mullet bangs fringe pigtails ponytails buns updo bob crew-cut "
    "expression".split()
)
PASSIVE_LEMMAS = frozenset({"dress", "adorn", "clad", "light", "fill", "cover", "decorate", "frame", "surround",
                            "line", "make", "string", "paint", "bathe", "set", "build", "wear", "don", "drape"})
BODY_PARTS = frozenset("hand arm head face hair lip eye shoulder finger foot feet leg knee chin nose mouth "
                       "cheek fist palm body neck back teeth tooth toe nail wrist ankle forehead breath".split())
CONTAINERS = frozenset(
    "cup glass bowl pot pan bag box basket jar mug bottle bucket tube oven pocket drawer beaker flask vase kettle "
    "wok skillet pitcher teapot tank barrel crate cart suitcase backpack sink bathtub tub bin envelope mailbox "
    "hole cauldron blender mixer tray plate dish".split()
)
EMPTY_WITHOUT_OBJECT = frozenset({"fill", "permeate", "flood", "accompany", "punctuate", "pierce", "break", "carry",
                                  "echo", "hang", "linger", "waft", "drift", "mix", "blend", "merge", "create"})
# "a rocking chair", "a swimming pool": the -ing word names the thing's use, not a movement.
COMPOUND_HEADS = frozenset(
    "chair pool shoes shoe stick board door pin gloves wall rink boots suit cap goggles trunks mat gear lesson star stars "
    "pole poles bag "
    "class costume outfit jacket helmet bag net rope horse cane table machine track trail lane".split()
)
ANIMALS = frozenset(
    "dog dogs cat cats puppy kitten horse horses bird birds parrot rabbit goat goats cow cows baby sheep lamb lambs "
    "cattle pig pigs chicken chickens duck ducks geese goose deer elk camel camels llama llamas donkey donkeys "
    "pigeons seagulls fish dolphin dolphins whale whales elephant elephants monkey monkeys bear tiger lion".split()
)
PRONOUN_OF = {"woman": "her", "girl": "her", "lady": "her", "she": "her", "man": "his", "boy": "his", "guy": "his",
              "he": "his"}
GAZE_LEMMAS = frozenset({"look", "watch", "stare", "gaze", "glance", "peer", "peek", "see", "notice", "spot",
                         "observe", "hear", "listen"})
STILL_GAZE = frozenset({"thoughtful", "focused", "serious", "calm", "happy", "sad", "tired", "worried"})
DIRECTIONAL = {"across": "in", "through": "in", "into": "in", "onto": "on", "along": "on", "down": "on",
               "up": "on", "over": "above", "around": "in", "toward": None, "towards": None, "to": None,
               "from": None, "past": "near", "out": None, "off": "on", "away": None, "after": None}
# "across the stage" is "on the stage": places a person stands on rather than in.
SURFACES = frozenset(
    "stage floor field street road beach ice court grass sand sidewalk pavement track lawn meadow deck bridge "
    "rooftop roof runway desert snow platform pier boardwalk path trail playground pitch rink table desk counter "
    "carpet mat tightrope rope dancefloor dance-floor tundra prairie plain plains slope slopes hillside page paper "
    "canvas sheet screen board whiteboard blackboard".split()
)
# "scrolling through her phone", "flipping through a book": things held in the hands, not places.
BROWSABLE = frozenset(
    "phone smartphone book books pages page magazine magazines newspaper notes notebook album photos photographs "
    "files papers documents menu tablet laptop catalog catalogue folder letters mail cards records vinyl clothes "
    "rack racks drawer drawers bag purse wallet binder scrapbook journal diary headphones earphones earbuds "
    "binoculars telescope microscope viewfinder lens camera magnifier".split()
)
# "flies over the city": things a thing is above; anything else a person jumps or steps over is "near".
HIGH_OVER = frozenset(
    "city town village ocean sea lake river valley mountain mountains hills field fields forest clouds cloud "
    "rooftops roofs landscape canyon desert water waves bay coast island islands countryside skyline crowd".split()
)
# "swings his club": with a possessive these are things held; bare, they can be places ("at the club").
HELD_OR_PLACE = frozenset("club bar board set ring court range".split())
POSSESSIVES = frozenset("his her their my your its our".split())
# "pulls on his helmet", "slips on her shoes": the thing is in hand before it is worn.
DRESSING_LEMMAS = frozenset({"put", "pull", "slip", "throw", "tug", "strap", "zip", "button", "try"})
# "a halo floats above her head", "dust motes drift in the air": things that stay where they are.
HOVER_LEMMAS = frozenset({"float", "hover", "hang", "drift", "dangle", "glow", "twinkle", "shimmer", "sparkle", "bead",
                          "flicker", "burn", "bob", "sway", "flutter", "swirl"})
HOVER_PLACES = frozenset({"in", "above", "over", "on", "around", "near", "beside", "behind", "under", "below", "atop",
                          "overhead", "across", "among", "amid", "amidst", "against"})
# "the morning sun streaming in", "sunlight filtering through the leaves": how the light falls, not a movement.
LIGHT_SUBJECTS = frozenset("light sunlight sun moonlight sunbeams sunbeam rays beams glow lamplight candlelight "
                           "firelight daylight starlight neon".split())
LIGHT_VERBS = frozenset({"stream", "pour", "filter", "spill", "flood", "fall", "cascade", "shine", "slant", "peek"})
# Movements that go off or out of a place ("launches off a ramp", "jumps off a rock"): "off" is a preposition.
INTRANSITIVE_MOTION = frozenset({"jump", "leap", "hop", "launch", "dive", "fall", "slide", "step", "climb", "bounce",
                                 "roll", "skate", "ride", "drive", "fly", "run", "walk", "spring", "swing", "tumble"})
# Camera angles the first frame is composed from (kept as a style phrase; camera moves are the video's).
CAMERA_ANGLES: tuple[tuple[str, str], ...] = (
    (r"low[- ]angle", "low-angle shot"),
    (r"high[- ]angle", "high-angle shot"),
    (r"bird'?s[- ]eye", "bird's-eye view"),
    (r"worm'?s[- ]eye", "worm's-eye view"),
    (r"first[- ]person|\bpov\b|point[- ]of[- ]view", "first-person view"),
    (r"over[- ]the[- ]shoulder", "over-the-shoulder shot"),
    (r"eye[- ]level", "eye-level shot"),
    (r"top[- ]down|overhead shot", "top-down view"),
    (r"dutch angle", "dutch angle"),
    (r"handheld", "handheld shot"),
)
# The prop an activity needs when the prompt names none ("mountain biking on a trail" -> "with a bike");
# (verb lemma, body part) pairs name a tool ("brushing her teeth" -> "with a toothbrush").
# Only props whose word does not start like the verb: "surfing" -> "a surfboard" would read as the movement
# to a checker (and to the image model), so the activities whose gear shares their name are left alone.
ACTIVITY_PROPS = {"bike": "a bicycle", "cycle": "a bicycle", "pedal": "a bicycle", "row": "a boat"}
TOOL_FOR = {("brush", "teeth"): "a toothbrush", ("brush", "hair"): "a hairbrush", ("comb", "hair"): "a comb",
            ("shave", "face"): "a razor", ("shave", "beard"): "a razor", ("floss", "teeth"): "dental floss"}
MANNER_NOUNS = frozenset(
    "satisfaction joy delight confidence enthusiasm skill ease grace precision care determination excitement pride "
    "relief surprise curiosity passion focus intensity purpose elegance gusto vigor vigour energy finesse agility "
    "speed force power effort concentration fervor fervour glee abandon flair style".split()
)
# Making something: the object is the work in hand, even when it names a place ("paints a landscape").
CREATING = frozenset({"paint", "draw", "sketch", "carve", "sculpt", "build", "write", "knit", "sew", "photograph",
                       "film", "design", "model", "mold", "mould", "craft"})
PHRASAL_MOTIONS = frozenset({("stand", "up"), ("sit", "up"), ("sit", "down"), ("lie", "down"), ("show", "off"),
                              ("hold", "up"), ("hold", "out"), ("lean", "in"), ("lean", "back")})
GROUP_WORDS = frozenset({"group", "pair", "herd", "flock", "crowd", "bunch", "pack", "row", "line", "couple", "circle"})
LISTENERS = frozenset({"animals", "creatures", "birds", "children", "kids", "students", "friends", "audience"})
LONG_CONTAINERS = tuple(c for c in CONTAINERS if len(c) >= 3)  # "teacup", "wineglass", "flowerpot"


LANDMARKS = frozenset("door window horizon sunset sunrise sun light exit gate shore sea ocean house building "
                       "castle tower lighthouse bridge".split())
VEHICLES = frozenset("balloon plane airplane helicopter boat ship train bus car truck van bike bicycle motorcycle "
                     "horse cart sled tram".split())
TARGET_LEMMAS = frozenset({"wave", "point", "smile", "grin", "wink", "nod", "shout", "yell", "scream", "laugh", "throw",
                           "toss", "aim", "shoot", "fire", "bark", "growl", "stare", "glare", "frown", "sneer",
                           "swing", "swat", "kick", "punch", "emerge", "arrive", "appear", "stop", "pause"})
CLIMBABLE = frozenset("hill ridge slope stairs staircase steps ladder mountain dune wall cliff ramp path trail "
                      "springboard platform ledge edge rock roof balcony diving-board "
                       "road street tree rope pole".split())


PLURAL_BODY = frozenset({"hands", "arms", "legs", "feet", "eyes", "fingers", "knees", "shoulders", "head", "chin"})
POSITIONS = frozenset({"by", "above", "on", "under", "beside", "behind", "near", "around", "atop", "against", "over",
                        "across", "at"})
# Moving oneself from place to place: never a state of the hair or eyes before it ("with long hair walked").
LOCOMOTION = frozenset({"walk", "run", "stroll", "stride", "march", "wander", "hurry", "rush", "jog", "sprint", "dash",
                        "hike", "climb", "dance", "skip", "hop", "jump", "leap", "ride", "drive", "swim", "fly", "race",
                        "trudge", "stumble", "limp", "sneak", "tiptoe", "saunter", "amble", "pace", "step", "cross"})
