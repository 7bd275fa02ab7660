"""The `flowc` command line: the outermost layer, where diagnostics become text and exit codes.

Exit codes (`flowc.tools.exit_codes`): 0 clean (warnings allowed), 1 errors in the
input, 2 usage or I/O errors, 130 interrupted. Bad input never shows a traceback: stages return diagnostics (or
raise FlowError with them) and this module prints them. Heavy modules (numba,
pandas) are imported inside the commands that need them, so `flowc lint` and
`flowc fmt` start fast.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import NoReturn

from flowc.dsl.diagnostics import Diagnostic, FlowError, has_errors
from flowc.dsl.render import render_text
from flowc.dsl.source import SourceFile
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


def print_diagnostics(diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile]) -> None:
    if diagnostics:
        sys.stderr.write(render_text(diagnostics, sources, color=sys.stderr.isatty()))


# ---- commands ------------------------------------------------------------------------


def cmd_fmt(args: argparse.Namespace) -> int:
    from flowc.tools.commands.fmt import run_fmt

    return run_fmt(args.files, check=args.check, diff=args.diff)


def cmd_lint(args: argparse.Namespace) -> int:
    from flowc.tools.commands.lint import run_lint

    return run_lint(args)


def cmd_rule(args: argparse.Namespace) -> int:
    from flowc.dsl.codes import RULES, rule_page

    code = args.code.upper()
    if code not in RULES:
        from flowc.dsl.diagnostics import did_you_mean

        hint = did_you_mean(code, RULES) or "`flowc rule --list` shows every code"
        sys.stderr.write(f"flowc: unknown rule `{args.code}`; {hint}\n")
        return EXIT_USAGE
    rule = RULES[code]
    page = rule_page(code)
    sys.stdout.write(page if page else f"# {rule.code} {rule.name}\n\n{rule.summary}.\n")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from flowc.dsl.codes import RULES

    for rule in RULES.values():
        sys.stdout.write(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<30} {rule.summary}\n")
    return EXIT_OK


def cmd_patterns(args: argparse.Namespace) -> int:
    from flowc.tools.commands.patterns import run_patterns

    return run_patterns(args.files)


def cmd_graph(args: argparse.Namespace) -> int:
    from flowc.tools.commands.compile import run_graph

    return run_graph(args)


def cmd_compile(args: argparse.Namespace) -> int:
    from flowc.tools.commands.compile import run_compile

    return run_compile(args)


def cmd_run(args: argparse.Namespace) -> int:
    from flowc.tools.commands.run import run_run

    return run_run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from flowc.tools.commands.report import run_report

    return run_report(args)


def cmd_lsp(args: argparse.Namespace) -> int:
    from flowc.tools.commands.lsp import run_lsp

    return run_lsp(args)


# ---- argument parsing ----------------------------------------------------------------


def _workflow_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-w", "--workflow", help="the workflow to use (default: the file's only one)")


def _set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter (repeatable)")


class _Version(argparse.Action):
    """`--version`: the version is read from the installed metadata only when asked (importing
    `importlib.metadata` costs every other command about 17 ms)."""

    def __call__(self, parser, namespace, values, option_string=None) -> NoReturn:
        from flowc.dsl.version import version

        sys.stdout.write(f"flowc {version()}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc", description="Compile event-routing topologies for trading backtests into native code.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the installed flowc's version and exit")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import a module (dotted name or .py path) that registers components (repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    Handler = Callable[[argparse.Namespace], int]

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    p = command("run", cmd_run, "run a workflow as a backtest and report its metrics")
    p.add_argument("file", nargs="?", help="the .flow file (omit it with --reproduce)")
    _workflow_option(p)
    _set_option(p)
    p.add_argument("--out", metavar="DIR", help="write metrics.json, equity.csv, trades.csv, ... to DIR")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")
    p.add_argument("--engine", choices=("auto", "compiled", "reference"), default="auto",
                   help="auto (default): the compiled program when it is compiled or worth compiling, else the "
                        "reference while the program compiles in the background; compiled: the numba program; "
                        "reference: the plain-Python reference engine. All give the same results")
    p.add_argument("--no-hoist", action="store_true",
                   help="run every container step by step (no whole-array prefix); same results, slower")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.add_argument("-v", "--verbose", action="store_true", help="print every stage and its timing")
    p.add_argument("--executor", default="process", metavar="KIND",
                   help="for sweeps: inline, process (default), dask (a local cluster) or dask://HOST:PORT")
    p.add_argument("--workers", type=int, default=None,
                   help="for sweeps: workers of the local pool (at most one per core; more are cut to that)")
    p.add_argument("--capture-signals", metavar="DIR", help="store every SIGNAL of every strategy in DIR")
    p.add_argument("--report", action="store_true", help="also write report.html and PNG charts to --out")
    p.add_argument("--features", action="store_true",
                   help="also write every feature, regime and signal series per symbol to --out/features/ "
                        "(Parquet, or CSV without pyarrow)")
    p.add_argument("--force", action="store_true",
                   help="with --out: replace a sweep's results by a run's, or a run's by a sweep's")
    p.add_argument("--reproduce", metavar="OUT_DIR", help="rerun the run recorded in OUT_DIR/manifest.json")
    p.add_argument("--start", help="first date or timestamp to trade (warm-up uses earlier bars)")
    p.add_argument("--end", help="last date or timestamp")
    p.add_argument("--data", action="append", default=[], metavar="SYMBOL=PATH",
                   help="replace the data of SYMBOL by a CSV or Parquet file (repeatable)")
    p.add_argument("--benchmark", metavar="SYMBOL", help="the buy-and-hold benchmark of the report")
    p.add_argument("--trace", type=int, metavar="STEP", help="print every event that moved at STEP")

    p = command("lint", cmd_lint, "check files and their topologies; print diagnostics")
    p.add_argument("files", nargs="+")
    p.add_argument("--format", choices=("text", "json", "sarif", "json-list"), default="text",
                   help="json: an object with format_version, valid, error_count, warning_count and diagnostics; "
                        "json-list: the bare list of diagnostics (deprecated, goes in the next release)")
    p.add_argument("--select", action="append", default=[], metavar="CODES",
                   help="only these codes or prefixes (comma-separated, repeatable)")
    p.add_argument("--ignore", action="append", default=[], metavar="CODES",
                   help="not these codes or prefixes (comma-separated, repeatable)")
    _set_option(p)

    p = command("fmt", cmd_fmt, "format files in the canonical style")
    p.add_argument("files", nargs="+")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    p.add_argument("--diff", action="store_true", help="change nothing; print a unified diff")

    p = command("report", cmd_report, "write report.html and PNG charts for an existing --out directory")
    p.add_argument("out_dir")
    p.add_argument("--plugin", dest="report_plugins", action="append", default=[], metavar="MODULE",
                   help="a plugin the run used (its manifest names it; its file must be the same)")
    p.add_argument("--benchmark", metavar="SYMBOL", help="the buy-and-hold benchmark")

    p = command("lsp", cmd_lsp, "run the language server over stdio (needs `pip install 'flowc[lsp]'`)")
    p.set_defaults(leave_fast=False)  # a long-lived server: its exit is rare and its libraries' teardown is theirs

    p = command("rule", cmd_rule, "print the documentation page of a diagnostic code")
    p.add_argument("code")
    command("rules", cmd_rules, "list every diagnostic code")

    p = command("patterns", cmd_patterns, "list the workflows of the pattern registry")
    p.add_argument("files", nargs="*")

    p = command("graph", cmd_graph, "draw a workflow's topology as Graphviz dot or Mermaid")
    p.add_argument("file")
    _workflow_option(p)
    _set_option(p)
    p.add_argument("--format", choices=("dot", "mermaid"), default="dot")

    from flowc.compiler.pipeline import STAGES

    p = command("compile", cmd_compile, "compile a workflow and print one stage")
    p.add_argument("file", nargs="?")
    _workflow_option(p)
    _set_option(p)
    forms = ", ".join(f"{s.name}: {'|'.join(s.forms)}" for s in STAGES)
    p.add_argument("--emit", metavar="FORM", default="plan",
                   help=f"the stage's output to print (default plan); by stage, {forms}")
    p.add_argument("--stages", action="store_true", help="list the pipeline's stages and their forms")
    p.add_argument("--no-hoist", action="store_true", help="emit the step-by-step program")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (the interpreter keeps running: tests call this)."""
    return _dispatch(build_parser(), argv)[0]


