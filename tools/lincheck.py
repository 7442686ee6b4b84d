#!/usr/bin/python3
"""Linearizability checker for shoal fault-harness histories.

    tools/lincheck.py HISTORY.jsonl [--time-limit S] [--json]

Exit status: 0 linearizable, 1 NOT linearizable, 2 unknown (the time limit
ran out before every key was decided), 3 unreadable or malformed history.

A history is JSON lines, one operation each:

    {"client": 3, "op": "get"|"set"|"incr"|"del", "key": "k1",
     "arg": "v" (set only, else null), "type": "ok"|"fail"|"info",
     "value": ..., "invoke": <int ns>, "return": <int ns or null>}

- "ok": completed; `value` is the reply: get -> string or null (missing),
  set -> "OK", incr -> the new integer or "error" (value not an integer),
  del -> 0 or 1.
- "fail": certainly had no effect; ignored.
- "info": outcome unknown; it may take effect at any point after its invoke,
  or never. Its value is ignored; an info get is dropped.

Model, per key: state is None (absent) or a string. get returns it; set v
stores v; incr on None stores "1", on a decimal int64 stores n+1, otherwise
(not an integer, or overflow) replies "error" and keeps the state; del
replies 1 and clears a present key, else replies 0.

The harness imports `check(ops, time_limit)`; it returns a `Result`.
A verdict is never wrong: a key whose search outlives the time limit is
"unknown", never guessed.
"""
import argparse
import dataclasses
import json
import math
import sys
import time
from typing import Any, Iterable, Optional

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "NOT linearizable"
UNKNOWN = "unknown"

EXIT_CODES = {LINEARIZABLE: 0, NOT_LINEARIZABLE: 1, UNKNOWN: 2}
EXIT_BAD_HISTORY = 3

INF = math.inf
INT64_MAX = 2**63 - 1
# Expansions between two looks at the clock: cheap enough to be invisible,
# frequent enough that a 10 ms limit is honoured within a few ms.
CLOCK_CHECK_EVERY_STEPS = 256
# Completed operations shown before the stuck point in a violation window.
WINDOW_CONTEXT_OPS = 3

OPS = ("get", "set", "incr", "del")
TYPES = ("ok", "fail", "info")


@dataclasses.dataclass(frozen=True, eq=False)
class Op:
    index: int            # position in the input: line number - 1
    client: Any
    op: str
    key: str
    arg: Optional[str]
    type: str
    value: Any
    invoke: int
    ret: float            # INF for info ops

    def describe(self, t0: int = 0) -> str:
        call = f"{self.op} {self.key}" + (f" {self.arg!r}" if self.op == "set" else "")
        outcome = f"ok -> {self.value!r}" if self.type == "ok" else self.type
        ret = "inf" if self.ret == INF else str(int(self.ret) - t0)
        return (f"line {self.index + 1:<6} client {self.client!s:<4} {call:<28} {outcome:<20}"
                f" [{self.invoke - t0}, {ret}]")

    def to_json(self) -> dict:
        return {"line": self.index + 1, "client": self.client, "op": self.op,
                "key": self.key, "arg": self.arg, "type": self.type,
                "value": self.value, "invoke": self.invoke,
                "return": None if self.ret == INF else self.ret}


@dataclasses.dataclass
class KeyResult:
    key: str
    verdict: str
    ops: int                      # operations searched (fail ops and info gets excluded)
    # For a violation: the deepest point the search reached.
    linearized: int = 0           # ok ops linearized at that point
    state: Optional[str] = None   # model state there
    stuck: list = dataclasses.field(default_factory=list)   # ok ops none of which could follow
    window: list = dataclasses.field(default_factory=list)  # ops around them, by invoke

    def to_json(self) -> dict:
        d = {"key": self.key, "verdict": self.verdict, "ops": self.ops}
        if self.verdict == NOT_LINEARIZABLE:
            d.update(linearized=self.linearized, state=self.state,
                     stuck=[o.to_json() for o in self.stuck],
                     window=[o.to_json() for o in self.window])
        return d


