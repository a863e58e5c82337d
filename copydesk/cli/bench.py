"""`copydesk bench ...`: benchmarks that print their figures as one JSON object."""

from __future__ import annotations

from pathlib import Path

import click

from copydesk.cli import cli, echo_json
from copydesk.dedup.order import WindowError, window_us


@cli.group()
def bench() -> None:
    """Measure quality and speed; each subcommand prints one JSON object."""


@bench.command("dedup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--baseline",
    "baselines",
    type=click.Choice(["jaccard", "containment"]),
    multiple=True,
    help="Also score a plain rule on the same docs, in the same run (repeatable): "
    "jaccard = datasketch MinHashLSH, Jaccard >= 0.8 on word 5-grams; containment = "
    "containment >= 0.7 on word 5-grams (datasketch LSH Ensemble); union of matches.",
)
@click.option("--jobs", type=int, default=1, show_default=True, help="Fingerprinting processes.")
def bench_dedup(path: Path, baselines: tuple[str, ...], jobs: int) -> None:
    """Cluster a labelled JSONL file of wire copies and score the clusters.

    PATH holds one JSON document a line: {id, title, text, cluster, kind, ops}. Prints
    pairwise precision, recall and F1, the adjusted Rand index, false-positive pairs per
    negative kind, recall per edit op and docs per second; baselines under "baselines".
    """
    from copydesk.bench import dedup

    try:
        echo_json(dedup.run(path, baselines=baselines, jobs=jobs))
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@bench.command("dedup-sets")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--articlecomparisons",
    "csv_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Directory holding census_articles.csv and spotify_articles.csv from the fetched "
    "asprout/ArticleComparisons repository (its data/ directory): builds realnews-*.jsonl.",
)
@click.option(
    "--wcxb",
    "wcxb_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The WCXB dev split (with ground-truth/): builds failures-*.jsonl.",
)
def bench_dedup_sets(out_dir: Path, csv_dir: Path | None, wcxb_dir: Path | None) -> None:
    """Build labelled dedup sets outside the repository, each as halves a, b and all.

    realnews: the 68 hand-labelled ArticleComparisons articles (half a: census, b: spotify).
    failures: compilation pages, teasers, junk pages, write-throughs, three edits and stories
    quoting one statement, built from WCXB article bodies (halves by story group; shared
    statements by site). Choose parameters on a, report b.
    """
    from copydesk.bench import dedup_sets

    if csv_dir is None and wcxb_dir is None:
        raise click.UsageError("give --articlecomparisons DIR, --wcxb DIR or both")
    try:
        echo_json(dedup_sets.write_sets(out_dir, csv_dir, wcxb_dir))
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc


@bench.command("dedup-scale")
@click.option(
    "--sizes",
    default="100000,1000000",
    show_default=True,
    help="Comma-separated index sizes to measure.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the temporary corpus is written (~1.3 GB per million articles); "
    "default: the system temporary directory.",
)
@click.option(
    "--window",
    default=None,
    metavar="DURATION",
    help="Also measure with a dedup window (60d): the corpus then spans two years with copies "
    "within three days, and each phase runs without and with the window on it.",
)
@click.option(
    "--rounds",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Rebuild rounds (each in a fresh process; the median is reported).",
)
@click.option(
    "--no-insert",
    is_flag=True,
    help="Only the rebuild (skips insert + query, which holds every fingerprint in memory).",
)
def bench_dedup_scale(
    sizes: str, workdir: Path | None, window: str | None, rounds: int, no_insert: bool
) -> None:
    """Insert and query synthetic articles at scale: time, memory and rebuild per article.

    For each size, writes that many synthetic fingerprints (10% planted near copies) into a
    real SQLite corpus, assigns them one by one in publication order as a crawl does, then
    rebuilds the index from the corpus as a spider does when it opens; each phase runs in a
    fresh process. Prints milliseconds per article, the Deduper's bytes and peak resident
    memory per indexed article, and rebuild seconds per million.
    """
    from copydesk.bench import dedup_scale

    try:
        numbers = tuple(int(s) for s in sizes.split(",") if s.strip())
    except ValueError as exc:
        raise click.BadParameter(f"not a list of integers: {sizes}") from exc
    if not numbers or min(numbers) < 1:
        raise click.BadParameter(f"sizes must be positive integers: {sizes}")
    try:
        window_micros = window_us(window)
    except WindowError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from exc
    echo_json(
        dedup_scale.run(
            sizes=numbers,
            workdir=workdir,
            window=window_micros,
            insert=not no_insert,
            rebuild_rounds=rounds,
        )
    )


