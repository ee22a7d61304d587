//! tokio_server: starvation seen from the outside, on real Tokio.  A loopback
//! TCP request/response service: each request is read by its connection's
//! reader task and handled by its own task, which asks a backend task for the
//! answer over a tokio::sync::mpsc channel (reply on a oneshot) under a
//! per-request deadline (--timeout-ms, from arrival), then hands the response
//! to the connection's writer task.  With --block-ms B, every Nth request's
//! handler makes a blocking call of B ms right after sending its job to the
//! backend: that worker polls nothing else meanwhile, and the backend task it
//! just woke sits in the worker's LIFO slot, so *other* requests time out
//! waiting for the backend.  --fixed runs the call on spawn_blocking.
//!
//! The load generator is open-loop, on plain threads outside the runtime:
//! request i is due at start + i/R and its latency is measured from that
//! intended time (no coordinated omission).  Peer of demos/demo_server: same
//! wire format, flags, JSON keys and counting.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener as StdListener, TcpStream as StdStream};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use tokio_demos::cli::{self, Opt};
use tokio_demos::json::Obj;
use tokio_demos::report::Report;
use tokio_demos::run::{Options, Run};
use tokio_demos::stats::Summary;
use tokio_demos::{threads, work};

const PROG: &str = "tokio_server";
const USAGE: &str = "\
Usage: tokio_server [OPTION...]
Starvation seen from the outside, on real Tokio: a loopback TCP service under
open-loop load.

Handlers ask a backend task over a channel under a per-request timeout;
every Nth handler then blocks B ms.  The requests that time out are mostly
not the ones that blocked.  --fixed moves the blocking call to
tokio::task::spawn_blocking.

  --rate R              requests per second, open loop (default 1000)
  --timeout-ms T        server-side timeout on the backend call, from
                        arrival (default 10)
  --client-timeout-ms MS  client-side timeout, from the intended send time
                        (default 30)
  --block-ms B          blocking call in every Nth handler, 0 for none
                        (default 20)
  --block-every N       every Nth request blocks (default 200)
  --conns C             client connections (default 4, at most 64)

Common options:
  --workers N     worker threads (default: online CPUs)
  --secs S        send for S seconds (fractions allowed, default 3)
  --fixed         run the blocking call with tokio::task::spawn_blocking
  --json          print one JSON object on stdout at exit
  --tokio-metrics add Tokio's own RuntimeMetrics to the JSON (busy ratio,
                  polls, steals, queue depths: docs/tokio-metrics.md)
  --help          this text

Examples:
  tokio_server --workers 2                    # timeouts, p99 >> T
  tokio_server --workers 2 --fixed            # no timeouts
  tokio_server --rate 2000 --block-ms 50 --json
";

const OPTS: [Opt; 6] = [
	Opt { name: "rate", value: true },
	Opt { name: "timeout-ms", value: true },
	Opt { name: "client-timeout-ms", value: true },
	Opt { name: "block-ms", value: true },
	Opt { name: "block-every", value: true },
	Opt { name: "conns", value: true },
];

const MAX_CONNS: u64 = 64;
/// The generator starts sending this long after the runtime is up.
const WARMUP: Duration = Duration::from_millis(100);
/// After the last response is due, the client waits this long past its own
/// timeout for stragglers before counting them lost.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// The server gives up waiting for its connections this long after that.
const SERVER_GRACE: Duration = Duration::from_secs(5);
/// Both channels' capacity, as the C demo's rt_mpsc_new(4096).
const CHANNEL_CAP: usize = 4096;

const ST_OK: u32 = 0;
const ST_TIMEOUT: u32 = 1;
const ST_ERROR: u32 = 2;

/// Wire format, both directions, native byte order (same host, same binary):
/// the C demo's struct msg { u64 id; u32 status; u32 pad; }.
const MSG_LEN: usize = 16;

fn encode(id: u64, status: u32) -> [u8; MSG_LEN] {
	let mut b = [0u8; MSG_LEN];
	b[..8].copy_from_slice(&id.to_ne_bytes());
	b[8..12].copy_from_slice(&status.to_ne_bytes());
	b
}

