//! tokio_bench: bench/bench_rt.c's micro-benchmarks on real Tokio, with the
//! same modes, flags, parameters and output lines, so that
//! scripts/bench-rt.sh parses both and prints them side by side.
//!
//!	tokio_bench spawn|pingpong|mpsc|timer|timer-raw [-w WORKERS] [-n N]
//!
//! What each mode does is what bench_rt does, step for step:
//!  1. The runtime is multi-thread with -w workers (default: online CPUs)
//!     and is built before the clock starts.  The root future is spawned
//!     onto a worker and the main thread waits on its JoinHandle, as
//!     rt_block_on does (Tokio's own block_on would poll the root on the
//!     main thread instead).
//!  2. spawn: N empty tasks spawned from the root task and joined in
//!     spawn order, in waves of 10000.
//!  3. pingpong: two tasks wake each other N times each through raw
//!     wakers (not yield_now, not a channel): each poll stores its own
//!     waker where the peer will find it and wakes the peer's.
//!  4. mpsc: a producer task (spawned by the consumer) sends N items
//!     through a tokio::sync::mpsc channel of capacity 1024, one send per
//!     item, then closes it; the consumer counts and joins the producer.
//!  5. timer: N sleeps of 1 ms in a loop on one task; lateness is wake
//!     time minus deadline (tokio::time::sleep's own deadline).
//!  6. timer-raw: the same loop in a bare epoll_pwait2 on the main thread
//!     with a 1 us timer slack: the machine's floor, identical code to
//!     bench_rt's, so its ratio shows the noise of the comparison.
//! Differences that cannot be avoided are in docs/bench-rt.md.
//!
//! Output, one line: "MODE METRIC VALUE UNIT [METRIC VALUE UNIT...]".
//! Bad input: one line on stderr, exit 2.

use std::future::Future;
use std::pin::Pin;
use std::process;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;

const PROG: &str = "tokio_bench";
/// bench_rt's WAVE: tasks spawned before the first join of a wave.
const WAVE: u64 = 10000;
/// bench_rt's channel capacity.
const MPSC_CAP: usize = 1024;
/// bench_rt's timer: 1 ms sleeps.
const SLEEP: Duration = Duration::from_millis(1);
/// bench_rt's -w limit.
const MAX_WORKERS: usize = 1024;

fn die_usage(msg: &str) -> ! {
	eprintln!(
		"{PROG}: {msg} (usage: {PROG} spawn|pingpong|mpsc|timer|timer-raw \
		 [-w WORKERS] [-n N])"
	);
	process::exit(2);
}

struct Args {
	mode: String,
	workers: usize,
	n: Option<u64>,
}

/// getopt("w:n:") as bench_rt parses it: "-w 2" or "-w2", options before
/// or after MODE, "--" ends the options.
fn parse_args(args: Vec<String>) -> Args {
	let mut workers = None;
	let mut n = None;
	let mut modes = Vec::new();
	let mut it = args.into_iter();
	let mut opts_done = false;

	while let Some(a) = it.next() {
		if opts_done || !a.starts_with('-') || a == "-" {
			modes.push(a);
			continue;
		}
		if a == "--" {
			opts_done = true;
			continue;
		}
		// By chars, not bytes: "-é" is a bad option, not a panic.
		let mut chars = a[1..].chars();
		let flag = chars.next().unwrap_or('-');
		let rest = chars.as_str();
		if flag != 'w' && flag != 'n' {
			die_usage("bad option");
		}
		let val = if !rest.is_empty() {
			rest.to_string()
		} else {
			match it.next() {
				Some(v) => v,
				None => die_usage("bad option"),
			}
		};
		match flag {
			'w' => match val.parse::<usize>() {
				Ok(w) if w > 0 && w <= MAX_WORKERS => workers = Some(w),
				_ => die_usage("-w wants 1..1024"),
			},
			'n' => match val.parse::<u64>() {
				// 2^40 operations: days of work; more is a typo (as bench_rt)
				Ok(v) if v > 0 && v <= 1 << 40 => n = Some(v),
				_ => die_usage("-n wants a count of 1..2^40"),
			},
			_ => die_usage("bad option"),
		}
	}
	if modes.len() != 1 {
		die_usage("one MODE expected");
	}
	let mode = modes.pop().unwrap();
	if !["spawn", "pingpong", "mpsc", "timer", "timer-raw"].contains(&mode.as_str()) {
		die_usage("unknown MODE");
	}
	Args { mode, workers: workers.unwrap_or_else(online_cpus), n }
}

