"""`roost classify train|export|import`: the training half of classification from a shell.

Registered by roost/cli.py with `add_classify_parser(sub)`; each subcommand sets
`handler`, which returns the process exit code. The numpy/ONNX machinery is imported by
the handlers, not here, so `roost --help` and the other commands stay quick.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from roost.paths import media_dir, model_cache_dir

if TYPE_CHECKING:
    from roost.train.pipeline import TrainingProgress

logger = logging.getLogger(__name__)

PROGRESS_BAR_WIDTH = 30


def add_classify_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register `classify` with `train`, `export` and `import` under the top-level parser."""
    classify = subparsers.add_parser("classify", help="train, export and import custom classifiers")
    sub = classify.add_subparsers(dest="classify_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--media-dir", type=Path, default=None,
                       help="media folder holding clips/<model>/ (default: $ROOST_MEDIA_DIR or ./media)")
        p.add_argument("--model-cache", type=Path, default=None,
                       help="model cache holding <model>/ and backbone/ (default: $ROOST_MODEL_CACHE or ./model_cache)")
        return p

    train = common(sub.add_parser("train", help="train <model> on clips/<model>/dataset/<class>/ images"))
    train.add_argument("model", help="model name (classification.custom.<model>)")
    train.add_argument("--type", choices=("auto", "state", "object"), default="auto",
                       help="object models always get a 'none' class; auto: from the config, "
                            "else object when dataset/none/ exists")
    train.add_argument("-c", "--config", type=Path, default=None, help="config file used by --type auto")
    train.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads (default 2)")
    train.set_defaults(handler=_train)

    export = common(sub.add_parser("export", help="write a trained model (and optionally its dataset) to a zip"))
    export.add_argument("model")
    export.add_argument("-o", "--output", type=Path, default=None, help="archive path (default: <model>.zip)")
    export.add_argument("--with-dataset", action="store_true", help="include the labelled images")
    export.set_defaults(handler=_export)

    imp = common(sub.add_parser("import", help="check and install a classifier archive"))
    imp.add_argument("file", type=Path)
    imp.add_argument("--name", default=None, help="install under this model name (default: the archive's)")
    imp.add_argument("--replace", action="store_true", help="overwrite an existing model of that name")
    imp.set_defaults(handler=_import)
    return classify


def _dirs(args: argparse.Namespace) -> tuple[Path, Path]:
    """(clips_dir, model_cache) from the options or their environment defaults."""
    media = args.media_dir if args.media_dir is not None else media_dir()
    cache = args.model_cache if args.model_cache is not None else model_cache_dir()
    return media / "clips", cache


def _is_object_model(args: argparse.Namespace, clips: Path) -> bool:
    from roost.config.errors import ConfigError
    from roost.classify.model_files import NONE_CLASS
    from roost.config.source import resolve_config
    from roost.train.dataset import DATASET_DIR, model_clips_dir

    if args.type != "auto":
        return bool(args.type == "object")
    try:
        config = resolve_config(args.config, args.media_dir or media_dir()).config
        custom = config.classification.custom.get(args.model)
        if custom is not None:
            return custom.object_config is not None
    except ConfigError as error:
        logger.warning("cannot read the config to find the model type (%s); guessing from the dataset", error)
    return (model_clips_dir(clips, args.model) / DATASET_DIR / NONE_CLASS).is_dir()


def _progress_bar(report: "TrainingProgress") -> None:
    if report.stage == "embedding" and report.total:
        filled = PROGRESS_BAR_WIDTH * report.done // report.total
        bar = "#" * filled + "-" * (PROGRESS_BAR_WIDTH - filled)
        print(f"\rembedding [{bar}] {report.done}/{report.total}", end="", file=sys.stderr, flush=True)
    elif report.stage in ("evaluating", "fitting", "writing"):
        print(f"\r{report.stage}...{' ' * (PROGRESS_BAR_WIDTH + 20)}", end="", file=sys.stderr, flush=True)


def _train(args: argparse.Namespace) -> int:
    from roost.classify.model_files import InvalidNameError, validate_model_name
    from roost.train.pipeline import TrainingRequest
    from roost.train.run import STATE_COMPLETE, TrainingRun

    clips, cache = _dirs(args)
    try:
        validate_model_name(args.model)
    except InvalidNameError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    request = TrainingRequest(args.model, clips, cache, _is_object_model(args, clips), max(1, args.threads))
    final = TrainingRun(request, [_progress_bar]).start().wait()
    print(file=sys.stderr)
    if final.state != STATE_COMPLETE or final.result is None:
        print(f"error: training {args.model} failed: {final.message}", file=sys.stderr)
        return 1
    result = final.result
    metrics = result["metrics"]
    print(f"trained {args.model}: {result['training_image_count']} images, classes {', '.join(result['classes'])}, "
          f"{result['training_seconds']:.1f} s ({result['embedded_this_run']} newly embedded)")
    print(f"{result['comparison']['message']} ({metrics['method'].replace('_', ' ')}, {metrics['folds']} folds)")
    for name, row in metrics["per_class"].items():
        precision = "n/a" if row["precision"] is None else f"{row['precision']:.0%}"
        recall = "n/a" if row["recall"] is None else f"{row['recall']:.0%}"
        print(f"  {name}: precision {precision}, recall {recall}, {row['support']} images")
    for skipped in result["skipped_images"]:
        print(f"warning: skipped unreadable image {skipped}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from roost.classify.model_files import InvalidNameError
    from roost.train.archive import export_classifier

    clips, cache = _dirs(args)
    output = args.output if args.output is not None else Path(f"{args.model}.zip")
    try:
        export_classifier(args.model, cache, clips, output, args.with_dataset)
    except (InvalidNameError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"exported {args.model} to {output}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from roost.classify.model_files import InvalidNameError
    from roost.train.archive import ArchiveError, import_classifier

    clips, cache = _dirs(args)
    try:
        checked = import_classifier(args.file, cache, clips, args.name, args.replace)
    except (ArchiveError, InvalidNameError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"imported {checked.model} ({len(checked.dataset)} dataset images) into {cache / checked.model}")
    return 0
