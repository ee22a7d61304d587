//! What a demo prints at exit, in the C demos' format (demos/lib/report.h):
//! one JSON object on stdout with --json, else aligned human lines with the
//! same numbers.  Every report carries
//!
//!   {"scenario": "...", "runtime": "tokio", "fixed": false, "workers": 2,
//!    "secs": 3.0, "probe": {"count": n, "p50_us": x, "p99_us": x, "max_us": x},
//!    ...scenario fields}
//!
//! Latency distributions have the probe's shape ({"count", "p50_us",
//! "p99_us", "max_us"}); durations are microseconds with 0.1 us resolution.
//! Run::finish adds, last, the thread ids (src/threads.rs):
//!
//!   "threads": {"main": tid, "workers": [tids], "blocking": [tids]}

use std::io::{self, Write};

use crate::cli::Common;
use crate::json::Obj;
use crate::stats::Summary;

/// Width of the label column, as the C demos' REPORT_LABEL_W.
const LABEL_W: usize = 24;

pub struct Report {
	json: Option<Obj>,
	lines: Vec<String>,
	as_json: bool,
}

/// `p999`: also "p999_us", for distributions with enough samples (the C
/// side's report_stats(..., p999)).
fn stats_json(s: &Summary, p999: bool) -> Obj {
	let o =
		Obj::new().uint("count", s.count).float("p50_us", s.p50_us, 1).float("p99_us", s.p99_us, 1);
	let o = if p999 { o.float("p999_us", s.p999_us, 1) } else { o };
	o.float("max_us", s.max_us, 1)
}

/// A human line as the report prints it (also for the demos' stderr).
pub fn line(label: &str, text: &str) -> String {
	format!("{label:<LABEL_W$} {text}")
}

impl Report {
	/// The common fields and the first human lines: the scenario, then the
	/// probe's lateness.
	pub fn new(scenario: &str, c: &Common, probe: &Summary) -> Report {
		let json = Obj::new()
			.str("scenario", scenario)
			.str("runtime", "tokio")
			.bool("fixed", c.fixed)
			.uint("workers", c.workers as u64)
			.real("secs", c.secs);
		let mut r = Report { json: Some(json), lines: Vec::new(), as_json: c.json };
		r.line(
			"scenario",
			&format!(
				"{scenario}{}, {} workers, {:.1} s, real Tokio",
				if c.fixed { " (fixed)" } else { "" },
				c.workers,
				c.secs
			),
		);
		r.stats("probe", "probe lateness", probe);
		// The ~1 ms floor is Tokio's timer tick, not a fault: say so.
		r.line("", "(Tokio's timer ticks every 1 ms: ~1000 us is the idle floor)");
		r
	}

	/// A distribution under `key`, with a human line.
	pub fn stats(&mut self, key: &str, label: &str, s: &Summary) {
		self.stats_with(key, label, s, false);
	}

	/// As stats, with the p99.9 too (request latencies: thousands of samples).
	pub fn stats_p999(&mut self, key: &str, label: &str, s: &Summary) {
		self.stats_with(key, label, s, true);
	}

	fn stats_with(&mut self, key: &str, label: &str, s: &Summary, p999: bool) {
		self.set(|o| o.obj(key, stats_json(s, p999)));
		let tail = if p999 { format!("  p999 {:9.1}", s.p999_us) } else { String::new() };
		self.line(
			label,
			&format!(
				"p50 {:9.1}  p99 {:9.1}{tail}  max {:9.1} us  (n={})",
				s.p50_us, s.p99_us, s.max_us, s.count
			),
		);
	}

	/// An integer under `key`, with a human line.
	pub fn int(&mut self, key: &str, label: &str, v: u64, unit: &str) {
		self.set(|o| o.uint(key, v));
		self.line(label, &format!("{v}{}{unit}", if unit.is_empty() { "" } else { " " }));
	}

	/// A real (0.1 resolution) under `key`, with a human line.
	pub fn real(&mut self, key: &str, label: &str, v: f64, unit: &str) {
		self.set(|o| o.float(key, v, 1));
		self.line(label, &format!("{v:.1}{}{unit}", if unit.is_empty() { "" } else { " " }));
	}

	/// The kernel thread ids under "threads" (ground truth for an observer
	/// that classifies threads, see src/threads.rs), with a human line.
	pub fn threads(&mut self, main: i32, workers: &[i32], blocking: &[i32]) {
		let ids = |v: &[i32]| v.iter().map(|&t| t as u64).collect::<Vec<u64>>();
		self.set(|o| {
			o.obj(
				"threads",
				Obj::new()
					.uint("main", main as u64)
					.uints("workers", &ids(workers))
					.uints("blocking", &ids(blocking)),
			)
		});
		self.line("threads", &format!("main {main}, workers {workers:?}, blocking {blocking:?}"));
	}

	/// JSON fields without a human line.
	pub fn set(&mut self, f: impl FnOnce(Obj) -> Obj) {
		let o = self.json.take().unwrap_or_default();
		self.json = Some(f(o));
	}

	/// A human-only line: `label` padded to the label column, then `text`.
	pub fn line(&mut self, label: &str, text: &str) {
		self.lines.push(line(label, text));
	}

	/// Writes the report to stdout (see Run::finish).
	pub fn print(self) -> io::Result<()> {
		let out = io::stdout();
		let mut out = out.lock();
		if self.as_json {
			writeln!(out, "{}", self.json.unwrap_or_default().finish())?;
		} else {
			for l in &self.lines {
				writeln!(out, "{}", l.trim_end())?;
			}
		}
		out.flush()
	}
}