/// rt_new's default worker count: sysconf(_SC_NPROCESSORS_ONLN).
fn online_cpus() -> usize {
	// SAFETY: sysconf has no memory-safety preconditions.
	let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
	if n > 0 {
		n as usize
	} else {
		1
	}
}

/// Runs `root` as a task on a worker and waits for it from this (non-worker)
/// thread, as rt_block_on does.  Returns the root's output and the elapsed
/// time, spawn of the root included (bench_rt times rt_block_on).
fn block_on_task<F>(rt: &Runtime, root: F) -> (F::Output, Duration)
where
	F: Future + Send + 'static,
	F::Output: Send + 'static,
{
	let t0 = Instant::now();
	let h = rt.spawn(root);
	let out = rt.block_on(h).unwrap_or_else(|e| {
		eprintln!("{PROG}: root task failed: {e}");
		process::exit(1);
	});
	(out, t0.elapsed())
}

// ---- spawn + join ------------------------------------------------------------

async fn spawner(n: u64) -> u64 {
	let mut done = 0;
	let mut handles = Vec::with_capacity(WAVE as usize);

	while done < n {
		let wave = (n - done).min(WAVE);
		for _ in 0..wave {
			handles.push(tokio::spawn(async {}));
		}
		for h in handles.drain(..) {
			if h.await.is_err() {
				process::abort();
			}
		}
		done += wave;
	}
	done
}

// ---- ping-pong -----------------------------------------------------------------

/// One side of the ping-pong.  `mine` holds the waker of this side's peer
/// (stored by the peer), `theirs` is where this side stores its own waker
/// for the peer: bench_rt's pp.peer_waker and pp.peer->peer_waker.  A
/// Mutex, not bench_rt's bare pointer: the two first polls may run at the
/// same time on two workers, and Rust wants that race spelled out.  It is
/// never contended after the start (each side touches the slots only
/// between being woken and waking the other).
struct Pp {
	mine: Arc<Mutex<Option<Waker>>>,
	theirs: Arc<Mutex<Option<Waker>>>,
	left: u64,
}

impl Future for Pp {
	type Output = ();

	fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
		if self.left == 0 {
			if let Some(w) = self.mine.lock().unwrap().take() {
				w.wake();
			}
			return Poll::Ready(());
		}
		self.left -= 1;
		{
			// rt_waker_register: keep the stored waker if it is ours.
			let mut t = self.theirs.lock().unwrap();
			if !t.as_ref().map_or(false, |w| w.will_wake(cx.waker())) {
				*t = Some(cx.waker().clone());
			}
		}
		if let Some(w) = self.mine.lock().unwrap().take() {
			w.wake();
		}
		Poll::Pending
	}
}

async fn pingpong(k: u64) {
	let a_slot = Arc::new(Mutex::new(None));
	let b_slot = Arc::new(Mutex::new(None));
	let a = Pp { mine: a_slot.clone(), theirs: b_slot.clone(), left: k };
	let b = Pp { mine: b_slot, theirs: a_slot, left: k };
	let ja = tokio::spawn(a);
	let jb = tokio::spawn(b);

	if ja.await.is_err() || jb.await.is_err() {
		process::abort();
	}
}

// ---- mpsc --------------------------------------------------------------------------

async fn consumer(n: u64) -> u64 {
	let (tx, mut rx) = mpsc::channel::<u64>(MPSC_CAP);
	let producer = tokio::spawn(async move {
		for i in 0..n {
			if tx.send(i + 1).await.is_err() {
				process::abort();
			}
		}
		// Dropping tx closes the channel (rt_mpsc_close).
	});
	let mut got = 0;

	while rx.recv().await.is_some() {
		got += 1;
	}
	if producer.await.is_err() {
		process::abort();
	}
	got
}

// ---- timer -------------------------------------------------------------------------

