"""A tiny recurrent language model, as a Keras step function and in NumPy,
and independent NumPy references of the decoding rules.

The model's next-token logits depend on the whole history through every
tensor of a nested state, so a beam search that reorders any part of the
state wrongly scores the wrong sequences:

```
h_t      = tanh(E[token] + h_{t-1} U)
logits_t = h_t W + P[position] + S[token_sum mod M] + mean(memory) R + b
```

`memory` is a constant `(batch, 2, hidden)` tensor that differs per batch
row (an encoder's outputs, say); `position` and `token_sum` are int32
counters. `b` is a fixed bias that can make the end token likely.
"""

import itertools

import numpy as np
from keras import ops


class TinyLanguageModel:
    def __init__(self, seed, vocab_size, hidden=3, end_bias=None):
        rng = np.random.default_rng(seed)
        self.vocab_size = vocab_size
        self.hidden = hidden
        self.modulus = 3
        self.embedding = rng.normal(size=(vocab_size, hidden))
        self.recurrent = rng.normal(size=(hidden, hidden))
        self.output = 1.5 * rng.normal(size=(hidden, vocab_size))
        self.position_bias = rng.normal(size=(8, vocab_size))
        self.sum_bias = rng.normal(size=(self.modulus, vocab_size))
        self.memory_kernel = rng.normal(size=(hidden, vocab_size))
        self.bias = np.zeros(vocab_size)
        if end_bias is not None:
            token, value = end_bias
            self.bias[token] = value
        self._rng = rng

    def initial_state(self, batch):
        """A random state per row, as float32/int32 NumPy arrays."""
        return {
            "hidden": self._rng.normal(size=(batch, self.hidden)).astype(
                "float32"
            ),
            "memory": self._rng.normal(size=(batch, 2, self.hidden)).astype(
                "float32"
            ),
            "counters": (
                np.zeros((batch,), "int32"),
                np.zeros((batch,), "int32"),
            ),
        }

    # The step function of the decoding contract, in Keras ops.
    def step_fn(self, tokens, state):
        def const(x):
            return ops.convert_to_tensor(x.astype("float32"))

        position, token_sum = state["counters"]
        hidden = ops.tanh(
            ops.take(const(self.embedding), tokens, axis=0)
            + ops.matmul(state["hidden"], const(self.recurrent))
        )
        logits = (
            ops.matmul(hidden, const(self.output))
            + ops.take(const(self.position_bias), position, axis=0)
            + ops.take(
                const(self.sum_bias), ops.mod(token_sum, self.modulus), axis=0
            )
            + ops.matmul(
                ops.mean(state["memory"], axis=1), const(self.memory_kernel)
            )
            + const(self.bias)
        )
        new_state = {
            "hidden": hidden,
            "memory": state["memory"],
            "counters": (position + 1, token_sum + tokens),
        }
        return logits, new_state

    # The same model in float64 NumPy, one row at a time.
    def row_state(self, state, row):
        return (
            state["hidden"][row].astype("float64"),
            state["memory"][row].astype("float64"),
            int(state["counters"][0][row]),
            int(state["counters"][1][row]),
        )

    def logits(self, token, row_state):
        """Returns `(logits, next_row_state)` for one row."""
        hidden, memory, position, token_sum = row_state
        hidden = np.tanh(self.embedding[token] + hidden @ self.recurrent)
        logits = (
            hidden @ self.output
            + self.position_bias[position]
            + self.sum_bias[token_sum % self.modulus]
            + memory.mean(axis=0) @ self.memory_kernel
            + self.bias
        )
        return logits, (hidden, memory, position + 1, token_sum + token)


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits):
    return np.exp(log_softmax(logits))


def gnmt_penalty(length, alpha):
    return ((5.0 + length) / 6.0) ** alpha


def sequence_log_probs(model, row_state, start, tokens):
    """Log-probability of every token of `tokens` after `start`."""
    result = []
    token = start
    for next_token in tokens:
        logits, row_state = model.logits(token, row_state)
        result.append(log_softmax(logits)[next_token])
        token = next_token
    return result


def truncate(tokens, end_token, pad_token):
    """`tokens` cut after the first end token and padded; and its length."""
    tokens = list(tokens)
    if end_token is not None and end_token in tokens:
        length = tokens.index(end_token) + 1
    else:
        length = len(tokens)
    return tuple(tokens[:length] + [pad_token] * (len(tokens) - length)), length


def brute_force(model, row_state, start, max_length, end_token, alpha, pad=0):
    """Every distinct output of `max_length` tokens, best first.

    Returns a list of `(tokens, penalised_score)`: sequences are cut after
    their first end token and padded, scored by the sum of the
    log-probabilities of their tokens up to the end token, divided by the
    GNMT penalty of their length.
    """
    scored = {}
    for tokens in itertools.product(range(model.vocab_size), repeat=max_length):
        padded, length = truncate(tokens, end_token, pad)
        if padded in scored:
            continue
        log_probs = sequence_log_probs(model, row_state, start, tokens[:length])
        scored[padded] = sum(log_probs) / gnmt_penalty(length, alpha)
    return sorted(scored.items(), key=lambda item: -item[1])


def greedy_path(model, row_state, start, max_length, end_token, pad=0):
    """The argmax path of one row and its summed log-probability."""
    tokens, score, token = [], 0.0, start
    for _ in range(max_length):
        logits, row_state = model.logits(token, row_state)
        token = int(np.argmax(logits))
        tokens.append(token)
        score += log_softmax(logits)[token]
        if token == end_token:
            break
    tokens += [pad] * (max_length - len(tokens))
    return tokens, score


def reference_beam_search(
    model, row_state, start, max_length, width, end_token, alpha, pad=0
):
    """A plain beam search over Python lists, for one row.

    Candidates are ranked by their penalised score at their current length
    (finished ones at their final length); ties go to the lower
    `beam * vocab + token`, as `top_k` does. Returns the beams, best first,
    as `(tokens, penalised_score)`.
    """
    beams = [([], 0.0, 0, False, row_state, start)]
    for step in range(max_length):
        candidates = []
        for index, (tokens, score, length, done, state, last) in enumerate(
            beams
        ):
            if done:
                key = (-score / gnmt_penalty(length, alpha), index, last)
                candidates.append(
                    (key, (tokens + [pad], score, length, True, state, last))
                )
                continue
            logits, next_state = model.logits(last, state)
            for token, log_prob in enumerate(log_softmax(logits)):
                total = score + log_prob
                key = (
                    -total / gnmt_penalty(step + 1, alpha),
                    index,
                    token,
                )
                candidates.append(
                    (
                        key,
                        (
                            tokens + [token],
                            total,
                            step + 1,
                            token == end_token,
                            next_state,
                            token,
                        ),
                    )
                )
        candidates.sort(key=lambda candidate: candidate[0])
        beams = [beam for _, beam in candidates[:width]]
        if all(beam[3] for beam in beams):
            break
    return [
        (
            tuple(tokens + [pad] * (max_length - len(tokens))),
            score / gnmt_penalty(length, alpha),
        )
        for tokens, score, length, _, _, _ in beams
    ]