/// A message's id; its status is the server's to count, not the client's.
fn decode_id(b: &[u8]) -> u64 {
	u64::from_ne_bytes(b[..8].try_into().unwrap())
}

/// The scenario's parameters, shared by the server and the client.
struct Setup {
	rate: u64,
	timeout: Duration,
	client_timeout: Duration,
	block: Duration,
	block_every: u64,
	conns: usize,
	fixed: bool,
}

impl Setup {
	fn is_blocking(&self, id: u64) -> bool {
		!self.block.is_zero() && (id + 1) % self.block_every == 0
	}
}

// ---- server ---------------------------------------------------------------

struct Job {
	id: u64,
	reply: oneshot::Sender<u64>,
}

struct Server {
	set: Arc<Setup>,
	backend: mpsc::Sender<Job>,
	srv_timeouts: AtomicU64,
	srv_timeouts_blocking: AtomicU64,
	blocks: AtomicU64,
	blocked_ns: AtomicU64,
}

/// The blocking "audit log write"; only the call itself is counted.
fn block_once(s: &Server) {
	let d = work::sleep(s.set.block);
	s.blocks.fetch_add(1, Ordering::Relaxed);
	s.blocked_ns.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
}

/// The backend's answer to request `id`, or why there is none.
async fn answer(s: &Arc<Server>, id: u64, arrival: Instant) -> u32 {
	let (tx, rx) = oneshot::channel();
	if s.backend.send(Job { id, reply: tx }).await.is_err() {
		return ST_ERROR;
	}
	// While the backend works on it: the "audit log" write.  The send just
	// woke the backend task into this worker's LIFO slot.
	if s.set.is_blocking(id) {
		if !s.set.fixed {
			// The bug: a blocking call inside a poll.
			block_once(s);
		} else {
			let s2 = s.clone();
			// panic = "abort": the closure cannot fail
			let _ = threads::spawn_blocking(move || block_once(&s2)).await;
		}
	}
	// The reply is polled before the deadline, as the C demo's race.
	match tokio::time::timeout_at((arrival + s.set.timeout).into(), rx).await {
		Ok(Ok(_)) => ST_OK,
		Ok(Err(_)) => ST_ERROR,
		Err(_) => {
			s.srv_timeouts.fetch_add(1, Ordering::Relaxed);
			if s.set.is_blocking(id) {
				s.srv_timeouts_blocking.fetch_add(1, Ordering::Relaxed);
			}
			ST_TIMEOUT
		}
	}
}

async fn handler(s: Arc<Server>, id: u64, arrival: Instant, out: mpsc::Sender<[u8; MSG_LEN]>) {
	let status = answer(&s, id, arrival).await;
	// The writer is gone only if its connection died: the client counts it.
	let _ = out.send(encode(id, status)).await;
}

/// Reads requests until EOF and spawns a handler for each.  Its `out` and
/// the handlers' clones keep the writer alive: the last one dropped ends it.
async fn reader(s: Arc<Server>, conn: Arc<TcpStream>, out: mpsc::Sender<[u8; MSG_LEN]>) {
	let (mut buf, mut len) = ([0u8; 4096], 0usize);
	loop {
		if conn.readable().await.is_err() {
			break;
		}
		match conn.try_read(&mut buf[len..]) {
			Ok(0) => break, // EOF: the generator is done
			Ok(n) => len += n,
			Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
			Err(_) => break,
		}
		let whole = len - len % MSG_LEN;
		for m in buf[..whole].chunks_exact(MSG_LEN) {
			tokio::spawn(handler(s.clone(), decode_id(m), Instant::now(), out.clone()));
		}
		buf.copy_within(whole..len, 0);
		len -= whole;
	}
}

/// Writes responses until every sender is gone; after a write error it only
/// drains.
async fn writer(conn: Arc<TcpStream>, mut rx: mpsc::Receiver<[u8; MSG_LEN]>) {
	let mut dead = false;
	while let Some(m) = rx.recv().await {
		let mut off = 0;
		while !dead && off < MSG_LEN {
			if conn.writable().await.is_err() {
				dead = true;
				break;
			}
			match conn.try_write(&m[off..]) {
				Ok(n) => off += n,
				Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
				Err(_) => dead = true, // peer gone: drain only
			}
		}
	}
}

