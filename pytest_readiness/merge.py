"""Merge JSON results of shards, clusters or environments into one decision (pure).

``pytest-readiness merge`` (:mod:`pytest_readiness.cli`) feeds this module. The results'
decisions are not trusted: the items are decided again with :func:`policy.evaluate` under one
policy (the profile given to the merge, else the one every result records), and the merge is
INCOMPLETE when the parts do not add up:

- results of one environment (same label) disagree on an item's outcome, on the shard count
  or on the suite, or were decided under different policies;
- a shard of a split suite is missing, or an item of the suite is in no result.

Results with different labels (the profile, or ``LABEL=`` on the command line) are different
environments: their items are kept apart, ids and sections qualified by the label. A result
that decided worse than its own items explain (a collection error, a crashed worker, a module
skipped at collection: run facts the items do not carry) passes that decision on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from pytest_readiness.model import (
    Attestation,
    Decision,
    EvidenceRecord,
    ItemResult,
    ItemSpec,
    RawOutcome,
    RawResult,
    RunInfo,
    Scope,
    Severity,
    Verdict,
    Waiver,
)
from pytest_readiness.policy import Policy, evaluate, policy_facts, policy_from_facts

#: How bad a decision is, to pass the worst one on; INCOMPLETE outranks NO-GO as in policy.
_RANK = {
    Decision.GO: 0,
    Decision.DELAY: 1,
    Decision.NO_DATA: 2,
    Decision.NO_GO: 3,
    Decision.INCOMPLETE: 4,
}
#: For results without a raw outcome: what pytest must have said for this outcome.
_RAW_OF = {
    "passed": RawOutcome.PASSED,
    "failed": RawOutcome.FAILED,
    "waived": RawOutcome.FAILED,
    "error": RawOutcome.ERROR,
    "skipped": RawOutcome.SKIPPED,
    "pending": RawOutcome.PASSED,
    "attested": RawOutcome.PASSED,
}
_Rule = TypeVar("_Rule", Waiver, Attestation)
_LEFT_OUT = re.compile(r"(\d+) critical items? not evaluated")


@dataclass(frozen=True)
class Result:
    """One JSON result (checked against the result schema) and the environment it belongs to."""

    source: str
    label: str
    data: Mapping[str, Any]

    @property
    def shard(self) -> Mapping[str, Any] | None:
        shard: Mapping[str, Any] | None = self.data["scope"].get("shard")
        return shard

    def describe(self) -> str:
        shard = self.shard
        part = f" shard {shard['index']}/{shard['count']}" if shard else ""
        return f"{self.label}{part} ({self.source})"


@dataclass(frozen=True)
class Rules:
    """What the merge decides under: a profile's policy, waivers and attestations, or None to
    take them from the results."""

    policy: Policy | None = None
    waivers: Sequence[Waiver] | None = None
    attestations: Sequence[Attestation] | None = None
    config_path: str | None = None


@dataclass
class _Environment:
    """The items of one label, by node id, and what did not add up."""

    label: str
    results: list[Result] = field(default_factory=list)
    items: dict[str, tuple[Mapping[str, Any], Result]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def result_of(data: Mapping[str, Any], source: str, label: str | None = None) -> Result:
    return Result(source, label or str(data["profile"]), data)


def merge(results: Sequence[Result], rules: Rules, today: date) -> tuple[Verdict, Policy]:
    """One verdict over every result; the policy it was decided under (for the exit status)."""
    problems: list[str] = []
    policy = rules.policy or _common_policy(results, problems)
    environments = _environments(results)
    qualify = len(environments) > 1
    specs: list[ItemSpec] = []
    raw: dict[str, RawResult] = {}
    recorded: dict[str, Mapping[str, Any]] = {}
    for env in environments:
        problems.extend(env.problems)
        for nodeid in env.order:
            item, _ = env.items[nodeid]
            spec = _spec(item, env.label if qualify else None)
            specs.append(spec)
            raw[spec.nodeid] = _raw(item)
            recorded[spec.nodeid] = item
    waivers: list[Waiver] = []
    attestations: list[Attestation] = []
    for env in environments:
        label = env.label if qualify else None
        waivers += _qualified(rules.waivers if rules.waivers is not None else _waivers(env), label)
        attestations += _qualified(
            rules.attestations if rules.attestations is not None else _attestations(env), label
        )
    verdict = evaluate(
        specs,
        raw,
        policy,
        waivers=waivers,
        attestations=attestations,
        today=today,
        scope=_scope(environments, qualify, len(specs)),
        run=_run(results, environments, policy, rules.config_path),
    )
    verdict = replace(verdict, items=tuple(_kept_message(i, recorded) for i in verdict.items))
    carried = _carried(results, policy)
    return _overruled(verdict, problems, carried), policy


def _common_policy(results: Sequence[Result], problems: list[str]) -> Policy:
    """The policy every result records; a missing or differing one makes the merge INCOMPLETE."""
    seen: dict[str, list[str]] = {}
    for result in results:
        facts = result.data["run"].get("policy")
        if facts is None:
            problems.append(
                f"{result.describe()} records no policy: pass the profile to the merge "
                "(--readiness-config, --readiness)"
            )
            continue
        seen.setdefault(json.dumps(facts, sort_keys=True), []).append(result.describe())
    if len(seen) > 1:
        problems.append(
            "the results were decided under different policies: "
            + "; ".join(", ".join(names) for names in seen.values())
        )
    first = next(iter(seen), None)
    return policy_from_facts(json.loads(first)) if first else Policy()


def _environments(results: Sequence[Result]) -> list[_Environment]:
    by_label: dict[str, _Environment] = {}
    for result in results:
        by_label.setdefault(result.label, _Environment(result.label)).results.append(result)
    for env in by_label.values():
        _collect(env)
        _check_shards(env)
    return list(by_label.values())


def _collect(env: _Environment) -> None:
    """Every item of the environment once; two different outcomes of one item are a conflict."""
    for result in env.results:
        for item in result.data["items"]:
            nodeid = str(item["nodeid"])
            known = env.items.get(nodeid)
            if known is None:
                env.items[nodeid] = (item, result)
                env.order.append(nodeid)
                continue
            before, where = known
            if (before["outcome"], before["raw_outcome"]) != (item["outcome"], item["raw_outcome"]):
                env.problems.append(
                    f"conflict in {env.label}: {item['id']} is {before['outcome']} in "
                    f"{where.describe()} but {item['outcome']} in {result.describe()}"
                )
                if before["met"] and not item["met"]:  # fail closed: keep the one not met
                    env.items[nodeid] = (item, result)
    suite = _suite(env)
    if suite:  # report in the suite's collection order, as an unsharded run does
        position = {nodeid: i for i, nodeid in enumerate(suite)}
        env.order.sort(key=lambda nodeid: position.get(nodeid, len(position)))


def _suite(env: _Environment) -> list[str]:
    for result in env.results:
        if result.shard:
            return list(result.shard["suite"])
    return []


def _check_shards(env: _Environment) -> None:
    shards = [r for r in env.results if r.shard]
    if not shards:
        return
    if len(shards) != len(env.results):
        env.problems.append(
            f"conflict in {env.label}: shard results mixed with unsharded ones "
            f"({', '.join(r.describe() for r in env.results if not r.shard)})"
        )
    counts = {int(r.shard["count"]) for r in shards if r.shard}
    if len(counts) > 1:
        env.problems.append(
            f"conflict in {env.label}: the shards split the suite in different counts "
            f"({', '.join(str(c) for c in sorted(counts))})"
        )
    suites = {tuple(r.shard["suite"]) for r in shards if r.shard}
    if len(suites) > 1:
        env.problems.append(
            f"conflict in {env.label}: the shards were cut from different suites "
            "(other code, paths, -m or -k); run every shard of one commit with one command line"
        )
    count = max(counts)
    present = {int(r.shard["index"]) for r in shards if r.shard}
    missing = sorted(set(range(count)) - present)
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        env.problems.append(f"{env.label}: shard {names} missing (no result)")
    suite = set().union(*suites)
    without = [nodeid for nodeid in sorted(suite) if nodeid not in env.items]
    if without and not missing:
        env.problems.append(
            f"{env.label}: {len(without)} items of the suite are in no shard result "
            f"(first: {without[0]})"
        )


def _spec(item: Mapping[str, Any], label: str | None) -> ItemSpec:
    return ItemSpec(
        id=f"{label}:{item['id']}" if label else str(item["id"]),
        nodeid=f"{label}:{item['nodeid']}" if label else str(item["nodeid"]),
        title=str(item["title"]),
        severity=Severity(item["severity"]),
        section=f"{item['section']} [{label}]" if label else str(item["section"]),
        weight=float(item["weight"]),
        owner=item.get("owner"),
        docs=item.get("docs"),
        remediation=item.get("remediation"),
        manual=bool(item.get("manual", False)),
    )


def _raw(item: Mapping[str, Any]) -> RawResult:
    raw = item.get("raw_outcome")
    return RawResult(
        RawOutcome(raw) if raw else _RAW_OF[item["outcome"]],
        str(item.get("message") or ""),
        float(item.get("duration") or 0.0),
        tuple(EvidenceRecord.from_dict(record) for record in item.get("evidence") or ()),
    )


def _kept_message(result: ItemResult, recorded: Mapping[str, Mapping[str, Any]]) -> ItemResult:
    """Deciding a recorded message again would wrap it twice ("waived ... (failure: waived
    ...)"): where the outcome did not change, the message the run recorded stays."""
    item = recorded[result.spec.nodeid]
    if result.outcome.value == item["outcome"]:
        return replace(result, message=str(item.get("message") or ""))
    return result