@dataclasses.dataclass
class Result:
    verdict: str
    keys: dict        # key -> KeyResult
    elapsed_s: float

    def counts(self) -> dict:
        c = {LINEARIZABLE: 0, NOT_LINEARIZABLE: 0, UNKNOWN: 0}
        for k in self.keys.values():
            c[k.verdict] += 1
        return c

    def violations(self) -> list:
        return [k for k in self.keys.values() if k.verdict == NOT_LINEARIZABLE]

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "elapsed_s": round(self.elapsed_s, 3),
                "counts": self.counts(),
                "violations": [k.to_json() for k in self.violations()],
                "unknown_keys": sorted(k.key for k in self.keys.values()
                                       if k.verdict == UNKNOWN)}


# ---------------------------------------------------------------- model

def parse_int64(s: str) -> Optional[int]:
    """The integer `s` spells the way Redis's string2ll accepts it (optional
    '-', no '+', no spaces, no leading zeros, no "-0"), or None."""
    if not s or len(s) > 20:
        return None
    digits = s[1:] if s[0] == "-" else s
    if not digits.isascii() or not digits.isdigit():
        return None
    if digits[0] == "0" and (len(digits) > 1 or s[0] == "-"):
        return None
    n = int(s)
    return n if -2**63 <= n <= INT64_MAX else None


def apply(state: Optional[str], op: Op):
    """(reply, new state) of `op` on `state`."""
    if op.op == "get":
        return state, state
    if op.op == "set":
        return "OK", op.arg
    if op.op == "incr":
        if state is None:
            return 1, "1"
        n = parse_int64(state)
        if n is None or n == INT64_MAX:
            return "error", state
        return n + 1, str(n + 1)
    # del
    return (0, None) if state is None else (1, None)


def is_identity(op: Op, state: Optional[str]) -> bool:
    """True if an ok `op` is consistent with `state` and would leave every
    state it is consistent with unchanged (a get, a del replying 0, an incr
    replying "error"). Such an op, once it may be linearized, can be
    linearized at once without losing any linearization: see _search."""
    if op.op == "get":
        return op.value == state
    if op.op == "del":
        return op.value == 0 and state is None
    if op.op == "incr":
        return op.value == "error" and apply(state, op)[0] == "error"
    return False


# ---------------------------------------------------------------- loading

def normalize(raw: dict, index: int) -> Op:
    """Validates one history record; raises ValueError naming the line."""
    where = f"line {index + 1}"
    try:
        op, typ, key = raw["op"], raw["type"], raw["key"]
        invoke, ret = raw["invoke"], raw.get("return")
    except (KeyError, TypeError) as e:
        raise ValueError(f"{where}: missing field {e}") from None
    if op not in OPS:
        raise ValueError(f"{where}: unknown op {op!r}")
    if typ not in TYPES:
        raise ValueError(f"{where}: unknown type {typ!r}")
    if not isinstance(key, str):
        raise ValueError(f"{where}: key must be a string")
    if not isinstance(invoke, int) or isinstance(invoke, bool):
        raise ValueError(f"{where}: invoke must be an integer")
    arg = raw.get("arg")
    if op == "set" and not isinstance(arg, str):
        raise ValueError(f"{where}: set needs a string arg")
    value = raw.get("value")
    if typ == "info":
        ret, value = INF, None
    else:
        if not isinstance(ret, int) or isinstance(ret, bool):
            raise ValueError(f"{where}: a {typ} op needs an integer return")
        if ret < invoke:
            raise ValueError(f"{where}: return {ret} before invoke {invoke}")
    if typ == "ok":
        if op == "get" and not (value is None or isinstance(value, str)):
            raise ValueError(f"{where}: get value must be a string or null")
        if op == "incr" and isinstance(value, str) and value != "error":
            value = parse_int64(value)
        if op == "incr" and not (value == "error" or
                                 (isinstance(value, int) and not isinstance(value, bool))):
            raise ValueError(f"{where}: incr value must be an integer or \"error\"")
        if op == "del" and value not in (0, 1):
            raise ValueError(f"{where}: del value must be 0 or 1")
    return Op(index, raw.get("client"), op, key, arg if op == "set" else None,
              typ, value, invoke, ret)


