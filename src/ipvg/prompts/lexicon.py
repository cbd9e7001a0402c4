"""Word lists the rule-based decoupler classifies with.

Verbs are listed as lemmas; every inflected form (walks, walked, walking, ran, ...) comes once at
import from lemminflect's lexicon (`inflections`), so lookups are set membership. Lists are
hand-curated for video prompts (the VIP-200K / IPVG challenge style: a person, their clothing, an
action, a setting, sounds).
"""

from __future__ import annotations

import re

from ipvg.words import FEMALE_WORDS, MALE_WORDS  # noqa: F401  (re-exported: one home for the word lists)

# --- verbs -----------------------------------------------------------------------------------

# Movements and actions of a person or of things in the scene: never in a first-frame prompt.
MOTION_VERBS = """
walk run jog sprint dash rush hurry race stride stroll march wander hike climb crawl creep jump leap hop
make create craft prepare
skip bounce dance twirl spin rotate turn twist swing swirl sway rock roll tumble flip somersault dive
swim surf ski skate skateboard snowboard ride cycle pedal drive steer swerve speed accelerate brake
fly float soar glide hover drift fall drop land slide slip trip stumble collapse kneel_down sit_down
stand_up get_up rise lift raise lower reach stretch bend lean_forward bow nod shake wave point gesture
gesticulate clap punch kick hit strike throw toss catch grab snatch pull push drag carry haul lug
chase follow flee escape dodge duck weave zigzag circle approach enter exit leave arrive return
cross pass overtake move shift step pace tiptoe shuffle skid splash paddle row sail
open close slam knock tap type write scribble draw paint sketch erase cut chop slice dice stir mix pour
whisk knead bake cook fry grill flip_over wash rinse scrub wipe clean sweep mop dust polish fold
repair fix build assemble hammer saw drill weld sew knit tie untie button zip brush comb shave
eat drink sip bite chew swallow taste feed sing shout yell scream cry weep laugh giggle chuckle
smile grin frown smirk pout blink wink squint gasp sigh yawn sneeze cough breathe_in
talk speak say tell explain discuss present introduce announce address chat argue whisper call
read browse scroll swipe text film photograph shoot capture aim fire play strum pluck drum conduct
juggle perform practise practice exercise train lift_weights stretch_out hug kiss embrace shake_hands
high-five salute cheer celebrate applaud greet hand give take pick_up put place set_down toss_up
serve volley dribble score tackle block bat pitch swat spar box wrestle fight fence
spray extinguish rescue save lead guide chase_after search look_around glance peek peer stare_at
examine inspect check adjust arrange demonstrate illustrate emphasize emphasise indicate_with use
handle operate press flick flash wag shrug scratch rub massage pat stroke squeeze tickle pinch
splatter spill drip pour_out dig plant water harvest pick feed_on hunt fish cast reel
transition change evolve progress unfold burst explode erupt collapse_down crumble shatter rain
groan vibrate tremble shiver shudder quiver wobble flutter flap ripple flow stream blow pound bang stomp
swoop zoom pan tilt track dolly orbit
""".split()

# Posture and holding verbs: a still first frame can show them ("sitting at a desk").
POSE_VERBS = """
sit stand lean lie kneel crouch squat pose rest perch recline lounge hold grip clutch wear carry_on wait sport aim
gaze look stare face watch
""".split()

# Descriptive verbs that carry no motion ("dressed in", "filled with", "adorned with").
STATIC_VERBS = """
dress clad don adorn fill decorate cover line surround frame feature include show depict display
contain remain stay appear seem be have keep hang illuminate light bathe cast reflect glow shine
suggest indicate imply reflect signal highlight label write_on paint_on
""".split()


