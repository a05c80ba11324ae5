"""The `cliper-sched` command line: parses arguments and hands over.

Commands live in `planner/commands/<name>.py`, each exposing one click command
named `command`; they are imported lazily so `--help` stays fast and one
command's imports never slow down another.
"""

from __future__ import annotations

import difflib
import gc
import importlib
import sys
import warnings

import click

from planner import __version__, logs
from planner.errors import EXIT_ERROR, EXIT_INTERRUPTED, CliperError, UserError
from planner.term import safe, use_color

# name -> (module, one-line help shown by `cliper-sched --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("planner.commands.plan", "Turn CLIPER output and cadence rules into a YAML plan."),
    "validate": ("planner.commands.validate", "Check plan files offline (schema, media, lengths, times)."),
    "channels": ("planner.commands.channels", "List the Postiz channels (integrations) you can post to."),
    "diff": ("planner.commands.diff", "Show what apply would change in Postiz."),
    "apply": ("planner.commands.apply", "Make Postiz match the plan: create, update, delete."),
    "destroy": ("planner.commands.destroy", "Delete every unpublished post the plan owns."),
    "import": ("planner.commands.import_", "Rebuild a lost state file from the posts in Postiz."),
    "pull": ("planner.commands.pull", "Write dashboard edits back into the plan file."),
    "status": ("planner.commands.status", "Show what became of each planned post: scheduled, published, failed."),
    "state": ("planner.commands.state", "List, show, forget (rm) or rename (mv) the posts a plan owns."),
    "schema": ("planner.commands.schema", "Print or write the JSON Schema of plan, rules or state files."),
    "doctor": ("planner.commands.doctor", "Check the connection to Postiz and say how to fix it."),
    "trust": ("planner.commands.trust", "Trust a CLIPER workspace outside the plans' repository."),
    "sandbox": ("planner.commands.sandbox", "Run a local Postiz-compatible API server for trying and testing."),
}

ORDER = list(COMMANDS)

VERBOSITY = "cliper_sched.verbosity"  # ctx.meta key: the -v count so far
VERBOSE_HELP = ("Log each request to Postiz on stderr (method, path, status, time, rate limit); "
                "-vv adds debug detail. The API key is never logged. [env CLIPER_SCHED_LOG=info|debug]")


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    # `cliper-sched -v diff -v plan.yaml` is -vv: the counts before and after the
    # command add up (both callbacks run before the command does anything).
    meta = ctx.find_root().meta
    meta[VERBOSITY] = meta.get(VERBOSITY, 0) + (value or 0)
    logs.setup(meta[VERBOSITY])


def verbose_option() -> click.Option:
    """`-v/--verbose`, repeatable; on the group and, added by LazyGroup, on every command."""
    return click.Option(["-v", "--verbose"], count=True, expose_value=False,
                        callback=_set_verbosity, help=VERBOSE_HELP)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(ORDER)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        _imports_done()
        cmd = module.command
        if cmd.short_help is None and cmd.help is None:
            cmd.short_help = COMMANDS[name][1]
        if not any(p.name == "verbose" for p in cmd.params):
            cmd.params.append(verbose_option())  # `cliper-sched diff -v plan.yaml` works too
        return cmd

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            # Options get "did you mean"; commands deserve the same.
            close = difflib.get_close_matches(name, ORDER, n=1, cutoff=0.5)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             params=[verbose_option()])
@click.version_option(__version__, prog_name="cliper-sched")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Terraform for your posting schedule.

    \b
    1. cliper-sched plan WORKSPACE --start ... --interval 4h --channels a,b -o plans/ep12.yaml
    2. review and edit plans/ep12.yaml, commit it
    3. cliper-sched apply plans/ep12.yaml   (a second apply changes nothing)

    Postiz is reached through POSTIZ_API_URL (e.g. http://localhost:5000/api)
    and POSTIZ_API_KEY (or --api-key-file). Exit codes: 0 ok, 1 error,
    2 changes pending (diff --detailed-exitcode), 3 rate-limit budget spent
    (apply --no-wait), 4 some posts refused by Postiz.

    For a bug report, add -v (each request to Postiz: method, path, status,
    time, rate limit) or -vv (plus rate-limit headers and budget decisions):
    `cliper-sched -vv apply plans/ep12.yaml 2> trace.txt`. The trace goes to
    stderr, never into plans or --json output, and never holds the API key.
    """
    # click strips colour when stdout is not a terminal; FORCE_COLOR means keep it.
    if use_color() and not sys.stdout.isatty():
        ctx.color = True


def _rendered(exc: CliperError) -> str:
    """The error, safe to print. Problems escape what they quote (errors.Problem.render);
    any other error may quote Postiz: its message is escaped onto one line, so a server
    cannot add lines of its own, and its hint (written by this program) keeps its lines."""
    text = exc.render()
    if isinstance(exc, UserError):
        return text
    message, sep, hint = text.partition("\n  hint: ")
    return safe(message) + sep + safe(hint, multiline=True)


def _no_charset_guessing() -> None:
    """requests imports charset_normalizer (or chardet) only to guess the character set
    of an answer that does not declare one, and loading it is a tenth of every command's
    start (~110 M of ~1,000 M instructions to import `apply`, measured with callgrind).
    Postiz answers JSON, which `json` decodes itself, and without a guesser requests
    reads undeclared text as UTF-8 (its documented fallback), so this program goes
    without. Only the console script does this; a library user's process is left alone."""
    for name in ("charset_normalizer", "chardet"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed"
    warnings.filterwarnings("ignore", message="Unable to find acceptable character detection dependency")


_gc_paused = False


def _pause_gc_while_importing() -> None:
    """Starting a command is mostly imports: ~100,000 objects that all live until the
    process ends, which the cycle collector would walk over and over while they load
    (2-3 % of a short command's instructions, measured with callgrind). Collection is
    paused until the command's module is in, then those objects are set aside for good
    (`gc.freeze`) so that later collections look only at what the command makes."""
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True


def _imports_done() -> None:
    if _gc_paused:
        gc.freeze()
        _resume_gc()


def main(argv: list[str] | None = None) -> None:
    _pause_gc_while_importing()
    try:
        _main(argv)
    finally:
        _resume_gc()


def _resume_gc() -> None:
    """--help, --version and usage errors end before any command loads: collection
    resumes as it was (nothing frozen), for a caller that goes on in this process."""
    global _gc_paused
    if _gc_paused:
        gc.enable()
        _gc_paused = False


def _main(argv: list[str] | None) -> None:
    _no_charset_guessing()
    try:
        # Commands end with ctx.exit(code) or raise CliperError; in non-standalone
        # mode click returns ctx.exit's code instead of exiting.
        rv = cli.main(args=argv, prog_name="cliper-sched", standalone_mode=False)
    except CliperError as exc:
        click.echo(f"Error: {_rendered(exc)}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as exc:
        # Click's usage errors exit 2, which means "changes pending" for diff
        # --detailed-exitcode: a mistyped flag in CI must read as an error.
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        # A mistyped flag is an error (1), never 2: 2 means "changes pending" to
        # scripts using `diff --detailed-exitcode`.
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(EXIT_ERROR)
    else:
        sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
