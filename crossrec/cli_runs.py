"""CLI commands about methods and runs: methods, train, submit, show, cancel, runs, worker."""

from __future__ import annotations

import argparse
import json
import os

from crossrec.data.errors import SettingError


def _store():
    from crossrec.runs.store import RunStore
    return RunStore()


def _emit(args, payload: dict, human: str) -> None:
    print(json.dumps(payload, default=str) if getattr(args, "json", False) else human, flush=True)


def method_card(cls) -> dict:
    from crossrec.methods.base import settings_schema
    return {"name": cls.name, "family": cls.family, "description": cls.summary.replace("\n", " "),
            "paper": cls.paper, "loss_latex": cls.loss_latex, "phases": list(cls.phases),
            "needs_overlap": cls.needs_overlap,
            "settings": settings_schema(cls.Settings)}


def cmd_methods(args) -> int:
    from crossrec.methods.registry import all_methods
    cards = [method_card(cls) for cls in all_methods().values()]
    human = "\n".join(f"{c['name']:<12} {c['family']:<22} {c['description']}" for c in cards)
    _emit(args, {"methods": cards}, human)
    return 0


def _validated_request(args) -> dict:
    """Check method, settings, eval mode and device before anything is stored."""
    from crossrec.cli import UsageError, pair_ref
    from crossrec.eval.protocol import parse_mode
    from crossrec.methods.base import make_settings, parse_assignments
    from crossrec.methods.registry import get_method
    from crossrec.train.device import CHOICES
    ref = pair_ref(args)
    cls = get_method(args.method)
    values = parse_assignments(args.set)
    make_settings(cls.Settings, values, cls.name)  # raises SettingError on a bad key or value
    try:
        parse_mode(args.eval)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.device not in CHOICES:
        raise UsageError(f"unknown device {args.device!r}; use {', '.join(CHOICES)}")
    return {"pair": ref, "method": cls.name, "settings": values, "seed": args.seed,
            "device": args.device, "eval_mode": args.eval}


def _check_pair(request: dict):
    """Load the pair now, so a bad file or a pair without overlap fails before a run exists."""
    from crossrec.data.catalog import load_pair
    from crossrec.methods.registry import get_method
    pair = load_pair(request["pair"])
    if get_method(request["method"]).needs_overlap and not pair.overlap.any():
        raise SettingError(f"method {request['method']} needs users shared by both domains, "
                           f"and pair {pair.name} has none (give a link file?)")
    return pair


def cmd_train(args) -> int:
    from crossrec.runs.execute import execute_run
    from crossrec.train.device import pick_device
    request = _validated_request(args)
    pick_device(request["device"])  # a missing GPU is a usage error, not a failed run
    _check_pair(request)
    store = _store()
    run_id = store.create_run(**request, status="running")
    store.start_run(run_id, os.getpid())
    result = execute_run(store, run_id, slow_projections=False)
    run = store.get_run(run_id)
    if result is None:
        print(f"error: run {run_id} {run['status']}: {run['error']}", flush=True,
              file=__import__("sys").stderr)
        return 1
    payload = {"run_id": run_id, "pair": run["pair_name"], "method": run["method"],
               "seed": run["seed"], "device": result.device, "eval": result.eval,
               "best_epoch": result.best_epoch, "train_seconds": round(result.train_seconds, 3),
               "metrics": result.metrics}
    if result.notes:
        payload["notes"] = result.notes
    human = "\n".join([f"run {run_id}: {run['method']} on {run['pair_name']} ({result.device}, "
                       f"{result.train_seconds:.1f} s, best epoch {result.best_epoch})"]
                      + [f"  {group:<5} " + "  ".join(f"{k} {v:.4f}" for k, v in m.items()
                                                       if k in ("hr@10", "ndcg@10", "recall@10", "mrr"))
                         + f"  ({m['n_users']} users)" for group, m in result.metrics.items()]
                      + [f"  note: {n}" for n in result.notes])
    _emit(args, payload, human)
    return 0


