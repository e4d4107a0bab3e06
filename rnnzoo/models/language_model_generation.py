"""Generation of a `LanguageModel`: reading a batch of prompts and
continuing them with `rnnzoo.decoding` (tokens) or independent notes
(multi-hot frames), the cells run one step at a time."""

import numpy as np
from keras import ops

from rnnzoo.decoding import decode
from rnnzoo.decoding import decoding_options
from rnnzoo.decoding import takes_seed
from rnnzoo.models.compiled import TensorSpec
from rnnzoo.models.generated_tokens import numeric_inputs
from rnnzoo.models.generated_tokens import suppress_padding
from rnnzoo.models.generation import GenerationResult
from rnnzoo.models.generation import GenerativeModel
from rnnzoo.models.generation import seed_pair
from rnnzoo.models.raw_inputs import generate_texts
from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.stepping import decode_frames
from rnnzoo.models.stepping import embedding_lookup
from rnnzoo.models.stepping import prime_stack
from rnnzoo.models.stepping import stack_step
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int


class LanguageModelGeneration(GenerativeModel):
    """The generating half of `LanguageModel`: `generate` and
    `decoding_step`, which read the layers `"token_embedding"`,
    `"recurrent_stack"` and `"logits"` of the model and its arguments
    (`multi_hot`, `mask_zero`, `mask_value`, `input_dim`, `end_token`).
    """

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
        strategy: str | None = None,
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
        `rnnzoo.decoding.decode`, all in one compiled function cached
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
            strategy: `"greedy"`, `"sample"`, `"top_k"` or `"beam"`;
                `None` (default): the model's default decoding, its
                preprocessor's `decoding` (e.g. beam search of width 5
                for the published translator), else greedy.
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
        ['ROMEO:\\n\\nCLIFFORD:\\nShe was a home flowers to be']
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
        check_positive_int("max_length", max_length)
        strategy, chosen = self.resolve_strategy(
            strategy,
            beam_width=beam_width,
            length_penalty=length_penalty,
            temperature=temperature,
            top_k=top_k,
        )
        if self.multi_hot:
            check_choice("strategy", strategy, ("greedy", "sample"))
            # Every note of a frame is its own Bernoulli draw: of the
            # sampling options only the temperature applies.
            options = decoding_options(
                strategy, temperature=chosen["temperature"]
            )
            spec = TensorSpec((None, None, self.input_dim), "float32")
        else:
            options = decoding_options(strategy, **chosen)
            spec = TensorSpec((None, None), "int32")
        prompt = numeric_inputs("prompt", prompt)
        lengths = self._checked_prompt_lengths(prompt)
        sampling = takes_seed(strategy)
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
                TensorSpec((None,), "int32"),
                TensorSpec((2,), "int32"),
            ],
            bool(jit_compile),
        )
        seed = seed_pair(seed) if sampling else np.zeros(2, "int32")
        tokens, scores = compiled(
            ops.convert_to_tensor(prompt, dtype=spec.dtype),
            ops.convert_to_tensor(lengths, dtype="int32"),
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

        >>> from rnnzoo.models import LanguageModel
        >>> model = LanguageModel(vocab_size=30, units=8)
        >>> step_fn, state, tokens = model.decoding_step(np.array([[3, 4]]))
        >>> logits, state = step_fn(tokens, state)
        >>> tuple(logits.shape)
        (1, 30)
        """
        check_positive_int("beam_width", beam_width)
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
