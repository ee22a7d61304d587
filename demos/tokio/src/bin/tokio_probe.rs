//! tokio_probe: the scheduling probe alone, on an otherwise idle Tokio
//! runtime: the baseline every other demo is compared with.  Tokio's timer
//! ticks every 1 ms, so a 1 ms sleep wakes ~1 ms late even when nothing is
//! wrong (the C runtime's timer is sub-millisecond).  Peer of demos/demo_probe.

use tokio_demos::{cli, report::Report, run::Run};

const PROG: &str = "tokio_probe";
const USAGE: &str = "\
Usage: tokio_probe [OPTION...]
Scheduling probe alone on real Tokio: the baseline lateness of a 1 ms sleep
loop (about 1 ms: Tokio's timer has 1 ms ticks).

Common options:
  --workers N     worker threads (default: online CPUs)
  --secs S        run for S seconds (fractions allowed, default 3)
  --fixed         accepted for symmetry; changes nothing here
  --json          print one JSON object on stdout at exit
  --tokio-metrics add Tokio's own RuntimeMetrics to the JSON (busy ratio,
                  polls, steals, queue depths: docs/tokio-metrics.md)
  --help          this text

Examples:
  tokio_probe --workers 2 --secs 3      # human output
  tokio_probe --json                    # one JSON object
";

fn main() {
	let (c, _) = cli::parse(PROG, USAGE, &[]);
	let mut run = Run::start(PROG, &c);
	run.wait(c.secs);
	let probe = run.probe();
	run.finish(Report::new("probe", &c, &probe));
}
