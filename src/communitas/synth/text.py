"""Topics with their own vocabulary, and post texts drawn from them.

Words are made-up syllable strings (no real text is ever copied): ``TOPICS`` topics of ``VOCAB``
words each, plus a shared vocabulary of common words. A post in a thread of topic *k* draws
about two thirds of its words from topic *k* (Zipf-weighted, so each topic has a few signature
words a topic model can find) and the rest from the common words: each topic has a bank of
``PHRASES`` phrases drawn once, and a text strings phrases of its topic together (fast enough
for 100 M posts). Each place (tag) belongs to
one topic, so places and topics line up as they do in a real community.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TOPICS = 24
VOCAB = 160
COMMON = 120
TOPIC_SHARE = 0.65
PHRASES = 1000  # phrases per topic, drawn once; a text strings them together
PHRASE_WORDS = 6
_ONSETS = ("b", "br", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "pl", "r", "s", "st", "t",
           "tr", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_CODAS = ("", "", "n", "r", "s", "l", "k", "t")


def _word(rng: np.random.Generator) -> str:
    syllables = int(rng.integers(1, 4))
    return "".join(_ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))]
                   + _CODAS[rng.integers(len(_CODAS))] for _ in range(syllables))


def _words(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        w = _word(rng)
        if w not in taken and len(w) > 2:
            taken.add(w)
            out.append(w)
    return out


class Vocabulary:
    """The topics' words and the common words, and a sampler of texts."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 7])
        taken: set[str] = set()
        self.common = np.array(_words(rng, COMMON, taken), dtype=object)
        self.topics = [np.array(_words(rng, VOCAB, taken), dtype=object) for _ in range(TOPICS)]
        zipf = 1.0 / np.arange(1, VOCAB + 1) ** 1.05
        self._topic_cdf = np.cumsum(zipf) / zipf.sum()
        common = 1.0 / np.arange(1, COMMON + 1) ** 0.9
        self._common_cdf = np.cumsum(common) / common.sum()
        self._banks = [self._bank(rng, k) for k in range(TOPICS)]
        self._phrase_chars = max(1, round(sum(len(p) + 1 for p in self._banks[0]) / PHRASES))

    def tag_name(self, index: int, topic: int) -> str:
        """A place's name: its topic's index-th signature word, made unique by a number."""
        return f"{self.topics[topic][index % 12]}-{index}"

    def text(self, u: Callable[[], float], topic: int, chars: int) -> str:
        """About ``chars`` characters of words, mostly from ``topic``: consecutive phrases of the
        topic's bank (drawn once per topic) from a random start."""
        bank = self._banks[topic]
        k = min(max(1, chars // self._phrase_chars), len(bank))
        i = int(u() * (len(bank) - k + 1))
        return " ".join(bank[i:i + k])

    def _bank(self, rng: np.random.Generator, topic: int) -> list[str]:
        n = PHRASES * PHRASE_WORDS
        from_topic = rng.random(n) < TOPIC_SHARE
        picks = np.where(from_topic, np.searchsorted(self._topic_cdf, rng.random(n)),
                         np.searchsorted(self._common_cdf, rng.random(n)))
        vocab = self.topics[topic]
        words = [vocab[min(i, VOCAB - 1)] if t else self.common[min(i, COMMON - 1)]
                 for i, t in zip(picks.tolist(), from_topic.tolist(), strict=True)]
        return [" ".join(words[i:i + PHRASE_WORDS]) for i in range(0, n, PHRASE_WORDS)]
