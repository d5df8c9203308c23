"""Crash soak: kill -9 at random moments of a broadcast at 30 msg/s, restart at once, count.

    python bench/crash_soak.py                    # 50 kills, 240 chats a round
    python bench/crash_soak.py --kills 10         # a shorter run
    python bench/crash_soak.py --chats 300 --max-delay 3 --seed 7 --keep /tmp/soak
    python bench/crash_soak.py --analyse /tmp/soak   # the figures of a kept run, again

What runs: the real `arxiv-digest run` process (the venv's console script, real clock, default
settings) against the loopback Bot API in its own process (strict flood limits: 30 messages in
any one second, one a second per chat; it answers in one write with TCP_NODELAY and records
when it answered each message) and the loopback arXiv serving the recorded all-archives day.

How the chats fall due with the real clock: each round writes `--chats` fresh chats into the
store before the first start. Each follows one of 4 topics (a digest of 1 to 3 messages) and
has its daily time set to the minute just past in its own time zone (UTC, Berlin, Shanghai,
New York), its last handled slot the day before. So the start-up fetch (the feed is the recorded
day; a chat's first digest takes the latest announcement day in the store, whatever today's
date) is followed by one delivery pass that finds every chat due at once: a 240-chat broadcast
at the flood limit. ("asap" chats would work too, but then every restart's pass would also try
them again; a slot is handled once, as a morning broadcast is.)

The kills: after each start, the bench waits for the first message that process gets answered,
then sleeps a uniform random 0 to `--max-delay` seconds and sends SIGKILL, then starts the
process again at once. A round ends when the process sits idle (`--quiet` seconds without a
message) and, stopped, its store says every chat's digest is done; the next round starts fresh,
until `--kills` kills were made. A kill "landed during delivery" when the killed process had a
message answered in the half second before it.

Figures (from the fake's answer records, the kill times and the store after each round):

- messages lost: a digest part (a text all other chats of its topic got) never delivered to a
  chat, plus digests the store never finished; must be 0;
- messages sent twice (same chat, same text), each with the time from Telegram's answer to the
  original until the kill (negative: answered after the kill, truly in flight); goal: none over
  5 ms;
- the answer-to-record window: the store keeps no time at which a part was recorded, so it is
  read from outside as "current status" data: for each message a killed process had answered,
  the gap to the kill and whether the store had recorded it (its message id is among the
  digest's `message_ids`). The share recorded per gap bin estimates the window's distribution;
  a p50 / p99 proper needs a recording timestamp in the store;
- the time from the last restart of a round to its last digest message; kills during delivery.

Prints figures; asserts nothing. Loopback only; a temporary folder (kept with --keep).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live import (  # noqa: E402
    bot_process,
    due_now,
    fake_bot_api,
    feed_server,
    machine_line,
    ms_summary,
    put_chats,
    stored_digests,
    wait_ready,
)

IN_FLIGHT_AFTER_KILL = 0.2  # an answer this soon after a kill may be the killed process's
DELIVERING = 0.5  # a kill with a message answered this soon before it landed during delivery
GAP_BINS_MS = (0, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass
class Round:
    """One fresh broadcast: its chats, what the fake answered, the kills, the store after."""

    number: int
    chats: dict[int, str]  # chat id -> topic
    answers: list[dict[str, Any]] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)
    digests: list[dict[str, Any]] = field(default_factory=list)
    restarts_without_kill: int = 0
    complete: bool = False
    flood_429s: int = 0
    first_message_after_start: list[float] = field(default_factory=list)


def soak_round(
    number: int, folder: Path, options: argparse.Namespace, kills_left: int, rng: random.Random
) -> Round:
    folder.mkdir(parents=True)
    chats = due_now(range(1, options.chats + 1))
    result = Round(number, {chat.chat_id: chat.topics[0] for chat in chats})
    with (
        fake_bot_api(folder / "answers.jsonl") as api,
        feed_server() as feeds,
        bot_process(folder, api.base_url(), feeds) as bot,
    ):
        put_chats(bot.data_dir, chats)

        def pull() -> None:
            result.answers.extend(api.answers(len(result.answers)))

        while True:
            started, seen = bot.start(), len(result.answers)
            # answers of the killed process still in flight are not the new process's
            not_before = max([started] + [k + IN_FLIGHT_AFTER_KILL for k in result.kills])
            first = first_answer_or_idle(api, bot, result, pull, seen, not_before, options.quiet)
            if first is not None:
                result.first_message_after_start.append(first - started)
            if first is not None and len(result.kills) < kills_left:
                time.sleep(max(0.0, first + rng.uniform(0, options.max_delay) - time.time()))
                bot.kill()
                result.kills = list(bot.kills)
                continue
            if first is not None:
                wait_quiet(api, bot, result, pull, options.quiet)
            bot.stop()
            result.digests = stored_digests(bot.data_dir)
            if all_done(result):
                result.complete = True
                break
            result.restarts_without_kill += 1
            if result.restarts_without_kill > 3:
                print(f"round {number}: digests still not done after 3 restarts", flush=True)
                break
        time.sleep(0.2)
        pull()
        result.starts = list(bot.starts)
        result.flood_429s = api.flood_429s()
    save_round(folder, result)
    return result


def save_round(folder: Path, result: Round) -> None:
    """What `--analyse` needs besides answers.jsonl and the store: the kills and the starts."""
    fields = {k: v for k, v in asdict(result).items() if k not in ("answers", "digests")}
    (folder / "round.json").write_text(json.dumps(fields, indent=1))


def load_round(folder: Path) -> Round:
    fields = json.loads((folder / "round.json").read_text())
    fields["chats"] = {int(chat): topic for chat, topic in fields["chats"].items()}
    result = Round(**fields)
    lines = (folder / "answers.jsonl").read_text().splitlines()
    result.answers = sorted((json.loads(line) for line in lines), key=lambda a: a["at"])
    result.digests = stored_digests(folder / "data")
    return result


def first_answer_or_idle(
    api: Any, bot: Any, result: Round, pull: Any, seen: int, not_before: float, quiet: float
) -> float | None:
    """The answer time of the first message this process sent (answered after `not_before`);
    None if it sat idle `quiet` seconds after it started polling."""
    ready = None
    while True:
        pull()
        mine = [a["at"] for a in result.answers[seen:] if a["at"] > not_before]
        if mine:
            return float(min(mine))
        if ready is None and api.long_polls() > 0:
            ready = time.time()
        if ready is not None and time.time() - ready > quiet:
            return None
        if not bot.alive:
            wait_ready(api, bot, 0)  # raises with the bot's log
        time.sleep(0.01)


def wait_quiet(api: Any, bot: Any, result: Round, pull: Any, quiet: float) -> None:
    """Until no message was answered for `quiet` seconds."""
    while True:
        pull()
        last = result.answers[-1]["at"] if result.answers else 0.0
        if time.time() - last > quiet and api.long_polls() > 0:
            return
        if not bot.alive:
            wait_ready(api, bot, 0)
        time.sleep(0.05)


def latest_digests(digests: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    latest: dict[int, dict[str, Any]] = {}
    for digest in digests:
        chat = digest["chat_id"]
        if chat not in latest or digest["number"] > latest[chat]["number"]:
            latest[chat] = digest
    return latest


def all_done(result: Round) -> bool:
    latest = latest_digests(result.digests)
    return all(chat in latest and latest[chat]["done"] for chat in result.chats)


def owner_kill(result: Round, at: float) -> float | None:
    """The kill of the process that sent a message answered at `at` (None: a process that was
    not killed). An answer after a kill is still the killed process's (in flight) when it came
    within IN_FLIGHT_AFTER_KILL of the kill and before the next process could have sent anything:
    the next start, plus the shortest start-to-first-message this run saw."""
    shortest = min(result.first_message_after_start, default=IN_FLIGHT_AFTER_KILL)
    for kill in result.kills:
        later = [start for start in result.starts if start > kill]
        limit = min(kill + IN_FLIGHT_AFTER_KILL, (later[0] if later else kill) + shortest)
        if at <= limit:
            return kill
    return None


@dataclass
class Figures:
    kills: int = 0
    kills_in_delivery: int = 0
    messages: int = 0
    lost: int = 0
    unfinished: int = 0
    wrong_part_counts: int = 0
    twice: list[tuple[float | None, str]] = field(default_factory=list)  # (kill - answer, what)
    status: list[tuple[float, bool]] = field(default_factory=list)  # (kill - answer, recorded)
    last_restart_to_last: list[float] = field(default_factory=list)
    restarts_without_kill: int = 0
    flood_429s: int = 0
    rounds: int = 0
    incomplete_rounds: int = 0
    first_message_after_start: list[float] = field(default_factory=list)
    parts_per_topic: dict[str, int] = field(default_factory=dict)


def analyse(rounds: list[Round]) -> Figures:
    figures = Figures(rounds=len(rounds))
    for result in rounds:
        add_round(figures, result)
    return figures


def add_round(figures: Figures, result: Round) -> None:
    answers = [a for a in result.answers if a["chat_id"] in result.chats]
    figures.kills += len(result.kills)
    figures.messages += len(answers)
    figures.restarts_without_kill += result.restarts_without_kill
    figures.flood_429s += result.flood_429s
    figures.incomplete_rounds += not result.complete
    figures.first_message_after_start += result.first_message_after_start
    times = sorted(a["at"] for a in answers)
    for kill in result.kills:
        if any(kill - DELIVERING < at <= kill for at in times):
            figures.kills_in_delivery += 1
    # what each chat got, and what every chat of its topic got
    delivered: dict[int, Counter[str]] = defaultdict(Counter)
    first_of: dict[tuple[int, str], dict[str, Any]] = {}
    for answer in sorted(answers, key=lambda a: a["at"]):
        key = (answer["chat_id"], answer["sha"])
        delivered[answer["chat_id"]][answer["sha"]] += 1
        first_of.setdefault(key, answer)
    reference: dict[str, set[str]] = defaultdict(set)
    for chat, topic in result.chats.items():
        reference[topic] |= set(delivered[chat])
    for topic, shas in reference.items():
        figures.parts_per_topic[topic] = len(shas)
    latest = latest_digests(result.digests)
    for chat, topic in result.chats.items():
        figures.lost += len(reference[topic] - set(delivered[chat]))
        digest = latest.get(chat)
        figures.unfinished += digest is None or not digest["done"]
        if digest is not None and len(digest["message_ids"]) != len(reference[topic]):
            figures.wrong_part_counts += 1
        for sha, count in delivered[chat].items():
            if count > 1:
                original = first_of[(chat, sha)]
                sender = owner_kill(result, original["at"])
                gap = None if sender is None else sender - original["at"]
                what = f"round {result.number}, chat {chat}, {original['head'][:30]!r}"
                figures.twice += [(gap, what)] * (count - 1)
    recorded = {(d["chat_id"], m) for d in result.digests for m in d["message_ids"]}
    for answer in answers:
        sender = owner_kill(result, answer["at"])
        if sender is not None:
            key = (answer["chat_id"], answer["message_id"])
            figures.status.append((sender - answer["at"], key in recorded))
    # the start of the process that sent the round's last message, when a kill preceded it
    if times and result.kills and result.kills[0] < times[-1]:
        sender = max(s for s in result.starts if s < times[-1])
        figures.last_restart_to_last.append(times[-1] - sender)


def window_quantile(status: list[tuple[float, bool]], share: float) -> float | None:
    """The answer-to-record window's `share` quantile, estimated from current-status data.

    Each (gap, recorded) says whether the window was under `gap` for one message. The maximum
    likelihood estimate of the window's distribution function is the isotonic regression of
    `recorded` on `gap` (pool adjacent violators); the quantile is the smallest gap where it
    reaches `share`. None when it never does (too few messages near the kills)."""
    blocks: list[list[float]] = []  # [sum recorded, count, smallest gap]
    for gap, was_recorded in sorted(status):
        blocks.append([float(was_recorded), 1.0, gap])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2]]
    for total, count, smallest in blocks:
        if total / count >= share:
            return max(smallest, 0.0)
    return None


def window_table(status: list[tuple[float, bool]]) -> list[str]:
    """Share recorded by gap between Telegram's answer and the kill, in bins."""
    lines = []
    edges = [float("-inf"), *GAP_BINS_MS, float("inf")]
    for low, high in zip(edges, edges[1:], strict=False):
        inside = [rec for gap, rec in status if low <= gap * 1000 < high]
        if not inside:
            continue
        if low == float("-inf"):
            label = "answered after the kill"
        elif high == float("inf"):
            label = f">= {low:.0f} ms"
        else:
            label = f"{low:.0f}-{high:.0f} ms"
        lines.append(
            f"    {label:>24}: {sum(inside):4d} of {len(inside):4d} recorded "
            f"({100 * sum(inside) / len(inside):.0f}%)"
        )
    return lines