def _waivers(env: _Environment) -> list[Waiver]:
    """The waivers the results recorded. A waiver covered critical items with a wildcard only
    if it said so, and then it shows them among the items it applied to."""
    found: dict[tuple[str, ...], Waiver] = {}
    for result in env.results:
        critical = {i["id"] for i in result.data["items"] if i["severity"] == "critical"}
        for w in result.data["waivers"]:
            covers = w["state"] == "applied" and bool(critical.intersection(w["items"]))
            # An object-scoped waiver must stay one: as an item waiver it would waive the item.
            scope = (w.get("object"), w.get("container"))
            key = (w["id"], w["by"], w["until"], *map(str, scope))
            known = found.get(key)
            found[key] = Waiver(
                id=w["id"],
                reason=w["reason"],
                by=w["by"],
                until=date.fromisoformat(w["until"]),
                covers_critical=covers or bool(known and known.covers_critical),
                object=scope[0],
                container=scope[1],
                source=w.get("source"),
            )
    return list(found.values())


def _attestations(env: _Environment) -> list[Attestation]:
    found: dict[tuple[str, str, str], Attestation] = {}
    for result in env.results:
        for a in result.data["attestations"]:
            on = date.fromisoformat(a["on"])
            days = (date.fromisoformat(a["expires"]) - on) // timedelta(days=1)
            found[a["id"], a["by"], a["on"]] = Attestation(
                a["id"], a["by"], on, days, a["evidence"]
            )
    return list(found.values())


