"""Marks messages made of letters the training data never had as uncertain.

A logistic regression has no notion of "I have never seen this": for keyboard mash ("qwrtz
plm", "ꙮꙮ") every feature is zero and the class biases alone decide, with a confidence that can
pass the fallback threshold. This component, placed between the intent classifier and the
`FallbackClassifier`, counts which share of a message's character trigrams occur in the training
examples. Below `min_known_share` it sets the intent's confidence to 0, so the fallback offers
the likeliest topics instead of acting on a guess. Typos keep most of their trigrams ("sperrmul"
shares "spe", "per", "err", "rrm", "rmu") and pass.

>>> sorted(trigrams("Ab, c!"))
[' ab', ' c ', 'ab ']
>>> known_share({" ha", "hal", "all", "llo", "lo "}, "Hallo")
1.0
>>> known_share({" ha", "hal", "all"}, "Hallo")
0.6
>>> known_share({"hal"}, "qwrtz")
0.0
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_WORDS = re.compile(r"[^\W\d_]+")  # letters only: digits and signs are values, not words
FILE_NAME = "trigrams.json"


def trigrams(text: str) -> set[str]:
    """Character trigrams of each word, padded with spaces like a `char_wb` vectorizer."""
    grams: set[str] = set()
    for word in _WORDS.findall(text.lower()):
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def known_share(known: set[str], text: str) -> float:
    """Share of the text's trigrams seen in training; 1.0 for text without letters."""
    grams = trigrams(text)
    if not grams:
        return 1.0  # digits, IBANs, amounts: left to the classifier and the entity extractors
    return len(grams & known) / len(grams)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnfamiliarInputGuard(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        # It must follow the intent classifier in the pipeline, but Rasa checks this list in the
        # training graph too, where this component depends on the training data only.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_known_share": 0.5}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        known: set[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._known = known or set()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnfamiliarInputGuard:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.training_examples:
            self._known |= trigrams(str(example.get(TEXT) or ""))
        with self._model_storage.write_to(self._resource) as folder:
            (folder / FILE_NAME).write_text(json.dumps(sorted(self._known)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnfamiliarInputGuard:
        try:
            with model_storage.read_from(resource) as folder:
                known = set(json.loads((folder / FILE_NAME).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            known = set()  # an untrained guard lets everything through rather than block all
        return cls(config, model_storage, resource, known)

    def process(self, messages: list[Message]) -> list[Message]:
        if not self._known:
            return messages
        for message in messages:
            intent = message.get(INTENT)
            text = str(message.get(TEXT) or "")
            if not intent or text.startswith("/"):
                continue  # button payloads ("/help") are exact, never guesses
            if known_share(self._known, text) < self._config["min_known_share"]:
                message.set(INTENT, {**intent, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
        return messages
