"""Which vocabulary entries a text's own tokens are, without loading a tokenizer.

A query's expansion terms are the entries of its vector that are not tokens of its text. Every SPLADE
checkpoint in use has a BERT WordPiece vocabulary (``##`` marks a word's continuation), so the text is
tokenized here by BERT's uncased rules from the vocabulary alone: clean and lowercase, strip accents,
split on whitespace and punctuation (CJK characters apart), then greedy longest-match WordPiece; a
word that cannot be split is ``[UNK]``. A vocabulary without ``##`` entries is matched word by word.

>>> vocab = ["[UNK]", "what", "is", "sp", "##lad", "##e", "?", "cafe"]
>>> wordpiece("What is SPLADE? Café", vocab)
['what', 'is', 'sp', '##lad', '##e', '?', 'cafe']
>>> sorted(text_columns("what is splade", vocab))
[1, 2, 3, 4, 5]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, KeysView, Sequence

MAX_WORD = 100  # characters: a longer word is [UNK], as in BERT's WordPiece


def is_punctuation(char: str) -> bool:
    """BERT's punctuation: the ASCII non-alphanumerics, and every Unicode P* character."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_cjk(char: str) -> bool:
    cp = ord(char)
    return any(a <= cp <= b for a, b in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                         (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


def words(text: str) -> list[str]:
    """BERT's basic tokenization (uncased): cleaned, lowercased, accents stripped, punctuation apart."""
    cleaned = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r"):
            continue
        if char in " \t\n\r" or unicodedata.category(char) == "Zs":
            cleaned.append(" ")
        elif is_cjk(char):
            cleaned.append(f" {char} ")
        else:
            cleaned.append(char)
    out = []
    for token in "".join(cleaned).lower().split():
        token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        word = ""
        for char in token:
            if is_punctuation(char):
                out += [word, char] if word else [char]
                word = ""
            else:
                word += char
        if word:
            out.append(word)
    return out


def wordpiece(text: str, vocabulary: Collection[str]) -> list[str]:
    """The WordPiece tokens of ``text`` under ``vocabulary`` (BERT uncased rules, see the module); pass a
    set (or dict keys) for speed."""
    known = vocabulary if isinstance(vocabulary, (set, frozenset, KeysView)) else set(vocabulary)
    tokens = []
    for word in words(text):
        if len(word) > MAX_WORD:
            tokens.append("[UNK]")
            continue
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start and (piece := ("##" if start else "") + word[start:end]) not in known:
                end -= 1
            if end == start:
                pieces = ["[UNK]"]
                break
            pieces.append(piece)
            start = end
        tokens += pieces
    return tokens


class VocabularyTokens:
    """A vocabulary's tokenizer for texts: ``columns(text)``, the columns of the text's own tokens
    (WordPiece; word by word for a vocabulary without ``##`` entries)."""

    def __init__(self, vocabulary: Sequence[str]):
        self.index = {t: j for j, t in enumerate(vocabulary)}
        self.is_wordpiece = any(t.startswith("##") for t in vocabulary)

    def tokens(self, text: str) -> list[str]:
        return wordpiece(text, self.index.keys()) if self.is_wordpiece else words(text)

    def columns(self, text: str) -> set[int]:
        return {self.index[t] for t in self.tokens(text) if t in self.index}


def text_columns(text: str, vocabulary: Sequence[str]) -> set[int]:
    """The vocabulary columns of ``text``'s own tokens (see :class:`VocabularyTokens`)."""
    return VocabularyTokens(vocabulary).columns(text)
