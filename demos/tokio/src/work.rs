//! The work the scenarios inject: CPU spins and blocking calls, each timed
//! from inside so that what was injected is known exactly (ground truth for
//! the observer's tests).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::FromRawFd;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Burns CPU for `d` (on-CPU work: no syscall, no sleep).  Returns the time
/// actually spent, which exceeds `d` when the thread was preempted.
pub fn spin(d: Duration) -> Duration {
	let t0 = Instant::now();
	while t0.elapsed() < d {
		std::hint::spin_loop();
	}
	t0.elapsed()
}

/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in ns.
pub fn thread_cpu_ns() -> u64 {
	let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
	// SAFETY: ts is a valid timespec; this clock always exists on Linux.
	unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
	ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Does `d` of CPU work: spins until this thread has been *on CPU* for `d`,
/// so that preemption lengthens the wall time instead of eating the work.
/// This is a critical section's own cost; anything above it in a lock's hold
/// time is scheduler delay.
pub fn cpu_work(d: Duration) {
	let (t0, d) = (thread_cpu_ns(), d.as_nanos() as u64);
	while thread_cpu_ns() - t0 < d {
		std::hint::spin_loop();
	}
}

/// Sleeps with nanosleep(2), as blocking code does.
pub fn sleep(d: Duration) -> Duration {
	let t0 = Instant::now();
	thread::sleep(d);
	t0.elapsed()
}

/// A pipe whose reader blocks in a std `Read::read` (read(2)) until a feeder
/// thread writes one byte `d` after being asked: a blocking read of known
/// length, as a synchronous socket or file read inside a task would be.
pub struct PipeBlocker {
	rx: File,
	// mpsc::Sender is not Sync on Rust 1.63: the Mutex makes the blocker
	// shareable between a task and the blocking pool.
	req: Mutex<Option<mpsc::Sender<Duration>>>,
	feeder: Mutex<Option<thread::JoinHandle<()>>>,
}

impl PipeBlocker {
	/// Creates the pipe and its feeder thread, named `name`.
	pub fn new(name: String) -> io::Result<PipeBlocker> {
		let mut fds = [0 as libc::c_int; 2];
		// SAFETY: fds is a valid array of two ints for pipe2 to fill.
		if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
			return Err(io::Error::last_os_error());
		}
		// SAFETY: both fds were just created and are owned by nothing else;
		// from here on the Files close them.
		let (rx, mut tx_end) = unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
		let (tx, req) = mpsc::channel::<Duration>();
		let feeder = thread::Builder::new().name(name).spawn(move || {
			// Ends when the blocker drops the sender; tx_end closes here.
			for d in req {
				thread::sleep(d);
				if tx_end.write_all(b"x").is_err() {
					break;
				}
			}
		})?;
		Ok(PipeBlocker { rx, req: Mutex::new(Some(tx)), feeder: Mutex::new(Some(feeder)) })
	}

	/// Blocks in read(2) for about `d`.  Returns the time spent blocked.
	pub fn block(&self, d: Duration) -> Duration {
		let sent = match &*self.req.lock().unwrap() {
			Some(tx) => tx.send(d).is_ok(),
			None => false,
		};
		let t0 = Instant::now();
		if sent {
			let mut b = [0u8; 1];
			// Retry after a signal; EOF or another error ends the block early.
			while let Err(e) = (&self.rx).read(&mut b) {
				if e.kind() != io::ErrorKind::Interrupted {
					break;
				}
			}
		}
		t0.elapsed()
	}
}

impl Drop for PipeBlocker {
	fn drop(&mut self) {
		// Closing the channel ends the feeder, which closes the write end.
		self.req.lock().unwrap().take();
		if let Some(h) = self.feeder.lock().unwrap().take() {
			let _ = h.join();
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn pipe_blocks_for_about_d() {
		let p = PipeBlocker::new("t-feeder".into()).unwrap();
		let got = p.block(Duration::from_millis(20));
		assert!(got >= Duration::from_millis(20), "{got:?}");
		assert!(spin(Duration::from_millis(2)) >= Duration::from_millis(2));
		let t0 = Instant::now();
		cpu_work(Duration::from_millis(2));
		assert!(t0.elapsed() >= Duration::from_millis(2));
	}
}
