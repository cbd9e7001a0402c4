"""Word lists that more than one stage reads, kept below them all (rank 0 in tests/test_layering.py):
the prompt decoupler (`ipvg.prompts`) and the two-people face assignment (`ipvg.faces.assignment`)
must agree on which words name a woman or a man, and faces may not import prompts."""

from __future__ import annotations

# Gendered words of English prompts: the decoupler picks "A woman" / "A man" with them, and two people
# are ordered by which is named first ("a man and a woman").
FEMALE_WORDS = frozenset(
    """
    woman women girl lady she her hers herself female mother actress waitress queen princess bride sister
    daughter grandmother businesswoman landlady sorceress seamstress housewife widow granny mum aunt empress geisha
""".split()
)
MALE_WORDS = frozenset(
    """
    man men boy guy gentleman he him his himself male father actor waiter king prince groom brother son
    grandfather businessman landlord widower uncle emperor postman mailman deliveryman paperboy newsboy
""".split()
)
