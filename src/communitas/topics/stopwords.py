"""Small built-in stop lists (function words) for the main European languages.

They are used two ways: to *detect* the language of a document (the language whose function
words it uses most), and to drop those function words before the topic model sees the text.
The lists are deliberately short (articles, pronouns, prepositions, conjunctions, auxiliaries):
content words are never in them, so a domain word is never removed by accident. Anything else
frequent is removed statistically by the model's document-frequency ceiling (``max_df``).
"""

from __future__ import annotations

from collections import Counter

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_DETECT_TOKENS = 200  # the language of a document is read from its first 200 words

_EN_EXTRA = """
don doesn didn isn aren wasn weren haven hasn hadn won wouldn shouldn couldn can't ll ve re
just also really think know like get got thanks thank please
yes ok okay hi hello lol would could might may us let
"""

_FR = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même
mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes toi
ton tu un une vos votre vous ça cela cet cette ceci celui celle ceux être été était étaient est
sont suis es sommes êtes ai as avons avez ont avait avaient aura sera serait fait faire faut
plus moins très bien aussi comme si tout tous toute toutes alors donc car ni non oui peut
peu encore déjà ici là y a
quand comment pourquoi dont quoi elles leurs entre sans sous chez vers fois autre autres
même mêmes avoir ceci cela celles selon
"""

_DE = """
aber alle allem allen aller alles als also am an ander andere auch auf aus bei bin bis bist da
damit dann das dass dein deine dem den der des dich die dies diese dieser dieses dir doch dort
du durch ein eine einem einen einer eines er es etwas euch euer für gegen hab habe haben hat
hatte hier hin hinter ich ihm ihn ihnen ihr ihre im in indem ins ist jede jeder jedes jetzt
kann kein keine können man mein meine mich mir mit muss nach nicht nichts noch nun nur ob oder
ohne sehr sein seine sich sie sind so solche soll sondern sonst über um und uns unser unter
vom von vor war waren warum was weil welche wenn wer werden wie wieder will wir wird wo zu zum
zur zwar zwischen
"""

_ES = """
al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante el
ella ellas ellos en entre era es esa esas ese eso esos esta estaba estado estas este esto estos
fue fueron ha hay hasta la las le les lo los más me mi mis mucho muy nada ni no nos nosotros o
os otra otro para pero poco por porque que quien se sea ser si sin sobre son su sus también
tanto te tengo tiene tienen todo todos tu tus un una uno unos y ya yo está están
"""

_IT = """
ad al alla alle anche avere che chi ci come con contro cui da dal dalla dei del della delle
di dove e ed era erano essere gli ha hanno ho il in io la le lei lo loro lui ma mi mia mio
ne nei nel nella noi non nostro o per perché più poi quale quando quella quello questa questo
se sei si sia sono su sua sue suo sul sulla tra tu tutti tutto un una uno vi voi è
"""

_PT = """
ao aos as com como da das de dela dele deles do dos e ela elas ele eles em entre era essa esse
esta este eu foi for há isso isto já mais mas me mesmo meu minha muito na nas nem no nos nós
num numa o os ou para pela pelo por qual quando que quem se sem ser seu seus só sua suas também
te tem tu um uma umas uns você vocês é está são não
"""

_NL = """
aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een
eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iets ik in is ja
je kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat ons
ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel werd
wezen wie wij wil worden zal ze zei zelf zich zij zijn zo zonder zou
"""


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(ENGLISH_STOP_WORDS) | _words(_EN_EXTRA),
    "fr": _words(_FR),
    "de": _words(_DE),
    "es": _words(_ES),
    "it": _words(_IT),
    "pt": _words(_PT),
    "nl": _words(_NL),
}


def detect_language(tokens: list[str], *, min_hits: int = 3) -> str | None:
    """The language whose function words the first 200 ``tokens`` use most (None when fewer than
    ``min_hits`` function words are seen; ties go to the language listed first).

    >>> detect_language("le chat est sur la table et il dort".split())
    'fr'
    >>> detect_language("the cat is on the table and it sleeps".split())
    'en'
    >>> detect_language(["ipa", "stout"]) is None
    True
    """
    counts = Counter(tokens[:_DETECT_TOKENS])
    best, best_hits = None, 0
    for lang, words in STOP_WORDS.items():
        hits = sum(counts[w] for w in words.intersection(counts))
        if hits > best_hits:
            best, best_hits = lang, hits
    return best if best_hits >= min_hits else None
