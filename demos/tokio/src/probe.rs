//! The scheduling probe: a task that sleeps a fixed interval in a loop and
//! records how late it woke (actual wake minus deadline).  Its lateness is
//! the first symptom of starvation: a worker that cannot poll cannot wake it.
//!
//! Tokio's timer has 1 ms resolution: a deadline is rounded up to the next
//! millisecond tick of the time driver, so on an idle runtime the lateness of
//! a 1 ms sleep is already ~1 ms (0-2 ms), not microseconds as in the C
//! runtime, whose timer is sub-millisecond.  Compare shapes, not that floor.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// The probe's sleep, as the C probe's default (DESIGN.md).
pub const PROBE_INTERVAL: Duration = Duration::from_millis(1);

/// Spawns the probe on `rt`; it returns its lateness samples (ns) once `stop`
/// is set.
pub fn spawn(rt: &Handle, stop: Arc<AtomicBool>) -> JoinHandle<Vec<u64>> {
	rt.spawn(async move {
		// ~1000 samples a second at best: reserve for a few seconds.
		let mut late = Vec::with_capacity(8192);
		while !stop.load(Ordering::Relaxed) {
			let deadline = Instant::now() + PROBE_INTERVAL;
			tokio::time::sleep_until(deadline.into()).await;
			let now = Instant::now();
			late.push(now.saturating_duration_since(deadline).as_nanos() as u64);
		}
		late
	})
}
