//! Latency samples to the numbers every demo reports, as the C demos do
//! (demos/lib/stats.h): nearest-rank percentiles, microseconds with 0.1 us
//! resolution.  The C side bins into a log-linear histogram (0.4% error);
//! here every sample is kept and sorted, which is exact.

/// Count, p50/p99/p99.9/max and mean of a set of durations; times in
/// microseconds rounded to 0.1 us.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
	pub count: u64,
	pub p50_us: f64,
	pub p99_us: f64,
	pub p999_us: f64,
	pub max_us: f64,
	pub mean_us: f64,
}

/// Nearest-rank percentile of sorted samples: the smallest sample with at
/// least p of the samples at or below it.  0 for no samples.
fn rank(sorted: &[u64], p: f64) -> u64 {
	if sorted.is_empty() {
		return 0;
	}
	let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
	sorted[idx]
}

/// ns to us rounded to 0.1 us (the C side's report_us()).
pub fn us(ns: f64) -> f64 {
	(ns / 100.0).round() / 10.0
}

impl Summary {
	/// Summarises samples in nanoseconds.
	pub fn from_ns(mut ns: Vec<u64>) -> Summary {
		ns.sort_unstable();
		let sum: u128 = ns.iter().map(|&v| v as u128).sum();
		Summary {
			count: ns.len() as u64,
			p50_us: us(rank(&ns, 0.50) as f64),
			p99_us: us(rank(&ns, 0.99) as f64),
			p999_us: us(rank(&ns, 0.999) as f64),
			max_us: us(ns.last().copied().unwrap_or(0) as f64),
			mean_us: if ns.is_empty() { 0.0 } else { us(sum as f64 / ns.len() as f64) },
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn nearest_rank() {
		let s = Summary::from_ns((1..=100).map(|i| i * 1000).collect());
		assert_eq!((s.count, s.p50_us, s.p99_us, s.max_us), (100, 50.0, 99.0, 100.0));
		assert_eq!(s.mean_us, 50.5);
		assert_eq!(s.p999_us, 100.0);
		let s = Summary::from_ns((1..=2000).map(|i| i * 1000).collect());
		assert_eq!((s.p99_us, s.p999_us), (1980.0, 1998.0));
		let s = Summary::from_ns(vec![7_449]);
		assert_eq!((s.p50_us, s.p99_us, s.max_us), (7.4, 7.4, 7.4));
		assert_eq!(Summary::from_ns(vec![]), Summary::default());
	}
}
