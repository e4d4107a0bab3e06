"""An attention decoder: any registered cell with input feeding and an
attention mechanism over the encoder memory (the role of TensorFlow Addons'
`AttentionWrapper`; Luong, Pham & Manning 2015)."""

import keras
from keras import initializers
from keras import ops
from keras import regularizers

from rnnzoo.layers.decoder_parts import complete_state
from rnnzoo.layers.decoder_parts import configure_dropout
from rnnzoo.layers.decoder_parts import flat_state_sizes
from rnnzoo.layers.decoder_parts import make_attention
from rnnzoo.layers.decoder_parts import make_cell
from rnnzoo.layers.decoder_parts import reset_dropout
from rnnzoo.layers.decoder_parts import validate_rank
from rnnzoo.layers.keras_internals import get_keras_mask
from rnnzoo.layers.masked_rnn import rnn
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="rnnzoo")
class AttentionDecoder(keras.layers.Layer):
    """Decoder RNN with input feeding and attention over an encoder memory.

    At every target step `t`, with `a_{t-1}` the previous attentional vector
    (zeros at the first step):

    ```
    h_t, s_t  = cell([x_t; a_{t-1}], s_{t-1})          input feeding
    c_t, α_t  = attention(query=h_t, value=memory)      α_t: (batch, Tv)
    a_t       = tanh([c_t; h_t] W_c)                     the step's output
    ```

    `W_c` is `output_kernel` `(memory_dim + units, units)`. The key
    projection of the memory (`k W_k`) is computed once per call by
    `prepare_memory`, never inside the time loop.

    The decoder state is a flat list, the cell's states followed by the
    attentional vector: `[h, c, a]` for an LSTM, `[h, a]` for a GRU. A
    monotonic mechanism (`BahdanauMonotonicAttention`,
    `LuongMonotonicAttention`) reads the previous step's alignment, so the
    state then ends with it too: `[h, c, a, α]`, `α` float32 `(batch, Tv)`,
    `[1, 0, ..., 0]` before the first step.

    Two ways to run it:

    * teacher forcing: `decoder(inputs, memory)` runs a whole target
      sequence in one `while_loop` (XLA-compilable);
    * one step at a time, for greedy or beam search: `cache =
      decoder.prepare_memory(memory, mask)`, `state =
      decoder.get_initial_state(memory, encoder_state)`, then `output, state,
      alignment = decoder.step(x_t, state, cache)` in a loop; both give
      the same outputs.

    Args:
        units: Positive integer, width of the cell and of the attentional
            vector.
        cell: A registered cell name (one of
            `rnnzoo.layers.cell_names()`) built with `units`, or a cell
            instance whose output is `units` wide. Default `"lstm"`.
        attention: `"bahdanau"`, `"luong"`, `"bahdanau_monotonic"`,
            `"luong_monotonic"` or an `AttentionMechanism` instance. The
            query is the cell output (`units` wide). Default `"bahdanau"`.
        attention_units: Width of the attention's hidden layer: `units` of
            `BahdanauAttention` (default: `units`) or of Luong's `"concat"`
            score. Ignored when `attention` is an instance.
        cell_kwargs: Dict of arguments of a named cell (e.g.
            `{"dropout": 0.1}` or `{"skip": 3}`).
        attention_kwargs: Dict of arguments of a named attention (e.g.
            `{"score": "general", "scale": True}` or `{"normalize": True}`).
        return_alignments: Whether `call` also returns the alignment history
            `(batch, Tq, Tv)`. Default `False`.
        kernel_initializer: Initializer of `output_kernel`.
        kernel_regularizer: Regularizer of `output_kernel`.
        **kwargs: Arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(batch, Tq, features)`, the (teacher-forced) target inputs.
        memory: `(batch, Tv, memory_dim)`, the encoder outputs.
        memory_mask: Optional boolean `(batch, Tv)`; defaults to the Keras
            mask of `memory` (from `Embedding(mask_zero=True)` through the
            encoder). Padded memory positions get zero attention weight.
        initial_state: Optional list, either the cell's states (e.g. the
            encoder's final `[h, c]`; the attentional vector starts at zero)
            or a whole decoder state (cell states, attentional vector and,
            for monotonic attention, the alignment).
        mask: Optional boolean `(batch, Tq)`; defaults to the Keras mask of
            `inputs`. Masked target steps keep the state and output zeros
            (and an all-zero alignment row).
        training: Whether the cell's dropout (and a monotonic attention's
            score noise, drawn for the whole sequence before the loop) is
            active.

    Returns:
        `(outputs, final_state)`, or `(outputs, final_state, alignments)`
        with `return_alignments=True`: `outputs` `(batch, Tq, units)`,
        `final_state` the list described above, `alignments` float32
        `(batch, Tq, Tv)`. `outputs` carries the target mask.

    Example:

    >>> decoder = AttentionDecoder(8, cell="gru", attention="luong",
    ...                            attention_kwargs={"score": "general"},
    ...                            return_alignments=True)
    >>> targets = np.random.random((2, 4, 3)).astype("float32")
    >>> memory = np.random.random((2, 6, 5)).astype("float32")
    >>> outputs, state, alignments = decoder(targets, memory)
    >>> tuple(outputs.shape), len(state), tuple(alignments.shape)
    ((2, 4, 8), 2, (2, 4, 6))
    """

    def __init__(
        self,
        units,
        cell="lstm",
        attention="bahdanau",
        attention_units=None,
        cell_kwargs=None,
        attention_kwargs=None,
        return_alignments=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        check_positive_int("units", units)
        check_positive_int("attention_units", attention_units, True)
        for name, value in (
            ("cell_kwargs", cell_kwargs),
            ("attention_kwargs", attention_kwargs),
        ):
            if value is not None and not isinstance(value, dict):
                raise ValueError(
                    f"`{name}` must be a dict or None, got {name}={value!r}"
                )
        check_bool("return_alignments", return_alignments)
        super().__init__(**kwargs)
        self.units = units
        self.attention_units = attention_units
        self.cell_kwargs = dict(cell_kwargs or {})
        self.attention_kwargs = dict(attention_kwargs or {})
        self.return_alignments = return_alignments
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.cell_name = cell if isinstance(cell, str) else None
        self.attention_name = attention if isinstance(attention, str) else None
        self.cell = make_cell(cell, units, self.cell_kwargs, self.dtype_policy)
        self.attention = make_attention(
            attention,
            units,
            attention_units,
            self.attention_kwargs,
            self.dtype_policy,
        )
        # The sizes of the state's tensors but the alignment, whose size is
        # the memory's length.
        self.state_sizes = [*flat_state_sizes(self.cell), units]
        self.carries_alignment = self.attention.uses_previous_alignment
        self._sequence_dropout = False

    def build(self, inputs_shape, memory_shape):
        input_dim, memory_dim = inputs_shape[-1], memory_shape[-1]
        if input_dim is None or memory_dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs known feature sizes, got "
                f"inputs_shape={inputs_shape} and memory_shape={memory_shape}"
            )
        batch = inputs_shape[0]
        if not self.cell.built:
            self.cell.build((batch, input_dim + self.units))
        if not self.attention.built:
            self.attention.build((batch, self.units), tuple(memory_shape))
        self.output_kernel = self.add_weight(
            shape=(memory_dim + self.units, self.units),
            name="output_kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )

    def prepare_memory(self, memory, mask=None):
        """Returns the per-source-sequence cache that `step` reads.

        Args:
            memory: `(batch, Tv, memory_dim)`, the encoder outputs.
            mask: Optional boolean `(batch, Tv)`; defaults to the Keras mask
                of `memory`, else all positions are real.

        Returns:
            A dict of tensors, `{"memory", "keys", "mask"}`, with the key
            projection already applied. Each entry has the batch first, so
            a beam search can tile or gather it along that axis.
        """
        validate_rank("memory", memory, 3, "(batch, Tv, dim)", self.name)
        if not self.attention.built:
            self.attention.build((None, self.units), tuple(memory.shape))
        if mask is None:
            mask = get_keras_mask(memory)
        memory = ops.cast(memory, self.compute_dtype)
        if mask is None:
            mask = ops.ones(ops.shape(memory)[:2], dtype="bool")
        return {
            "memory": memory,
            "keys": self.attention.project_keys(memory),
            "mask": ops.cast(mask, "bool"),
        }

    def get_initial_state(self, memory, encoder_state=None):
        """Returns the decoder state before the first target step.

        Args:
            memory: `(batch, Tv, memory_dim)`; gives the batch size.
            encoder_state: Optional list of the cell's initial states (e.g.
                the encoder's final `[h, c]`), zeros when omitted.

        Returns:
            The list `[*cell_states, attentional_vector]`, and the initial
            alignment `[1, 0, ..., 0]` last for monotonic attention.
        """
        batch = ops.shape(memory)[0]
        start = [
            ops.zeros((batch, size), dtype=self.compute_dtype)
            for size in self.state_sizes
        ]
        if self.carries_alignment:
            start.append(self.attention.initial_alignment(memory))
        if encoder_state is None:
            return start
        return complete_state(self, encoder_state, start)

    def _step(self, step_inputs, state, cache, training, score_noise=None):
        num_cell_states = len(self.state_sizes) - 1
        cell_states = state[:num_cell_states]
        attentional = state[num_cell_states]
        cell_inputs = ops.concatenate([step_inputs, attentional], axis=-1)
        cell_output, new_cell_states = self.cell(
            cell_inputs, list(cell_states), training=training
        )
        if not isinstance(new_cell_states, (list, tuple)):
            new_cell_states = [new_cell_states]
        previous = {}
        if self.carries_alignment:
            previous = {
                "previous_alignment": state[-1],
                "score_noise": score_noise,
                "training": training,
            }
        context, alignment = self.attention(
            cell_output,
            cache["memory"],
            mask=cache["mask"],
            projected_keys=cache["keys"],
            **previous,
        )
        combined = ops.concatenate([context, cell_output], axis=-1)
        output = ops.tanh(
            ops.matmul(combined, ops.cast(self.output_kernel, combined.dtype))
        )
        new_state = [*new_cell_states, output]
        if self.carries_alignment:
            new_state.append(alignment)
        return output, new_state, alignment

    def step(
        self, step_inputs, state, memory_cache, training=None, score_noise=None
    ):
        """Runs one target step with an explicit state.

        Args:
            step_inputs: `(batch, features)`, the input of this step.
            state: The decoder state, from `get_initial_state`, a previous
                `step` or `call`.
            memory_cache: The result of `prepare_memory`.
            training: Whether the cell's dropout (and a monotonic
                attention's score noise) is active.
            score_noise: Optional `(batch, Tv)` score noise of a monotonic
                attention for this step, a slice of `draw_score_noise`;
                without it, a training step draws its own.

        Returns:
            `(output, new_state, alignment)`: `(batch, units)`, the new state
            list, and float32 `(batch, Tv)` attention weights.
        """
        if not self.built:
            memory_shape = tuple(memory_cache["memory"].shape)
            self.build((None, None, step_inputs.shape[-1]), memory_shape)
        step_inputs = ops.cast(step_inputs, self.compute_dtype)
        state = complete_state(self, state)
        step = (step_inputs, state, memory_cache, training, score_noise)
        if self._sequence_dropout:
            return self._step(*step)
        self.configure_dropout(step_inputs, state)
        try:
            return self._step(*step)
        finally:
            self.reset_dropout()

    def draw_score_noise(self, batch_size, steps, memory_cache):
        """The score noise of a monotonic attention with `sigmoid_noise`
        for a whole sequence, float `(batch_size, steps, Tv)` (`None`
        without): drawn before a training loop of `step` calls, step `t`
        taking `score_noise=noise[:, t]`; `memory_cache` gives `Tv`."""
        draw = getattr(self.attention, "draw_score_noise", None)
        if draw is None:
            return None
        memory_steps = ops.shape(memory_cache["memory"])[1]
        return draw((batch_size, steps, memory_steps))

    def configure_dropout(self, step_inputs, state):
        """Makes the cell's dropout masks for a whole sequence before a
        loop of `step` calls, as `keras.layers.RNN` does (without it, each
        `step` makes its own); `reset_dropout()` after the loop.

        Args:
            step_inputs: `(batch, features)`, shaped as one step's input.
            state: The decoder state before the loop.
        """
        attentional = state[len(self.state_sizes) - 1]
        cell_inputs = ops.concatenate([step_inputs, attentional], axis=-1)
        configure_dropout(self.cell, cell_inputs, state[0])
        self._sequence_dropout = True

    def reset_dropout(self):
        """Forgets the masks of `configure_dropout`."""
        reset_dropout(self.cell)
        self._sequence_dropout = False

    def call(
        self,
        inputs,
        memory,
        memory_mask=None,
        initial_state=None,
        mask=None,
        training=None,
    ):
        validate_rank("inputs", inputs, 3, "(batch, Tq, dim)", self.name)
        if mask is None:
            mask = get_keras_mask(inputs)
        cache = self.prepare_memory(memory, memory_mask)
        state = self.get_initial_state(memory, initial_state)
        features = inputs.shape[-1]
        loop_inputs, noisy = inputs, False
        if training:
            # Only training reads the masks and the score noise; drawn in
            # the loop, they would be a stateful seed update inside JAX's
            # loops (a leaked tracer).
            self.configure_dropout(inputs[:, 0, :], state)
            batch, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
            noise = self.draw_score_noise(batch, steps, cache)
            if noise is not None:
                # One input tensor: TensorFlow's loop reads the length of
                # nested inputs from a shape they lack. The float32 (or
                # float64) noise holds any float input exactly.
                loop_inputs = ops.concatenate(
                    [ops.cast(inputs, noise.dtype), noise], axis=-1
                )
                noisy = True

        def step_function(step_inputs, states):
            noise = None
            if noisy:
                noise = step_inputs[:, features:]
                step_inputs = ops.cast(
                    step_inputs[:, :features], self.compute_dtype
                )
            output, new_state, alignment = self._step(
                step_inputs, list(states), cache, training, noise
            )
            return (output, alignment), new_state

        _, (outputs, alignments), final_state = rnn(
            step_function,
            loop_inputs,
            state,
            mask=mask,
            unroll=False,
            input_length=inputs.shape[1],
            zero_output_for_mask=True,
            return_all_outputs=True,
        )
        self.reset_dropout()
        final_state = list(final_state)
        if self.return_alignments:
            return outputs, final_state, alignments
        return outputs, final_state

    def compute_mask(self, inputs, previous_mask=None):
        output_mask = previous_mask
        if output_mask is None:
            output_mask = get_keras_mask(inputs)
        num_tensors = len(self.state_sizes) + self.carries_alignment
        masks = [output_mask, [None] * num_tensors]
        if self.return_alignments:
            masks.append(output_mask)
        return masks

    def get_config(self):
        cell = self.cell_name
        if cell is None:
            cell = keras.saving.serialize_keras_object(self.cell)
        attention = self.attention_name
        if attention is None:
            attention = keras.saving.serialize_keras_object(self.attention)
        return {
            **super().get_config(),
            "units": self.units,
            "cell": cell,
            "attention": attention,
            "attention_units": self.attention_units,
            "cell_kwargs": self.cell_kwargs,
            "attention_kwargs": self.attention_kwargs,
            "return_alignments": self.return_alignments,
            "kernel_initializer": initializers.serialize(
                self.kernel_initializer
            ),
            "kernel_regularizer": regularizers.serialize(
                self.kernel_regularizer
            ),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("cell", "attention"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
