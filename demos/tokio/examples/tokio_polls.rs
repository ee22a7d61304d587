//! tokio_polls: a poll-heavy Tokio workload for the Tokio tier's cost
//! (scripts/bench-observer.sh -S tokio, docs/bench-observer.md), the twin of
//! tests/targets/rt_polls: TASKS tasks each do a fixed amount of CPU work
//! per poll (LOOPS xorshift steps, no memory traffic, no syscalls) and
//! yield, so the workers go from poll to poll; any cost a probe adds per
//! poll shows as fewer polls per second and more CPU per poll.
//!
//!	tokio_polls [-w WORKERS] [-t TASKS] [-l LOOPS] [-s SECS] [-W SECS]
//!	tokio_polls -C NS	print the loops that take NS ns, then exit
//!
//! -W sleeps before the runtime exists, so that a tracer attaching with
//! -p PID sees the workers start.  The last line is
//!	tokio_polls POLLS SECS polls_per_s R switches_per_s S cpu_ns_per_poll C
//! (rt_polls' columns) with S the process's context switches per second and
//! C its user + system CPU time per poll (getrusage), robust on a shared
//! box where other processes lower R but not C.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the work's result goes, so that it is not optimised away (Debian's
/// rustc 1.63 has no std::hint::black_box).
static SINK: AtomicU64 = AtomicU64::new(0);

fn work(loops: u64) -> u64 {
	let mut x: u64 = 88172645463325252;
	for _ in 0..loops {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	x
}

/// The loop count whose work takes ns, from the fastest of 20 timed tries.
fn calibrate(ns: u64) -> u64 {
	let probe = 1_000_000 + SINK.load(Ordering::Relaxed) % 2;
	let best = (0..20)
		.map(|_| {
			let t = Instant::now();
			SINK.fetch_xor(work(probe), Ordering::Relaxed);
			t.elapsed().as_nanos() as u64
		})
		.min()
		.unwrap_or(1)
		.max(1);
	ns * probe / best
}

/// The process's CPU time (ns) and context switches so far.
fn usage() -> (u64, u64) {
	// SAFETY: getrusage fills the struct it is given.
	let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
	unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
	let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
	(tv(ru.ru_utime) + tv(ru.ru_stime), (ru.ru_nvcsw + ru.ru_nivcsw) as u64)
}

fn arg(args: &[String], flag: &str, default: f64) -> f64 {
	match args.iter().position(|a| a == flag) {
		Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or_else(|| {
			eprintln!("tokio_polls: {flag} needs a number");
			std::process::exit(2);
		}),
		None => default,
	}
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	if args.iter().any(|a| a == "-C") {
		let ns = arg(&args, "-C", 1000.0) as u64;
		println!("loops_per_work {ns} {}", calibrate(ns));
		return;
	}
	let workers = arg(&args, "-w", 1.0) as usize;
	let tasks = arg(&args, "-t", 2.0) as usize;
	let loops = arg(&args, "-l", 0.0) as u64;
	let secs = arg(&args, "-s", 3.0);
	std::thread::sleep(Duration::from_secs_f64(arg(&args, "-W", 0.0)));

	let rt = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(workers.max(1))
		.enable_time()
		.build()
		.unwrap_or_else(|e| {
			eprintln!("tokio_polls: cannot build the runtime: {e}");
			std::process::exit(1);
		});
	let polls = Arc::new(AtomicU64::new(0));
	let stop = Arc::new(AtomicBool::new(false));
	let ((cpu0, sw0), t0) = (usage(), Instant::now());
	rt.block_on(async {
		let handles: Vec<_> = (0..tasks)
			.map(|_| {
				let (polls, stop) = (polls.clone(), stop.clone());
				tokio::spawn(async move {
					while !stop.load(Ordering::Relaxed) {
						SINK.fetch_xor(work(loops), Ordering::Relaxed);
						polls.fetch_add(1, Ordering::Relaxed);
						tokio::task::yield_now().await;
					}
				})
			})
			.collect();
		tokio::time::sleep(Duration::from_secs_f64(secs)).await;
		stop.store(true, Ordering::Relaxed);
		for h in handles {
			let _ = h.await;
		}
	});
	let ((cpu, sw), dt) = (usage(), t0.elapsed().as_secs_f64());
	let n = polls.load(Ordering::Relaxed).max(1);
	println!("config workers {workers} tasks {tasks} loops {loops}");
	println!("tokio_polls {n} {dt:.3} polls_per_s {:.0} switches_per_s {:.0} cpu_ns_per_poll {}",
		n as f64 / dt, (sw - sw0) as f64 / dt, (cpu - cpu0) / n);
}
