"""The `tremplin` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.app import start_tremplin
from bot.config import Config, ConfigError, config_path, load_config
from commands.catalogue import (
    CatalogueError,
    decode_catalogue,
    export_catalogue,
    import_catalogue,
)
from commands.channels import CHANNELS
from storage import missions as mission_store
from storage.database import Database

log = logging.getLogger("tremplin")


def _shared_options(*, top: bool) -> argparse.ArgumentParser:
    """`--config` and `-v`, accepted before the subcommand and after it.

    Below the top level their defaults are suppressed, so an option given before the
    subcommand is not reset by the subcommand's own parser.
    """
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--config",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="configuration file (default: $TREMPLIN_CONFIG or ./config.yaml)",
    )
    shared.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="more logs on standard error",
    )
    return shared


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tremplin",
        description="Recruit, match and keep technical volunteers (Maison des Lanceurs d'Alerte).",
        parents=[_shared_options(top=True)],
    )
    shared = _shared_options(top=False)

    def commands(
        parent: argparse.ArgumentParser, dest: str, metavar: str | None = None
    ) -> Callable[[str, str], argparse.ArgumentParser]:
        group = parent.add_subparsers(dest=dest, required=True, metavar=metavar)

        def add(name: str, summary: str) -> argparse.ArgumentParser:
            return group.add_parser(name, help=summary, parents=[shared])

        return add

    command = commands(parser, "command", "COMMAND")
    command("run", "run the enabled connectors, the web server and the scheduler")
    console = command("console", "talk to the bot in the terminal")
    console.add_argument("--user", default="moi", help="your name: you are console:NAME")

    db = commands(command("db", "the database"), "db_command")
    db("upgrade", "apply the migrations")
    db("backup", "write every table to a file (portable JSON)").add_argument("file")
    db("restore", "load a backup into an empty database").add_argument("file")

    missions = commands(command("missions", "the mission catalogue (YAML)"), "missions_command")
    missions("import", "create or update missions from a file").add_argument("file")
    missions("export", "write the catalogue (standard output)").add_argument("file", nargs="?")

    appeal = commands(command("appeal", "the call for volunteers"), "appeal_command")
    render = appeal("render", "print the call for an external channel")
    render.add_argument("--channel", required=True, help=", ".join(CHANNELS))
    render.add_argument("--lang", choices=("fr", "en"), default=None)
    publish = appeal("publish", "publish the call")
    publish.add_argument("--to", required=True, choices=("forum", "matrix", "mastodon"))
    publish.add_argument("--lang", choices=("fr", "en"), default=None)

    reminders = command("reminders", "run the follow-up pass once")
    reminders.add_argument("--now", help="the moment to act at (ISO 8601), default: now")
    reminders.add_argument("--dry-run", action="store_true", help="say what is due, send nothing")

    diffuse = command("diffuse", "reconcile the public open missions with API Engagement once")
    diffuse.add_argument(
        "--dry-run", action="store_true", help="say what would change, send nothing"
    )

    stats = command("stats", "the recruitment funnel")
    stats.add_argument("--png", metavar="FILE", help="also write the funnel chart")
    stats.add_argument("--lang", choices=("fr", "en"), default=None)
    return parser


def cannot_write(path: str, error: OSError) -> int:
    """An output file that can't be written: say which and why, no traceback."""
    print(f"tremplin: cannot write {path}: {error.strerror or error}", file=sys.stderr)
    return 1


async def cmd_console(config: Config, args: argparse.Namespace) -> int:
    from bot.connectors.console import run_console

    tremplin = await start_tremplin(config)
    try:
        await run_console(tremplin.brain, args.user, health=tremplin.health)
    finally:
        await tremplin.close()
    return 0


async def cmd_run(config: Config, args: argparse.Namespace) -> int:
    from bot.runner import run_forever

    return await run_forever(config)


async def cmd_db(config: Config, args: argparse.Namespace) -> int:
    database = Database(config.database_url)
    try:
        if args.db_command == "upgrade":
            await database.upgrade()
            print("database up to date")
        elif args.db_command == "backup":
            from bot.backup import BackupError, write_backup

            try:
                count = await write_backup(database, Path(args.file))
            except OSError as error:
                return cannot_write(args.file, error)
            except BackupError as error:
                print(f"tremplin: {error}", file=sys.stderr)
                return 1
            print(f"{count} rows written to {args.file}")
        else:
            from bot.backup import BackupError, read_backup

            try:
                count = await read_backup(database, Path(args.file))
            except BackupError as error:
                print(f"tremplin: {error}", file=sys.stderr)
                return 1
            print(f"{count} rows restored from {args.file}")
    finally:
        await database.dispose()
    return 0


async def cmd_missions(config: Config, args: argparse.Namespace) -> int:
    tremplin = await start_tremplin(config)
    try:
        if args.missions_command == "import":
            try:
                data = await asyncio.to_thread(Path(args.file).read_bytes)
            except OSError as error:
                print(f"tremplin: cannot read {args.file}: {error.strerror}", file=sys.stderr)
                return 1
            try:
                text = decode_catalogue(data)
                async with tremplin.database.session() as session:
                    services = tremplin.brain.services
                    report = await import_catalogue(
                        session, text, services.taxonomy, now=services.clock()
                    )
            except CatalogueError as error:
                print(f"tremplin: {args.file}: {error} (nothing was imported)", file=sys.stderr)
                return 1
            for warning in report.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            print(
                f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged"
            )
        else:
            async with tremplin.database.session() as session:
                text = export_catalogue(await mission_store.all_missions(session))
            if args.file:
                try:
                    await asyncio.to_thread(Path(args.file).write_text, text, "utf-8")
                except OSError as error:
                    return cannot_write(args.file, error)
            else:
                sys.stdout.write(text)
    finally:
        await tremplin.close()
    return 0


async def cmd_appeal(config: Config, args: argparse.Namespace) -> int:
    from bot.outreach import publish_appeal, render_appeal

    if args.appeal_command == "render":
        return await render_appeal(config, args.channel, args.lang or config.language)
    if args.to == "forum":  # the forum connector publishes on its own, without polling
        from bot.connectors.discourse.publish import publish_from_command_line as on_forum

        return await on_forum(config, args.lang or config.language)
    if args.to == "mastodon":
        from bot.connectors.mastodon.publish import publish_from_command_line as on_mastodon

        return await on_mastodon(config, args.lang or config.language)
    return await publish_appeal(config, args.to, args.lang or config.language)


async def cmd_stats(config: Config, args: argparse.Namespace) -> int:
    from bot.outreach import print_stats

    return await print_stats(config, args.lang or config.language, args.png)


async def cmd_reminders(config: Config, args: argparse.Namespace) -> int:
    from bot.outreach import run_reminders_once

    return await run_reminders_once(config, args.now, args.dry_run)


async def cmd_diffuse(config: Config, args: argparse.Namespace) -> int:
    from bot.connectors.api_engagement.diffuse import diffuse_from_command_line

    return await diffuse_from_command_line(config, args.dry_run)


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "console": cmd_console,
    "run": cmd_run,
    "db": cmd_db,
    "missions": cmd_missions,
    "appeal": cmd_appeal,
    "stats": cmd_stats,
    "reminders": cmd_reminders,
    "diffuse": cmd_diffuse,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("nio").setLevel(logging.WARNING)  # its INFO is one line per event
    try:
        config = load_config(config_path(args.config))
    except ConfigError as error:
        print(f"tremplin: bad configuration: {error}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(COMMANDS[args.command](config, args))
    except KeyboardInterrupt:
        return 130
