"""Images as a captioner reads them: any size and channel count in, the
model's `(height, width, channels)` out."""

import os

import keras
import numpy as np

from rnnzoo.models.raw_inputs import describe

_EXPECTED = (
    "an image or a list of images: uint8 arrays (height, width) or "
    "(height, width, channels) with 1, 3 or 4 channels, or image file paths; "
    "or one array (batch, height, width, channels)"
)


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def _read(value) -> np.ndarray:
    if _is_path(value):
        if not os.path.isfile(value):
            raise FileNotFoundError(f"`images`: no image file at {value}")
        return keras.utils.img_to_array(keras.utils.load_img(value))
    array = np.asarray(value)
    if array.dtype.kind not in "uif" or array.ndim not in (2, 3):
        raise ValueError(f"`images` must be {_EXPECTED}, got {describe(array)}")
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"`images` must be {_EXPECTED}, got an image of shape "
            f"{array.shape}: its last axis ({array.shape[-1]}) is no "
            "channel count"
        )
    return array.astype("float32")


def _as_list(images) -> list:
    if _is_path(images):
        return [images]
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            return list(images)
        if images.ndim in (2, 3):
            return [images]
        raise ValueError(
            f"`images` must be {_EXPECTED}, got {describe(images)}"
        )
    if isinstance(images, (list, tuple)) and images:
        return list(images)
    raise ValueError(f"`images` must be {_EXPECTED}, got {describe(images)}")


def _with_channels(image: np.ndarray, channels: int) -> np.ndarray:
    if image.shape[-1] == 4:
        image = image[..., :3]  # The alpha channel carries no content.
    if image.shape[-1] == channels:
        return image
    if channels == 1:
        # ITU-R 601 luma, as PIL's and TensorFlow's grayscale conversions.
        return image @ np.array([[0.299], [0.587], [0.114]], "float32")
    return np.repeat(image, channels, axis=-1)


def load_images(images, image_shape) -> np.ndarray:
    """A batch of images as the model's float32 pixels in `[0, 255]`.

    Each image is converted to the model's channel count (RGB to luma,
    gray repeated, alpha dropped) and resized to its height and width,
    padded with black to keep its aspect ratio.

    Args:
        images: An image file path, an array `(H, W)` or `(H, W, C)`, a list
            of those, or one array `(batch, H, W, C)`.
        image_shape: The model's `(height, width, channels)`.

    Returns:
        float32 `(batch, height, width, channels)`.

    Example:

    A white square in a wide model's frame is padded, not stretched:

    >>> pixels = load_images(np.full((10, 10), 255, "uint8"), (4, 8, 1))
    >>> pixels.shape
    (1, 4, 8, 1)
    >>> pixels[0, 0, :, 0].round()
    array([  0.,  31., 224., 255., 255., 224.,  31.,   0.], dtype=float32)
    """
    height, width, channels = image_shape
    batch = []
    for value in _as_list(images):
        image = _with_channels(_read(value), channels)
        if image.shape[:2] != (height, width):
            image = keras.ops.convert_to_numpy(
                keras.ops.image.resize(
                    image,
                    (height, width),
                    antialias=True,
                    pad_to_aspect_ratio=True,
                    fill_value=0.0,
                )
            )
        batch.append(np.clip(image, 0.0, 255.0))
    return np.stack(batch).astype("float32")
