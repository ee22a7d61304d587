//! tokio_starvation: executor starvation on real Tokio.  K tasks each block
//! their worker for B ms every P ms (std::thread::sleep, a CPU spin, or a
//! blocking read(2) on a pipe a helper thread feeds after B ms) inside a
//! poll.  With K >= workers every worker is blocked at once and the probe
//! cannot be woken: its lateness approaches B.  With K < N other workers are
//! free, but a task woken on a worker just before it blocks sits in that
//! worker's LIFO slot, which Tokio 1.24 never lets other workers steal: each
//! blocker wakes V "victim" tasks right before blocking and their wake-to-poll
//! delay is reported (--no-lifo turns the slot off, making them stealable).
//! --fixed runs the blocking call through tokio::task::spawn_blocking.
//! Peer of demos/demo_starvation.
//!
//! The injected blocking is counted exactly: "block_ns_total" sums the wall
//! time inside the blocking call itself.
//!
//! --mode greedy blocks nothing: for B ms every P ms each task drains a
//! tokio::sync::mpsc channel that is never empty (it receives and re-sends
//! one item, like a socket that is always readable), so every `recv().await`
//! is ready at once.  Tokio's cooperative budget (128 per poll, coop.rs) then
//! makes `recv` return Pending and the task yield; --no-budget runs the
//! blocker tasks under `tokio::task::unconstrained` (Tokio has no switch to
//! turn coop off), and each drain holds its worker for the whole B ms.
//! --fixed in this mode is the hand-written remedy: `yield_now` every 128
//! items.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use tokio_demos::cli::{self, Opt};
use tokio_demos::json::Obj;
use tokio_demos::polls::CountPolls;
use tokio_demos::report::Report;
use tokio_demos::run::{Options, Run};
use tokio_demos::stats::Summary;
use tokio_demos::threads;
use tokio_demos::work;

const PROG: &str = "tokio_starvation";
const USAGE: &str = "\
Usage: tokio_starvation [OPTION...]
Executor starvation on real Tokio: K tasks block their worker thread for B ms
every P ms, inside a poll.  While a worker is blocked it polls nothing else:
with K >= N workers the probe's lateness approaches B.

  --blockers K    blocking tasks (default 2)
  --block-ms B    each block lasts B ms (default 20)
  --period-ms P   a block every P ms, on a grid shared by all blockers
                  (default 25)
  --mode MODE     sleep (std::thread::sleep), spin (CPU), io (blocking
                  read(2) on a pipe) or greedy (drain an always-ready channel:
                  nothing blocks, only the coop budget ends a poll)
                  (default sleep)
  --victims V     tasks each blocker wakes right before blocking (default 1)
  --no-lifo       run Tokio without its LIFO slot (Builder::disable_lifo_slot,
                  unstable in Tokio 1.24): woken tasks become stealable
  --no-budget     run the blocker tasks under tokio::task::unconstrained
                  (no cooperative budget; Tokio has no runtime switch)

Common options:
  --workers N     worker threads (default: online CPUs)
  --secs S        run for S seconds (fractions allowed, default 3)
  --fixed         run the blocking call with tokio::task::spawn_blocking
                  (greedy: yield_now every 128 items instead)
  --json          print one JSON object on stdout at exit
  --tokio-metrics add Tokio's own RuntimeMetrics to the JSON (busy ratio,
                  polls, steals, queue depths: docs/tokio-metrics.md)
  --help          this text

Examples:
  tokio_starvation --workers 2                  # probe p99 near B
  tokio_starvation --workers 2 --fixed          # probe p99 ~1 ms (timer tick)
  tokio_starvation --workers 2 --blockers 1     # victims late (LIFO slot)
  tokio_starvation --workers 2 --blockers 1 --no-lifo   # victims stolen
  tokio_starvation --mode io --json
  tokio_starvation --workers 2 --mode greedy    # coop budget: probe p99 << B
  tokio_starvation --workers 2 --mode greedy --no-budget   # probe p99 ~ B
";

const OPTS: [Opt; 7] = [
	Opt { name: "blockers", value: true },
	Opt { name: "block-ms", value: true },
	Opt { name: "period-ms", value: true },
	Opt { name: "mode", value: true },
	Opt { name: "victims", value: true },
	Opt { name: "no-lifo", value: false },
	Opt { name: "no-budget", value: false },
];

