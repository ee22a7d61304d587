//! Shared code of the real-Tokio peer demos (src/bin/tokio_*.rs).
//!
//! Each demo is the Tokio twin of a C demo in demos/: same scenario, same
//! flags, same JSON keys, so that the C runtime and real Tokio can be compared
//! line by line and the observer can be pointed at either.
//!
//! Invariants every demo relies on:
//!  1. Scenario tasks run on Tokio's own workers (default thread name
//!     "tokio-runtime-worker"); nothing here renames or pins them.
//!  2. The run length is timed on the main thread with std::thread::sleep,
//!     never with a Tokio timer, so a starved runtime cannot stretch the run.
//!  3. Every task stops at the next loop turn once `Run::stop` is set; the
//!     report is built only from what the tasks returned after that.
//!  4. Bad input is one line on stderr and exit status 2 (cli::die).
//!  5. Every blocking closure runs through threads::spawn_blocking, and the
//!     runtime only through Run, so that the report's thread ids (which tid is
//!     a worker, which a blocking-pool thread) are right.

pub mod cli;
pub mod json;
pub mod polls;
pub mod probe;
pub mod report;
pub mod rtmetrics;
pub mod run;
pub mod stats;
pub mod threads;
pub mod work;