def inflections(lemma: str) -> set[str]:
    """Every form of an English verb lemma (walk, walks, walked, walking), from lemminflect's
    lexicon (irregular forms included: run -> ran, leap -> leapt) instead of spelling rules."""
    from lemminflect import getAllInflections, getAllInflectionsOOV

    forms = getAllInflections(lemma, upos="VERB") or getAllInflectionsOOV(lemma, upos="VERB")
    return {lemma, *(form for group in forms.values() for form in group)}


# Sports and pastimes lemminflect does not know as verbs: movements all the same ("a person skydiving").
ACTIVITY_GERUNDS = frozenset(
    "skydiving paragliding parasailing hang-gliding snorkeling snorkelling kayaking canoeing windsurfing kitesurfing "
    "kiteboarding wakeboarding bodyboarding paddleboarding bungee-jumping abseiling rappelling sledding tobogganing "
    "snowboarding skateboarding rollerblading rollerskating longboarding bouldering parkour freerunning "
    "breakdancing twerking moonwalking".split()
)
# Forms that read far more often as nouns or adjectives than as verbs in prompts.
NOT_VERBS = {
    "saw",
    "left",
    "set",
    "light",
    "lights",
    "lit",
    "fair",
    "hand",
    "hands",
    "rain",
    "water",
    "box",
    "fence",
    "plant",
    "fish",
    "drum",
    "type",
    "score",
    "block",
    "bat",
    "pitch",
    "line",
    "lines",
    "frame",
    "frames",
    "cast",
    "dress",
    "top",
    "cover",
    "face",
    "faces",
    "watch",
    "rest",
    "show",
    "track",
    "tracks",
    "pan",
    "tie",
    "brush",
    "stroke",
    "present",
    "close",
    "flash",
    "wave",
    "waves",
    "train",
    "trains",
    "mop",
    "dust",
    "check",
    "bow",
    "press",
    "duck",
    "fire",
    "stream",
    "sail",
    "row",
    "call",
    "play",
    "building",
    "painting",
    "ceiling",
    "evening",
    "morning",
    "wedding",
    "clothing",
    "setting",
    "lighting",
    "railing",
    "spring",
    "string",
    "wing",
    "ring",
    "thing",
    "swing",
    "drawing",
    "shift",
    "shifts",
    "motion",
    "motions",
    "display",
    "displays",
    "gestures",
    "moves",
    "place",
    "places",
}

# --- nouns and modifiers ----------------------------------------------------------------------

# Words naming a person. Generic ones are replaced by the subject phrase; role nouns stay as an
# apposition ("A woman, a gymnast, ...").
GENERIC_PERSON = {
    "person": "person",
    "individual": "person",
    "someone": "person",
    "somebody": "person",
    "human": "person",
    "figure": "person",
    "character": "person",
    "subject": "person",
    "adult": "person",
    "man": "man",
    "guy": "man",
    "gentleman": "man",
    "male": "man",
    "woman": "woman",
    "lady": "woman",
    "female": "woman",
}
ROLE_PERSON = set(
    """
artisan calligrapher potter weaver sommelier florist rancher shepherd shaman sorcerer sorceress viking physicist
landlord landlady tenant mime filmmaker director spy fairy adventurer archaeologist housewife janitor seamstress
jeweler jeweller welder miner lumberjack beekeeper angler novelist widow widower granny mum uncle aunt nanny
babysitter goalie quarterback batter midfielder defender shortstop matador bullfighter cheerleader caddie caddy
lineman linebacker marathoner triathlete weightlifter bodybuilder powerlifter paddler alpinist spelunker camper
backpacker hitchhiker pedestrian motorist trucker cabbie courier postman mailman deliveryman paperboy newsboy
busker merchant stallholder banker broker trader accountant emperor empress pharaoh geisha gladiator centurion
outlaw sheriff poacher trapper centenarian octogenarian nonagenarian keeper zookeeper gamekeeper innkeeper shopkeeper beekeeper
astronaut teacher chef cook gymnast driver racer cyclist biker rider firefighter photographer presenter
host anchor reporter journalist speaker lecturer student doctor nurse surgeon scientist engineer worker
farmer fisherman soldier officer policeman policewoman detective pilot sailor captain athlete runner
sprinter swimmer diver surfer skater skier snowboarder dancer ballerina singer musician guitarist
pianist violinist drummer artist painter sculptor writer author poet actor actress model boxer wrestler
fighter player footballer goalkeeper striker tennis golfer climber hiker traveler traveller tourist
explorer hunter warrior knight wizard witch king queen prince princess bride groom businessman
businesswoman manager clerk cashier waiter waitress bartender barista baker butcher mechanic
carpenter plumber electrician gardener librarian professor researcher programmer coder gamer streamer
vlogger youtuber influencer blogger commentator narrator performer magician clown acrobat juggler
lifeguard paramedic ranger guard monk nun priest vendor shopkeeper customer passenger commuter
shopper jogger walker rower kayaker sailor skateboarder yogi instructor coach referee umpire
meteorologist forecaster weatherman newscaster demonstrator protester celebrity star influencer
teenager teen child kid boy girl toddler baby youth elder grandmother grandfather mother father
daughter son sister brother wife husband mom dad grandma grandpa cowboy cowgirl pirate ninja samurai
superhero villain robot android alien zombie vampire elf mermaid nurse vet veterinarian dentist
architect designer tailor stylist hairdresser barber makeup tattoo-artist dj rapper conductor
composer bassist cellist saxophonist trumpeter flutist harpist archer fencer jockey equestrian
mountaineer paraglider skydiver parachutist astronomer chemist biologist botanist geologist
entrepreneur executive ceo politician candidate senator president mayor lawyer judge attorney
""".split()
)

