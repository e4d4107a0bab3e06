"""`ImageEncoder`, the encoder of `ImageCaptioner`: an image through a
convolutional backbone (or a precomputed feature grid) in; the region
features that the decoder attends to and its initial state out."""

import keras
import numpy as np
from keras import ops

APPLICATIONS = tuple(
    name for name in dir(keras.applications) if name[:1].isupper()
)
"""The `keras.applications` backbones, by class name (`"ResNet50"`, ...)."""


def small_cnn(image_shape) -> keras.Sequential:
    """The in-house backbone for tests and CPUs: pixels scaled from
    `[0, 255]` to `[0, 1]`, then two blocks of a 3x3 ReLU convolution (32,
    then 64 filters) and 2x2 max pooling; a `(H, W, C)` image becomes a
    `(H/4, W/4, 64)` feature grid."""
    return keras.Sequential(
        [
            keras.Input(shape=image_shape),
            keras.layers.Rescaling(1.0 / 255.0, name="rescaling"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
        ],
        name="small_cnn",
    )


def medium_cnn(image_shape) -> keras.Sequential:
    """A deeper in-house backbone, still for CPUs: pixels scaled to
    `[0, 1]`, two 3x3 ReLU convolutions of 32 filters, 2x2 max pooling,
    two of 64, 2x2 max pooling, and one of 128; a `(H, W, C)` image becomes
    a `(H/4, W/4, 128)` grid, each region seeing 24x24 pixels (a whole
    MNIST digit; `small_cnn`'s see 10x10, so a digit's name must be pieced
    together by the attention)."""
    convolution = dict(kernel_size=3, padding="same", activation="relu")
    return keras.Sequential(
        [
            keras.Input(shape=image_shape),
            keras.layers.Rescaling(1.0 / 255.0, name="rescaling"),
            keras.layers.Conv2D(32, **convolution),
            keras.layers.Conv2D(32, **convolution),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, **convolution),
            keras.layers.Conv2D(64, **convolution),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(128, **convolution),
        ],
        name="medium_cnn",
    )


IN_HOUSE_BACKBONES = {"small_cnn": small_cnn, "medium_cnn": medium_cnn}
"""The backbones built here, by name: small, for CPUs and tests."""
BACKBONES = (*IN_HOUSE_BACKBONES, *APPLICATIONS)


@keras.saving.register_keras_serializable(package="rnnzoo")
class ImageEncoder(keras.layers.Layer):
    """The encoder of an `ImageCaptioner`: an image (or a precomputed
    feature grid) in; the grid of region features and the decoder's
    initial state out.

    The backbone's `(H', W', C)` output becomes `H' * W'` regions of `C`
    features (row-major), the attention memory. A convolutional backbone's
    features say what is in a region, hardly where it is (only the zero
    padding at the border tells); with `position_embedding=True` a learned
    `(regions, C)` embedding is added, so the attention can move by place,
    e.g. left to right along a strip of digits. Every decoder state tensor
    starts at `tanh(W mean_regions + b)`, a Dense layer of the mean feature
    (Xu et al. 2015, `init_h` and `init_c`).

    Args:
        state_sizes: The decoder's state sizes, one list per layer (see
            `TokenDecoder.state_sizes`).
        backbone: `"small_cnn"` or `"medium_cnn"` (see those functions),
            a `keras.applications` class name (e.g. `"MobileNetV2"`), or
            `None` for precomputed feature grids.
        image_shape: `(H, W, C)` of the images, with a backbone.
        backbone_weights: Weights of a `keras.applications` backbone:
            `None` (random), `"imagenet"` or a path to a weights file.
        position_embedding: Whether to add a learned embedding of each
            region's place to its features. Default `True`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: float `(batch, H, W, C)` images, or `(batch, regions,
            channels)` feature grids without a backbone.

    Returns:
        `(memory, initial_state)`: `(batch, regions, channels)` and one
        list of state tensors per decoder layer.

    Example:

    >>> encoder = ImageEncoder([[8, 8]], image_shape=(16, 24, 1))
    >>> memory, state = encoder(np.zeros((2, 16, 24, 1), "float32"))
    >>> tuple(memory.shape), [tuple(s.shape) for s in state[0]]
    ((2, 24, 64), [(2, 8), (2, 8)])
    """

    def __init__(
        self,
        state_sizes,
        backbone: str | None = "small_cnn",
        image_shape=None,
        backbone_weights=None,
        position_embedding: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.position_embedding = bool(position_embedding)
        self.state_sizes = [list(sizes) for sizes in state_sizes]
        self.backbone_name = backbone
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.backbone_weights = backbone_weights
        self.backbone = None
        if backbone in IN_HOUSE_BACKBONES:
            self.backbone = IN_HOUSE_BACKBONES[backbone](self.image_shape)
        elif backbone is not None:
            self.backbone = getattr(keras.applications, backbone)(
                include_top=False,
                weights=backbone_weights,
                input_shape=self.image_shape,
            )
        self.initializers = [
            [
                keras.layers.Dense(
                    size, activation="tanh", name=f"init_{layer}_{index}"
                )
                for index, size in enumerate(sizes)
            ]
            for layer, sizes in enumerate(self.state_sizes)
        ]

    def build(self, inputs_shape):
        grid_shape = tuple(inputs_shape)
        if self.backbone is not None:
            grid_shape = self.backbone.compute_output_shape(grid_shape)
        regions, channels = int(np.prod(grid_shape[1:-1])), grid_shape[-1]
        self.positions = None
        if self.position_embedding:
            self.positions = self.add_weight(
                shape=(regions, channels),
                name="position_embedding",
                initializer=keras.initializers.RandomNormal(stddev=0.02),
            )
        for dense_layers in self.initializers:
            for dense in dense_layers:
                dense.build((None, channels))
        self.built = True

    def call(self, inputs, training=None):
        grid = inputs
        if self.backbone is not None:
            grid = self.backbone(inputs, training=training)
            grid = ops.reshape(
                grid, (ops.shape(grid)[0], -1, ops.shape(grid)[-1])
            )
        if self.positions is not None:
            grid = grid + ops.cast(self.positions, grid.dtype)
        mean = ops.mean(grid, axis=1)
        initial_state = [
            [dense(mean) for dense in dense_layers]
            for dense_layers in self.initializers
        ]
        return grid, initial_state

    def get_config(self):
        return {
            **super().get_config(),
            "state_sizes": [list(sizes) for sizes in self.state_sizes],
            "backbone": self.backbone_name,
            "image_shape": (
                None if self.image_shape is None else list(self.image_shape)
            ),
            "backbone_weights": self.backbone_weights,
            "position_embedding": self.position_embedding,
        }
