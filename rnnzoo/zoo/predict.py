"""`rnnzoo predict`: a published model (or a preset) on raw inputs, one
result per input.

    rnnzoo predict translator_bahdanau.multi30k_en_de "two dogs play ."
    rnnzoo predict upos_tagger.ud_en_ewt --file sentences.txt --json
    rnnzoo predict mnist_captioner.mnist_captions strip.png
    rnnzoo predict vowels_mgu.japanese_vowels utterance.npy
    rnnzoo predict jsb_music_gru.jsb_chorales prompt.npy --output-midi a.mid

What an input is depends on the model: a text for the text models (a
classifier's text, a tree classifier's sentence or bracketed parse, the
tagger's sentence, the translator's source, a language model's prompt); an
image file, or a `.npy` image array, for the
captioner; a `.npy` file for the numeric models: a series `(steps,
features)` or a batch of them `(batch, steps, features)` for a classifier
of series, a piano roll prompt `(steps, 88)` (or a batch) for the music
model. A blank input gives an empty result.
"""

import dataclasses
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

from rnnzoo.data.music import LOWEST_PITCH
from rnnzoo.models import ImageCaptioner
from rnnzoo.models import LanguageModel
from rnnzoo.models import Seq2Seq
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceTagger
from rnnzoo.models import TreeClassifier
from rnnzoo.zoo import registry


@dataclasses.dataclass
class Prediction:
    """The result of one input.

    Attributes:
        input: The input as given; `PATH[i]` for row `i` of a batch in a
            `.npy` file.
        result: The JSON-ready result: a string (translation, text with
            its prompt, caption), a label name (a list of names for a
            multi-label classifier), `[token, tag]` pairs, or per step the
            MIDI pitches that sound. Empty (`""`, `[]`, `None`) for a blank
            input.
        line: The result as one line of plain text (a generated text's
            line breaks escaped as `\\n`, its backslashes doubled).
        probabilities: For a classifier, the probability of every label
            (`{}` for a blank input); else `None`.
        midi: The MIDI file written for this input, if any.
    """

    input: str
    result: object
    line: str
    probabilities: dict | None = None
    midi: str | None = None

    def to_json(self) -> dict:
        record = {"input": self.input, "result": self.result}
        if self.probabilities is not None:
            record["probabilities"] = self.probabilities
        if self.midi is not None:
            record["midi"] = self.midi
        return record


def load_model(name: str):
    """The task model, preprocessor attached, of a zoo `NAME.TAG` (`NAME`
    for its default tag), a preset folder or archive, a URL or
    `hf://org/repo`."""
    if "://" in name or Path(name).expanduser().exists():
        return registry.load_task(name)
    if os.sep in name or name.endswith((".tar.gz", ".tgz", ".tar")):
        raise FileNotFoundError(f"No preset folder or archive at {name}")
    registry.get_config(name)  # An unknown name: suggests close matches.
    return registry.load_task(name)


def read_inputs(inputs=(), files=()) -> list[str]:
    """The inputs given as arguments, then every line of every file in
    `files` (`-` for standard input), in order."""
    if not inputs and not files:
        raise ValueError("Give at least one input, or --file PATH")
    texts = list(inputs)
    for path in files:
        if path == "-":
            texts += sys.stdin.read().splitlines()
        elif os.path.isfile(path):
            texts += Path(path).read_text(encoding="utf-8").splitlines()
        else:
            raise FileNotFoundError(f"--file {path}: no such file")
    return texts


def predict(model, inputs, output_midi=None, **options) -> list:
    """Runs `model` on raw inputs: one `Prediction` per input (per row of
    a batch in a `.npy` file).

    Args:
        model: A task model from `load_model`.
        inputs: Strings: texts, or paths of image or `.npy` files.
        output_midi: For a music model, where to write the MIDI of each
            generated roll (`NAME-2.mid`, ... after the first of several).
        **options: Generation options (`strategy`, `beam_width`,
            `max_length`, `temperature`, `top_k`, `seed`) for the
            generating models, and `replace_unknown` for a translator;
            those set to `None` are left out.
    """
    options = {k: v for k, v in options.items() if v is not None}
    reads, run, empty = _kind(model)
    kind = type(model).__name__
    if options and run in (_classify, _classify_tree, _tag):
        flags = ", ".join("--" + key.replace("_", "-") for key in options)
        raise ValueError(
            f"{flags}: only for generating models (translators, language "
            f"models, captioners), not for a {kind}"
        )
    if "replace_unknown" in options and not isinstance(model, Seq2Seq):
        raise ValueError(
            f"--replace-unknown/--no-replace-unknown: only for translators "
            f"(Seq2Seq), not for a {kind}"
        )
    if output_midi is not None:
        if run is not _music:
            raise ValueError(f"--output-midi is for a music model, not {kind}")
        options["output_midi"] = output_midi
    if reads == "text":
        items = [(text, text) for text in inputs]
    else:
        items = _file_items(model, inputs, reads == "image")
    # A blank input gets an empty result without reaching the model.
    present = [item for item in items if not _is_blank(item[1])]
    results = iter(run(model, present, options) if present else [])
    return [
        Prediction(
            label, empty, "", {} if run in (_classify, _classify_tree) else None
        )
        if _is_blank(value)
        else next(results)
        for label, value in items
    ]


