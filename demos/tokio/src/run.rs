//! One demo run: the runtime, the probe, the stop flag and the clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

use crate::cli::Common;
use crate::probe;
use crate::report::Report;
use crate::stats::Summary;

/// How long shutdown waits for blocking-pool jobs (a blocked read, a sleep)
/// still running after stop: longer than any block a demo allows.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

pub struct Run {
	prog: String,
	pub rt: Runtime,
	/// Set once the run is over; every scenario loop checks it each turn.
	pub stop: Arc<AtomicBool>,
	probe: Option<JoinHandle<Vec<u64>>>,
	started: Instant,
}

impl Run {
	/// Builds a multi-thread runtime as Tokio's defaults would, except for the
	/// number of workers, and starts the probe.
	pub fn start(prog: &str, c: &Common) -> Run {
		Run::start_with(prog, c, false)
	}

	/// As start; `no_lifo` disables Tokio's LIFO slot (an unstable Builder
	/// option: the build passes --cfg tokio_unstable, see mk/tokio.mk).
	pub fn start_with(prog: &str, c: &Common, no_lifo: bool) -> Run {
		let mut b = Builder::new_multi_thread();
		b.worker_threads(c.workers).enable_time();
		if no_lifo {
			b.disable_lifo_slot();
		}
		let rt = b.build().unwrap_or_else(|e| {
			eprintln!("{prog}: cannot build the Tokio runtime: {e}");
			std::process::exit(1);
		});
		let stop = Arc::new(AtomicBool::new(false));
		let probe = Some(probe::spawn(rt.handle(), stop.clone()));
		Run { prog: prog.to_string(), rt, stop, probe, started: Instant::now() }
	}

	pub fn handle(&self) -> &Handle {
		self.rt.handle()
	}

	/// Lets the scenario run for `secs` on this (non-worker) thread, then sets
	/// stop.  Returns the elapsed run time in seconds, for rates.
	pub fn wait(&self, secs: f64) -> f64 {
		let end = self.started + Duration::from_secs_f64(secs);
		let now = Instant::now();
		if end > now {
			thread::sleep(end - now);
		}
		self.stop.store(true, Ordering::Relaxed);
		self.started.elapsed().as_secs_f64()
	}

	/// Waits for a task's result from this (non-worker) thread.
	pub fn join<T: Send + 'static>(&self, h: JoinHandle<T>) -> T {
		match self.rt.block_on(h) {
			Ok(v) => v,
			// panic = "abort": a task cannot panic, and nothing cancels tasks.
			Err(e) => {
				eprintln!("{}: a task failed: {e}", self.prog);
				std::process::exit(1);
			}
		}
	}

	/// Waits for every task in `hs` and returns their results in order.
	pub fn join_all<T: Send + 'static>(&self, hs: Vec<JoinHandle<T>>) -> Vec<T> {
		hs.into_iter().map(|h| self.join(h)).collect()
	}

	/// Stops the probe (stop must be set) and summarises its samples.
	pub fn probe(&mut self) -> Summary {
		let h = self.probe.take().expect("probe already collected");
		Summary::from_ns(self.join(h))
	}

	/// Prints the report, then shuts the runtime down, waiting a bounded time
	/// for blocking jobs.  Exits 1 if stdout cannot be written (as the C
	/// demos' -EIO), never with a panic.
	pub fn finish(self, r: Report) {
		let res = r.print();
		self.rt.shutdown_timeout(SHUTDOWN_GRACE);
		if let Err(e) = res {
			eprintln!("{}: cannot write the report: {e}", self.prog);
			std::process::exit(1);
		}
	}
}