@bench.command("extract")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--baseline", is_flag=True, help="Score plain trafilatura.extract instead.")
@click.option("--limit", type=int, default=None, help="Only the first N pages.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Worker processes.")
@click.option(
    "--compare-speed",
    is_flag=True,
    help="Also time plain trafilatura on the same pages in the same run (about 2x the time).",
)
@click.option(
    "--beside",
    is_flag=True,
    help="Also score trafilatura's text and metadata, extracted in the same run ('trafilatura').",
)
@click.option(
    "--split",
    type=click.Choice(["tune", "report"]),
    default=None,
    help="Only the pages of one half of the sites (dev sets built by build-devset).",
)
@click.option(
    "--misses",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every title/author/date miss of the articles to this JSON Lines file.",
)
def bench_extract(
    directory: Path,
    baseline: bool,
    limit: int | None,
    jobs: int,
    compare_speed: bool,
    beside: bool,
    split: str | None,
    misses: Path | None,
) -> None:
    """Score extraction on a directory laid out like WCXB (html/ID.html.gz, ground-truth/ID.json).

    Prints token F1 (scrapinghub article-extraction-benchmark definition), bag-of-words F1,
    snippet checks, title/author/date accuracy, milliseconds per page and how well the
    article gate separates articles from other pages.
    """
    from copydesk.bench import extract

    try:
        echo_json(
            extract.run(
                directory,
                baseline=baseline,
                limit=limit,
                jobs=jobs,
                compare_speed=compare_speed,
                beside=beside,
                split=split,
                misses=misses,
            )
        )
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


@bench.command("build-devset")
@click.argument(
    "name", type=click.Choice(["newspaper4k", "goose3", "trafilatura-eval", "htmldate"])
)
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Where the projects' repositories were fetched (OWNER+NAME/tests/...), outside the repo.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write (html/, ground-truth/, index.json); keep it outside the repo.",
)
def bench_build_devset(name: str, source: Path, out: Path) -> None:
    """Turn what another extraction project's tests assert into a dev set in the WCXB layout."""
    from copydesk.bench import devsets

    try:
        echo_json(devsets.build(name, source, out))
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc}: fetch the project's repository into {source}") from exc


