"""Run commands: methods, train, submit, sweep, show, cancel, runs, compare, recover, worker."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from crossrec.cli.common import add_pair_args, command, emit, pair_ref
from crossrec.data.catalog import load_pair
from crossrec.errors import ArtifactError, UsageError
from crossrec.methods.catalog import all_cards
from crossrec.runs.request import RunRequest, check_seed, validate_request
from crossrec.runs.open_store import open_store
from crossrec.runs.owners import default_owner
from crossrec.runs.store import owner_cap

TERMINAL = ("done", "failed", "cancelled")


def cmd_methods(args) -> int:
    cards = all_cards()
    human = "\n".join(f"{c['name']:<12} {c['family']:<22} {c['description']}" for c in cards)
    emit(args, {"methods": cards}, human)
    return 0


def _request(args) -> RunRequest:
    """The checked request; the pair is loaded now, so a bad file or a pair without overlap
    fails before a run exists. A default split is stored as the seed it was drawn with."""
    from crossrec.data.catalog import pin_split_seed
    from crossrec.methods.settings import parse_assignments
    cards = all_cards()
    request = validate_request(cards, pair_ref(args), args.method, parse_assignments(args.set),
                               args.seed, args.device, args.eval, args.owner or default_owner())
    pair = load_pair(request.pair)
    if next(c for c in cards if c["name"] == request.method)["needs_overlap"]:
        pair.require_overlap(f"method {request.method}")
    pair.require_test_users()
    return dataclasses.replace(request, pair=pin_split_seed(request.pair, pair))


def _metric_line(group: str, m: dict, keys) -> str:
    return f"  {group:<5} " + "  ".join(f"{k} {v:.4f}" for k, v in m.items() if k in keys)


def cmd_train(args) -> int:
    from crossrec.runs.execute import execute_run
    from crossrec.runs.projections import measure_alignment
    from crossrec.train.device import pick_device
    request = _request(args)
    pick_device(request.device)  # a missing GPU is a usage error, not a failed run
    store = open_store()
    run_id = store.create_run(**request.as_dict(), status="running")
    store.start_run(run_id, os.getpid())
    result = execute_run(store, run_id)
    if result is not None:  # here, not later in a worker: this command's user waits for the whole record
        measure_alignment(store, run_id, request.seed)
    run = store.get_run(run_id)
    if result is None:
        print(f"error: run {run_id} {run['status']}: {run['error']}", flush=True, file=sys.stderr)
        return 2 if (run["error"] or "").startswith(ArtifactError.PREFIX) else 1
    payload = {"run_id": run_id, "pair": run["pair_name"], "method": run["method"],
               "seed": run["seed"], "device": result.device, "eval": result.eval,
               "best_epoch": result.best_epoch, "train_seconds": round(result.train_seconds, 3),
               "metrics": result.metrics}
    if result.notes:
        payload["notes"] = result.notes
    human = "\n".join([f"run {run_id}: {run['method']} on {run['pair_name']} ({result.device}, "
                       f"{result.train_seconds:.1f} s, best epoch {result.best_epoch})"]
                      + [_metric_line(group, m, ("hr@10", "ndcg@10", "recall@10", "mrr"))
                         + f"  ({m['n_users']} users)" for group, m in result.metrics.items()]
                      + [f"  note: {n}" for n in result.notes])
    emit(args, payload, human)
    return 0


def cmd_submit(args) -> int:
    from crossrec.scheduling.executor import make_executor, run_until_done
    from crossrec.scheduling.scheduler import Scope
    request = _request(args)
    store = open_store()
    executor = make_executor(store)
    run_id = executor.submit(request, start=False)  # the CLI only queues: scripts run their worker
    if executor.kind == "local":
        emit(args, {"run_id": run_id, "status": "queued"}, f"queued run {run_id}")
        return 0
    # A Ray task lives as long as the process that launched it: stay until the run ends.
    print(json.dumps({"run_id": run_id, "status": "queued"}) if args.json else f"queued run {run_id} on Ray; "
          "waiting for it to end (the task belongs to this process)", flush=True)
    run_until_done(store, Scope(run_id=run_id))
    run = store.get_run(run_id)
    emit(args, {"run_id": run_id, "status": run["status"], "error": run["error"]},
         f"run {run_id} {run['status']}" + (f": {run['error']}" if run["error"] else ""))
    return 0 if run["status"] == "done" else 1


def cmd_sweep(args) -> int:
    from crossrec.scheduling.executor import executor_kind, run_until_done
    from crossrec.scheduling.scheduler import Scheduler, Scope
    from crossrec.runs.worker import LocalLauncher
    from crossrec.sweeps.driver import create_sweep, sweep_report
    from crossrec.sweeps.space import full_space, parse_space
    cards = all_cards()
    request = validate_request(cards, pair_ref(args), args.method, {}, args.seed, args.device, "full",
                               args.owner or default_owner())
    card = next(c for c in cards if c["name"] == request.method)
    pair = load_pair(request.pair)
    if card["needs_overlap"]:
        pair.require_overlap(f"method {request.method}")
    pair.require_test_users()
    from crossrec.data.catalog import is_synthetic
    synthetic = is_synthetic(request.pair)
    given = parse_space(card["settings"], args.space, knobs_allowed=synthetic)
    space = full_space(card["settings"], given, search_defaults=not given)
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    kind = executor_kind()
    store = open_store()
    sweep_id = create_sweep(store, card, request.pair, space, args.trials, args.sampler, args.prune,
                            check_seed(args.sampler_seed, "sampler seed"), request.seed, request.device,
                            owner=request.owner, cap=owner_cap())
    if kind == "local":
        # No projections here: the command ends when its trials do; the app's worker projects later.
        Scheduler(store, LocalLauncher(store, args.concurrency, projections=0), once=True, projections=False).run()
    else:  # trials run as tasks of this process on the cluster: stay until the sweep ends
        run_until_done(store, Scope(sweep_id=sweep_id))
    report = sweep_report(store, sweep_id)
    emit(args, report, _sweep_lines(report))
    return 0


def _sweep_lines(report: dict) -> str:
    lines = [f"sweep {report['sweep_id']}  {report['method']}  {report['status']}"]
    for t in report["trials"]:
        lines.append(f"  trial {t['trial']:>3}  {t['status']:<9} valid ndcg@10 "
                     f"{t['valid'].get('ndcg@10', float('nan')):.4f}  {t['settings']}")
    if report["best"]:
        lines.append(f"best: {report['best']['run_id']} {report['best']['settings']}")
    return "\n".join(lines)


def cmd_show(args) -> int:
    store = open_store()
    if args.run_id.startswith("sweep-"):
        from crossrec.sweeps.driver import sweep_report
        if store.get_sweep(args.run_id) is None:
            raise UsageError(f"no sweep {args.run_id!r} in {store.home}")
        report = sweep_report(store, args.run_id)
        emit(args, report, _sweep_lines(report))
        return 0
    run = store.get_run(args.run_id)
    if run is None:
        raise UsageError(f"no run {args.run_id!r} in {store.home}")
    payload = {"run_id": run["id"], "status": run["status"], "error": run["error"], "owner": run.get("owner") or "",
               "tags": run.get("tags") or [], "note": run.get("note") or "", "starred": bool(run.get("starred")),
               "progress": run["progress"], "method": run["method"], "pair": run["pair_name"],
               "seed": run["seed"], "settings": run["settings"],
               "metrics": run["metrics"] or {}, "summary": run["summary"] or {},
               "n_metric_rows": store.count_metrics(run["id"])}
    lines = [f"run {run['id']}  {run['method']} on {run['pair_name']}  seed {run['seed']}",
             f"status {run['status']}  progress {100 * (run['progress'] or 0):.0f}%  "
             f"metric rows {payload['n_metric_rows']}"]
    if run["error"]:
        lines.append(f"error: {run['error']}")
    lines += [_metric_line(group, m, ("hr@10", "ndcg@10", "mrr")) for group, m in (run["metrics"] or {}).items()]
    emit(args, payload, "\n".join(lines))
    return 0


def cmd_cancel(args) -> int:
    before = open_store().get_run(args.run_id)
    if before is None:
        raise UsageError(f"no run {args.run_id!r}")
    if before["status"] in TERMINAL:
        print(f"run {args.run_id} already {before['status']}")
        return 0
    from crossrec.scheduling.executor import make_executor
    status = make_executor(open_store()).cancel(args.run_id)
    if status == "cancelled":
        print(f"run {args.run_id} cancelled")
    else:
        print(f"cancel requested for run {args.run_id} ({status})")
    return 0


def cmd_runs(args) -> int:
    store = open_store()
    rows = [{"run_id": r["id"], "status": r["status"], "method": r["method"], "pair": r["pair_name"],
             "seed": r["seed"], "progress": r["progress"], "created": r["created"],
             "owner": r.get("owner") or "", "started": r["started"],
             "cold_ndcg@10": ((r["metrics"] or {}).get("cold") or {}).get("ndcg@10"),
             "warm_ndcg@10": ((r["metrics"] or {}).get("warm") or {}).get("ndcg@10")}
            for r in store.list_runs()]
    human = "\n".join(f"{r['run_id']}  {r['status']:<9} {r['method']:<12} {r['pair']:<28} seed {r['seed']}"
                      for r in rows) or f"no runs yet in {store.home}"
    emit(args, {"runs": rows}, human)
    return 0


def _finished_runs(store, run_ids: list[str]) -> list[dict]:
    runs = []
    for run_id in run_ids:
        run = store.get_run(run_id)
        if run is None:
            raise UsageError(f"no run {run_id!r} in {store.home}")
        if run["status"] != "done":
            raise UsageError(f"run {run_id} is {run['status']}; only finished runs are compared")
        runs.append(run)
    return runs


def _comparison(args, store, runs: list[dict]) -> dict:
    from crossrec.analysis.compare import compare
    from crossrec.methods.catalog import setting_defaults
    from crossrec.runs.artifacts import ArtifactStore
    if args.baseline and args.baseline not in {r["method"] for r in runs} | {r["id"] for r in runs}:
        raise UsageError(f"--baseline {args.baseline}: neither a method nor a run among those given")
    return compare(runs, setting_defaults(all_cards()), ArtifactStore(store.home / "artifacts").per_user,
                   k=args.k, baseline=args.baseline)


def cmd_compare(args) -> int:
    from crossrec.analysis.compare_tables import export, headline_table
    store = open_store()
    result = _comparison(args, store, _finished_runs(store, args.run_ids))
    if args.format:
        sys.stdout.write(export(result, args.k, args.format))
        return 0
    human = "\n".join([g["headline"] for g in result["groups"]] + [""]
                      + [headline_table(result, args.k).to_string(index=False), "", f"test: {result['test']}"]
                      + [f"note: {n}" for n in result["notes"]])
    emit(args, result, human)
    return 0


def cmd_report(args) -> int:
    from crossrec.runs.artifacts import ArtifactStore
    from crossrec.runs.report import installed_chromium, print_to_pdf, report_html
    store = open_store()
    runs = _finished_runs(store, args.run_ids)
    result = _comparison(args, store, runs)
    if args.pdf and installed_chromium() is None:
        raise UsageError("--pdf needs Chromium (Debian: apt-get install chromium); the HTML prints to PDF in any browser")
    html = report_html(store, ArtifactStore(store.home / "artifacts"), runs, result, args.k)
    out = Path(args.out)
    try:
        out.write_text(html, encoding="utf-8")
        if args.pdf:
            Path(args.pdf).write_bytes(print_to_pdf(html))
    except OSError as err:
        raise UsageError(f"{err.filename}: cannot write the report ({err.strerror})") from None
    print(f"report: {out}" + (f", {args.pdf}" if args.pdf else ""), flush=True)
    return 0


def cmd_recover(args) -> int:
    from crossrec.runs.recovery import recover_runs
    result = recover_runs()
    lines = [f"moved the damaged store aside to {result['moved_aside']}"] if result["moved_aside"] else []
    lines.append(f"recovered {len(result['restored'])} run(s) from their folders"
                 + (" (their loss curves are not kept in the folders)" if result["restored"] else ""))
    emit(args, result, "\n".join(lines))
    return 0


def cmd_worker(args) -> int:
    from crossrec.runs.worker import LocalLauncher, worker_concurrency
    from crossrec.scheduling.scheduler import Scheduler, idle_seconds_from_env
    if args.concurrency is None:
        args.concurrency = worker_concurrency()
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    if args.projections < 1:
        raise UsageError(f"--projections must be at least 1, got {args.projections}")
    idle = idle_seconds_from_env()
    store = open_store()
    projections = 0 if args.no_projections else args.projections
    return Scheduler(store, LocalLauncher(store, args.concurrency, projections), once=args.once,
                     idle_seconds=idle, projections=not args.no_projections).run()


def _add_run_args(p) -> None:
    add_pair_args(p)
    p.add_argument("--method", required=True, help="method name (see `methods`)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting, repeatable: --set dim=64 --set lr=0.01")
    p.add_argument("--seed", default="0", help="training seed, 0..2^32-1")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--eval", default="full", help="full, sampled:99 or sampled:999")
    p.add_argument("--json", action="store_true")
    p.add_argument("--owner", help="whose run it is (default: your login name)")


def add_commands(sub) -> None:
    command(sub, "methods", cmd_methods, "list the transfer methods and their settings")
    _add_run_args(command(sub, "train", cmd_train, "train a method now, in this process", json=False))
    _add_run_args(command(sub, "submit", cmd_submit, "queue a run for the background worker", json=False))
    command(sub, "show", cmd_show, "a run's status and metrics").add_argument("run_id")
    command(sub, "cancel", cmd_cancel, "stop a queued or running run", json=False).add_argument("run_id")
    command(sub, "runs", cmd_runs, "list runs")
    p = command(sub, "sweep", cmd_sweep, "search a method's settings on validation data (Optuna)")
    add_pair_args(p)
    p.add_argument("--method", required=True)
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--space", action="append", default=[], metavar="KEY=SPEC",
                   help="key=low:high[:log], key=a,b,c or key=value (repeatable); none: every "
                        "setting's default range")
    p.add_argument("--sampler", default="tpe", help="tpe, random or grid")
    p.add_argument("--prune", action="store_true", help="stop trials whose validation curve lags (median)")
    p.add_argument("--sampler-seed", default="0")
    p.add_argument("--seed", default="0", help="training seed of every trial")
    p.add_argument("--device", default="auto")
    p.add_argument("--concurrency", type=int, default=1, help="trials trained at once")
    p.add_argument("--owner", help="whose sweep it is (default: your login name)")
    for name, func, what in (("compare", cmd_compare, "groups, effect sizes and paired tests of finished runs"),
                             ("report", cmd_report, "the print-ready report of finished runs (HTML, PDF)")):
        p = command(sub, name, func, what, json=name == "compare")
        p.add_argument("run_ids", nargs="+", metavar="RUN_ID")
        p.add_argument("--baseline", help="a method, or a run whose group is the baseline (default: popularity "
                                          "for cold users, the better of popularity and target_only on validation "
                                          "for warm users)")
        p.add_argument("--k", type=int, default=10, choices=(5, 10, 20))
    p = sub.choices["compare"]
    p.add_argument("--format", choices=("csv", "markdown", "latex"), help="print the table in this format")
    p = sub.choices["report"]
    p.add_argument("--out", required=True, metavar="FILE.html")
    p.add_argument("--pdf", metavar="FILE.pdf", help="also print it to PDF (needs Chromium)")
    command(sub, "recover", cmd_recover, "rebuild run records from the run folders")
    p = command(sub, "worker", cmd_worker, "run the background worker", json=False)
    p.add_argument("--once", action="store_true", help="exit when the queue is empty (otherwise after "
                                                       "CROSSREC_WORKER_IDLE_S seconds, default 600, with nothing to do)")
    p.add_argument("--concurrency", type=int, help="runs trained at once (default: "
                                                   "CROSSREC_WORKER_CONCURRENCY, else 1)")
    p.add_argument("--projections", type=int, default=1, help="UMAP/t-SNE projections computed at once")
    p.add_argument("--no-projections", action="store_true",
                   help="train only: leave the UMAP/t-SNE projections to a later worker (with --once, "
                        "the worker ends when training does, not when the niced projections do)")
