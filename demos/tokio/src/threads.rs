//! Ground truth for an observer that classifies threads: the kernel thread
//! ids (tids) of the main thread, of Tokio's workers and of its blocking-pool
//! threads, which the kernel cannot tell apart (both are named
//! "tokio-runtime-w").
//!
//! Tokio 1.24 starts every runtime thread through its blocking pool: a worker
//! is a blocking-pool task that never returns (Launch::launch in
//! runtime/scheduler/multi_thread/worker.rs).  Builder::on_thread_start
//! therefore runs on workers and blocking threads alike; two more records
//! split them:
//!
//!  1. Run::start waits (`settle`, bounded) until the `--workers` threads that
//!     Builder::build launched have started, before any scenario code runs.
//!     Nothing else starts a runtime thread until then, so the runtime threads
//!     recorded by that time are exactly the workers, and any started later
//!     is a blocking-pool thread.
//!  2. Every blocking closure a demo runs goes through `spawn_blocking` here,
//!     which records the tid of the thread running it.  This is the fallback
//!     when the settle timed out: workers are then the runtime threads that
//!     never ran a closure.  Caveat: a blocking-pool thread that has not run a
//!     closure yet would be counted as a worker.  Tokio starts a blocking
//!     thread only for a queued closure, so after the run's closures have
//!     completed (the report is built after every task is joined) each one
//!     is recorded, except for one started for a closure that a thread
//!     already running took first.  Record 1 has no such gap.
//!
//! The lists are computed at report time and hold every thread that ever
//! ran, in the process's single runtime: a blocking thread idle for 10 s
//! (Tokio's keep-alive) exits, and may still be listed.

use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// Every runtime thread, in the order their on_thread_start hooks ran.
static RUNTIME: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// Threads that ran a closure of `spawn_blocking`.
static RAN_BLOCKING: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// The calling thread's kernel tid (libc::gettid is not in every libc 0.2).
pub fn tid() -> i32 {
	// SAFETY: gettid takes no argument and cannot fail.
	unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

fn add(list: &Mutex<Vec<i32>>, tid: i32) {
	let mut l = list.lock().unwrap();
	if !l.contains(&tid) {
		l.push(tid);
	}
}

/// For Builder::on_thread_start: records a runtime thread, worker or not.
pub fn on_runtime_thread() {
	add(&RUNTIME, tid());
}

/// The runtime threads started so far, in start order.
pub fn runtime_threads() -> Vec<i32> {
	RUNTIME.lock().unwrap().clone()
}

/// Waits up to `max` until `n` runtime threads have started.  Call right
/// after Builder::build, before anything can call spawn_blocking.  Returns
/// whether they all did (then the first `n` runtime threads are the workers).
pub fn settle(n: usize, max: Duration) -> bool {
	let t0 = Instant::now();
	loop {
		if RUNTIME.lock().unwrap().len() >= n {
			return true;
		}
		if t0.elapsed() >= max {
			return false;
		}
		thread::sleep(Duration::from_millis(1));
	}
}

/// tokio::task::spawn_blocking, recording the blocking thread first.  Every
/// blocking closure of the demos goes through it.
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
	F: FnOnce() -> R + Send + 'static,
	R: Send + 'static,
{
	tokio::task::spawn_blocking(move || {
		add(&RAN_BLOCKING, tid());
		f()
	})
}

/// Splits the runtime threads into (workers, blocking), each sorted.
/// `settled`: how many runtime threads had started when the workers were all
/// up (see `settle`), None if the settle timed out; `ran`: the threads that
/// ran a blocking closure.
pub fn classify(runtime: &[i32], settled: Option<usize>, ran: &[i32]) -> (Vec<i32>, Vec<i32>) {
	let (mut workers, mut blocking): (Vec<i32>, Vec<i32>) = match settled {
		Some(n) => {
			let n = n.min(runtime.len());
			(runtime[..n].to_vec(), runtime[n..].to_vec())
		}
		None => runtime.iter().copied().partition(|t| !ran.contains(t)),
	};
	workers.sort_unstable();
	blocking.sort_unstable();
	(workers, blocking)
}

/// (workers, blocking) of this process's runtime, from what was recorded.
pub fn split(settled: Option<usize>) -> (Vec<i32>, Vec<i32>) {
	classify(&runtime_threads(), settled, &RAN_BLOCKING.lock().unwrap())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn classify_by_start_order_or_by_closures() {
		let rt = [30, 10, 20, 40];
		assert_eq!(classify(&rt, Some(2), &[40]), (vec![10, 30], vec![20, 40]));
		// Timed out: a thread that never ran a closure counts as a worker.
		assert_eq!(classify(&rt, None, &[20]), (vec![10, 30, 40], vec![20]));
		assert_eq!(classify(&rt, Some(9), &[]), (vec![10, 20, 30, 40], vec![]));
	}

	/// What the demos rely on in Tokio 1.24: on_thread_start runs on the
	/// workers, which build() starts at once, and on blocking threads.
	/// The only test that builds a runtime with the hook (the lists are
	/// global to the process).
	#[test]
	fn real_runtime_workers_and_blocking() {
		let rt = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(2)
			.on_thread_start(on_runtime_thread)
			.build()
			.unwrap();
		assert!(settle(2, Duration::from_secs(5)));
		let settled = runtime_threads().len();
		assert_eq!(settled, 2);
		let (a, b) = rt.block_on(async {
			let a = spawn_blocking(|| (tid(), thread::sleep(Duration::from_millis(50))));
			let b = spawn_blocking(|| (tid(), thread::sleep(Duration::from_millis(50))));
			(a.await.unwrap().0, b.await.unwrap().0)
		});
		let (workers, blocking) = split(Some(settled));
		assert_eq!(workers.len(), 2);
		assert_ne!(a, b, "two concurrent closures, two blocking threads");
		let mut ab = vec![a, b];
		ab.sort_unstable();
		assert_eq!(blocking, ab);
		assert!(!workers.contains(&tid()) && !blocking.contains(&tid()));
		// The fallback agrees here: every blocking thread ran a closure.
		assert_eq!(split(None), (workers, blocking));
	}
}