def report(figures: Figures, options: argparse.Namespace, before: str, after: str) -> None:
    print(
        f"crash soak: {options.chats} chats a round, {figures.rounds} round(s), seed {options.seed}"
    )
    print(f"  machine at start: {before}")
    print(f"  machine at end:   {after}")
    print(
        f"  kills: {figures.kills} (SIGKILL, restart at once), {figures.kills_in_delivery} "
        f"landed during delivery; {figures.restarts_without_kill} restart(s) without a kill "
        f"to finish; {figures.incomplete_rounds} round(s) not finished"
    )
    print(
        f"  digest messages answered: {figures.messages}; parts per topic "
        f"{dict(sorted(figures.parts_per_topic.items()))}; 429s {figures.flood_429s}"
    )
    print(
        f"  messages lost: {figures.lost} (digests not done: {figures.unfinished}, "
        f"stored part counts differing from the topic's: {figures.wrong_part_counts})"
    )
    gaps = sorted(g for g, _ in figures.twice if g is not None)
    over = [g for g in gaps if g > 0.005]
    print(
        f"  messages sent twice: {len(figures.twice)}; over 5 ms between Telegram's answer and "
        f"the kill: {len(over)}"
    )
    if gaps:
        listed = ", ".join(f"{g * 1000:.1f}" for g in gaps)
        print(f"    answer-to-kill of each original, ms: {listed}")
    if any(g is None for g, _ in figures.twice):
        print("    sent twice with no kill after the original: ", end="")
        print("; ".join(what for g, what in figures.twice if g is None))
    print(
        "  answer-to-record window: the store keeps no time of recording (a p50/p99 proper "
        "needs one); share of answered messages the store had recorded, by answer-to-kill gap:"
    )
    for line in window_table(figures.status):
        print(line)
    unrecorded = [g for g, rec in figures.status if not rec and g > 0]
    if unrecorded:
        print(f"    widest answer-to-kill gap still unrecorded: {max(unrecorded) * 1000:.1f} ms")
    near = sum(1 for g, _ in figures.status if g < 0.05)
    estimates = []
    for name, share in (("p50", 0.5), ("p99", 0.99)):
        value = window_quantile(figures.status, share)
        estimates.append(f"{name} " + ("n/a" if value is None else f"{value * 1000:.1f} ms"))
    print(
        f"    estimated window (isotonic fit of recorded-or-not over the gap; {near} messages "
        f"answered under 50 ms before a kill): {', '.join(estimates)}"
    )
    restart = ms_summary(figures.last_restart_to_last)
    print(f"  last restart to last digest message, per round: {restart}")
    first = ms_summary(figures.first_message_after_start)
    print(f"  start to first message answered, per start: {first}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="kills in all (default 50)")
    parser.add_argument("--chats", type=int, default=240, help="chats a round (default 240)")
    parser.add_argument(
        "--max-delay", type=float, default=2.0, help="kill 0..this many s after the first message"
    )
    parser.add_argument("--quiet", type=float, default=6.0, help="s without a message: idle")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the rounds' folders here")
    parser.add_argument(
        "--analyse", type=Path, default=None, metavar="DIR", help="report on a --keep folder again"
    )
    options = parser.parse_args()
    if options.analyse:
        folders = sorted(options.analyse.glob("round-*"), key=lambda f: int(f.name[6:]))
        kept = [load_round(folder) for folder in folders]
        options.chats = len(kept[0].chats) if kept else 0
        report(analyse(kept), options, "(re-analysis)", "(re-analysis)")
        return
    options.seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    rng = random.Random(options.seed)
    before = machine_line()
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="crash-soak-") as scratch:
        base = options.keep or Path(scratch)
        kills = 0
        while kills < options.kills or not rounds:
            result = soak_round(len(rounds) + 1, base / f"round-{len(rounds) + 1}", options,
                                options.kills - kills, rng)  # fmt: skip
            rounds.append(result)
            kills += len(result.kills)
            print(
                f"round {result.number}: {len(result.kills)} kills, "
                f"{len(result.answers)} messages, complete={result.complete}",
                flush=True,
            )
            if not result.kills and kills < options.kills:
                print("a round without a kill: delivery ends too soon for --max-delay; stop")
                break
    report(analyse(rounds), options, before, machine_line())


if __name__ == "__main__":
    main()