/// A victim's queue of wake-ups; a full queue means it is already behind.
const VICTIM_QUEUE: usize = 64;

/// --mode greedy --fixed yields by hand this often: the budget's own size
/// (Budget::initial() in Tokio's runtime/coop.rs), as the C demo.
const GREEDY_YIELD_EVERY: u32 = 128;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
	Sleep,
	Spin,
	Io,
	Greedy,
}

struct Blocker {
	mode: Mode,
	block: Duration,
	pipe: Option<work::PipeBlocker>,
}

impl Blocker {
	/// The blocking call itself, on a worker (broken) or a blocking-pool
	/// thread (--fixed).  Returns the time spent inside it.
	fn block(&self) -> Duration {
		match (self.mode, &self.pipe) {
			(Mode::Sleep, _) => work::sleep(self.block),
			(Mode::Spin, _) => work::spin(self.block),
			(Mode::Io, Some(p)) => p.block(self.block),
			(Mode::Io, None) => unreachable!("io mode always has a pipe"),
			(Mode::Greedy, _) => unreachable!("greedy mode blocks nothing"),
		}
	}
}

/// A wake-up sent to a victim: when, and from which worker thread.
type Wake = (Instant, ThreadId);

/// The next tick of the shared grid start + n*period strictly after `now`:
/// missed ticks are skipped rather than caught up, and all blockers keep the
/// same phase, so that they block together.
fn next_tick(start: Instant, period: Duration, now: Instant) -> Instant {
	let n = now.saturating_duration_since(start).as_nanos() / period.as_nanos() + 1;
	start + period * n as u32
}

/// What one blocker task did.
#[derive(Default)]
struct Injected {
	blocks: u64,
	/// Wall time inside the blocking calls (greedy: inside the drains).
	ns: u64,
	/// Greedy: ready receives.
	items: u64,
}

/// Greedy: drains `rx`, which always holds one item (re-sent after each
/// receive), for `d`.  Every `recv` is ready, so only Tokio's coop budget
/// (or, `fixed`, the explicit yield) makes this future return Pending.
/// Returns the drain's wall time.
async fn drain(
	rx: &mut mpsc::Receiver<u64>,
	tx: &mpsc::Sender<u64>,
	d: Duration,
	fixed: bool,
	items: &mut u64,
) -> Duration {
	let t0 = Instant::now();
	let mut since_yield = 0;
	while t0.elapsed() < d {
		let item = match rx.recv().await {
			Some(v) => v,
			None => break, // cannot happen: we hold a sender
		};
		*items += 1;
		// Cannot fail: one item in a channel of 4.
		let _ = tx.try_send(item);
		if fixed {
			since_yield += 1;
			if since_yield == GREEDY_YIELD_EVERY {
				since_yield = 0;
				tokio::task::yield_now().await;
			}
		}
	}
	t0.elapsed()
}

/// One blocking (or greedy) task.
async fn blocker(
	b: Arc<Blocker>,
	victims: Vec<mpsc::Sender<Wake>>,
	start: Instant,
	period: Duration,
	fixed: bool,
	stop: Arc<AtomicBool>,
) -> Injected {
	let mut inj = Injected::default();
	// Greedy: a channel that is never empty, as a socket always readable.
	let (tx, mut rx) = mpsc::channel::<u64>(4);
	let _ = tx.try_send(1);
	loop {
		tokio::time::sleep_until(next_tick(start, period, Instant::now()).into()).await;
		if stop.load(Ordering::Relaxed) {
			break;
		}
		let me = thread::current().id();
		for v in &victims {
			let _ = v.try_send((Instant::now(), me));
		}
		let took = if b.mode == Mode::Greedy {
			drain(&mut rx, &tx, b.block, fixed, &mut inj.items).await
		} else if fixed {
			let b = b.clone();
			match threads::spawn_blocking(move || b.block()).await {
				Ok(d) => d,
				Err(_) => break, // the runtime is shutting down
			}
		} else {
			// The bug on purpose: a blocking call inside a poll.
			b.block()
		};
		inj.blocks += 1;
		inj.ns += took.as_nanos() as u64;
	}
	inj
}

/// A victim: records wake-to-poll delay (ns) and how often it was polled on
/// the worker that woke it.  Ends when its blocker drops the sender.
async fn victim(mut rx: mpsc::Receiver<Wake>) -> (Vec<u64>, u64) {
	let (mut delay, mut same) = (Vec::new(), 0u64);
	while let Some((sent, by)) = rx.recv().await {
		delay.push(sent.elapsed().as_nanos() as u64);
		if thread::current().id() == by {
			same += 1;
		}
	}
	(delay, same)
}

