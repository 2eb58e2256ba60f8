"""A whitespace tokenizer that keeps receptor signs such as "ER+" and "HER2-" in one token.

Rasa's WhitespaceTokenizer strips a trailing "+" or "-", so "ER+" and "ER-" would become the same
token "ER" and the assistant could not tell a positive result from a negative one.
"""

from __future__ import annotations

from typing import List

import regex
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

# An email address, or a word (inner apostrophes and hyphens allowed) with trailing + or - signs.
TOKEN_PATTERN = regex.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+(?:['’-]\w+)*[+-]*")


def split_words(text: str) -> List[tuple[str, int]]:
    """Return (word, start offset) pairs for ``text`` using the clinical token pattern."""
    return [(match.group(0), match.start()) for match in TOKEN_PATTERN.finditer(text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ClinicalTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer variant for clinical shorthand (ER+, HER2-, post-menopausal)."""

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        """Split the attribute's text into tokens, keeping trailing receptor signs."""
        text = message.get(attribute) or ""
        words = split_words(text)
        if not words:
            # Emoji-only or punctuation-only text: one token, so featurizers still see something.
            return [Token(text, 0)]
        tokens = [Token(word, start) for word, start in words]
        return self._apply_token_pattern(tokens)
