"""What one ``docclean train`` run is: its options (:class:`RetrainConfig`, ``RUN/retrain.json``),
stored with resolved paths so that ``--resume`` works from any folder, and the checks made before
any page is read: the device and starting model are there, the run folder is this run's own, and
a rerun into it asks for the same run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from docclean import safefile
from docclean.atomic import is_temp_of
from docclean.errors import DataError, DocCleanError, ModelError, UsageError
from docclean.models import builtin_models, resolve_model_path
from docclean.pairsplit import group_pattern
from docclean.places import user_path
from training.device import resolve_device
from training.resume_guard import check_epochs_left
from training.run_folder import RUN_CONFIG, RUN_FILES, check_out_folder

CONFIG_NAME = "retrain.json"
START_NAME = "start.json"
"""The starting model's validation score, taken before the first epoch (fine-tuning only)."""
#: Options a rerun into the same folder may change: how long and how fast it trains, and where.
#: Every other one (the data, the split, the starting model, crops, loss, seed) defines the run.
FREE_OPTIONS = frozenset({"out", "epochs", "max_time", "patience", "lr", "device", "extra"})
#: Options of one invocation only, never stored in ``retrain.json``: a time limit given once must not
#: stop every later ``--resume`` after the same time (there would be no way to lift it).
INVOCATION_OPTIONS = frozenset({"max_time"})
#: Options naming folders: stored and compared resolved, so a rerun from another folder still matches.
PATH_OPTIONS = ("noisy", "clean", "val_noisy", "val_clean")
TRAINED_ARCH = "docunet"
"""The architecture docclean train fine-tunes and writes: the page denoiser."""
LOCK_NAME = ".docclean-train.lock"
"""Held for a run's length: a second run on the same folder would interleave their checkpoints.
Not the batch lock (``.docclean.lock``), so cleaning into a run folder is not mistaken for training."""


@dataclass
class RetrainConfig:
    """Everything one ``docclean train`` run was asked for (written to ``RUN/retrain.json``, so
    ``--resume RUN`` continues exactly the same run)."""

    noisy: str
    clean: str
    out: str
    val_noisy: str | None = None
    val_clean: str | None = None
    val_fraction: float = 0.2
    group: str | None = None
    init: str = "default"
    """``default`` (the shipped model), a .safetensors path, or ``scratch``."""
    epochs: int = 40
    max_time: float | None = None
    """Seconds of training after which this invocation stops (its best checkpoint is ready); not stored."""
    patch_size: int = 192
    batch_size: int = 12
    batches_per_epoch: int = 40
    lr: float | None = None
    """None: 3e-4 when fine-tuning, 1e-3 from scratch."""
    patience: int = 12
    ink_weight: float = 2.0
    synthetic: int = 0
    """Extra pairs made by laying synthetic damage over the user's clean pages."""
    allow_swapped: bool = False
    """Train even when the clean pages look like the scans of the pairs (``training.retrain.check_not_swapped``)."""
    seed: int = 0
    device: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (1e-3 if self.init == "scratch" else 3e-4)

    @classmethod
    def load(cls, run: Path) -> RetrainConfig:
        """The config of an earlier run, for ``--resume``."""
        try:
            data = json.loads((Path(run) / CONFIG_NAME).read_text())
        except (OSError, ValueError) as exc:  # exit 2, as every refused resume
            raise UsageError(f"not a docclean train run folder ({exc})", run, settings=("resume",)) from None
        # Runs stored before INVOCATION_OPTIONS existed hold a --max-time too: it applied to their invocation.
        known = {f.name for f in fields(cls)} - INVOCATION_OPTIONS
        return cls(**{k: v for k, v in data.items() if k in known})

    def stored(self) -> dict[str, Any]:
        """What ``retrain.json`` keeps of the config: every option but this invocation's own."""
        return {k: v for k, v in asdict(self).items() if k not in INVOCATION_OPTIONS}


def model_option(init: str) -> str:
    """``--from`` as stored: ``scratch`` and built-in model names stay names, a file becomes its
    resolved path, so ``--resume`` from another working folder loads the same file."""
    if init == "scratch" or init in builtin_models():
        return init
    return str(user_path(init).resolve())


