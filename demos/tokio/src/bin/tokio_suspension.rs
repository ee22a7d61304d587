//! tokio_suspension: suspension convoy on real Tokio.  A coordinator task
//! holds a tokio::sync::Mutex (fair, FIFO) across tokio::time::sleep(S ms);
//! M peers need the lock.  While the holder is suspended every peer waits:
//! nothing is blocked, no thread is busy, the probe is on time and the kernel
//! sees idle workers, yet each peer gets the lock about once per S ms.
//! --fixed drops the guard before awaiting.  --all-hold: no coordinator,
//! every peer holds the lock across its own S ms sleep, so that each waits
//! behind the M-1 others, ~(M-1)*S.  Peer of demos/demo_suspension.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use tokio_demos::cli::{self, Opt};
use tokio_demos::report::Report;
use tokio_demos::run::Run;
use tokio_demos::stats::Summary;

const PROG: &str = "tokio_suspension";
const USAGE: &str = "\
Usage: tokio_suspension [OPTION...]
Suspension convoy on real Tokio: a tokio::sync::Mutex held across an await.

A coordinator holds the lock across an S ms tokio::time::sleep; M peers need
the lock.  Each peer waits about S per acquisition while every thread is
idle.  --fixed drops the guard before awaiting.  --all-hold: no coordinator,
every peer holds the lock across its own S ms await: each waits ~(M-1)*S.

  --peers M       peers that need the lock (default 4)
  --await-ms S    the coordinator's await while holding the lock (default 20)
  --think-us US   each peer's pause between acquisitions (default 1000;
                  Tokio rounds sleeps up to its 1 ms tick)
  --all-hold      no coordinator: every peer holds the lock across an S ms
                  await

Common options:
  --workers N     worker threads (default: online CPUs)
  --secs S        run for S seconds (fractions allowed, default 3)
  --fixed         drop the guard before awaiting
  --json          print one JSON object on stdout at exit
  --tokio-metrics add Tokio's own RuntimeMetrics to the JSON (busy ratio,
                  polls, steals, queue depths: docs/tokio-metrics.md)
  --help          this text

Examples:
  tokio_suspension --workers 2                # peer wait ~S, 1/S per peer
  tokio_suspension --workers 2 --fixed        # peer wait in microseconds
  tokio_suspension --peers 8 --await-ms 50 --json
  tokio_suspension --peers 4 --all-hold       # peer wait ~3S
";

const OPTS: [Opt; 4] = [
	Opt { name: "peers", value: true },
	Opt { name: "await-ms", value: true },
	Opt { name: "think-us", value: true },
	Opt { name: "all-hold", value: false },
];

/// How a peer uses the lock: --all-hold makes each one hold it across the
/// coordinator's await (or, --fixed, await after dropping it).
#[derive(Clone, Copy)]
struct PeerHold {
	all_hold: bool,
	pause: Duration,
	fixed: bool,
}

/// Returns (rounds, hold samples in ns).
async fn coordinator(
	m: Arc<Mutex<u64>>,
	pause: Duration,
	fixed: bool,
	stop: Arc<AtomicBool>,
) -> (u64, Vec<u64>) {
	let (mut rounds, mut hold) = (0u64, Vec::new());
	while !stop.load(Ordering::Relaxed) {
		let mut g = m.lock().await;
		let t1 = Instant::now();
		*g += 1;
		if fixed {
			// The remedy: drop the guard, then await.
			drop(g);
			hold.push(t1.elapsed().as_nanos() as u64);
			tokio::time::sleep(pause).await;
		} else {
			// The bug: the guard lives across the await, so the lock stays
			// held while this task is suspended.
			tokio::time::sleep(pause).await;
			hold.push(t1.elapsed().as_nanos() as u64);
			drop(g);
		}
		rounds += 1;
	}
	(rounds, hold)
}

/// Returns its lock wait samples (ns).
async fn peer(
	m: Arc<Mutex<u64>>,
	think: Duration,
	how: PeerHold,
	stop: Arc<AtomicBool>,
) -> Vec<u64> {
	let mut wait = Vec::new();
	while !stop.load(Ordering::Relaxed) {
		let t0 = Instant::now();
		let mut g = m.lock().await;
		wait.push(t0.elapsed().as_nanos() as u64);
		*g += 1;
		if how.all_hold && !how.fixed {
			// the coordinator's bug, in every peer
			tokio::time::sleep(how.pause).await;
		}
		drop(g);
		if how.all_hold && how.fixed {
			// the remedy: the same await, after the guard is dropped
			tokio::time::sleep(how.pause).await;
		}
		tokio::time::sleep(think).await;
	}
	wait
}

fn main() {
	let (c, cli) = cli::parse(PROG, USAGE, &OPTS);
	let peers = cli.uint("peers", 4, 1, 10_000) as usize;
	let await_ms = cli.uint("await-ms", 20, 1, 60_000);
	let think_us = cli.uint("think-us", 1000, 1, 60_000_000);
	let how = PeerHold {
		all_hold: cli.has("all-hold"),
		pause: Duration::from_millis(await_ms),
		fixed: c.fixed,
	};

	let mut run = Run::start(PROG, &c);
	let m = Arc::new(Mutex::new(0u64));
	let coord = if how.all_hold {
		None
	} else {
		Some(run.handle().spawn(coordinator(m.clone(), how.pause, c.fixed, run.stop.clone())))
	};
	let think = Duration::from_micros(think_us);
	let tasks: Vec<_> = (0..peers)
		.map(|_| run.handle().spawn(peer(m.clone(), think, how, run.stop.clone())))
		.collect();

	let secs = run.wait(c.secs);
	let probe = run.probe();
	let (rounds, hold) = match coord {
		Some(h) => run.join(h),
		None => (0, Vec::new()),
	};
	let waits: Vec<u64> = run.join_all(tasks).into_iter().flatten().collect();
	let acqs = waits.len() as f64;

	let mut r = Report::new("suspension", &c, &probe);
	r.stats("peer_wait_us", "peer lock wait", &Summary::from_ns(waits));
	r.real("peer_acq_per_s", "peer acquisitions/s", acqs / secs, "");
	r.real("peer_acq_per_s_each", "  per peer", acqs / secs / peers as f64, "");
	r.stats("coord_hold_us", "coordinator hold", &Summary::from_ns(hold));
	r.int("coord_rounds", "coordinator rounds", rounds, "");
	r.int("peers", "peers", peers as u64, "");
	r.int("all_hold", "every peer holds across the await", how.all_hold as u64, "");
	r.int("await_ms", "await in lock (ms)", if c.fixed { 0 } else { await_ms }, "");
	run.finish(r);
}