def _qualified(rules: Iterable[_Rule], label: str | None) -> list[_Rule]:
    """An environment's waivers and attestations name its own items: ``label:id``."""
    return [replace(rule, id=f"{label}:{rule.id}") if label else rule for rule in rules]


def _scope(environments: Sequence[_Environment], qualify: bool, selected: int) -> Scope:
    total = left_out = 0
    narrowed: list[str] = []
    for env in environments:
        scopes = [r.data["scope"] for r in env.results]
        total += max(int(s["total"]) for s in scopes)
        left_out += max(_critical_left_out(s) for s in scopes)
        for scope in scopes:
            for text in scope["narrowed_by"]:
                text = f"{env.label}: {text}" if qualify else text
                if text not in narrowed:
                    narrowed.append(text)
    return Scope(selected, max(total, selected), tuple(narrowed), left_out)


def _critical_left_out(scope: Mapping[str, Any]) -> int:
    if "critical_left_out" in scope:
        return int(scope["critical_left_out"])
    found = _LEFT_OUT.search(str(scope["description"]))  # results written before the key
    return int(found.group(1)) if found else 0


def _run(
    results: Sequence[Result],
    environments: Sequence[_Environment],
    policy: Policy,
    config_path: str | None,
) -> RunInfo:
    runs = [r.data["run"] for r in results]
    commits = {run.get("git_commit") for run in runs}
    started = sorted(str(run["started_at"]) for run in runs if run.get("started_at"))
    return RunInfo(
        profile=" + ".join(env.label for env in environments),
        config_path=config_path,
        started_at=started[0] if started else None,
        duration=max((float(run["duration"]) for run in runs), default=0.0),
        hostname=None,
        git_commit=commits.pop() if len(commits) == 1 else None,
        pytest_version=runs[0].get("pytest_version") if runs else None,
        plugin_version=runs[0].get("plugin_version") if runs else None,
        python_version=runs[0].get("python_version") if runs else None,
        workers=0,  # the parts ran elsewhere; the merge ran no check
        policy=policy_facts(policy),
    )


def _carried(results: Sequence[Result], policy: Policy) -> list[tuple[Decision, str]]:
    """INCOMPLETE or NO-GO decisions a result's items do not explain under its own rules (its
    policy, waivers and attestations on the day it ran): run facts such as a collection error,
    a crashed worker or a module skipped at collection, which the items do not carry."""
    carried: list[tuple[Decision, str]] = []
    for result in results:
        recorded = Decision(result.data["decision"])
        if recorded not in (Decision.INCOMPLETE, Decision.NO_GO):
            continue
        items = result.data["items"]
        specs = [_spec(item, None) for item in items]
        facts = result.data["run"].get("policy")
        own = evaluate(
            specs,
            {spec.nodeid: _raw(item) for spec, item in zip(specs, items, strict=True)},
            policy_from_facts(facts) if facts else policy,
            waivers=_waivers_of(result),
            attestations=_attestations_of(result),
            today=_day_of(result) or date.today(),
        )
        if _RANK[recorded] > _RANK[own.decision]:
            why = "; ".join(result.data["reasons"]) or "no reason recorded"
            carried.append((recorded, f"{result.describe()} decided {recorded}: {why}"))
    return carried


def _day_of(result: Result) -> date | None:
    started = result.data["run"].get("started_at")
    try:
        return date.fromisoformat(str(started)[:10]) if started else None
    except ValueError:
        return None


def _waivers_of(result: Result) -> list[Waiver]:
    return _waivers(_Environment(result.label, [result]))


def _attestations_of(result: Result) -> list[Attestation]:
    return _attestations(_Environment(result.label, [result]))


def _overruled(
    verdict: Verdict, problems: Sequence[str], carried: Sequence[tuple[Decision, str]]
) -> Verdict:
    decision = verdict.decision
    for recorded, _ in carried:
        if _RANK[recorded] > _RANK[decision]:
            decision = recorded
    if problems:
        decision = Decision.INCOMPLETE
    if not problems and not carried:
        return verdict
    reasons = (*problems, *(why for _, why in carried), *verdict.reasons)
    return replace(verdict, decision=decision, reasons=reasons)