def load_history(path: str) -> list:
    """Ops of a JSON-lines file (blank lines skipped); ValueError if malformed."""
    ops = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"line {i + 1}: {e}") from None
            ops.append(normalize(raw, i))
    return ops


# ---------------------------------------------------------------- search

class _Timeout(Exception):
    pass


def _search(key: str, ops: list, deadline: float) -> KeyResult:
    """WGL search of one key's sub-history with Lowe's memoization.

    A node is (set of linearized ops as a bitmask, model state); visited
    nodes are never expanded twice. Ok ops get bits 0..n_ok-1 in invoke
    order, info ops the bits above. An op may be linearized next iff no
    unlinearized ok op returned before its invoke (info ops return at +inf,
    so they never hold anything back). The history is linearizable once
    every ok op is linearized: info ops left over are the ones that never
    took effect (equivalently, took effect after everything else).

    Partial-order reduction: if an ok op that may go next is an identity
    on the current state (see is_identity), it is the only child tried.
    Any linearization that puts it later can move it here: the ops it
    jumps over are unlinearized, so none returned before its invoke, and
    the state it sees is the same.
    """
    ok = sorted((o for o in ops if o.type == "ok"), key=lambda o: (o.invoke, o.index))
    info = sorted((o for o in ops if o.type == "info"), key=lambda o: (o.invoke, o.index))
    n_ok = len(ok)
    all_ops = ok + info
    inv = [o.invoke for o in all_ops]
    ret_order = sorted(range(n_ok), key=lambda i: ok[i].ret)
    info_bits = list(range(n_ok, len(all_ops)))

    best = (-1, 0, None)   # (ok ops linearized, done mask, state) at the deepest node
    visited = set()
    stack = [(0, None, 0, 0)]   # (done, state, first undone in ret_order, in ok)
    steps = 0
    while stack:
        done, state, p, q = stack.pop()
        if (done, state) in visited:
            continue
        visited.add((done, state))
        steps += 1
        if steps % CLOCK_CHECK_EVERY_STEPS == 0 and time.monotonic() > deadline:
            raise _Timeout()
        while p < n_ok and (done >> ret_order[p]) & 1:
            p += 1
        if p == n_ok:
            return KeyResult(key, LINEARIZABLE, len(all_ops))
        while (done >> q) & 1:
            q += 1
        min_ret = ok[ret_order[p]].ret
        depth = (done & ((1 << n_ok) - 1)).bit_count()
        if depth > best[0]:
            best = (depth, done, state)

        children = []
        i = q
        while i < n_ok and inv[i] <= min_ret:
            if not (done >> i) & 1:
                o = ok[i]
                if is_identity(o, state):
                    children = [(done | (1 << i), state, p, q)]
                    break
                reply, new_state = apply(state, o)
                if reply == o.value:
                    children.append((done | (1 << i), new_state, p, q))
            i += 1
        else:
            for b in info_bits:
                if inv[b] > min_ret:
                    break
                if not (done >> b) & 1:
                    _, new_state = apply(state, all_ops[b])
                    children.append((done | (1 << b), new_state, p, q))
        for c in reversed(children):
            if (c[0], c[1]) not in visited:
                stack.append(c)

    return _violation(key, ok, all_ops, ret_order, best)


