//! tokio_convoy: mutex convoy on real Tokio, scheduler delay turned into lock
//! hold time.  Peer of demos/demo_convoy.
//!
//! --lock sync (default): M tasks take a std::sync::Mutex (a futex; waiters
//! sleep in FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG) around H us of CPU work
//! while K CPU-bound std threads compete with the workers for the cores.  The
//! kernel preempts lock holders; a preempted holder's run-queue delay becomes
//! hold time, and its peers block their workers in futex waits, so the
//! executor loses capacity.
//!
//! --lock async: M tasks hold a tokio::sync::Mutex around H us of CPU work
//! and across a short tokio::time::sleep (100 us, which Tokio rounds up to
//! its 1 ms tick) while K tasks hog the workers with long CPU-bound polls:
//! the holder's wake-up waits for a worker, and that delay becomes hold time
//! for every waiter.
//!
//! --fixed: the work (and the sleep) happens outside the critical section,
//! which is only a short update, and the pressure is taken off the workers:
//! async hogs run on the blocking pool; sync pressure threads run under
//! SCHED_IDLE, so the kernel no longer preempts workers for them.
//!
//! The work inside the lock is a fixed amount of *CPU* time (the thread's
//! CPU clock), so any excess of hold time over it is scheduling delay.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio_demos::cli::{self, Opt};
use tokio_demos::report::Report;
use tokio_demos::run::Run;
use tokio_demos::stats::Summary;
use tokio_demos::threads;
use tokio_demos::work;

const PROG: &str = "tokio_convoy";
const USAGE: &str = "\
Usage: tokio_convoy [OPTION...]
Mutex convoy on real Tokio: scheduler delay turned into lock hold time.

--lock sync: M tasks hold a std::sync::Mutex around H us of CPU work while K
CPU-bound threads make the kernel preempt lock holders.  --lock async: M tasks
hold a tokio::sync::Mutex across a short sleep while K tasks hog the workers.
--fixed: work outside the lock, a short update inside, and the pressure off
the workers (async: hogs on the blocking pool; sync: threads at SCHED_IDLE).

  --contenders M  tasks taking the lock (default 4)
  --hold-us H     CPU work inside the lock, us (default 200)
  --pressure K    CPU-bound threads (sync) or worker-hogging tasks (async)
                  (default: online CPUs)
  --pressure-ms MS  async: length of each hogging poll (default 5)
  --await-us US   async: the await inside the lock (default 100; Tokio
                  rounds sleeps up to its 1 ms tick)
  --lock KIND     sync (std::sync::Mutex) or async (tokio::sync::Mutex)
                  (default sync)
  --no-pin        sync: leave the pressure threads unpinned (by default
                  thread i is pinned to the i-th allowed CPU, as the C
                  demo's are)

Common options:
  --workers N     worker threads (default: online CPUs)
  --secs S        run for S seconds (fractions allowed, default 3)
  --fixed         apply the standard remedy (see above)
  --json          print one JSON object on stdout at exit
  --tokio-metrics add Tokio's own RuntimeMetrics to the JSON (busy ratio,
                  polls, steals, queue depths: docs/tokio-metrics.md)
  --help          this text

Examples:
  tokio_convoy --workers 2                   # hold p99 >> H, low acq/s
  tokio_convoy --workers 2 --fixed           # short holds, more acq/s
  tokio_convoy --workers 2 --lock async --json
";

const OPTS: [Opt; 7] = [
	Opt { name: "contenders", value: true },
	Opt { name: "hold-us", value: true },
	Opt { name: "pressure", value: true },
	Opt { name: "pressure-ms", value: true },
	Opt { name: "await-us", value: true },
	Opt { name: "lock", value: true },
	Opt { name: "no-pin", value: false },
];

#[derive(Clone, Copy)]
struct Cfg {
	work: Duration,
	wait: Duration,
	fixed: bool,
}

/// What one contender saw.
#[derive(Default)]
struct Seen {
	wait: Vec<u64>, // lock wait, wall ns
	hold: Vec<u64>, // lock hold, wall ns
	cpu_in_lock_ns: u64,
}

