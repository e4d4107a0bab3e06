"""The checks of a zoo config's training recipe beyond its types (see
`rnnzoo.zoo.schema`): a `training.scheduled_sampling` mapping must be a
valid `rnnzoo.models.ScheduledSampling` recipe, for an architecture whose
decoder can feed its own predictions."""

from rnnzoo.models.generation import EncoderDecoderModel
from rnnzoo.models.scheduled_sampling import ScheduledSampling


def training_errors(config: dict) -> list[tuple[str, str]]:
    """`(key_path, message)` for every problem of `config["training"]`
    that its types do not show.

    Example:

    >>> config = {"architecture": {"class": "SequenceClassifier"},
    ...           "training": {"scheduled_sampling": {"schedule": "linear"}}}
    >>> training_errors(config)
    [('training.scheduled_sampling', "The 'linear' schedule needs `c`, \
got c=None")]
    """
    settings = config["training"].get("scheduled_sampling")
    if settings is None:
        return []
    # Imported here: the registry reads its configs through the schema.
    from rnnzoo.zoo import registry

    where = "training.scheduled_sampling"
    try:
        ScheduledSampling.from_config(settings)
    except (TypeError, ValueError) as error:
        return [(where, str(error))]
    class_name = config["architecture"]["class"]
    try:
        architecture = registry.architecture_class(class_name)
    except ValueError:
        return []  # `architecture.class` has its own error
    if not issubclass(architecture, EncoderDecoderModel):
        return [
            (
                where,
                "scheduled sampling trains the decoder of an encoder-decoder "
                f"architecture (Seq2Seq, ImageCaptioner); got {class_name}",
            )
        ]
    return []
