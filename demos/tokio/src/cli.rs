//! Command-line parsing: the C demos' flags and limits (demos/lib/cli.c), by
//! hand (no argument-parsing crate is in Debian's registry set; the flags are
//! few and simple).
//!
//! Accepted forms: `--name value` and `--name=value`.  Common flags are
//! --workers N, --secs S, --fixed, --json and --help; each demo names its own
//! options.  Any usage error is one line on stderr and exit status 2.

use std::collections::HashMap;
use std::process;

/// Limits that only catch typos, as the C demos' CLI_MAX_*.
const MAX_WORKERS: u64 = 256;
const MIN_SECS: f64 = 0.001;
const MAX_SECS: f64 = 3600.0;
/// Run length when --secs is not given (the C demos' default).
const DEFAULT_SECS: f64 = 3.0;

/// Flags every demo has.
#[derive(Clone, Debug)]
pub struct Common {
	pub workers: usize,
	pub secs: f64,
	pub fixed: bool,
	pub json: bool,
	/// --tokio-metrics: Tokio's own RuntimeMetrics in the report (rtmetrics.rs)
	pub tokio_metrics: bool,
}

/// A demo's own option: its name without dashes, and whether it takes a
/// value (`--blockers 2`) or is a switch (`--no-lifo`).
pub struct Opt {
	pub name: &'static str,
	pub value: bool,
}

/// The demo's own options, as given; read them with the typed getters.
pub struct Cli {
	prog: &'static str,
	values: HashMap<&'static str, String>,
}

/// Prints `prog: msg` on stderr and exits 2 (bad usage).
pub fn die(prog: &str, msg: &str) -> ! {
	eprintln!("{prog}: {msg}");
	process::exit(2);
}

/// Online CPUs, as the C demos count them (sysconf(_SC_NPROCESSORS_ONLN)):
/// the default for --workers and for options that scale with the machine.
pub fn online_cpus() -> usize {
	// SAFETY: sysconf has no memory-safety preconditions.
	let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
	if n > 0 {
		n as usize
	} else {
		1
	}
}

/// Parses std::env::args().  `usage` is printed by --help (exit 0).
pub fn parse(prog: &'static str, usage: &str, opts: &[Opt]) -> (Common, Cli) {
	parse_from(prog, usage, opts, std::env::args().skip(1).collect())
}

fn parse_from(prog: &'static str, usage: &str, opts: &[Opt], args: Vec<String>) -> (Common, Cli) {
	const COMMON: [Opt; 5] = [
		Opt { name: "workers", value: true },
		Opt { name: "secs", value: true },
		Opt { name: "fixed", value: false },
		Opt { name: "json", value: false },
		Opt { name: "tokio-metrics", value: false },
	];
	let mut cli = Cli { prog, values: HashMap::new() };
	let mut it = args.into_iter();

	while let Some(arg) = it.next() {
		if arg == "--help" || arg == "-h" {
			print!("{usage}");
			process::exit(0);
		}
		let body = match arg.strip_prefix("--") {
			Some(b) if !b.is_empty() => b.to_string(),
			_ if arg.starts_with('-') && arg.len() > 1 => {
				die(prog, &format!("unrecognized option '{arg}' (try --help)"))
			}
			_ => die(prog, &format!("unexpected argument: '{arg}' (try --help)")),
		};
		let (name, inline) = match body.split_once('=') {
			Some((n, v)) => (n.to_string(), Some(v.to_string())),
			None => (body, None),
		};
		let opt = match COMMON.iter().chain(opts.iter()).find(|o| o.name == name) {
			Some(o) => o,
			None => die(prog, &format!("unrecognized option '--{name}' (try --help)")),
		};
		let value = if !opt.value {
			if inline.is_some() {
				die(prog, &format!("option '--{name}' doesn't allow an argument"));
			}
			String::new()
		} else {
			match inline.or_else(|| it.next()) {
				Some(v) => v,
				None => die(prog, &format!("option '--{name}' requires an argument")),
			}
		};
		cli.values.insert(opt.name, value);
	}

	let common = Common {
		workers: cli.uint("workers", online_cpus() as u64, 1, MAX_WORKERS) as usize,
		secs: cli.real("secs", DEFAULT_SECS, MIN_SECS, MAX_SECS),
		fixed: cli.has("fixed"),
		json: cli.has("json"),
		tokio_metrics: cli.has("tokio-metrics"),
	};
	(common, cli)
}

impl Cli {
	/// The value of `--name`, an integer in [min, max], or `default`.
	pub fn uint(&self, name: &str, default: u64, min: u64, max: u64) -> u64 {
		let v = match self.values.get(name) {
			Some(v) => v,
			None => return default,
		};
		match v.parse::<u64>() {
			Ok(n) if n >= min && n <= max => n,
			_ => die(
				self.prog,
				&format!("invalid value for --{name}: '{v}' (want an integer in [{min}, {max}])"),
			),
		}
	}

	/// The value of `--name`, a finite number in [min, max], or `default`.
	pub fn real(&self, name: &str, default: f64, min: f64, max: f64) -> f64 {
		let v = match self.values.get(name) {
			Some(v) => v,
			None => return default,
		};
		match v.parse::<f64>() {
			Ok(n) if n.is_finite() && n >= min && n <= max => n,
			_ => die(
				self.prog,
				&format!("invalid value for --{name}: '{v}' (want a number in [{min}, {max}])"),
			),
		}
	}

	/// The value of `--name`, one of `choices`, or `default`.
	pub fn choice(
		&self,
		name: &str,
		default: &'static str,
		choices: &[&'static str],
	) -> &'static str {
		let v = match self.values.get(name) {
			Some(v) => v,
			None => return default,
		};
		match choices.iter().find(|c| *c == v) {
			Some(c) => c,
			None => die(
				self.prog,
				&format!("invalid value for --{name}: '{v}' (want {})", choices.join(" or ")),
			),
		}
	}

	/// Whether `--name` was given at all.
	pub fn has(&self, name: &str) -> bool {
		self.values.contains_key(name)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn args(s: &str) -> Vec<String> {
		s.split_whitespace().map(String::from).collect()
	}

	#[test]
	fn both_forms_and_switches() {
		let opts = [Opt { name: "peers", value: true }, Opt { name: "no-lifo", value: false }];
		let (c, cli) = parse_from(
			"t",
			"",
			&opts,
			args("--workers 3 --secs=1.5 --fixed --peers=7 --json --no-lifo"),
		);
		assert_eq!(c.workers, 3);
		assert_eq!(c.secs, 1.5);
		assert!(c.fixed && c.json && cli.has("no-lifo"));
		assert_eq!(cli.uint("peers", 1, 1, 100), 7);
		assert_eq!(cli.uint("other", 9, 1, 100), 9);
		let (c, _) = parse_from("t", "", &[], vec![]);
		assert_eq!((c.secs, c.fixed, c.json), (DEFAULT_SECS, false, false));
		assert_eq!(c.workers, online_cpus());
	}
}