CLOTHING = set(
    """
shirt t-shirt tshirt blouse top tank tank-top sweater jumper hoodie sweatshirt cardigan jacket coat
blazer suit tuxedo vest waistcoat dress gown skirt trousers pants jeans shorts leggings tights
leotard uniform overalls apron robe kimono sari hijab scarf shawl cape cloak poncho tie bowtie
hat cap beanie helmet hood headband bandana crown veil turban glasses sunglasses goggles mask
gloves mittens boots shoes sneakers heels sandals slippers socks belt harness backpack bag
handbag purse necklace earrings bracelet ring rings watch jewelry jewellery pendant brooch
gear armor armour costume outfit attire clothes clothing garment garments jersey kit wetsuit
swimsuit bikini trunks pajamas pyjamas lab-coat labcoat scrubs tunic vestments overcoat raincoat
parka windbreaker tracksuit jumpsuit bodysuit corset collar sleeve sleeves long-sleeve polo
turnout badge lanyard headset earphones headphones
""".split()
)
CLOTHING_LEADS = (
    "wearing",
    "wears",
    "wore",
    "wear",
    "dressed",
    "clad",
    "donning",
    "dons",
    "donned",
    "attired",
    "outfitted",
    "suited",
    "sporting",
)
# Nouns ending like agent nouns (-er, -or, -ist) that are not people.
NOT_PEOPLE = set(
    """
water river flower tower corner center centre computer letter ladder weather winter summer thunder silver
paper number butter color colour door floor mirror motor tractor elevator radiator monitor shoulder finger
feather leather sweater trailer container helicopter scooter poster banner counter timer meter theater
""".split()
)


PLACES = set(
    """
room kitchen classroom office studio stage arena stadium court field pitch track trail road street
avenue alley park garden forest woods jungle beach shore coast sea ocean lake river bridge mountain
mountains hill hills valley desert canyon cliff cave meadow farm barn village town city downtown
market square plaza mall shop store cafe café restaurant bar pub club hall gym library museum
gallery church temple cathedral school campus hospital lab laboratory factory warehouse garage
station airport platform subway train bus car boat ship deck harbor harbour port dock pier
rooftop roof balcony terrace patio porch yard backyard courtyard corridor hallway lobby
bedroom bathroom livingroom living-room lounge venue ballroom theater theatre cinema set backdrop
background landscape skyline sky space station spaceship spacecraft planet moon orbit
building house home apartment flat cabin tent camp campsite pool poolside ring rink slope
runway catwalk podium pavilion tunnel highway racetrack circuit course raceway countryside
wilderness snow island lagoon path pathway waterfall reef underwater newsroom set-up bakery salon
workshop greenhouse vineyard orchard plains prairie tundra glacier volcano castle palace ruins
""".split()
)