/// One turn of a sync-lock contender.  A plain fn, so that the guard can
/// never live across an await (and the task's future stays Send).
fn turn_sync(m: &Mutex<u64>, cfg: Cfg, seen: &mut Seen) {
	if cfg.fixed {
		// The remedy: compute outside the critical section.
		work::cpu_work(cfg.work);
	}
	let t0 = Instant::now();
	// A waiter parks its whole worker in futex(2) until the holder lets go.
	let mut g = m.lock().unwrap();
	let t1 = Instant::now();
	let c1 = work::thread_cpu_ns();
	if !cfg.fixed {
		// The bug: preemptible work inside the lock.
		work::cpu_work(cfg.work);
	}
	*g += 1;
	seen.cpu_in_lock_ns += work::thread_cpu_ns() - c1;
	let t2 = Instant::now();
	drop(g);
	seen.wait.push((t1 - t0).as_nanos() as u64);
	seen.hold.push((t2 - t1).as_nanos() as u64);
}

async fn contender_sync(m: Arc<Mutex<u64>>, cfg: Cfg, stop: Arc<AtomicBool>) -> Seen {
	let mut seen = Seen::default();
	while !stop.load(Ordering::Relaxed) {
		turn_sync(&m, cfg, &mut seen);
		// Let the other tasks of this worker run.
		tokio::task::yield_now().await;
	}
	seen
}

async fn contender_async(m: Arc<tokio::sync::Mutex<u64>>, cfg: Cfg, stop: Arc<AtomicBool>) -> Seen {
	let mut seen = Seen::default();
	while !stop.load(Ordering::Relaxed) {
		if cfg.fixed {
			work::cpu_work(cfg.work);
		}
		let t0 = Instant::now();
		let mut g = m.lock().await;
		let t1 = Instant::now();
		let c1 = work::thread_cpu_ns();
		if !cfg.fixed {
			work::cpu_work(cfg.work);
		}
		*g += 1;
		// Measured before the await: the task may resume on another thread.
		seen.cpu_in_lock_ns += work::thread_cpu_ns() - c1;
		if !cfg.fixed {
			// The bug: an await inside the lock, whose wake-up waits for a
			// worker.  The guard stays held while the task is suspended.
			tokio::time::sleep(cfg.wait).await;
		}
		let t2 = Instant::now();
		drop(g);
		seen.wait.push((t1 - t0).as_nanos() as u64);
		seen.hold.push((t2 - t1).as_nanos() as u64);
		if cfg.fixed {
			// The same await, outside the lock.
			tokio::time::sleep(cfg.wait).await;
		}
		tokio::task::yield_now().await;
	}
	seen
}

/// Async-mode pressure: long CPU-bound polls on a worker, or (fixed) the same
/// spins on the blocking pool.
async fn hog(spin: Duration, fixed: bool, stop: Arc<AtomicBool>) {
	while !stop.load(Ordering::Relaxed) {
		if fixed {
			if threads::spawn_blocking(move || work::spin(spin)).await.is_err() {
				break;
			}
		} else {
			work::spin(spin);
			tokio::task::yield_now().await;
		}
	}
}

/// Pins the calling thread to the i-th CPU it may run on (round robin), so
/// that every core has a pressure thread whatever the load balancer does
/// with the workers: left free, it may put both workers on one core and
/// the pressure on the other, where a holder is only ever preempted by its
/// own waiter and no convoy forms (the C demo does the same).  Best
/// effort: without the affinity the demo still runs.
fn pin_round_robin(i: usize) {
	// SAFETY: cpu_set_t is plain data; the calls get valid pointers.
	unsafe {
		let mut allowed: libc::cpu_set_t = std::mem::zeroed();
		let size = std::mem::size_of::<libc::cpu_set_t>();
		if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
			return;
		}
		let cpus: Vec<usize> =
			(0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &allowed)).collect();
		if cpus.is_empty() {
			return;
		}
		let mut one: libc::cpu_set_t = std::mem::zeroed();
		libc::CPU_SET(cpus[i % cpus.len()], &mut one);
		libc::sched_setaffinity(0, size, &one);
	}
}

/// Sync-mode pressure: a CPU-bound thread outside the runtime, the rest of a
/// busy machine, pinned unless --no-pin.  Fixed: under SCHED_IDLE it gets
/// only CPU time the workers leave idle and never preempts a worker (a lock
/// holder).
fn pressure_thread(i: usize, fixed: bool, pin: bool, stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
	thread::Builder::new()
		.name(format!("pressure-{i}"))
		.spawn(move || {
			if pin {
				pin_round_robin(i);
			}
			if fixed {
				let param = libc::sched_param { sched_priority: 0 };
				// SAFETY: pid 0 is the calling thread; param is valid.
				// SCHED_IDLE needs no privilege.
				if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0 {
					eprintln!("{PROG}: SCHED_IDLE: {}", std::io::Error::last_os_error());
					std::process::exit(1);
				}
			}
			while !stop.load(Ordering::Relaxed) {
				std::hint::spin_loop();
			}
		})
		.unwrap_or_else(|e| {
			eprintln!("{PROG}: cannot start a pressure thread: {e}");
			std::process::exit(1);
		})
}