def resolved(cfg: RetrainConfig) -> RetrainConfig:
    """``cfg`` with its folders and model file as resolved absolute paths (``..`` and symlinks gone):
    the run reads the same files from any working folder, and the same command rerun through
    another spelling of a path is the same run."""
    paths = {name: None if getattr(cfg, name) is None else str(user_path(getattr(cfg, name)).resolve())
             for name in (*PATH_OPTIONS, "out")}
    return replace(cfg, init=model_option(cfg.init), **paths)


def check_config(cfg: RetrainConfig) -> None:
    """UsageError (ModelError for a missing or unusable model file), before any page is read or file
    written, when a value cannot work (the learning rate, the group pattern, half a validation pair,
    noisy and clean pages in one folder, fewer --epochs than the run has done), the device or
    starting model is not there, or ``cfg.out`` cannot be this run's folder
    (``training.run_folder.check_out_folder``). A run that holds a checkpoint continues from it, so
    its starting model (--from) is not needed any more and not checked."""
    if cfg.lr is not None and not 0 < cfg.lr < 1:
        raise UsageError(f"the learning rate must lie between 0 and 1, not {cfg.lr}", settings=("lr",))
    try:
        group_pattern(cfg.group)
    except DataError as exc:
        raise UsageError(exc.reason, settings=("group",)) from None
    if (cfg.val_noisy is None) != (cfg.val_clean is None):
        raise UsageError("give both validation folders (noisy and clean), or neither",
                         settings=("val_clean" if cfg.val_clean is None else "val_noisy",))
    for noisy, clean in (("noisy", "clean"), ("val_noisy", "val_clean")):
        _check_two_folders(getattr(cfg, noisy), getattr(cfg, clean), noisy, clean)
    try:
        resolve_device(cfg.device)
    except ValueError as exc:
        raise UsageError(str(exc), settings=("device",)) from None
    out = Path(cfg.out)
    if cfg.init != "scratch" and not has_checkpoint(out):
        try:
            check_start_model(cfg.init)
        except ModelError as exc:
            if (out / CONFIG_NAME).is_file():  # an earlier attempt that stopped before its first checkpoint
                raise ModelError(f"{exc.reason}; the run in {out} saved no checkpoint yet, so it starts again from "
                                 "its --from model", exc.path) from None
            raise
    check_epochs(cfg)
    inputs = {"--noisy": cfg.noisy, "--clean": cfg.clean, "--val-noisy": cfg.val_noisy, "--val-clean": cfg.val_clean}
    check_out_folder(out, inputs, CONFIG_NAME, ignore=frozenset({LOCK_NAME}))


def _check_two_folders(noisy: str | None, clean: str | None, noisy_name: str, clean_name: str) -> None:
    """UsageError when the noisy and clean folders are one folder: each page would be its own target,
    and the run would learn nothing while scoring perfectly."""
    if noisy is None or clean is None:
        return
    if user_path(noisy).resolve() == user_path(clean).resolve():
        flags = f"--{noisy_name.replace('_', '-')}", f"--{clean_name.replace('_', '-')}"
        raise UsageError(f"the same folder as {flags[0]} ({clean}); the clean pages need a folder of their own",
                         settings=(clean_name,))


def check_start_model(init: str) -> None:
    """ModelError when ``init`` (``--from``: a built-in name or a file) is no page-denoiser model:
    missing, a folder, a run's optimizer state, another architecture, not a model at all. Reads the
    file's header only (no torch), so a wrong file is named before any page is read."""
    from docclean.backends.convert import read_checkpoint_metadata

    path = resolve_model_path(init)
    meta = read_checkpoint_metadata(path)  # names a run's state.safetensors as docclean clean does
    if meta.get("arch") != TRAINED_ARCH:
        raise ModelError(f"a {meta.get('arch')!r} model; docclean train fine-tunes page denoisers "
                         f"({TRAINED_ARCH!r}) only", path)


def epochs_done(out: Path) -> tuple[int, bool]:
    """(epochs finished, whether one more was stopped part way) of the run in ``out``; (0, False)
    when it holds no readable trainer state."""
    try:
        state = safefile.read_metadata(Path(out) / "state.safetensors")["trainer"]
        return int(state["epoch"]) + 1, bool(state.get("partial"))
    except (DocCleanError, OSError, KeyError, TypeError, ValueError):
        return 0, False


