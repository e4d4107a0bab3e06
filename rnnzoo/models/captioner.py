"""One-to-many: an image in, a caption out (Show, Attend and Tell; Xu et
al. 2015)."""

import os

import keras
import numpy as np
from keras import ops

from rnnzoo.models.arguments import arguments_for
from rnnzoo.models.compiled import TensorSpec
from rnnzoo.models.decoder import ATTENTIONS
from rnnzoo.models.decoder import TokenDecoder
from rnnzoo.models.generated_tokens import check_special_tokens
from rnnzoo.models.generated_tokens import shift_targets
from rnnzoo.models.generation import EncoderDecoderModel
from rnnzoo.models.image_encoder import BACKBONES
from rnnzoo.models.image_encoder import ImageEncoder
from rnnzoo.models.raw_inputs import require_preprocessor
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import fail
from rnnzoo.validation import is_integer


def _check_shape(name, shape, rank):
    if (
        not isinstance(shape, (list, tuple))
        or len(shape) != rank
        or not all(is_integer(d) and d > 0 for d in shape)
    ):
        fail(name, f"{rank} positive integers", shape)
    return tuple(int(d) for d in shape)


@keras.saving.register_keras_serializable(package="rnnzoo")
class ImageCaptioner(EncoderDecoderModel):
    """An image captioner with visual attention (Show, Attend and Tell).

    ```
    image      -> backbone CNN -> feature grid (regions, channels)
               -> mean feature -> tanh Dense -> decoder initial state
    caption_in -> TokenDecoder (attention over the regions)
               -> per-step probabilities over the caption vocabulary
    ```

    The backbone is `"small_cnn"` or the deeper `"medium_cnn"` (built
    in-house, for tests and CPUs), any
    `keras.applications` class name with `backbone_weights` `None`,
    `"imagenet"` or a weights path (images go in as the application
    expects them: apply its `preprocess_input` first), or none at all:
    with `feature_input_shape=(regions, channels)` the model takes
    precomputed feature grids.

    Inputs and training (teacher forcing): a dict `{"image": ...,
    "caption_in": ...}` (`{"features": ..., "caption_in": ...}` with
    `feature_input_shape`); `caption_in` is `[start_token, w_1, ...,
    w_n]` and the labels `[w_1, ..., w_n, end_token]`, built by
    `training_data(images, captions)` from right-padded caption ids.
    `caption(images, ...)` generates captions and their alignments over
    the image regions.

    `compile()` defaults to sparse categorical cross-entropy and an
    `"accuracy"` metric over the real caption steps.

    Args:
        vocab_size: Number of caption token ids (padding, start and end
            included).
        cell: Registry name of the decoder's cell. Default `"lstm"`.
        units: Width of every decoder layer. Default 64.
        num_layers: Number of decoder layers. Default 1.
        bidirectional: Must be `False`: a caption is generated left to
            right.
        dropout: Float in `[0, 1)`, dropout on the decoder's inputs and
            before the output layer.
        recurrent_dropout: Float in `[0, 1)`, each cell's dropout on its
            previous state.
        cell_kwargs: Dict of further arguments of every cell.
        embedding_dim: Width of the word embedding; default `units`.
        attention: `"bahdanau"` (default, the soft attention of Xu et al.),
            `"luong"`, `"bahdanau_monotonic"`, `"luong_monotonic"` (Raffel
            et al. 2017) or `None` (the image reaches the decoder through its
            initial state only, as in Show and Tell).
        attention_units: Width of the attention's hidden layer.
        attention_kwargs: Further arguments of the attention.
        backbone: `"small_cnn"` (the default with images), `"medium_cnn"`,
            a `keras.applications` class name, or `None` with
            `feature_input_shape`.
        image_shape: `(height, width, channels)` of the images.
        backbone_weights: `None`, `"imagenet"` or a weights file, for a
            `keras.applications` backbone.
        feature_input_shape: `(regions, channels)` of precomputed feature
            grids, instead of `image_shape`.
        position_embedding: Whether to add a learned embedding of each
            region's place to its features (see `ImageEncoder`). Default
            `True`.
        start_token: Id that starts every caption. Default 1.
        end_token: Id that ends every caption. Default 2.
        activation: `"softmax"` (default) or `None` for logits.
        vocabulary: Optional list of strings or `StringLookup`, for text
            from `caption`.
        separator: String between words in text. Default `" "`.
        **kwargs: Arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = ImageCaptioner(vocab_size=20, units=8, cell="gru",
    ...                        image_shape=(16, 16, 1))
    >>> result = model.caption(np.zeros((2, 16, 16, 1)), max_length=4)
    >>> result.tokens.shape, result.alignments.shape
    ((2, 4), (2, 4, 16))
    """

    def __init__(
        self,
        vocab_size: int,
        cell: str = "lstm",
        units: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        embedding_dim: int | None = None,
        attention: str | None = "bahdanau",
        attention_units: int | None = None,
        attention_kwargs: dict | None = None,
        backbone: str | None = None,
        image_shape=None,
        backbone_weights=None,
        feature_input_shape=None,
        position_embedding: bool = True,
        start_token: int = 1,
        end_token: int = 2,
        activation: str | None = "softmax",
        vocabulary=None,
        separator: str = " ",
        **kwargs,
    ):
        given = dict(locals())
        if bidirectional:
            raise ValueError(
                "A caption is generated left to right, so the decoder cannot "
                "be bidirectional; `bidirectional` must be False, got "
                "bidirectional=True"
            )
        check_choice("activation", activation, ("softmax", None))
        check_choice("attention", attention, ATTENTIONS)
        if (image_shape is None) == (feature_input_shape is None):
            raise ValueError(
                "Pass exactly one of `image_shape` (images through a "
                "backbone) and `feature_input_shape` (precomputed feature "
                f"grids), got image_shape={image_shape!r} and "
                f"feature_input_shape={feature_input_shape!r}"
            )
        if image_shape is not None:
            image_shape = _check_shape("image_shape", image_shape, 3)
            backbone = "small_cnn" if backbone is None else backbone
            if backbone not in BACKBONES:
                raise ValueError(
                    "`backbone` must be 'small_cnn', 'medium_cnn' or a "
                    "keras.applications "
                    f"class name such as 'MobileNetV2', got backbone="
                    f"{backbone!r}"
                )
        else:
            feature_input_shape = _check_shape(
                "feature_input_shape", feature_input_shape, 2
            )
            if backbone is not None:
                raise ValueError(
                    "Precomputed feature grids (`feature_input_shape`) need "
                    f"no backbone; pass backbone=None, got backbone="
                    f"{backbone!r}"
                )
        check_positive_int("vocab_size", vocab_size)
        check_special_tokens(start_token, end_token, vocab_size)

        # === Functional model ===
        # The captioner's recurrent arguments are the decoder's.
        decoder = TokenDecoder(
            name="decoder", **arguments_for(TokenDecoder, given)
        )
        encoder = ImageEncoder(
            decoder.state_sizes,
            backbone=backbone,
            image_shape=image_shape,
            backbone_weights=backbone_weights,
            position_embedding=position_embedding,
            name="encoder",
        )
        if image_shape is not None:
            image_key = "image"
            images = keras.Input(shape=image_shape, name="image")
        else:
            image_key = "features"
            images = keras.Input(shape=feature_input_shape, name="features")
        caption_in = keras.Input(
            shape=(None,), dtype="int32", name="caption_in"
        )
        memory, initial_state = encoder(images)
        outputs = decoder(
            caption_in,
            memory if attention is not None else None,
            initial_state=initial_state,
        )
        if activation == "softmax":
            outputs = keras.layers.Activation(
                "softmax", dtype="float32", name="probabilities"
            )(outputs)
        super().__init__(
            inputs={image_key: images, "caption_in": caption_in},
            outputs=outputs,
            **kwargs,
        )

        # === Config ===
        self.remember_arguments(
            vocab_size=vocab_size,
            cell=cell,
            units=units,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            cell_kwargs=cell_kwargs,
            embedding_dim=embedding_dim,
            attention=attention,
            attention_units=attention_units,
            attention_kwargs=attention_kwargs,
            backbone=backbone,
            image_shape=None if image_shape is None else list(image_shape),
            backbone_weights=backbone_weights,
            feature_input_shape=(
                None
                if feature_input_shape is None
                else list(feature_input_shape)
            ),
            position_embedding=position_embedding,
            start_token=start_token,
            end_token=end_token,
            activation=activation,
            vocabulary=self.check_vocabulary(vocabulary, vocab_size),
            separator=separator,
        )
        self.image_key = image_key

    def training_data(self, images, captions):
        """The `(x, y)` of teacher forcing.

        Args:
            images: The image batch (or feature grids).
            captions: int `(batch, steps)` caption ids, padded on the right
                with 0, without start or end tokens.

        Returns:
            `({"image": images, "caption_in": caption_in}, caption_out)`
            (`"features"` for feature grids), see `shift_targets`.
        """
        caption_in, caption_out = shift_targets(
            captions, self.start_token, self.end_token
        )
        images = ops.convert_to_tensor(images, dtype="float32")
        return {self.image_key: images, "caption_in": caption_in}, caption_out

    def encode(self, inputs, training=False):
        memory, initial_state = self.get_layer("encoder")(
            inputs, training=training
        )
        return memory, None, initial_state

    def generation_input_spec(self):
        shape = self.image_shape or self.feature_input_shape
        return TensorSpec((None, *shape), "float32")

    def caption(self, images, max_length: int = 20, **options):
        """Captions a batch of images (or feature grids); `generate` with
        its arguments.

        Args:
            images: Raw images (needs a `preprocessor`): an image file
                path, a uint8 array `(H, W)` or `(H, W, C)` of any size, a
                list of those, or a uint8 batch `(batch, H, W, C)`. Or the
                model's float32 pixels `(batch, *image_shape)` in `[0, 255]`
                (feature grids for a model without a backbone).
            max_length: Most tokens generated per caption.
            **options: `generate`'s decoding options: `strategy` (default
                the model's default decoding, else greedy), `beam_width`,
                `length_penalty`, `temperature`, `top_k`, `seed`,
                `jit_compile`.

        Returns:
            For raw images, the list of captions (strings). For the model's
            float pixels, a `GenerationResult`: `tokens` `(batch,
            max_length)`, `scores`, `alignments` `(batch, max_length,
            regions)` over the image regions (row-major over the backbone's
            grid; with attention) and `text` (with a vocabulary).

        Example:

        >>> captioner = rnnzoo.create_model(
        ...     "mnist_captioner.mnist_captions", pretrained=True
        ... )  # doctest: +SKIP
        >>> captioner.caption(["digits.png"])  # doctest: +SKIP
        ['seven one four']
        """
        options["max_length"] = max_length
        if self._is_raw_images(images):
            preprocessor = require_preprocessor(self, "caption")
            pixels = preprocessor.model_inputs(images)
            tokens = self.generate(pixels, **options).tokens
            return preprocessor.detokenize(tokens)
        return self.generate(images, **options)

    def _is_raw_images(self, images) -> bool:
        """Paths, lists of images and uint8 arrays are raw; a float array
        is the model's pixels (or a backbone-less model's features)."""
        if self.image_shape is None:
            return False
        if isinstance(images, (str, os.PathLike, list, tuple)):
            return True
        array = np.asarray(images)
        return array.dtype == np.uint8 or array.ndim < 4

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ) -> dict:
        rng = np.random.default_rng(seed)
        if self.image_shape is not None:
            images = rng.uniform(0, 255, (batch_size, *self.image_shape))
        else:
            images = rng.normal(size=(batch_size, *self.feature_input_shape))
        captions = rng.integers(
            1, self.vocab_size, size=(batch_size, sequence_length)
        )
        caption_in, _ = shift_targets(
            captions, self.start_token, self.end_token
        )
        return {
            self.image_key: images.astype("float32"),
            "caption_in": ops.convert_to_numpy(caption_in),
        }

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=self.activation is None
        )

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