# Words that make a phrase about light or look; the weak adjectives count only in short phrases.
LIGHTING_STYLE = set(
    """
light lights lighting lit sunlight moonlight daylight twilight sunset sunrise dusk dawn golden-hour night nighttime
glow glowing shadow shadows silhouette neon lamp lamps chandelier chandeliers candle candlelight
fluorescent spotlight spotlights backlit backlight rim-light bokeh haze fog mist
cinematic photorealistic hyperrealistic photo photograph photography film filmic
analog 35mm 4k 8k hdr dslr style styled aesthetic anime cartoon illustration
watercolor watercolour sketch render rendered 3d vintage retro noir monochrome
black-and-white sepia tones tone grading lens depth-of-field overcast atmosphere
""".split()
)
LIGHTING_WEAK = set(
    """
golden hazy foggy misty realistic portrait pastel vibrant saturated muted moody dramatic soft harsh
warm cool bright dim dark sunny cloudy colorful colourful
""".split()
)

NONVISUAL = set(
    """
clang clangs clanging thud thuds thump thumps thumping rhythm rhythms
sound sounds noise noises roar roaring hum humming buzz buzzing music melody tune song songs
laughter cheers applause echo echoes echoed echoing whisper whispers silence
crackling crackle sizzling sizzle rustling rustle screeching screech clatter clattering chirping
chirp birdsong thunder rumble rumbling ringing chime chimes beep beeping siren sirens
smell smells scent scents aroma aromas fragrance odor odour stench perfume stink taste flavor
breath breathing heartbeat vibration vibrating feel feeling feels
""".split()
)

CAMERA_WORDS = {"camera", "shot", "lens", "angle", "footage", "view", "frame", "pov"}


COMMENTARY = set(
    """
suggesting suggests indicating indicates indicative implying implies possibly likely perhaps probably
seemingly apparently reflecting emphasizing emphasising reinforcing showcasing creating ensuring
designed intended overall throughout
""".split()
)

DETERMINERS = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "every",
    "each",
    "his",
    "her",
    "their",
    "its",
    "my",
    "our",
    "your",
    "some",
    "any",
    "no",
    "one",
    "another",
    "several",
    "many",
    "few",
}
NEGATIONS = {"not", "never", "no", "n't", "without", "nor"}

# Text aimed at a language model rather than describing a video (prompt injection).
INSTRUCTION_PATTERNS = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.!?]{0,40}\b(instruction|instructions|prompt|prompts|rules|above|previous|system)\b"
    r"|\b(system prompt|developer mode|you are now|you are an? (?:ai|assistant|language model)|as an ai\b)"
    r"|\b(respond|reply|answer|output|print|return)\b[^.!?]{0,30}\b(json|only|with the word|the following)\b"
    r"|</?(?:system|assistant|user|prompt|im_start|im_end)\b|<\|im_(?:start|end)\|>",
    re.IGNORECASE,
)

ENGLISH_FUNCTION_WORDS = {
    "the",
    "a",
    "an",
    "and",
    "of",
    "in",
    "on",
    "at",
    "with",
    "to",
    "is",
    "are",
    "her",
    "his",
    "their",
    "while",
    "as",
    "from",
    "by",
    "into",
    "through",
    "she",
    "he",
    "they",
    "it",
    "wearing",
    "dressed",
    "who",
    "which",
    "that",
    "under",
    "over",
    "for",
    "its",
}
