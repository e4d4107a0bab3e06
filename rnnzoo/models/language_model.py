"""Language models: next-token prediction over characters or words
(many-to-many in training, one-to-many in generation), stateful truncated
BPTT over long text, and polyphonic music as multi-hot frames."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from rnnzoo.decoding import decode
from rnnzoo.models.arguments import check_cell_arguments
from rnnzoo.models.arguments import check_choice
from rnnzoo.models.arguments import check_positive_integer
from rnnzoo.models.encoder import RecurrentStack
from rnnzoo.models.generation import GenerationResult
from rnnzoo.models.generation import GenerativeModel
from rnnzoo.models.generation import decoding_options
from rnnzoo.models.generation import numeric_inputs
from rnnzoo.models.generation import seed_pair
from rnnzoo.models.generation import suppress_padding
from rnnzoo.models.inputs import check_sequence_input_arguments
from rnnzoo.models.inputs import sequence_input
from rnnzoo.models.raw_inputs import generate_texts
from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.stepping import decode_frames
from rnnzoo.models.stepping import embedding_lookup
from rnnzoo.models.stepping import prime_stack
from rnnzoo.models.stepping import stack_step


@keras.saving.register_keras_serializable(package="rnnzoo")
class LanguageModel(GenerativeModel):
    """A recurrent language model: at every step, the distribution of the
    next token given the tokens so far.

    ```
    tokens -> Embedding -> RecurrentStack -> dropout -> Dense(vocab_size)
           -> softmax over the next token, at every step
    ```

    Tokens are characters or words alike (`vocab_size` ids, 0 padding
    with `mask_zero=True`). `training_data(sequences)` cuts sequences into
    inputs and next-token targets; `generate(prompt, ...)` reads a prompt
    and continues it with `rnnzoo.decoding` (greedy, sampling, top-k or
    beam search).

    * `stateful=True` (with a fixed `batch_size`): truncated BPTT over long
      text (Zaremba et al. 2014). Row `i` of every batch continues row `i`
      of the previous batch: the final states of one call are the initial
      states of the next, and gradients stop at the window's edge. Feed
      consecutive windows in order (`fit(..., shuffle=False)`) and call
      `reset_state()` between passes over the text.
    * `multi_hot=True` (with `input_dim`, e.g. 88 piano keys): polyphonic
      music (Boulanger-Lewandowski et al. 2012). Each step is a multi-hot
      frame of the notes that sound; the model predicts the next frame
      with an independent sigmoid per note, trained with binary
      cross-entropy (its mean over the notes, so `input_dim` times it is
      the frame's negative log-likelihood).

    A language model reads left to right only: `bidirectional=True` would
    let it see the token it predicts, and raises a `ValueError`.

    `compile()` defaults to sparse categorical cross-entropy and an
    `"accuracy"` metric (binary cross-entropy and per-note binary accuracy
    for `multi_hot=True`), over the real steps only.

    Args:
        vocab_size: Number of token ids, padding included. Pass this or
            `input_dim` with `multi_hot=True`.
        cell: Registry name of the recurrent cell. Default `"lstm"`.
        units: Width of every recurrent layer. Default 64.
        num_layers: Number of stacked recurrent layers. Default 1.
        bidirectional: Must be `False` (see above).
        residual: Whether layers of equal input and output width add their
            input to their output.
        dropout: Float in `[0, 1)`, dropout on the inputs of every
            recurrent layer and before the output layer (Zaremba et al.
            2014).
        recurrent_dropout: Float in `[0, 1)`, each cell's dropout on its
            previous state.
        cell_kwargs: Dict of further arguments of every recurrent layer.
        embedding_dim: Width of the token embedding; default `units`.
        mask_zero: Whether token id 0 is padding. Default `True`.
        input_dim: Number of notes per frame, with `multi_hot=True`.
        mask_value: For multi-hot frames, the value of every entry of a
            padded frame (e.g. `-1.0`; an all-zero frame is a rest).
        multi_hot: Whether steps are multi-hot frames (music) rather than
            token ids.
        stateful: Whether states carry over between calls (truncated
            BPTT); needs `batch_size`.
        batch_size: The fixed batch size of a stateful model.
        sequence_length: Fixed number of steps, or `None` for any.
        end_token: Optional id that ends a generated sequence (e.g. the id
            of `<eos>`).
        activation: `"auto"` (softmax over tokens, sigmoid per note) or
            `None` for logits.
        vocabulary: Optional list of strings (index = token id) or a
            `StringLookup`, for text from `generate`.
        separator: String between tokens in text: `" "` (default) for
            words, `""` for characters.
        **kwargs: Arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = LanguageModel(vocab_size=30, units=8, cell="mgu")
    >>> x, y = model.training_data(np.array([[3, 4, 5, 6, 0]]))
    >>> model(x).shape
    TensorShape([1, 4, 30])
    >>> model.generate(np.array([[3, 4]]), max_length=5).tokens.shape
    (1, 5)
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        cell: str = "lstm",
        units: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        residual: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        embedding_dim: int | None = None,
        mask_zero: bool = True,
        input_dim: int | None = None,
        mask_value: float | None = None,
        multi_hot: bool = False,
        stateful: bool = False,
        batch_size: int | None = None,
        sequence_length: int | None = None,
        end_token: int | None = None,
        activation: str | None = "auto",
        vocabulary=None,
        separator: str = " ",
        **kwargs,
    ):
        if bidirectional:
            raise ValueError(
                "A language model predicts each token from the tokens before "
                "it; a backward direction would read the token it predicts. "
                "`bidirectional` must be False, got bidirectional=True"
            )
        check_choice("activation", activation, ("auto", None))
        check_positive_integer("units", units)
        if multi_hot != (input_dim is not None):
            raise ValueError(
                "`multi_hot=True` takes frames of `input_dim` notes, token "
                "inputs take `vocab_size`; got "
                f"multi_hot={multi_hot!r} and input_dim={input_dim!r}"
            )
        check_sequence_input_arguments(
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            mask_zero=mask_zero,
            input_dim=input_dim,
            mask_value=mask_value,
            sequence_length=sequence_length,
        )
        cell_kwargs = check_cell_arguments(cell, cell_kwargs)
        if "stateful" in cell_kwargs:
            raise ValueError(
                "Pass `stateful=True` (with `batch_size`) to the model, not "
                f"in `cell_kwargs`, got cell_kwargs={cell_kwargs!r}"
            )
        if stateful:
            check_positive_integer("batch_size", batch_size)
        elif batch_size is not None:
            raise ValueError(
                "`batch_size` fixes the batch of a stateful model; pass "
                f"`stateful=True` with it, got batch_size={batch_size!r}"
            )
        if end_token is not None and (
            vocab_size is None
            or isinstance(end_token, bool)
            or not isinstance(end_token, int)
            or not 1 <= end_token < vocab_size
        ):
            raise ValueError(
                "`end_token` must be a token id in 1..vocab_size-1 of a "
                f"token model, got end_token={end_token!r} and "
                f"vocab_size={vocab_size!r}"
            )

        # === Functional model ===
        inputs, features = sequence_input(
            vocab_size=vocab_size,
            embedding_dim=(embedding_dim or units) if vocab_size else None,
            mask_zero=mask_zero,
            input_dim=input_dim,
            mask_value=mask_value,
            sequence_length=sequence_length,
            batch_size=batch_size,
        )
        sequence = RecurrentStack(
            cell,
            units,
            num_layers=num_layers,
            residual=residual,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            cell_kwargs=dict(cell_kwargs, stateful=True)
            if stateful
            else cell_kwargs,
            name="recurrent_stack",
        )(features)
        if dropout > 0.0:
            sequence = keras.layers.Dropout(dropout, name="head_dropout")(
                sequence
            )
        outputs = keras.layers.Dense(
            input_dim if multi_hot else vocab_size, name="logits"
        )(sequence)
        if activation == "auto":
            outputs = keras.layers.Activation(
                "sigmoid" if multi_hot else "softmax",
                dtype="float32",
                name="probabilities",
            )(outputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.remember_arguments(
            vocab_size=vocab_size,
            cell=cell,
            units=units,
            num_layers=num_layers,
            bidirectional=bidirectional,
            residual=residual,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            cell_kwargs=cell_kwargs,
            embedding_dim=embedding_dim,
            mask_zero=mask_zero,
            input_dim=input_dim,
            mask_value=mask_value,
            multi_hot=multi_hot,
            stateful=stateful,
            batch_size=batch_size,
            sequence_length=sequence_length,
            end_token=end_token,
            activation=activation,
            vocabulary=self.check_vocabulary(vocabulary, vocab_size),
            separator=separator,
        )

    def output_vocabulary_size(self):
        return self.vocab_size

    def padding_ids(self):
        return (0,) if self.mask_zero else ()

    def training_data(self, sequences):
        """The `(x, y)` of next-token prediction.

        Args:
            sequences: int `(batch, steps)` ids padded on the right with 0
                (or `(batch, steps, input_dim)` frames, padded with
                `mask_value`).

        Returns:
            `(inputs, targets)`, one step shorter: `targets[:, t]` is
            `sequences[:, t + 1]`. An input step whose target is padding
            is padded too, so no real step is trained to predict padding.
        """
        sequences = ops.convert_to_tensor(
            sequences, dtype="float32" if self.multi_hot else "int32"
        )
        inputs, targets = sequences[:, :-1], sequences[:, 1:]
        if self.multi_hot:
            if self.mask_value is not None:
                padded = ops.all(ops.equal(targets, self.mask_value), -1)
                inputs = ops.where(padded[..., None], self.mask_value, inputs)
        elif self.mask_zero:
            inputs = ops.where(ops.equal(targets, 0), 0, inputs)
        return inputs, targets

    def reset_state(self) -> None:
        """Zeroes the carried states of a stateful model (a new text)."""
        for layer in self.get_layer("recurrent_stack").recurrent_layers:
            layer.reset_state()

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ):
        if self.stateful:
            batch_size = self.batch_size
        if not self.multi_hot:
            return super().example_inputs(batch_size, sequence_length, seed)
        rng = np.random.default_rng(seed)
        steps = self.sequence_length or sequence_length
        shape = (batch_size, steps, self.input_dim)
        return (rng.random(shape) < 0.1).astype("float32")

    def _prompt_lengths(self, prompt):
        """Number of real steps of every prompt row (right padding)."""
        if self.multi_hot:
            if self.mask_value is None:
                return np.full(len(prompt), prompt.shape[1])
            return np.any(prompt != self.mask_value, axis=-1).sum(-1)
        if self.mask_zero:
            return (prompt != 0).sum(-1)
        return np.full(len(prompt), prompt.shape[1])

    def _checked_prompt_lengths(self, prompt):
        lengths = self._prompt_lengths(prompt)
        if prompt.ndim < 2 or prompt.shape[1] == 0 or np.any(lengths < 1):
            raise ValueError(
                "`prompt` must hold at least one real step in every row, "
                f"got prompt lengths {np.asarray(lengths).tolist()}"
            )
        return lengths

    def generate(
        self,
        prompt,
        max_length: int = 100,
        strategy: str = "greedy",
        beam_width: int = 4,
        length_penalty: float = 0.0,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed=None,
        jit_compile: bool = False,
    ) -> GenerationResult:
        """Continues a batch of prompts.

        The model reads every prompt, its steps up to the last real one,
        then generates `max_length` tokens (fewer before `end_token`) with
        `rnnzoo.decoding.decode`, all in one compiled `tf.function` cached
        per configuration. Generation runs the cells one step at a time:
        a stateful model's carried states are neither read nor changed.

        With `multi_hot=True` the steps are frames: `"greedy"` keeps the
        notes of probability above 0.5, `"sample"` draws every note from
        its own Bernoulli distribution, `sigmoid(logit / temperature)`;
        the other strategies do not apply to frames.

        Args:
            prompt: int `(batch, steps)` ids padded on the right with 0
                (frames `(batch, steps, input_dim)` for `multi_hot=True`),
                at least one real step per row.
            max_length: Positive integer, number of steps to generate.
            strategy: `"greedy"`, `"sample"`, `"top_k"` or `"beam"`.
            beam_width: Beams per sequence, for `"beam"`.
            length_penalty: GNMT length penalty exponent, for `"beam"`.
            temperature: Divides the logits, for sampling.
            top_k: Draw only among the `top_k` most probable tokens
                (required for `"top_k"`).
            seed: For sampling: an integer gives the same samples on every
                call; `None` draws a fresh seed.
            jit_compile: Whether to compile with XLA. (A model compiled
                with `run_eagerly=True` generates eagerly, unless this is
                set.)

        Returns:
            For text prompts, the list of texts, each prompt followed by
            its continuation (an empty prompt gives an empty string). For
            ids, a `GenerationResult` of the continuations (the prompt
            excluded): `tokens` `(batch, max_length)` (0/1 frames `(batch,
            max_length, input_dim)` for `multi_hot=True`), `scores` and,
            with a vocabulary, `text`.

        Example:

        >>> model = rnnzoo.create_model(
        ...     "shakespeare_char_lm.tiny_shakespeare", pretrained=True
        ... )  # doctest: +SKIP
        >>> model.generate(["ROMEO:"], max_length=40, strategy="sample",
        ...                temperature=0.8, seed=0)  # doctest: +SKIP
        ['ROMEO:\nWhat shall be the sent of my heart ...']
        """
        if is_text(prompt):
            options = dict(
                max_length=max_length,
                strategy=strategy,
                beam_width=beam_width,
                length_penalty=length_penalty,
                temperature=temperature,
                top_k=top_k,
                seed=seed,
                jit_compile=jit_compile,
            )
            return generate_texts(
                self,
                "generate",
                "prompt",
                prompt,
                lambda ids: self.generate(ids, **options),
                join=self.preprocessor.join if self.preprocessor else None,
            )
        check_positive_integer("max_length", max_length)
        if self.multi_hot:
            check_choice("strategy", strategy, ("greedy", "sample"))
            options = decoding_options(strategy, 1, 0.0, temperature, None)
            options.pop("top_k", None)
            dtype = tf.float32
            spec = tf.TensorSpec((None, None, self.input_dim), dtype)
        else:
            options = decoding_options(
                strategy, beam_width, length_penalty, temperature, top_k
            )
            dtype = tf.int32
            spec = tf.TensorSpec((None, None), dtype)
        prompt = numeric_inputs("prompt", prompt)
        lengths = self._checked_prompt_lengths(prompt)
        sampling = strategy in ("sample", "top_k")
        key = (strategy, max_length, tuple(options.items()), bool(jit_compile))
        run = self._generate_frames if self.multi_hot else self._generate_ids

        def function(prompt, lengths, seed):
            extra = {"seed": seed} if sampling else {}
            return run(prompt, lengths, strategy, max_length, options, extra)

        compiled = self.compiled_function(
            key,
            function,
            [
                spec,
                tf.TensorSpec((None,), tf.int32),
                tf.TensorSpec((2,), tf.int32),
            ],
            bool(jit_compile),
        )
        seed = seed_pair(seed) if sampling else np.zeros(2, "int32")
        tokens, scores = compiled(
            tf.convert_to_tensor(prompt, dtype=dtype),
            tf.convert_to_tensor(lengths, dtype=tf.int32),
            seed,
        )
        return self.make_result(tokens, scores)

    def decoding_step(self, inputs, beam_width: int = 1, lengths=None):
        """The prompt is read once; see `GenerativeModel.decoding_step`.

        The state is the stack's after every real prompt step but the last,
        which is the start token. Token models only (`multi_hot=False`).

        Args:
            inputs: int `(batch, steps)` prompt ids padded on the right.
            beam_width: Positive integer, the beams per sequence (the
                state holds nothing per sequence but the cells' states).
            lengths: int32 `(batch,)` real steps of every row; by default
                counted from a NumPy or eager `inputs`.

        Example:

        >>> model = LanguageModel(vocab_size=30, units=8)
        >>> step_fn, state, tokens = model.decoding_step(np.array([[3, 4]]))
        >>> logits, state = step_fn(tokens, state)
        >>> logits.shape
        TensorShape([1, 30])
        """
        check_positive_integer("beam_width", beam_width)
        if self.multi_hot:
            raise ValueError(
                "`decoding_step` serves token models; a multi-hot model "
                "generates frames with `generate` only"
            )
        if lengths is None:
            inputs = numeric_inputs("inputs", ops.convert_to_numpy(inputs))
            lengths = self._checked_prompt_lengths(inputs)
        stack = self.get_layer("recurrent_stack")
        embedding = self.get_layer("token_embedding")
        logits_layer = self.get_layer("logits")

        def embed(tokens):
            return embedding_lookup(embedding, tokens)

        prompt = ops.convert_to_tensor(inputs, dtype="int32")
        lengths = ops.convert_to_tensor(lengths, dtype="int32")
        state, last = prime_stack(stack, embed, prompt, lengths)

        def step_fn(tokens, state):
            outputs, state = stack_step(stack, embed(tokens), state)
            logits = logits_layer(outputs)
            if self.mask_zero:
                logits = suppress_padding(logits)
            return logits, state

        return step_fn, state, last

    def _generate_ids(self, prompt, lengths, strategy, length, options, extra):
        step_fn, state, last = self.decoding_step(prompt, lengths=lengths)
        return decode(
            step_fn,
            state,
            last,
            length,
            strategy=strategy,
            end_token=self.end_token,
            pad_token=0,
            **options,
            **extra,
        )

    def _generate_frames(
        self, prompt, lengths, strategy, length, options, extra
    ):
        stack = self.get_layer("recurrent_stack")
        logits_layer = self.get_layer("logits")
        state, last = prime_stack(stack, lambda frame: frame, prompt, lengths)

        def step_fn(frame, state):
            outputs, state = stack_step(stack, frame, state)
            return logits_layer(outputs), state

        return decode_frames(
            step_fn,
            state,
            last,
            length,
            sample=strategy == "sample",
            temperature=options.get("temperature", 1.0),
            seed=extra.get("seed"),
        )

    def default_loss(self):
        from_logits = self.activation is None
        if self.multi_hot:
            # Padded frames weigh 0; the mean must be over the real frames
            # only, so that `input_dim` times the loss is the NLL per step
            # (Keras's default divides by every frame, padded ones too).
            return keras.losses.BinaryCrossentropy(
                from_logits=from_logits, reduction="mean_with_sample_weight"
            )
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=from_logits
        )

    def default_metrics(self):
        if self.multi_hot:
            threshold = 0.0 if self.activation is None else 0.5
            return [
                keras.metrics.BinaryAccuracy(
                    threshold=threshold, name="accuracy"
                )
            ]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
