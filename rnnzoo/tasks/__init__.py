"""Task shapes: one registered object per kind of problem (text
classification, tagging, translation, ...), which data pipelines,
training, the zoo's config schema and its results tables look up by name.

>>> from rnnzoo.tasks import get_task
>>> get_task("translation").title
'Translation'
>>> "tagging" in task_names()
True
"""

from rnnzoo.tasks.registry import TaskShape
from rnnzoo.tasks.registry import get_task
from rnnzoo.tasks.registry import register_task
from rnnzoo.tasks.registry import task_names
from rnnzoo.tasks.registry import unregister_task