def cmd_submit(args) -> int:
    request = _validated_request(args)
    _check_pair(request)
    from crossrec.runs.executor import LocalExecutor
    run_id = LocalExecutor(_store(), start_worker=False).submit(**request)  # scripts run their worker
    _emit(args, {"run_id": run_id, "status": "queued"}, f"queued run {run_id}")
    return 0


def _show_payload(store, run: dict) -> dict:
    return {"run_id": run["id"], "status": run["status"], "error": run["error"],
            "progress": run["progress"], "method": run["method"], "pair": run["pair_name"],
            "seed": run["seed"], "settings": run["settings"],
            "metrics": run["metrics"] or {}, "summary": run["summary"] or {},
            "n_metric_rows": store.count_metrics(run["id"])}


def cmd_show(args) -> int:
    from crossrec.cli import UsageError
    store = _store()
    run = store.get_run(args.run_id)
    if run is None:
        raise UsageError(f"no run {args.run_id!r} in {store.home}")
    payload = _show_payload(store, run)
    lines = [f"run {run['id']}  {run['method']} on {run['pair_name']}  seed {run['seed']}",
             f"status {run['status']}  progress {100 * (run['progress'] or 0):.0f}%  "
             f"metric rows {payload['n_metric_rows']}"]
    if run["error"]:
        lines.append(f"error: {run['error']}")
    for group, m in (run["metrics"] or {}).items():
        lines.append(f"  {group:<5} " + "  ".join(f"{k} {v:.4f}" for k, v in m.items()
                                                  if k in ("hr@10", "ndcg@10", "mrr")))
    _emit(args, payload, "\n".join(lines))
    return 0


def cmd_cancel(args) -> int:
    from crossrec.cli import UsageError
    from crossrec.runs.executor import LocalExecutor
    status = LocalExecutor(_store(), start_worker=False).cancel(args.run_id)
    if status is None:
        raise UsageError(f"no run {args.run_id!r}")
    if status in ("done", "failed", "cancelled"):
        print(f"run {args.run_id} already {status}")
    else:
        print(f"cancel requested for run {args.run_id} ({status})")
    return 0


def cmd_runs(args) -> int:
    store = _store()
    runs = store.list_runs()
    rows = [{"run_id": r["id"], "status": r["status"], "method": r["method"], "pair": r["pair_name"],
             "seed": r["seed"], "progress": r["progress"], "created": r["created"],
             "cold_ndcg@10": ((r["metrics"] or {}).get("cold") or {}).get("ndcg@10"),
             "warm_ndcg@10": ((r["metrics"] or {}).get("warm") or {}).get("ndcg@10")}
            for r in runs]
    human = "\n".join(f"{r['run_id']}  {r['status']:<9} {r['method']:<12} {r['pair']:<28} seed {r['seed']}"
                      for r in rows) or f"no runs yet in {store.home}"
    _emit(args, {"runs": rows}, human)
    return 0


def cmd_worker(args) -> int:
    from crossrec.runs.worker import Worker
    return Worker(_store(), concurrency=args.concurrency, once=args.once).run()


def cmd_child(args) -> int:
    from crossrec.runs.worker import child_main
    return child_main(args.home)


def _add_run_args(p) -> None:
    from crossrec.cli import add_pair_args
    add_pair_args(p)
    p.add_argument("--method", required=True, help="method name (see `methods`)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting, repeatable: --set dim=64 --set lr=0.01")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--eval", default="full", help="full, sampled:99 or sampled:999")
    p.add_argument("--json", action="store_true")


def add_commands(sub) -> None:
    p = sub.add_parser("methods", help="list the transfer methods and their settings")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_methods)

    p = sub.add_parser("train", help="train a method now, in this process")
    _add_run_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("submit", help="queue a run for the background worker")
    _add_run_args(p)
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("show", help="a run's status and metrics")
    p.add_argument("run_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("cancel", help="stop a queued or running run")
    p.add_argument("run_id")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("runs", help="list runs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("worker", help="run the background worker")
    p.add_argument("--once", action="store_true", help="exit when the queue is empty")
    p.add_argument("--concurrency", type=int, default=1)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("_child", help=argparse.SUPPRESS)
    p.add_argument("home")
    p.set_defaults(func=cmd_child)
