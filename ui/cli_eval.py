"""citeqa CLI commands (eval): ``citeqa eval`` (quality, baselines beside citeqa) and ``citeqa bench`` (speed)."""

from __future__ import annotations

from pathlib import Path

import typer


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _console():  # type: ignore[no-untyped-def]
    """stdout console; 120 columns when not a terminal (logs, pipes) so the tables are not squashed."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=120)


def _bar():  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)


def eval_command(
    ctx: typer.Context,
    questions: list[Path] = typer.Option(None, "--questions", "-q",
                                         help="JSONL question file(s) over the corpus and index that "
                                              "CITEQA_CORPUS_DIR / CITEQA_INDEX_DIR name, or the name of a shipped "
                                              "set: dev, extra (default: dev)."),
    benchmark: str = typer.Option(None, "--benchmark",
                                  help="A shipped benchmark with its own corpus, e.g. xquad: evaluated in its own "
                                       "index beside the main one (<index_dir>/bench-<name>, built once, then reused)."),
    lang: str = typer.Option(None, "--lang", help="Only the questions in this language: zh or en."),
    tuned: bool = typer.Option(False, "--tuned-on-these",
                               help="Declare that the --questions files were used to tune or train citeqa (the "
                                    "report then marks their figures as optimistic)."),
    out: Path = typer.Option(None, "--out", help="Output folder (default: eval/out/<timestamp>)."),
    answerer: str = typer.Option(None, "--answerer", help="extractive | openai | ollama (default: settings)."),
    k: int = typer.Option(None, "--k", min=1, max=50,
                          help="Passages handed to the answerer (settings.top_k); rankings are scored to max(10, k)."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines",
                                   help="Also run the simpler pipelines (naive, dense, BM25) on the same questions."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N questions (a quick look)."),
    unrelated: bool = typer.Option(False, "--after-unrelated",
                                   help="Ask each question after an unrelated one (another document's question as "
                                        "the conversation so far): a new topic must be answered as if asked alone."),
    check: bool = typer.Option(False, "--check", help="Only validate the question files (schema, and every evidence "
                               "string found verbatim in its documents); no index, nothing run."),
) -> None:
    """Run an eval set through citeqa and report retrieval, answer, citation, refusal and latency figures."""
    from eval.benchmarks import BENCHMARKS
    from eval.harness import evaluate
    from eval.report import headline_lines, rich_table
    from rag.index.store import StoreError

    settings = ctx.obj
    try:
        if answerer:
            settings.answerer = answerer
    except ValueError:
        raise _fail(f"--answerer {answerer!r}: choose extractive, openai or ollama") from None
    if k:
        settings.top_k = k
    if lang is not None and lang not in ("zh", "en"):
        raise _fail(f"--lang {lang!r}: choose zh or en")
    if benchmark is not None and benchmark.lower() not in BENCHMARKS:
        raise _fail(f"--benchmark {benchmark!r}: choose one of {', '.join(BENCHMARKS)}")
    if benchmark is not None and questions:
        raise _fail("--benchmark brings its own questions: drop --questions (or drop --benchmark)")
    questions = [_resolve(q) for q in questions or []]
    for q in questions:
        if not Path(q).is_file():
            raise _fail(f"Question file {q} not found — pass an existing JSONL file to --questions.")
    console = _console()
    if check:
        if benchmark is not None:
            from eval.benchmarks import benchmark as get_benchmark

            bench = get_benchmark(benchmark)
            settings = settings.model_copy(update={"corpus_dir": bench.corpus_dir})
            questions = bench.question_files(lang)
        _check(settings, list(questions or []), console)
        return
    with _bar() as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for other in tasks.values():
                    bar.update(other, visible=False)
                tasks[stage] = bar.add_task(f"{stage:>15}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        from eval.faithfulness import FaithfulnessScorer, write_faithfulness

        scorers = [FaithfulnessScorer(f"llm:{settings.llm_model}")] if settings.answerer != "extractive" else []
        try:
            outcome = evaluate(settings, list(questions or []), out, with_baselines=baselines,
                               rank_k=max(10, k or 0), progress=progress, limit=limit, lang=lang,
                               benchmark=benchmark, declared_tuned=tuned, scorers=scorers,
                               unrelated_first=unrelated)
        except (StoreError, FileNotFoundError) as exc:
            raise _fail(str(exc)) from exc
    for problem in outcome.problems:
        console.print(f"[yellow]{problem}[/]", highlight=False)
    for notice in outcome.run.notices:
        console.print(f"[dim]{notice}[/]", highlight=False)
    console.print(rich_table(outcome.run.systems, title=f"citeqa eval ({outcome.config['mode'].get('retrieval')}, "
                                                       f"{outcome.config['mode'].get('answerer')})"))
    if scorers:  # the LLM's drafts vs what enforcement kept
        path = write_faithfulness(outcome.paths["report"].parent, outcome.run.results, scorers[0].model)
        console.print(path.read_text(encoding="utf-8").split("\n\n| question")[0], highlight=False)
    for line in headline_lines(outcome.run.systems):
        console.print(line, highlight=False)
    console.print("(± = 95 % bootstrap interval; differences inside it are noise)", highlight=False)
    t = outcome.config["timings"]
    console.print(f"{len(outcome.run.results)} questions in {t['total_s']:.1f} s (citeqa {t.get('citeqa_s', 0):.1f} s, "
                  f"set-up {t['setup_s']:.1f} s). Wrote {outcome.paths['report'].parent}/ (metrics.json, "
                  "results.jsonl, report.md, chart.png, risk_coverage.png)", highlight=False)
    if not outcome.run.results:
        raise typer.Exit(1)


def _resolve(question: Path) -> Path:
    """A path as given, or — when no such file exists — the shipped set of that name ("dev", "extra")."""
    from eval.sets import shipped_eval_path

    if Path(question).exists():
        return Path(question)
    return shipped_eval_path(str(question)) or Path(question)


def _check(settings, questions: list[Path], console) -> None:  # type: ignore[no-untyped-def]
    from eval.sets import check_files, default_eval_path

    files = questions or [default_eval_path()]
    items, problems = check_files(files, settings.corpus_dir)
    for problem in problems:
        console.print(f"[yellow]{problem}[/]", highlight=False)
    n_evidence = sum(len(i.evidence) for i in items)
    console.print(f"{len(items)} questions ({sum(not i.answerable for i in items)} unanswerable), {n_evidence} "
                  f"evidence strings checked against {settings.corpus_dir}: {len(problems)} problem(s).",
                  highlight=False)
    if problems or not items:
        raise typer.Exit(1)


def bench_command(
    ctx: typer.Context,
    out: Path = typer.Option(None, "--out", help="Output folder for bench.json (default: bench-out/<timestamp>)."),
    scale: str = typer.Option("1,10,100", "--scale", help="Corpus multiples to measure, e.g. 1,10,100."),
    questions: int = typer.Option(None, "--questions", min=1, help="Use only the first N dev questions."),
) -> None:
    """Measure ingest speed, query latency and scaling on this machine; print a table and write bench.json."""
    from eval.bench import bench_table, run_bench

    try:
        scales = sorted({int(s) for s in scale.split(",") if s.strip()})
    except ValueError:
        raise _fail(f"--scale takes whole numbers separated by commas (e.g. 1,10,100), got {scale!r}") from None
    if not scales or min(scales) < 1:
        raise _fail("--scale needs at least one multiple ≥ 1 (e.g. 1,10)")
    console = _console()
    result = run_bench(ctx.obj, scales, out, n_questions=questions,
                       say=lambda line: console.print(f"[dim]{line}[/]", highlight=False))
    console.print(bench_table(result))
    console.print(f"Wrote {result['path']}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the shared app."""
    app.command("eval")(eval_command)
    app.command("bench")(bench_command)
    from ui.cli_load import load_command  # `citeqa load`: concurrent clients against a running chat

    app.command("load")(load_command)