def _violation(key, ok, all_ops, ret_order, best) -> KeyResult:
    """Describes the deepest node reached: the ok ops that could go next
    there (none led to a full linearization) and the ops around them."""
    depth, done, state = best
    n_ok = len(ok)
    undone = [i for i in ret_order if not (done >> i) & 1]
    min_ret = ok[undone[0]].ret
    stuck = [ok[i] for i in range(n_ok) if not (done >> i) & 1 and ok[i].invoke <= min_ret]
    t0 = min(o.invoke for o in stuck)
    t1 = max(o.ret for o in stuck)
    around = [o for o in all_ops if o.invoke <= t1 and o.ret >= t0]
    before = sorted((o for o in ok if o.ret < t0), key=lambda o: o.ret)[-WINDOW_CONTEXT_OPS:]
    window = sorted({o.index: o for o in around + before}.values(),
                    key=lambda o: (o.invoke, o.index))
    return KeyResult(key, NOT_LINEARIZABLE, len(all_ops), linearized=depth,
                     state=state, stuck=stuck, window=window)


def check(ops: Iterable, time_limit: float = 60.0) -> Result:
    """Checks a history: `ops` are Op values or raw dicts (history records).
    Keys are checked independently (linearizability is compositional), in
    increasing size, under one overall `time_limit` in seconds. Overall
    verdict: NOT linearizable if any key is, else unknown if any key is
    undecided, else linearizable. Raises ValueError on a malformed record."""
    start = time.monotonic()
    deadline = start + time_limit
    by_key: dict = {}
    for i, o in enumerate(ops):
        if not isinstance(o, Op):
            o = normalize(o, i)
        if o.type == "fail" or (o.type == "info" and o.op == "get"):
            continue
        by_key.setdefault(o.key, []).append(o)

    keys = {}
    for key, key_ops in sorted(by_key.items(), key=lambda kv: (len(kv[1]), kv[0])):
        if time.monotonic() > deadline:
            keys[key] = KeyResult(key, UNKNOWN, len(key_ops))
            continue
        try:
            keys[key] = _search(key, key_ops, deadline)
        except _Timeout:
            keys[key] = KeyResult(key, UNKNOWN, len(key_ops))

    verdicts = {k.verdict for k in keys.values()}
    verdict = (NOT_LINEARIZABLE if NOT_LINEARIZABLE in verdicts else
               UNKNOWN if UNKNOWN in verdicts else LINEARIZABLE)
    return Result(verdict, keys, time.monotonic() - start)


# ---------------------------------------------------------------- CLI

def report(result: Result, out=sys.stdout) -> None:
    c = result.counts()
    print(f"keys: {len(result.keys)} ({c[LINEARIZABLE]} linearizable, "
          f"{c[NOT_LINEARIZABLE]} NOT linearizable, {c[UNKNOWN]} unknown) "
          f"in {result.elapsed_s:.2f} s", file=out)
    for k in sorted(result.violations(), key=lambda k: k.key):
        t0 = min(o.invoke for o in k.window)
        print(f"\nkey {k.key!r}: NOT linearizable ({k.ops} ops)", file=out)
        print(f"  deepest search point: {k.linearized} ok ops linearized, "
              f"state {k.state!r}; none of these could go next:", file=out)
        for o in k.stuck:
            print("    " + o.describe(t0), file=out)
        print(f"  window (by invoke; times in ns from {t0}):", file=out)
        for o in k.window:
            print("    " + o.describe(t0), file=out)
    unknown = sorted(k.key for k in result.keys.values() if k.verdict == UNKNOWN)
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:20])
        print(f"\nundecided keys (time limit): {shown}"
              + (" ..." if len(unknown) > 20 else ""), file=out)
    print(f"\n{result.verdict}", file=out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Checks a shoal history for linearizability.")
    ap.add_argument("history", help="JSON-lines history file")
    ap.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                    help="overall search budget in seconds (default 60)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    try:
        ops = load_history(args.history)
    except (OSError, ValueError) as e:
        print(f"lincheck: {args.history}: {e}", file=sys.stderr)
        return EXIT_BAD_HISTORY
    result = check(ops, args.time_limit)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=1)
        print()
    else:
        report(result)
    return EXIT_CODES[result.verdict]


if __name__ == "__main__":
    sys.exit(main())