fn main() {
	let (c, cli) = cli::parse(PROG, USAGE, &OPTS);
	let blockers = cli.uint("blockers", 2, 0, 10_000) as usize;
	let block_ms = cli.uint("block-ms", 20, 1, 60_000);
	let period_ms = cli.uint("period-ms", 25, 1, 600_000);
	let mode_name = cli.choice("mode", "sleep", &["sleep", "spin", "io", "greedy"]);
	let victims = cli.uint("victims", 1, 0, 1000) as usize;
	let no_lifo = cli.has("no-lifo");
	let no_budget = cli.has("no-budget");
	let mode = match mode_name {
		"spin" => Mode::Spin,
		"io" => Mode::Io,
		"greedy" => Mode::Greedy,
		_ => Mode::Sleep,
	};

	let mut run = Run::start_with(PROG, &c, Options { no_lifo, ..Options::default() });
	let block = Duration::from_millis(block_ms);
	let period = Duration::from_millis(period_ms);
	let start = Instant::now();
	let mut btasks = Vec::with_capacity(blockers);
	let mut vtasks = Vec::with_capacity(blockers * victims);
	for i in 0..blockers {
		let pipe = if mode == Mode::Io {
			match work::PipeBlocker::new(format!("pipe-feeder-{i}")) {
				Ok(p) => Some(p),
				Err(e) => {
					eprintln!("{PROG}: cannot create a pipe: {e}");
					std::process::exit(1);
				}
			}
		} else {
			None
		};
		let mut txs = Vec::with_capacity(victims);
		for _ in 0..victims {
			let (tx, rx) = mpsc::channel(VICTIM_QUEUE);
			txs.push(tx);
			vtasks.push(run.handle().spawn(victim(rx)));
		}
		let b = Arc::new(Blocker { mode, block, pipe });
		let task = CountPolls::new(blocker(b, txs, start, period, c.fixed, run.stop.clone()));
		btasks.push(if no_budget {
			// Tokio's only way out of coop: per future, not per runtime.
			run.handle().spawn(tokio::task::unconstrained(task))
		} else {
			run.handle().spawn(task)
		});
	}

	run.wait(c.secs);
	let probe = run.probe();
	let (mut blocks, mut blocked_ns, mut items, mut polls) = (0u64, 0u64, 0u64, 0u64);
	for (inj, n) in run.join_all(btasks) {
		blocks += inj.blocks;
		blocked_ns += inj.ns;
		items += inj.items;
		polls += n;
	}
	let (mut delays, mut same) = (Vec::new(), 0u64);
	for (d, s) in run.join_all(vtasks) {
		delays.extend(d);
		same += s;
	}

	let mut r = Report::new("starvation", &c, &probe);
	r.stats("victim_delay_us", "victim wake->poll", &Summary::from_ns(delays));
	r.int("victim_same_worker", "victims on blocked worker", same, "");
	r.set(|o| o.bool("no_lifo", no_lifo));
	r.set(|o| o.bool("budget", !no_budget));
	r.set(|o| {
		o.obj(
			"injected",
			Obj::new()
				.uint("blocks", blocks)
				.uint("block_ns_total", blocked_ns)
				.str("mode", mode_name)
				.uint("blockers", blockers as u64)
				.uint("block_ms", block_ms)
				.uint("period_ms", period_ms)
				.uint("victims", victims as u64)
				.uint("items", items)
				.uint("polls", polls),
		)
	});
	r.line(
		"injected",
		&format!(
			"{blocks} blocks, {:.1} ms total ({mode_name}, K={blockers} B={block_ms} ms P={period_ms} ms{})",
			blocked_ns as f64 / 1e6,
			match (c.fixed, mode) {
				(false, _) => "",
				(true, Mode::Greedy) => ", yielding by hand",
				(true, _) => ", on the blocking pool",
			}
		),
	);
	if mode == Mode::Greedy {
		r.line(
			"greedy",
			&format!(
				"{items} ready receives in {polls} polls ({:.0} per poll), budget {}",
				if polls > 0 { items as f64 / polls as f64 } else { 0.0 },
				if no_budget { "off (unconstrained)" } else { "on" }
			),
		);
	}
	run.finish(r);
}