/// Accepts the client's connections; returns each one's writer, which ends
/// last (the socket closes when the reader and the writer have dropped it).
async fn acceptor(s: Arc<Server>, l: TcpListener) -> Vec<JoinHandle<()>> {
	let mut writers = Vec::new();
	for _ in 0..s.set.conns {
		let conn = match l.accept().await {
			Ok((c, _)) => Arc::new(c),
			Err(_) => break,
		};
		let _ = conn.set_nodelay(true);
		let (tx, rx) = mpsc::channel(CHANNEL_CAP);
		writers.push(tokio::spawn(writer(conn.clone(), rx)));
		tokio::spawn(reader(s.clone(), conn, tx));
	}
	writers
}

async fn backend(mut rx: mpsc::Receiver<Job>) {
	while let Some(job) = rx.recv().await {
		let _ = job.reply.send(job.id + 1);
	}
}

// ---- the open-loop load generator (plain threads) -------------------------

struct Gen {
	set: Arc<Setup>,
	conns: Vec<StdStream>,
	start: Instant,
	nreqs: u64,
	sent: AtomicU64,
}

/// What the client saw.
#[derive(Default)]
struct Seen {
	lat: Vec<u64>, // from intended send time, ns, one per answered request
	lat_unblocked: Vec<u64>,
	cli_timeouts: u64,
	cli_timeouts_blocking: u64,
	lost: u64,
}

impl Gen {
	fn intended(&self, i: u64) -> Instant {
		self.start + Duration::from_nanos(i * 1_000_000_000 / self.set.rate)
	}
}

fn sender(g: &Gen) {
	for i in 0..g.nreqs {
		let due = g.intended(i);
		let now = Instant::now();
		// Late wake-ups send at once: latency still counts from due.
		if due > now {
			thread::sleep(due - now);
		}
		let mut c = &g.conns[(i % g.conns.len() as u64) as usize];
		if c.write_all(&encode(i, 0)).is_err() {
			break;
		}
		g.sent.store(i + 1, Ordering::Release);
	}
	// Half-close: the server's readers see EOF and wind down.
	for c in &g.conns {
		let _ = c.shutdown(Shutdown::Write);
	}
}

fn record(g: &Gen, seen: &mut Seen, answered: &mut [bool], b: &[u8], now: Instant) {
	let id = decode_id(b);
	if id >= g.nreqs || answered[id as usize] {
		return; // not ours: ignore
	}
	answered[id as usize] = true;
	let lat = now.saturating_duration_since(g.intended(id));
	seen.lat.push(lat.as_nanos() as u64);
	let blocking = g.set.is_blocking(id);
	if !blocking {
		seen.lat_unblocked.push(lat.as_nanos() as u64);
	}
	if lat > g.set.client_timeout {
		seen.cli_timeouts += 1;
		seen.cli_timeouts_blocking += blocking as u64;
	}
}

fn receiver(g: &Gen) -> Seen {
	let n = g.conns.len();
	let mut pfd: Vec<libc::pollfd> = g
		.conns
		.iter()
		.map(|c| libc::pollfd { fd: c.as_raw_fd(), events: libc::POLLIN, revents: 0 })
		.collect();
	let (mut bufs, mut lens) = (vec![[0u8; 512]; n], vec![0usize; n]);
	let mut answered = vec![false; g.nreqs as usize];
	let mut seen = Seen::default();
	let deadline = g.intended(g.nreqs) + g.set.client_timeout + DRAIN_GRACE;
	let mut open = n;
	while open > 0 && Instant::now() < deadline {
		// SAFETY: pfd holds n valid pollfd entries.
		if unsafe { libc::poll(pfd.as_mut_ptr(), n as libc::nfds_t, 50) } < 0 {
			if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
				continue;
			}
			break;
		}
		for i in 0..n {
			if pfd[i].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0 {
				continue;
			}
			let r = (&g.conns[i]).read(&mut bufs[i][lens[i]..]);
			let now = Instant::now();
			match r {
				Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
				Ok(0) | Err(_) => {
					pfd[i].fd = -pfd[i].fd - 1; // ignored by poll
					open -= 1;
				}
				Ok(r) => {
					lens[i] += r;
					let whole = lens[i] - lens[i] % MSG_LEN;
					for m in bufs[i][..whole].chunks_exact(MSG_LEN) {
						record(g, &mut seen, &mut answered, m, now);
					}
					bufs[i].copy_within(whole..lens[i], 0);
					lens[i] -= whole;
				}
			}
		}
	}
	// Whatever never came back timed out as far as the client knows.
	for id in 0..g.sent.load(Ordering::Acquire) {
		if !answered[id as usize] {
			let blocking = g.set.is_blocking(id) as u64;
			seen.lost += 1;
			seen.cli_timeouts += 1;
			seen.cli_timeouts_blocking += blocking;
		}
	}
	seen
}

