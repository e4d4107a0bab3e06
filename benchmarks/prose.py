"""The hand-written explanations that the results files quote.

How to read a results file and why a target is missed are written as
Markdown in `benchmarks/results/README.md`, each passage between
`<!-- prose:NAME -->` and `<!-- /prose -->`, so they are edited as text and
read where the results are. The generator quotes them with the run's numbers
filled in.
"""

import functools
import os
import re

PROSE_PATH = os.path.join(os.path.dirname(__file__), "results", "README.md")

_PASSAGE = re.compile(
    r"<!-- prose:(?P<name>[\w-]+) -->\n(?P<text>.*?)<!-- /prose -->",
    re.DOTALL,
)


@functools.lru_cache
def passages(path: str = PROSE_PATH) -> dict[str, str]:
    """Name to text of every marked passage of `path`, each passage's lines
    joined into one."""
    with open(path) as file:
        text = file.read()
    return {
        match["name"]: " ".join(match["text"].split())
        for match in _PASSAGE.finditer(text)
    }


def prose(name: str, **fields) -> str:
    """The passage `name`, its `{field}`s replaced by `fields`.

    Args:
        name: The passage's name, as in its `<!-- prose:NAME -->` marker.
        **fields: A value for every `{field}` of the passage.

    Example:

    >>> prose("why-textbook-asked-below", below=1, count=2)
    '(1 of 2 at or below 1x)'
    """
    known = passages()
    if name not in known:
        raise KeyError(
            f"Expected a passage `<!-- prose:{name} -->` in {PROSE_PATH}, "
            f"found {sorted(known)}"
        )
    return known[name].format(**fields)