/// Room for n lateness samples, or one error line and exit 1 (a huge -n).
fn samples(n: u64) -> Vec<u64> {
	let mut v = Vec::new();
	if usize::try_from(n).map_or(true, |n| v.try_reserve_exact(n).is_err()) {
		eprintln!("{PROG}: cannot allocate {n} samples");
		process::exit(1);
	}
	v
}

async fn sleeper(n: u64) -> Vec<u64> {
	let mut late = samples(n);

	for _ in 0..n {
		let s = tokio::time::sleep(SLEEP);
		let deadline = s.deadline().into_std();
		s.await;
		late.push(Instant::now().saturating_duration_since(deadline).as_nanos() as u64);
	}
	late
}

/// bench_rt's timer-raw: epoll_pwait2 on an empty epoll set, 1 us slack.
fn timer_raw(n: u64) -> Vec<u64> {
	let mut late = samples(n);
	let ts = libc::timespec { tv_sec: 0, tv_nsec: SLEEP.as_nanos() as libc::c_long };
	let mut ev = libc::epoll_event { events: 0, u64: 0 };

	// SAFETY: plain syscalls on a descriptor this function owns; `ev` and
	// `ts` outlive them.
	unsafe {
		let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
		if ep < 0 {
			eprintln!("{PROG}: epoll_create1: {}", std::io::Error::last_os_error());
			process::exit(1);
		}
		libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
		for _ in 0..n {
			let d = Instant::now() + SLEEP;
			libc::syscall(
				libc::SYS_epoll_pwait2,
				ep,
				&mut ev as *mut libc::epoll_event,
				1,
				&ts as *const libc::timespec,
				std::ptr::null::<libc::sigset_t>(),
				0usize,
			);
			late.push(Instant::now().saturating_duration_since(d).as_nanos() as u64);
		}
		libc::close(ep);
	}
	late
}

/// bench_rt's percentiles: sorted[n / 2], sorted[n * 99 / 100], max.
fn print_lateness(mode: &str, mut late: Vec<u64>) {
	late.sort_unstable();
	let n = late.len();
	let us = |i: usize| late[i] as f64 / 1e3;
	println!(
		"{mode} p50_us {:.1} us p99_us {:.1} us max_us {:.1} us",
		us(n / 2),
		us(n * 99 / 100),
		us(n - 1)
	);
}

fn main() {
	let args = parse_args(std::env::args().skip(1).collect());
	let rt = Builder::new_multi_thread()
		.worker_threads(args.workers)
		.enable_time()
		.build()
		.unwrap_or_else(|e| {
			eprintln!("{PROG}: cannot build the Tokio runtime: {e}");
			process::exit(1);
		});

	match args.mode.as_str() {
		"spawn" => {
			let n = args.n.unwrap_or(1_000_000);
			let (done, dt) = block_on_task(&rt, spawner(n));
			println!(
				"spawn ns_per_task {:.1} ns tasks {done}",
				dt.as_nanos() as f64 / done as f64
			);
		}
		"pingpong" => {
			let k = args.n.unwrap_or(1_000_000);
			let ((), dt) = block_on_task(&rt, pingpong(k));
			println!(
				"pingpong ns_per_switch {:.1} ns switches {}",
				dt.as_nanos() as f64 / (2 * k) as f64,
				2 * k
			);
		}
		"mpsc" => {
			let n = args.n.unwrap_or(1_000_000);
			let (got, dt) = block_on_task(&rt, consumer(n));
			println!(
				"mpsc mitems_per_s {:.2} M/s items {got}",
				got as f64 * 1e3 / dt.as_nanos() as f64
			);
			if got != n {
				eprintln!("{PROG}: mpsc lost items: {got} of {n}");
				process::exit(1);
			}
		}
		"timer" => {
			let n = args.n.unwrap_or(1000);
			let (late, _) = block_on_task(&rt, sleeper(n));
			print_lateness("timer", late);
		}
		_ => {
			let n = args.n.unwrap_or(1000);
			print_lateness("timer-raw", timer_raw(n));
		}
	}
	// Workers are idle now; shutting down does not wait for anything.
	drop(rt);
}
