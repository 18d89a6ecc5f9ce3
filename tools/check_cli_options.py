"""Every command-line option is declared in ``src/communitas/cli/common.py`` (``make lint``).

One CLI convention (docs/cli.md): an option that two commands share means the same thing, is
checked the same way and reads the same in ``--help``, because it is declared once. This check
fails when a ``typer.Option(...)`` (or ``Option(...)`` imported from typer) appears in any other
module of the CLI package, and when a command that computes figures (``FIGURES``) does not take
every scope option (``SCOPE``: ``--source``, ``--since``, ``--until``, ``--place``).

    python tools/check_cli_options.py [FILE ...]     (default: every module of src/communitas/cli)

Exit status 1, one line per offending option, when any is found.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CLI = Path(__file__).resolve().parents[1] / "src" / "communitas" / "cli"
HOME = "common.py"
# The commands that compute figures (their module: the command function) and the scope options'
# aliases in common.py that each must take.
FIGURES = {"profile.py": "profile", "topics.py": "topics", "network.py": "network", "report.py": "report",
           "members.py": "members", "brief.py": "brief"}
SCOPE = ("SourceOpt", "SinceOpt", "UntilOpt", "PlaceOpt")


def _option_names(tree: ast.AST) -> set[str]:
    """Local names bound to typer's Option: ``from typer import Option [as X]``."""
    return {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module in ("typer", "typer.params") for a in node.names if a.name == "Option"}


def _is_option_call(node: ast.AST, bare: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    if isinstance(f, ast.Attribute) and f.attr == "Option":
        return isinstance(f.value, ast.Name) and f.value.id in ("typer", "params")
    return isinstance(f, ast.Name) and f.id in bare


def _flag(node: ast.Call, param: str | None) -> str:
    texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    named = "--" + param.replace("_", "-") if param else "an option"
    return next((t for t in texts if t.startswith("--")), named)


def _params(tree: ast.AST) -> dict[int, str]:
    """Option calls by id, with the name of the function parameter they declare (if any)."""
    out: dict[int, str] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            args = fn.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                for n in ast.walk(arg):
                    out[id(n)] = arg.arg
            defaults = list(zip(reversed(args.args), reversed(args.defaults), strict=False))
            defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
            for arg, default in defaults:
                for n in ast.walk(default):
                    out[id(n)] = arg.arg
    return out


def violations(path: Path) -> list[str]:
    """``path:line: …`` for every option declared in ``path`` (none when it is common.py), and for
    a figure command of ``path`` that lacks a scope option."""
    if path.name == HOME:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bare, params = _option_names(tree), _params(tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_option_call(n, bare)]
    return [f"{path}:{n.lineno}: {_flag(n, params.get(id(n)))} is declared here; declare it in "
            f"cli/{HOME} and use its alias" for n in sorted(calls, key=lambda c: c.lineno)
            ] + _scope_violations(path, tree)


def _scope_violations(path: Path, tree: ast.AST) -> list[str]:
    """The figure command of ``path`` (``FIGURES``) must take every option of ``SCOPE``."""
    name = FIGURES.get(path.name)
    fns = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name]
    if name is None or not fns:
        return []
    fn = fns[0]
    taken = {n.id for a in (*fn.args.args, *fn.args.kwonlyargs) if a.annotation is not None
             for n in ast.walk(a.annotation) if isinstance(n, ast.Name)}
    return [f"{path}:{fn.lineno}: `communitas {name}` computes figures but does not take {alias} "
            "(every such command takes the same scope options, docs/cli.md)"
            for alias in SCOPE if alias not in taken]


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(CLI.glob("*.py"))
    found = [line for p in paths for line in violations(p)]
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
