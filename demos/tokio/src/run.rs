//! One demo run: the runtime, the probe, the stop flag and the clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

use crate::cli::Common;
use crate::json::Obj;
use crate::probe;
use crate::report::{self, Report};
use crate::rtmetrics::Sampler;
use crate::stats::Summary;
use crate::threads;

/// How long shutdown waits for blocking-pool jobs (a blocked read, a sleep)
/// still running after stop: longer than any block a demo allows.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// How long Run::start waits for the workers' threads to start
/// (threads::settle): they start in microseconds on an idle machine.
const SETTLE_MAX: Duration = Duration::from_secs(1);

/// How a demo's runtime differs from Tokio's defaults, besides --workers.
#[derive(Clone, Copy, Default)]
pub struct Options {
	/// Disable Tokio's LIFO slot (an unstable Builder option: the build
	/// passes --cfg tokio_unstable, see mk/tokio.mk).
	pub no_lifo: bool,
	/// Enable the I/O driver (tokio_server's sockets).  Off elsewhere, as
	/// the sweeps ran: with it, an idle worker parks in epoll_wait rather
	/// than on a condition variable.
	pub io: bool,
}

pub struct Run {
	prog: String,
	pub rt: Runtime,
	/// Set once the run is over; every scenario loop checks it each turn.
	pub stop: Arc<AtomicBool>,
	probe: Option<JoinHandle<Vec<u64>>>,
	started: Instant,
	/// The thread that built the runtime and runs the report.
	main_tid: i32,
	/// Runtime threads started when the workers were all up, None if they
	/// were not within SETTLE_MAX (see threads.rs).
	settled: Option<usize>,
	/// --tokio-metrics: sampling from start to stop, then its figures.
	sampler: Option<Sampler>,
	tokio_metrics: Option<Obj>,
}

impl Run {
	/// Builds a multi-thread runtime as Tokio's defaults would, except for the
	/// number of workers, and starts the probe.
	pub fn start(prog: &str, c: &Common) -> Run {
		Run::start_with(prog, c, Options::default())
	}

	/// As start, with the runtime `opt` asks for.
	///
	/// Records the thread ids for the report (src/threads.rs) and, when the
	/// environment has TOKIO_DEMO_TIDS=1, prints on stderr the main thread
	/// and the runtime threads started so far (the workers, once settled):
	///   threads                  main 4242, runtime threads [4243, 4244]
	pub fn start_with(prog: &str, c: &Common, opt: Options) -> Run {
		let main_tid = threads::tid();
		let mut b = Builder::new_multi_thread();
		b.worker_threads(c.workers).enable_time().on_thread_start(threads::on_runtime_thread);
		if opt.no_lifo {
			b.disable_lifo_slot();
		}
		if opt.io {
			b.enable_io();
		}
		let rt = b.build().unwrap_or_else(|e| {
			eprintln!("{prog}: cannot build the Tokio runtime: {e}");
			std::process::exit(1);
		});
		// Before anything can call spawn_blocking: see threads.rs.
		let settled = if threads::settle(c.workers, SETTLE_MAX) {
			Some(threads::runtime_threads().len())
		} else {
			None
		};
		if std::env::var_os("TOKIO_DEMO_TIDS").map_or(false, |v| v == "1") {
			let text = format!("main {main_tid}, runtime threads {:?}", threads::runtime_threads());
			eprintln!("{}", report::line("threads", &text));
		}
		let stop = Arc::new(AtomicBool::new(false));
		let probe = Some(probe::spawn(rt.handle(), stop.clone()));
		let sampler = if c.tokio_metrics { Some(Sampler::start(rt.handle())) } else { None };
		Run {
			prog: prog.to_string(),
			rt,
			stop,
			probe,
			started: Instant::now(),
			main_tid,
			settled,
			sampler,
			tokio_metrics: None,
		}
	}

	pub fn handle(&self) -> &Handle {
		self.rt.handle()
	}

	/// Lets the scenario run for `secs` on this (non-worker) thread, then sets
	/// stop.  Returns the elapsed run time in seconds, for rates.
	pub fn wait(&mut self, secs: f64) -> f64 {
		self.stop_at(self.started + Duration::from_secs_f64(secs))
	}

	/// As wait, until `end`.
	pub fn stop_at(&mut self, end: Instant) -> f64 {
		let now = Instant::now();
		if end > now {
			thread::sleep(end - now);
		}
		self.stop.store(true, Ordering::Relaxed);
		// the run's window: the drain after stop is not the scenario's
		self.tokio_metrics = self.sampler.take().map(|s| s.finish(self.rt.handle()));
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

	/// Adds the thread ids, prints the report, then shuts the runtime down,
	/// waiting a bounded time for blocking jobs.  Exits 1 if stdout cannot be
	/// written (as the C demos' -EIO), never with a panic.
	pub fn finish(self, mut r: Report) {
		if let Some(m) = self.tokio_metrics {
			r.set(|o| o.obj("tokio_metrics", m));
		}
		let (workers, blocking) = threads::split(self.settled);
		r.threads(self.main_tid, &workers, &blocking);
		let res = r.print();
		self.rt.shutdown_timeout(SHUTDOWN_GRACE);
		if let Err(e) = res {
			eprintln!("{}: cannot write the report: {e}", self.prog);
			std::process::exit(1);
		}
	}
}
