"""Training and validation pairs kept apart: scans of one original never on both sides.

Pages that share a clean page (several noisy scans of one original, or a copy under another name)
must stay on one side of a validation split, or validation scores pages the model trained on and
picks a checkpoint by them: :func:`split_pairs` keeps groups whole (:func:`group_pairs`: by the
clean page's pixels, or by a pattern), and :func:`check_apart` refuses a validation set of its own
that shares originals with the training pairs.
"""

from __future__ import annotations

import hashlib
import random
import re

from docclean.errors import DataError, UsageError
from docclean.pairs import Pair, page_of


def original_key(pair: Pair) -> str:
    """What pairs of one original share: a digest of the clean page's pixels."""
    return hashlib.md5(page_of(pair.clean, pair.page).tobytes()).hexdigest()


def check_apart(train: list[Pair], val: list[Pair]) -> None:
    """DataError when a validation pair is a training pair, or shares its original (its clean
    page's pixels) with one: a copy under another name included."""
    shared = {(p.noisy.resolve(), p.page) for p in train} & {(p.noisy.resolve(), p.page) for p in val}
    if shared:
        raise DataError(f"{len(shared)} validation page(s) are also training pages (e.g. {min(shared)[0]}); give "
                        "--val-noisy/--val-clean folders of their own")
    originals = {original_key(p): p for p in train}
    twins = [(p, originals[key]) for p in val if (key := original_key(p)) in originals]
    if twins:
        (v, t), more = twins[0], f" and {len(twins) - 1} more" if len(twins) > 1 else ""
        raise DataError(f"validation page {v.noisy} has the same clean page as training page {t.noisy}{more}: "
                        "validation would score pages the model trains on; keep copies and scans of one "
                        "original on one side")


def group_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """The compiled ``--group`` pattern (None for none); DataError when it is no regular expression."""
    try:
        return re.compile(pattern) if pattern else None
    except re.error as exc:
        raise DataError(f"not a regular expression ({exc}): the group pattern {pattern!r}") from None


def group_pairs(pairs: list[Pair], pattern: str | None = None) -> dict[str, list[Pair]]:
    """Groups that must stay together in a split: by the regex ``pattern``'s first group (or whole
    match), searched in the noisy file's path relative to its folder with "/" between folders
    (:attr:`Pair.relative`, ``a/p1_2.png``), else by the clean page's pixels (identical originals).
    A file the pattern does not match is a group of its own; UsageError (``--group``) when it matches
    no file."""
    groups: dict[str, list[Pair]] = {}
    regex = group_pattern(pattern)
    if regex is not None and pairs and not any(regex.search(p.relative) for p in pairs):
        # A silent miss would split scans of one original across training and validation.
        raise UsageError(f"the group pattern {pattern!r} matches no noisy file (it is searched in each file's path "
                         f"relative to the noisy folder, such as {pairs[0].relative!r})", settings=("group",))
    for pair in pairs:
        if regex is not None:
            match = regex.search(pair.relative)
            key = "\0" + pair.relative  # a file of its own; "\0" keeps it apart from any matched text
            if match:
                key = match.group(1) if match.groups() and match.group(1) is not None else match.group(0)
        else:
            key = original_key(pair)
        groups.setdefault(key, []).append(pair)
    return groups


def split_pairs(pairs: list[Pair], val_fraction: float, seed: int = 0, pattern: str | None = None
                ) -> tuple[list[Pair], list[Pair]]:
    """(train, validation): whole groups (see :func:`group_pairs`) go to validation until about
    ``val_fraction`` of the pairs are there, at least one group; seeded."""
    if not 0 < val_fraction < 1:
        raise DataError(f"the validation fraction must lie between 0 and 1, not {val_fraction}")
    if len(pairs) == 1:
        raise DataError("only one pair: none can be held out for validation; give more pairs, or a "
                        "validation set of their own (--val-noisy, --val-clean)", pairs[0].noisy)
    groups = group_pairs(pairs, pattern)
    if len(groups) < 2:
        way = (f"another --group than {pattern!r}" if pattern else "--group PATTERN") + (
            " to say which scans may go apart (its first group names the scans that stay together: --group "
            "'^([^_]+)_' keeps a_1.png and a_2.png together, apart from b_1.png)")
        raise DataError("all pairs share one clean page (or group); cannot hold any out for validation: give "
                        f"{way}, or a validation set of their own (--val-noisy, --val-clean)",
                        pairs[0].noisy.parent if pairs else None)
    keys = sorted(groups, key=lambda k: min(str(p.noisy) for p in groups[k]))
    random.Random(seed).shuffle(keys)
    val_keys: list[str] = []
    target, held = val_fraction * len(pairs), 0
    for key in keys:
        # A group that would overshoot is passed over, not taken first: one large group must not
        # put most of the pairs in validation (groups of one size split as before).
        if held + len(groups[key]) <= target + 0.5 and len(val_keys) < len(keys) - 1:
            val_keys.append(key)
            held += len(groups[key])
    if not val_keys:  # every group is larger than the share: the smallest one
        val_keys = [min(keys, key=lambda k: len(groups[k]))]
    chosen = set(val_keys)
    train = [p for k in keys if k not in chosen for p in groups[k]]
    val = [p for k in keys if k in chosen for p in groups[k]]
    return train, val