fn connect(port: u16, n: usize) -> io::Result<Vec<StdStream>> {
	(0..n)
		.map(|_| {
			let c = StdStream::connect(("127.0.0.1", port))?;
			c.set_nodelay(true)?;
			Ok(c)
		})
		.collect()
}

fn generator_thread<T: Send + 'static>(
	name: &str,
	f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
	thread::Builder::new().name(name.into()).spawn(f).unwrap_or_else(|e| fail("load generator", e))
}

// ---- main -------------------------------------------------------------------

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
	eprintln!("{PROG}: {what}: {e}");
	std::process::exit(1);
}

fn setup(c: &cli::Common, cli: &cli::Cli) -> Setup {
	Setup {
		rate: cli.uint("rate", 1000, 1, 1_000_000),
		timeout: Duration::from_millis(cli.uint("timeout-ms", 10, 1, 60_000)),
		client_timeout: Duration::from_millis(cli.uint("client-timeout-ms", 30, 1, 60_000)),
		block: Duration::from_millis(cli.uint("block-ms", 20, 0, 60_000)),
		block_every: cli.uint("block-every", 200, 1, 1_000_000_000),
		conns: cli.uint("conns", 4, 1, MAX_CONNS) as usize,
		fixed: c.fixed,
	}
}

/// Starts the server on `run`: the backend, and the acceptor on `listener`,
/// whose handle yields each connection's writer.  (The backend is never
/// joined: Run::finish's shutdown drops it.)
fn serve(
	run: &Run,
	set: &Arc<Setup>,
	listener: StdListener,
) -> (Arc<Server>, JoinHandle<Vec<JoinHandle<()>>>) {
	let (btx, brx) = mpsc::channel(CHANNEL_CAP);
	let srv = Arc::new(Server {
		set: set.clone(),
		backend: btx,
		srv_timeouts: AtomicU64::new(0),
		srv_timeouts_blocking: AtomicU64::new(0),
		blocks: AtomicU64::new(0),
		blocked_ns: AtomicU64::new(0),
	});
	run.handle().spawn(backend(brx));
	let _in_rt = run.handle().enter(); // from_std registers with this runtime's driver
	let l =
		TcpListener::from_std(listener).unwrap_or_else(|e| fail("cannot listen on 127.0.0.1", e));
	(srv.clone(), run.handle().spawn(acceptor(srv, l)))
}

/// Waits until every connection has closed (so every handler has counted),
/// bounded as the C demo's root task: exits 1 past `giveup`.
fn wind_down(run: &Run, acceptor: JoinHandle<Vec<JoinHandle<()>>>, giveup: Instant) {
	let writers = run.join(acceptor);
	let all_closed = async {
		for w in writers {
			let _ = w.await;
		}
	};
	// (the timer is made inside block_on: it needs the runtime's context)
	if run.rt.block_on(async { tokio::time::timeout_at(giveup.into(), all_closed).await }).is_err()
	{
		fail("run failed", "the server's connections did not close");
	}
}

