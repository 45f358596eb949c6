"""`roost ...` command line: serve, check-config, version (and the feature subcommands)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from roost import FRIGATE_STYLE_VERSION, __version__
from roost.config.errors import ConfigError
from roost.config.services import RUNNABLE_DETECTOR_TYPES
from roost.config.source import config_origin
from roost.logs import LOG_FORMAT, quiet_libraries
from roost.paths import media_dir as default_media_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roost", description="Roost: a local NVR with realtime object detection.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("-c", "--config", type=Path, default=None,
                       help="config file (YAML or JSON); default: $CONFIG_FILE, then "
                            "config/config.yml, then the built-in demo config")
        p.add_argument("--media-dir", type=Path, default=None,
                       help="recordings, clips and the SQLite database (default: $ROOST_MEDIA_DIR or ./media)")
        return p

    serve = with_config(sub.add_parser("serve", help="run Roost until Ctrl-C / SIGTERM"))
    serve.set_defaults(handler=_serve)
    check = with_config(sub.add_parser(
        "check-config", help="make every check `serve` makes at start (config, detect sizes, model files, "
                             "media dir); exit 1 on errors"))
    check.set_defaults(handler=_check_config)
    demo = sub.add_parser("demo", help="serve test cameras (see --rtsp)")
    demo.add_argument("--rtsp", action="store_true", required=True,
                      help="serve simulated RTSP cameras on 127.0.0.1 until Ctrl-C: the demo footage, one that "
                           "drops for 20 s every minute, one at another resolution, one without video")
    demo.add_argument("--port", type=int, default=8556, help="RTSP port of the cameras (default 8556)")
    demo.add_argument("--media-dir", type=Path, default=None, help="where generated clips are kept")
    demo.set_defaults(handler=_demo)
    version = sub.add_parser("version", help="print the version")
    version.set_defaults(handler=_version)
    from roost.train.cli import add_classify_parser

    add_classify_parser(sub)
    return parser


def _media_dir(args: argparse.Namespace) -> Path:
    return args.media_dir if args.media_dir is not None else default_media_dir()


def _serve(args: argparse.Namespace) -> int:
    from roost.app import serve

    return serve(args.config, _media_dir(args))


def _check_config(args: argparse.Namespace) -> int:
    from roost.preflight import preflight

    try:
        loaded = preflight(args.config, _media_dir(args))
    except ConfigError as error:
        print(error.report(), file=sys.stderr)
        return 1
    where = config_origin(loaded)
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    for name, detector in loaded.config.detectors.items():
        if not detector.runnable:
            print(f"warning: detectors.{name}.type: '{detector.type}' is valid Frigate config but Roost "
                  f"cannot run it (runs: {', '.join(RUNNABLE_DETECTOR_TYPES)}); a cpu detector is used instead")
    print(f"Config OK: {where} ({len(loaded.config.cameras)} camera(s))")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from roost.restream.demo_cli import serve_demo_cameras

    return serve_demo_cameras(_media_dir(args), args.port)


def _version(_args: argparse.Namespace) -> int:
    print(f"roost {__version__} (API version {FRIGATE_STYLE_VERSION})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    quiet_libraries()
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