def check_epochs(cfg: RetrainConfig) -> None:
    """UsageError when ``cfg.epochs`` would end the run before the epochs it has already done (or
    the one it stopped in): nothing would train, and the smaller figure would be stored. Said
    before the pages are read; the loop checks it again for every other command."""
    if has_checkpoint(Path(cfg.out)):
        check_epochs_left(cfg.epochs, *epochs_done(Path(cfg.out)))


def has_state(out: Path) -> bool:
    """Whether the run folder holds training state, i.e. the run it describes has begun training."""
    return (Path(out) / "state.safetensors").exists()


def has_checkpoint(out: Path) -> bool:
    """Whether the run folder holds what ``training.loop.fit`` resumes from (the trainer state and the
    last weights): the run then goes on from its own weights, not from its --from model."""
    return has_state(out) and (Path(out) / "last.safetensors").exists()


def check_same_run(cfg: RetrainConfig) -> None:
    """UsageError (exit 2, as every refused resume) when ``cfg.out`` holds a run started with other
    options (the first one that differs named); nothing when it holds none. Checked before anything
    is written, so a refused rerun leaves the folder as it was and ``--resume`` still works."""
    try:
        saved = RetrainConfig.load(Path(cfg.out))
    except UsageError:
        return  # no run there yet
    if not has_state(Path(cfg.out)):
        return  # nothing trained yet: the new options simply replace the old
    saved, cfg = resolved(saved), resolved(cfg)  # runs stored before paths were resolved compare too
    for f in fields(RetrainConfig):
        if f.name in FREE_OPTIONS:
            continue
        was, now = getattr(saved, f.name), getattr(cfg, f.name)
        if was != now:
            raise UsageError(f"the run folder holds a run started with other options ({option_flag(f.name)}: "
                             f"{was!r} there, {now!r} now); choose another --out, or continue that run with --resume",
                             cfg.out)


def rerun_config(cfg: RetrainConfig, typed: set[str]) -> RetrainConfig:
    """``cfg`` for a rerun of the first command into a folder whose run has begun training: each option
    a rerun may change (:data:`FREE_OPTIONS`) that was not ``typed`` on the command line is the run's
    own, as ``--resume RUN`` keeps it, so leaving out ``--lr`` or ``--patience`` does not put the
    default in its place; a typed one changes, as with ``--resume``. ``--max-time`` applies to the
    command that gives it only (:data:`INVOCATION_OPTIONS`). A folder with no run, or none trained
    yet, takes ``cfg`` as it is (its options simply replace the old, :func:`check_same_run`)."""
    out = Path(cfg.out)
    if not has_state(out):
        return cfg
    try:
        saved = RetrainConfig.load(out)
    except UsageError:
        return cfg
    kept = FREE_OPTIONS - INVOCATION_OPTIONS - {"out"} - set(typed)
    return replace(cfg, **{name: getattr(saved, name) for name in sorted(kept)})


def option_flag(name: str) -> str:
    """The command-line flag of a :class:`RetrainConfig` field, as errors name it (``init``: ``--from``)."""
    return "--from" if name == "init" else "--" + name.replace("_", "-")


#: The run folder's files written whole through a temporary beside them (``docclean.atomic``):
#: fit's files, the run's own (``retrain.json``, ``start.json``) and the pictures
#: ``training.retrain_pictures`` draws.
ATOMIC_FILES = (RUN_CONFIG, *RUN_FILES, CONFIG_NAME, START_NAME, "loss.png", "samples.png")


def remove_stale_temps(out: Path) -> list[Path]:
    """Delete the temporaries of :data:`ATOMIC_FILES` in ``out`` and return them: kill -9 (or a
    power cut) mid-write leaves one behind, which nothing else would ever remove. Call only while
    holding the run folder's lock (:data:`LOCK_NAME`): then no writer of those files is alive.
    Names only the run's own files, so no temporary of another program is touched; one that cannot
    be removed is left (the run's own writes then say what is wrong with the folder)."""
    removed = []
    try:
        names = [entry.name for entry in Path(out).iterdir()]
    except OSError:
        return removed
    for name in names:
        path = Path(out) / name
        if any(is_temp_of(name, target) for target in ATOMIC_FILES) and path.is_file() and not path.is_symlink():
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed
