//! Tokio's own view of a run (--tokio-metrics): RuntimeMetrics, an unstable
//! API of Tokio 1.24 (the build passes --cfg tokio_unstable, mk/tokio.mk).
//! These counters are what tokio-metrics' RuntimeMonitor and tokio-console
//! are built on; neither is packaged here, so the demos report the counters
//! themselves, to be put next to observe's verdict (docs/tokio-metrics.md).
//!
//! Over the run: each worker's busy time (inside polls, parks excluded),
//! polls, steals, parks and no-op wakeups; and, sampled every 10 ms by a
//! thread of its own, the injection queue's and the workers' local queues'
//! depths.  Busy time counts a poll that blocks the thread (a sleep, a read)
//! as busy: Tokio cannot tell blocked from running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, RuntimeMetrics};

use crate::json::Obj;

const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// The cumulative per-worker counters at one moment.
struct Counters {
	busy: Vec<Duration>,
	polls: Vec<u64>,
	steals: Vec<u64>,
	parks: Vec<u64>,
	noops: Vec<u64>,
	remote: u64,
}

impl Counters {
	fn read(m: &RuntimeMetrics) -> Counters {
		let n = m.num_workers();
		Counters {
			busy: (0..n).map(|w| m.worker_total_busy_duration(w)).collect(),
			polls: (0..n).map(|w| m.worker_poll_count(w)).collect(),
			steals: (0..n).map(|w| m.worker_steal_count(w)).collect(),
			parks: (0..n).map(|w| m.worker_park_count(w)).collect(),
			noops: (0..n).map(|w| m.worker_noop_count(w)).collect(),
			remote: m.remote_schedule_count(),
		}
	}
}

/// Queue depths, one sample every SAMPLE_EVERY.
#[derive(Default)]
struct Depths {
	samples: u64,
	injection_sum: u64,
	injection_max: u64,
	local_sum: u64, // all workers' local queues, summed per sample
	local_max: u64,
	blocking_max: u64,
}

impl Depths {
	fn sample(&mut self, m: &RuntimeMetrics) {
		let inj = m.injection_queue_depth() as u64;
		let local: u64 = (0..m.num_workers()).map(|w| m.worker_local_queue_depth(w) as u64).sum();
		self.samples += 1;
		self.injection_sum += inj;
		self.injection_max = self.injection_max.max(inj);
		self.local_sum += local;
		self.local_max = self.local_max.max(local);
		self.blocking_max = self.blocking_max.max(m.blocking_queue_depth() as u64);
	}

	fn mean(sum: u64, n: u64) -> f64 {
		if n == 0 {
			0.0
		} else {
			sum as f64 / n as f64
		}
	}
}

/// Samples a runtime's metrics from the start of a run to its end.
pub struct Sampler {
	start: Counters,
	t0: Instant,
	stop: Arc<AtomicBool>,
	depths: JoinHandle<Depths>,
}

impl Sampler {
	pub fn start(h: &Handle) -> Sampler {
		let m = h.metrics();
		let start = Counters::read(&m);
		let stop = Arc::new(AtomicBool::new(false));
		let flag = stop.clone();
		// a plain thread: a Tokio timer would be late exactly when the
		// runtime starves
		let depths = thread::spawn(move || {
			let mut d = Depths::default();
			while !flag.load(Ordering::Relaxed) {
				d.sample(&m);
				thread::sleep(SAMPLE_EVERY);
			}
			d
		});
		Sampler { start, t0: Instant::now(), stop, depths }
	}

	/// Stops sampling; what the run did, as the report's "tokio_metrics".
	pub fn finish(self, h: &Handle) -> Obj {
		let secs = self.t0.elapsed().as_secs_f64();
		let end = Counters::read(&h.metrics());
		self.stop.store(true, Ordering::Relaxed);
		let d = self.depths.join().unwrap_or_default();
		let s = &self.start;
		let n = end.busy.len();
		let busy: Vec<f64> =
			(0..n).map(|w| (end.busy[w] - s.busy[w]).as_secs_f64() / secs).collect();
		let polls: Vec<u64> = (0..n).map(|w| end.polls[w] - s.polls[w]).collect();
		let busy_s: f64 = (0..n).map(|w| (end.busy[w] - s.busy[w]).as_secs_f64()).sum();
		let all_polls: u64 = polls.iter().sum();
		let diff = |a: &[u64], b: &[u64]| -> u64 { (0..n).map(|w| a[w] - b[w]).sum() };
		Obj::new()
			.uint("workers", n as u64)
			.floats("busy_ratio", &busy, 3)
			.uints("polls", &polls)
			.float(
				"mean_poll_us",
				if all_polls > 0 { busy_s * 1e6 / all_polls as f64 } else { 0.0 },
				1,
			)
			.uint("steals", diff(&end.steals, &s.steals))
			.uint("parks", diff(&end.parks, &s.parks))
			.uint("noops", diff(&end.noops, &s.noops))
			.uint("remote_schedules", end.remote - s.remote)
			.uint("depth_samples", d.samples)
			.float("injection_queue_mean", Depths::mean(d.injection_sum, d.samples), 2)
			.uint("injection_queue_max", d.injection_max)
			.float("local_queues_mean", Depths::mean(d.local_sum, d.samples), 2)
			.uint("local_queues_max", d.local_max)
			.uint("blocking_queue_max", d.blocking_max)
	}
}
