"""The `arxiv-digest` command: run the bot, preview a digest, fetch once, or check the setup."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.check import check
from bot.config import Settings, load_settings
from bot.engine import open_engine
from bot.errors import DigestError
from bot.logs import setup_logging
from bot.pipeline import run_fetch
from bot.preview import FORMATS, PreviewRequest, preview

log = logging.getLogger("arxiv-digest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arxiv-digest", description="Daily arXiv digests, summarized and translated."
    )
    parser.add_argument("--config", metavar="PATH", help="a TOML file over config/default.toml")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="start the bot (long polling) with its scheduler")
    commands.add_parser("fetch", help="run the fetch-and-summarize job once and exit")
    checks = commands.add_parser(
        "check", help="try the bot token, the LLM, embeddings, arXiv and the data folder"
    )
    checks.add_argument("--lang", default="zh", help="language the LLM check translates into")
    show = commands.add_parser("preview", help="print a digest to stdout, no Telegram needed")
    show.add_argument("topics", nargs="*", metavar="TOPIC", help='cs.AI, hep-th, "a phrase", ...')
    show.add_argument("--feed", default="", metavar="PATH_OR_URL", help="a feed file or URL")
    show.add_argument("--lang", default="en", help="language of TL;DRs and translations")
    show.add_argument("--format", default="text", choices=FORMATS)
    show.add_argument("--limit", type=_positive, default=0, metavar="N", help="at most N papers")
    show.add_argument(
        "--replacements", action="store_true", help="include replaced papers, as opted-in chats do"
    )
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, not {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except DigestError as error:
        print(f"arxiv-digest: {error}", file=sys.stderr)
        return 2
    level = logging.DEBUG if args.verbose else logging.INFO
    setup_logging((settings.telegram_token, settings.llm_api_key, settings.embed_api_key), level)
    if args.command == "run":
        return _run(settings)
    if args.command in ("preview", "check"):
        logging.getLogger().setLevel(logging.DEBUG if args.verbose else logging.ERROR)
    if args.command == "check":
        return check(settings, args.lang.strip().lower() or "zh")
    try:
        return asyncio.run(_one_shot(args, settings))
    except DigestError as error:
        print(f"arxiv-digest: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _one_shot(args: argparse.Namespace, settings: Settings) -> int:
    async with open_engine(settings) as engine:
        if args.command == "fetch":
            report = await run_fetch(engine)
            print(report.line())
            return 1 if report.failed else 0
        request = PreviewRequest(
            tuple(args.topics),
            args.feed,
            args.lang.strip().lower(),
            args.format,
            args.limit,
            args.replacements,
        )
        sys.stdout.write((await preview(engine, request)).rstrip("\n") + "\n")
        return 0


def _run(settings: Settings) -> int:
    if not settings.telegram_token:
        print(
            "arxiv-digest: TELEGRAM_BOT_TOKEN is not set; create a bot with @BotFather in "
            "Telegram (/newbot) and export the token it gives you",
            file=sys.stderr,
        )
        return 2
    from bot.app import run_bot  # imported here: only `run` needs telegram

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