def _dispatch(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> tuple[int, argparse.Namespace]:
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE, args
    try:
        for plugin in args.plugin:
            from flowc.runtime.components import load_plugins

            try:
                load_plugins([plugin])
            except Exception as exc:  # the plugin's own code: any error it raises is its author's
                sys.stderr.write(f"flowc: --plugin {plugin}: cannot import it: {type(exc).__name__}: {exc}\n")
                return EXIT_USAGE, args
        return args.handler(args), args
    except FlowError as exc:
        print_diagnostics(exc.diagnostics, exc.sources)
        return (EXIT_ERRORS if has_errors(exc.diagnostics) else EXIT_OK), args
    except KeyboardInterrupt:
        sys.stderr.write("flowc: interrupted\n")
        return EXIT_INTERRUPTED, args
    except BrokenPipeError:
        return EXIT_OK, args
    except OSError as exc:  # the machine's: a full disk, an unwritable folder or cache, ...
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"flowc: {exc.strerror or type(exc).__name__ + ': ' + str(exc)}{where}\n")
        return EXIT_USAGE, args


def entry() -> NoReturn:
    """The `flowc` console script (and `python -m flowc.tools`): run the command, then leave."""
    code, args = _dispatch(build_parser(), None)
    if getattr(args, "leave_fast", True):
        leave(code)
    sys.exit(code)


def leave(code: int) -> NoReturn:
    """End the process without tearing the interpreter down, once the command has finished.

    The teardown frees every module and object one by one, which after a run means numba's and
    llvmlite's: 0.3 s, a quarter of a warm `flowc run`, for nothing anyone sees. What an ordinary
    exit does that can be seen is kept: the atexit handlers run (coverage, multiprocessing, Dask,
    logging, temporary folders) and stdout and stderr are flushed. Files are already complete
    (written atomically, or closed by their commands). Anything unusual takes the ordinary exit:
    a tracer or profiler that writes its results at the end, a thread the ordinary exit would
    wait for, or a stream that cannot be flushed (the ordinary exit reports that).
    """
    waited_for = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if sys.gettrace() is not None or sys.getprofile() is not None or waited_for:
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    entry()