fn main() {
	let (c, cli) = cli::parse(PROG, USAGE, &OPTS);
	let contenders = cli.uint("contenders", 4, 1, 10_000) as usize;
	let hold_us = cli.uint("hold-us", 200, 1, 1_000_000);
	let pressure = cli.uint("pressure", cli::online_cpus() as u64, 0, 1024) as usize;
	let pressure_ms = cli.uint("pressure-ms", 5, 1, 10_000);
	let await_us = cli.uint("await-us", 100, 1, 1_000_000);
	let lock = cli.choice("lock", "sync", &["sync", "async"]);
	let pin = !cli.has("no-pin");
	let cfg = Cfg {
		work: Duration::from_micros(hold_us),
		wait: Duration::from_micros(await_us),
		fixed: c.fixed,
	};

	let mut run = Run::start(PROG, &c);
	let mut threads = Vec::new();
	let mut hogs = Vec::new();
	let mut tasks = Vec::with_capacity(contenders);
	if lock == "sync" {
		for i in 0..pressure {
			threads.push(pressure_thread(i, c.fixed, pin, run.stop.clone()));
		}
		let m = Arc::new(Mutex::new(0u64));
		for _ in 0..contenders {
			tasks.push(run.handle().spawn(contender_sync(m.clone(), cfg, run.stop.clone())));
		}
	} else {
		let spin = Duration::from_millis(pressure_ms);
		for _ in 0..pressure {
			hogs.push(run.handle().spawn(hog(spin, c.fixed, run.stop.clone())));
		}
		let m = Arc::new(tokio::sync::Mutex::new(0u64));
		for _ in 0..contenders {
			tasks.push(run.handle().spawn(contender_async(m.clone(), cfg, run.stop.clone())));
		}
	}

	let secs = run.wait(c.secs);
	let probe = run.probe();
	let mut all = Seen::default();
	for s in run.join_all(tasks) {
		all.wait.extend(s.wait);
		all.hold.extend(s.hold);
		all.cpu_in_lock_ns += s.cpu_in_lock_ns;
	}
	run.join_all(hogs);
	for t in threads {
		let _ = t.join();
	}

	let acqs = all.hold.len() as u64;
	let work_us = if acqs > 0 { all.cpu_in_lock_ns as f64 / acqs as f64 / 1000.0 } else { 0.0 };
	let mut r = Report::new("convoy", &c, &probe);
	r.real("acq_per_s", "acquisitions/s", acqs as f64 / secs, "");
	r.stats("wait_us", "lock wait", &Summary::from_ns(all.wait.clone()));
	r.stats("hold_us", "lock hold (wall)", &Summary::from_ns(all.hold));
	r.real("work_in_lock_us", "CPU work in lock (mean)", work_us, "us");
	if lock == "sync" {
		// A sync lock wait blocks the worker: capacity the executor lost,
		// as a share of all worker time.
		let waited: u64 = all.wait.iter().sum();
		let pct = 100.0 * waited as f64 / 1e9 / secs / c.workers as f64;
		r.real("worker_lock_wait_pct", "worker time in lock wait", pct, "%");
	}
	r.set(|o| o.str("lock", lock));
	r.line(
		"setup",
		&format!(
			"{lock} lock, M={contenders} contenders, H={hold_us} us, K={pressure} {}{}",
			match (lock, c.fixed) {
				("sync", false) => "CPU threads",
				("sync", true) => "CPU threads at SCHED_IDLE",
				(_, false) => "worker hogs",
				(_, true) => "hogs on the blocking pool",
			},
			if lock == "sync" && !pin { ", unpinned" } else { "" }
		),
	);
	r.set(|o| {
		o.uint("contenders", contenders as u64)
			.uint("hold_us_configured", hold_us)
			.uint("pressure", pressure as u64)
			.uint("pressure_ms", pressure_ms)
			.uint("await_us", await_us)
			.bool("pinned", lock == "sync" && pin)
	});
	run.finish(r);
}