@bench.command("train-blocks")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the model (JSON); ship it as copydesk/extraction/block_model.json.",
)
@click.option(
    "--use",
    type=click.Choice(["train", "all"]),
    default="train",
    show_default=True,
    help="Pages to fit on: the training sites only (held-out sites stay unseen) or all pages.",
)
@click.option("--jobs", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--limit", type=int, default=None, help="Only the first N pages.")
def bench_train_blocks(directory: Path, out: Path, use: str, jobs: int, limit: int | None) -> None:
    """Train the block classifier on a WCXB-layout directory (deterministic).

    Article pages are split by a hash of their site (copydesk.bench.split: 20% of sites are held
    out). Every text block of each page is labelled by how much of it the ground truth holds;
    gradient-boosted trees (LightGBM, from the dev extra) learn the labels from the block's
    features, and the keep threshold is tuned out of fold (folds grouped by site). Prints what
    was trained as JSON.
    """
    from copydesk.bench import train_blocks

    data = train_blocks.collect(directory, jobs=jobs, limit=limit)
    try:
        model = train_blocks.train(data, use=use)
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    model.save(out)
    echo_json({"out": str(out), "keep_threshold": model.keep_threshold, **model.info})


@bench.command("block-exits")
@click.argument(
    "directories",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Model to calibrate (default: the shipped one).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the model with its exits.",
)
@click.option("--split", default="tune", show_default=True, help="Half of the dev sets to read.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Worker processes.")
def bench_block_exits(
    directories: tuple[Path, ...], model_path: Path | None, out: Path, split: str, jobs: int
) -> None:
    """Calibrate the block model's early exits on dev sets it was not trained on.

    Every block of the ``--split`` half of DIRECTORIES (dev sets in the WCXB layout with a
    ``split`` in index.json) is scored after 50, 100, 150, 200 and 300 trees and at the end;
    each exit's margin is the farthest any block stood from the keep threshold there and still
    ended on the other side. The trees and threshold are unchanged. Prints the exits as JSON.
    """
    from copydesk.bench import train_blocks
    from copydesk.extraction.model import BlockModel, ModelError, shipped_model

    try:
        model = BlockModel.load(model_path) if model_path else shipped_model()
        rows = train_blocks.page_rows(directories, split, jobs=jobs)
        model = train_blocks.calibrate_exits(model, rows)
    except (ModelError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    model.save(out)
    echo_json({"out": str(out), "blocks": len(rows), "exits": [list(e) for e in model.exits]})


@bench.command("crawl")
@click.option("--pages", type=int, default=1000, show_default=True, help="Article pages.")
@click.option("--rounds", type=int, default=3, show_default=True, help="Rounds per figure.")
@click.option(
    "--extract-sample",
    type=int,
    default=0,
    show_default=True,
    help="Pages used by the extraction-alone and dedup+store loops (0: every page, so the "
    "CPU limit is measured on the same pages as the pipeline).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy setting for the full-pipeline crawls (repeatable).",
)
@click.option(
    "--shards",
    type=int,
    default=0,
    help="Instead: compare one crawl process with this many shard processes and a writer "
    "(multi-machine crawls, run on this machine).",
)
def bench_crawl(
    pages: int, rounds: int, extract_sample: int, overrides: tuple[str, ...], shards: int
) -> None:
    """Crawl a generated local news web and compare the pipeline with the CPU limit.

    Generates PAGES article pages (~65 KB, templates with navigation, sidebars, comments and
    footers, planted wire copies, feeds and sitemaps), serves them from a separate process on
    127.0.0.1, then measures, ROUNDS times each: the raw fetch (no pipelines), extraction alone
    in 1 and N processes, dedup + store alone, and the full pipeline. Prints medians, the
    CPU limit (cores / CPU seconds per page of fetch + extract + dedup + store, extraction
    timed with every core extracting; the same limit from the 1-process loop beside it), the
    pipeline's share of it, peak memory per process and how noisy the rounds were.
    """
    from copydesk.bench import crawl

    extract_sample = extract_sample or pages
    if pages < 10 or rounds < 1 or extract_sample < 10:
        raise click.BadParameter("need --pages >= 10, --rounds >= 1, --extract-sample 0 or >= 10")
    settings: dict[str, str] = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {override!r}")
        settings[name] = value
    if shards:
        from copydesk.bench import shards as sharded

        try:
            echo_json(
                sharded.run(pages, rounds, shards, settings, lambda m: click.echo(m, err=True))
            )
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        return
    try:
        result = crawl.run(
            pages=pages,
            rounds=rounds,
            extract_sample=min(extract_sample, pages),
            pipeline_settings=settings,
            progress=lambda message: click.echo(message, err=True),
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    echo_json(result)


@bench.command("browse")
@click.option(
    "--articles", type=click.IntRange(1), default=100_000, show_default=True, help="Corpus size."
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Corpus to build, or to reuse when it exists (one a killed build left half-built is "
    "built again; default: copydesk-bench-browse-N.db in the system temporary directory).",
)
@click.option(
    "--repeat", type=click.IntRange(1), default=20, show_default=True, help="Timed runs per page."
)
def bench_browse(articles: int, db_path: Path | None, repeat: int) -> None:
    """Time every page of `copydesk serve` on a big synthetic corpus.

    Builds (or reuses) a corpus of ARTICLES articles through the storage layer (200 sites, two
    years, ~12% wire copies, authors, five languages, texts of a few hundred words; indexes,
    search index and summaries made once at the end), serves it
    with `copydesk serve` in a child process and fetches every page a user opens (front page,
    tables and views with their facets, each canned query, search, article, wire-story and site
    pages, JSON and CSV) once to warm up and REPEAT times more, while a thread writes articles
    into the same corpus. Prints p50/p95 milliseconds per page, failures (non-200 answers and
    time-outs), the writer's transaction times and the corpus size on disk.
    """
    from copydesk.bench import browse

    try:
        result = browse.run(
            db_path, articles, repeat=repeat, progress=lambda m: click.echo(m, err=True)
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    echo_json(result)


@bench.command("writer")
@click.option("--articles", type=int, default=2000, show_default=True, help="Articles.")
@click.option("--rounds", type=int, default=3, show_default=True, help="Rounds.")
@click.option("--batch", type=int, default=200, show_default=True, help="Articles per commit.")
def bench_writer(articles: int, rounds: int, batch: int) -> None:
    """Measure the writer of multi-machine crawls: articles per second and CPU per article.

    Generates ARTICLES articles as crawl shards hand them off (the crawl benchmark's pages,
    ~10% planted wire copies), fills the stream of a private redis-server on 127.0.0.1, then
    times one writer storing them into a fresh corpus, ROUNDS times. Prints medians and each
    round.
    """
    from copydesk.bench import writer
    from copydesk.bench.redisserver import RedisServerMissing

    if articles < 10 or rounds < 1:
        raise click.BadParameter("need --articles >= 10 and --rounds >= 1")
    try:
        result = writer.run(
            articles, rounds, batch, progress=lambda message: click.echo(message, err=True)
        )
    except RedisServerMissing as exc:
        raise click.ClickException(str(exc)) from exc
    echo_json(result)
