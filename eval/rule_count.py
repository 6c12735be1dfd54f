"""How much of ``rag/`` is hand-written rule: an AST count of its regexes, the entries of its literal string
collections (stop words, cue alternatives, symbols) and its module-level numeric constants.

    python -m eval.rule_count            # rag/ and rag/answering/, as a table
    python -m eval.rule_count PATH ...   # other trees

A regex is a ``re.compile`` call; a word-list entry is an element of a list, tuple or set literal of two or
more strings, outside type annotations (field-name tuples count too: the count errs high); a numeric constant is a module-level
``NAME = <int or float>``.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RuleCount:
    modules: int
    regexes: int
    word_list_entries: int
    numeric_constants: int


def _is_compile(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "re")


def _strings(node: ast.AST) -> int:
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or len(node.elts) < 2:
        return 0
    if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return len(node.elts)
    return 0


def _numeric(stmt: ast.stmt) -> bool:
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        value = value.operand
    return (isinstance(value, ast.Constant) and isinstance(value.value, (int, float))
            and not isinstance(value.value, bool))


def count_source(source: str) -> RuleCount:
    """The counts of one module's source."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    typing = {id(n.slice) for n in nodes if isinstance(n, ast.Subscript)}  # Literal["zh", "en"] is a type
    return RuleCount(1, sum(map(_is_compile, nodes)), sum(_strings(n) for n in nodes if id(n) not in typing),
                     sum(1 for s in tree.body if _numeric(s)))


def count_tree(root: Path) -> RuleCount:
    """The counts summed over every ``*.py`` under ``root``."""
    counts = [count_source(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.py"))]
    return RuleCount(len(counts), sum(c.regexes for c in counts), sum(c.word_list_entries for c in counts),
                     sum(c.numeric_constants for c in counts))


def main(argv: list[str] | None = None) -> None:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [ROOT / "rag", ROOT / "rag" / "answering"]
    print("| tree | modules | regexes | word-list entries | module-level numeric constants |")
    print("|---|---|---|---|---|")
    for p in paths:
        c = count_tree(p)
        print(f"| {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p} | {c.modules} | {c.regexes} | "
              f"{c.word_list_entries} | {c.numeric_constants} |")


if __name__ == "__main__":
    main()