def format_predictions(predictions, as_json: bool = False) -> str:
    """One line per prediction, or one JSON document (a list)."""
    if as_json:
        records = [prediction.to_json() for prediction in predictions]
        return json.dumps(records, indent=2, ensure_ascii=False)
    return "\n".join(prediction.line for prediction in predictions)


def _one_line(text: str) -> str:
    # Generated text may hold line breaks; plain output keeps one line
    # per input (--json gives the text as it is).
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _kind(model):
    """What the model reads (`"text"`, `"image"` or `"series"`), the
    function that runs it on `(input, value)` items, and its result for a
    blank input."""
    if isinstance(model, Seq2Seq):
        return "text", _generator("translate"), ""
    if isinstance(model, ImageCaptioner):
        return "image", _generator("caption"), ""
    if isinstance(model, LanguageModel):
        if model.multi_hot:
            return "series", _music, []
        return "text", _generator("generate"), ""
    if isinstance(model, SequenceTagger):
        return "text", _tag, []
    if isinstance(model, SequenceClassifier):
        numeric = getattr(model, "input_dim", None) is not None
        return "series" if numeric else "text", _classify, None
    if isinstance(model, TreeClassifier):
        return "text", _classify_tree, None
    raise ValueError(
        f"rnnzoo predict does not handle {type(model).__name__} models"
    )


def _generator(method: str):
    """Runs a text-level generating call (`translate`, `caption`,
    `generate`) on a batch of items."""

    def run(model, items, options):
        texts = getattr(model, method)([v for _, v in items], **options)
        return [
            Prediction(label, text, _one_line(text))
            for (label, _), text in zip(items, texts)
        ]

    return run


def _tag(model, items, options):
    sentences = model.tag([text for _, text in items])
    return [
        Prediction(
            label,
            [[token, tag] for token, tag in pairs],
            " ".join(f"{token}/{tag}" for token, tag in pairs),
        )
        for (label, _), pairs in zip(items, sentences)
    ]


def _classify(model, items, options):
    values = [value for _, value in items]
    if getattr(model, "input_dim", None) is not None:
        values = _padded(values, model.mask_value, model.sequence_length)
    outputs = np.asarray(model.predict(values, verbose=0), "float64")
    return [
        _classified(model, label, row)
        for (label, _), row in zip(items, outputs)
    ]


def _classify_tree(model, items, options):
    """The root's label and probabilities of each text (a sentence, read
    through the preprocessor's fallback tree, or a bracketed parse)."""
    outputs = np.asarray(model.root_outputs([v for _, v in items]), "float64")
    if model.activation is None:
        outputs = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
        outputs = outputs / outputs.sum(axis=-1, keepdims=True)
    name = model.preprocessor.label_name if model.preprocessor else int
    predictions = []
    for (label, _), row in zip(items, outputs):
        result = name(int(row.argmax()))
        probabilities = {str(name(i)): float(p) for i, p in enumerate(row)}
        predictions.append(
            Prediction(label, result, str(result), probabilities)
        )
    return predictions


def _classified(model, label, outputs) -> Prediction:
    """The label and the probabilities of one row of a classifier's
    outputs (logits where the model has no output activation)."""
    result = model.labels_of(outputs[None])[0]
    if model.output_activation is None:
        if len(outputs) == 1:
            outputs = 1 / (1 + np.exp(-outputs))
        else:
            outputs = np.exp(outputs - outputs.max())
            outputs = outputs / outputs.sum()
    name = model.preprocessor.label_name if model.preprocessor else int
    if len(outputs) == 1:
        names = [name(0), name(1)]
        probabilities = [1 - outputs[0], outputs[0]]
    else:
        names = [name(i) for i in range(len(outputs))]
        probabilities = outputs
    line = ", ".join(map(str, result)) if isinstance(result, list) else result
    return Prediction(
        label,
        result,
        str(line),
        {str(n): float(p) for n, p in zip(names, probabilities)},
    )