fn report(c: &cli::Common, probe: &Summary, srv: &Server, sent: u64, seen: Seen) -> Report {
	let set = &srv.set;
	let nblocking = (0..sent).filter(|&i| set.is_blocking(i)).count() as u64;
	let answered = seen.lat.len() as u64;
	let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
	let (blocks, blocked_ns) = (load(&srv.blocks), load(&srv.blocked_ns));
	let mut r = Report::new("server", c, probe);
	r.stats_p999("latency_us", "request latency", &Summary::from_ns(seen.lat));
	// the tail of requests that never block themselves: what the blocking
	// ones do to the others, whatever the mix
	r.stats_p999(
		"unblocked_latency_us",
		"  of unblocked requests",
		&Summary::from_ns(seen.lat_unblocked),
	);
	r.int("requests", "requests sent", sent, "");
	r.int("answered", "answered", answered, "");
	r.int("server_timeouts", "server timeouts", load(&srv.srv_timeouts), "");
	r.int(
		"server_timeouts_on_blocking",
		"  on blocking requests",
		load(&srv.srv_timeouts_blocking),
		"",
	);
	r.int("client_timeouts", "client timeouts", seen.cli_timeouts, "");
	r.int("client_timeouts_on_blocking", "  on blocking requests", seen.cli_timeouts_blocking, "");
	r.int("lost", "  never answered", seen.lost, "");
	r.int("blocking_requests", "blocking requests", nblocking, "");
	r.set(|o| {
		o.obj(
			"injected",
			Obj::new()
				.uint("blocks", blocks)
				.uint("block_ns_total", blocked_ns)
				.str("mode", "sleep"),
		)
	});
	let ms = |d: Duration| d.as_millis() as u64;
	let (block_ms, timeout_ms, client_ms) =
		(ms(set.block), ms(set.timeout), ms(set.client_timeout));
	r.line(
		"injected",
		&format!(
			"{blocks} blocks of {block_ms} ms, {:.1} ms total{}",
			blocked_ns as f64 / 1e6,
			if c.fixed { " (on the blocking pool)" } else { "" }
		),
	);
	r.set(|o| {
		o.uint("rate", set.rate)
			.uint("timeout_ms", timeout_ms)
			.uint("client_timeout_ms", client_ms)
			.uint("block_ms", block_ms)
			.uint("block_every", set.block_every)
			.uint("conns", set.conns as u64)
	});
	r.line(
		"setup",
		&format!(
			"R={}/s T={timeout_ms} ms client {client_ms} ms, B={block_ms} ms every {}, {} conns",
			set.rate, set.block_every, set.conns
		),
	);
	r
}

fn main() {
	let (c, cli) = cli::parse(PROG, USAGE, &OPTS);
	let set = Arc::new(setup(&c, &cli));
	let listener = StdListener::bind(("127.0.0.1", 0))
		.and_then(|l| l.set_nonblocking(true).map(|_| l))
		.unwrap_or_else(|e| fail("cannot listen on 127.0.0.1", e));
	let port = listener
		.local_addr()
		.map(|a| a.port())
		.unwrap_or_else(|e| fail("cannot listen on 127.0.0.1", e));

	let mut run = Run::start_with(PROG, &c, Options { io: true, ..Options::default() });
	let (srv, acceptor) = serve(&run, &set, listener);
	let conns = connect(port, set.conns)
		.unwrap_or_else(|e| fail(&format!("cannot connect to 127.0.0.1:{port}"), e));
	let nreqs = ((c.secs * set.rate as f64) as u64).max(1);
	let g = Arc::new(Gen {
		set: set.clone(),
		conns,
		start: Instant::now() + WARMUP,
		nreqs,
		sent: AtomicU64::new(0),
	});
	let end = g.intended(nreqs);
	let (g1, g2) = (g.clone(), g.clone());
	let snd = generator_thread("loadgen-send", move || sender(&g1));
	let rcv = generator_thread("loadgen-recv", move || receiver(&g2));

	// The probe and Tokio's metrics cover the sending, as the C demo's probe.
	run.stop_at(end);
	let probe = run.probe();
	// panic = "abort": a join cannot fail
	let _ = snd.join();
	let seen = rcv.join().unwrap_or_default();
	wind_down(&run, acceptor, end + set.client_timeout + DRAIN_GRACE + SERVER_GRACE);
	run.finish(report(&c, &probe, &srv, g.sent.load(Ordering::Acquire), seen));
}