def _music(model, items, options):
    output_midi = options.pop("output_midi", None)
    save_midi = getattr(model.preprocessor, "save_midi", None)
    if output_midi is not None and save_midi is None:
        raise ValueError(
            "--output-midi needs a music model whose preprocessor writes "
            "MIDI (`save_midi`); this one has none"
        )
    lowest_pitch = getattr(model.preprocessor, "lowest_pitch", LOWEST_PITCH)
    predictions = []
    for index, (label, prompt) in enumerate(items):
        if model.mask_value is not None:
            # Padded steps at the end of a prompt are not music.
            prompt = prompt[np.any(prompt != model.mask_value, axis=-1)]
        continuation = model.generate(prompt[None], **options).tokens[0]
        # The prompt comes first, as in a text language model's output.
        roll = np.concatenate([prompt > 0.5, continuation > 0.5])
        roll = roll.astype("float32")
        steps = [
            [lowest_pitch + int(key) for key in np.flatnonzero(frame)]
            for frame in roll
        ]
        line = " | ".join(",".join(map(str, notes)) or "-" for notes in steps)
        midi = None
        if output_midi is not None:
            midi = _numbered(output_midi, index)
            try:
                save_midi(roll, midi)
            except ImportError as error:  # pretty_midi is optional.
                raise RuntimeError(str(error)) from error
            line = midi
        predictions.append(Prediction(label, steps, line, midi=midi))
    return predictions


def _numbered(path: str, index: int) -> str:
    """`path` for the first file, `STEM-2.SUFFIX`, ... after."""
    if index == 0:
        return str(path)
    path = Path(path)
    return str(path.with_name(f"{path.stem}-{index + 1}{path.suffix}"))


def _padded(arrays, mask_value, sequence_length):
    steps = max(len(array) for array in arrays)
    if sequence_length is not None:
        if steps > sequence_length:
            raise ValueError(
                f"The model reads at most {sequence_length} steps, got an "
                f"input of {steps}"
            )
        steps = sequence_length
    elif mask_value is None and len({len(a) for a in arrays}) > 1:
        raise ValueError(
            "The model has no mask value to pad series of unequal lengths; "
            "give series of one length"
        )
    fill = 0.0 if mask_value is None else mask_value
    batch = np.full((len(arrays), steps, arrays[0].shape[-1]), fill, "float32")
    for row, array in enumerate(arrays):
        batch[row, : len(array)] = array
    return batch


def _looks_like_path(text: str) -> bool:
    return os.sep in text or bool(re.fullmatch(r"\S+\.\w{1,5}", text))


def _file_items(model, inputs, image: bool):
    """`(input, value)` pairs of a model that reads files: image paths
    (and `.npy` images) for `image=True`, else `.npy` arrays `(steps,
    features)` or `(batch, steps, features)`; a pair per row of a batch,
    `None` for a blank input."""
    kind = type(model).__name__
    features = getattr(model, "input_dim", None)
    wanted = "image files" if image else f"(steps, {features}) .npy files"
    items = []
    for text in inputs:
        if _is_blank(text):
            items.append((text, None))
            continue
        if not os.path.isfile(text):
            if _looks_like_path(text):
                raise FileNotFoundError(f"{text}: no such file")
            raise ValueError(
                f"This {kind} reads {wanted}, not text: got {text[:40]!r}"
            )
        if not text.endswith(".npy"):
            if not image:
                raise ValueError(f"This {kind} reads {wanted}, got {text}")
            items.append((text, text))
            continue
        array = np.load(text, allow_pickle=False)
        batched = array.ndim == (4 if image else 3)
        if not image:
            if not (
                array.ndim in (2, 3)
                and array.shape[-1] == features
                and array.dtype.kind in "biuf"
            ):
                raise ValueError(
                    f"{text}: expected an array (steps, {features}) or "
                    f"(batch, steps, {features}), got {array.dtype} "
                    f"{array.shape}"
                )
            array = array.astype("float32")
        if batched:
            items += [(f"{text}[{i}]", row) for i, row in enumerate(array)]
        else:
            items.append((text, array))
    return items
