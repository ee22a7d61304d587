'use strict';
/*
 * server.js - a Node.js HTTP service whose event loop is blocked by every
 * Nth request (the "slow" one, slow.js), its healthy twin (--fixed), and
 * the ground truth an observer is checked against.  See README.md.
 *
 * Stages (main): parse the command line; make the slow call (cpu: calibrate
 * pbkdf2Sync first, while nothing else runs); learn the thread roles; start
 * the backend (read); listen on 127.0.0.1, port 0; fork the load client
 * (client.js); when it reports, stop everything and print the report.
 *
 * Invariants:
 *  1. The event loop blocks only in the slow call: the blocking version's
 *     time, measured around each call, is the ground truth of how long it
 *     was blocked (slow.js).
 *  2. The event-loop delay histogram runs only while the load does (from the
 *     client's 'start' to the end).
 *  3. Every exit after the command line goes through finish(): children
 *     killed and reaped, FIFOs removed, one report printed, then exit with
 *     0 (done), 1 (failed) or 128+N (signal N).  A run is bounded: a client
 *     silent for S s + CLIENT_GRACE_MS after starting fails the run.
 */
const http = require('http');
const os = require('os');
const { monitorEventLoopDelay } = require('perf_hooks');
const cli = require('./cli');
const threads = require('./threads');
const slow = require('./slow');
const { us } = require('./stats');
const { forkChild, waitMessage, stopChild, exited } = require('./child');

// The histogram samples the loop by a timer of this period (node's default).
const ELD_RESOLUTION_MS = 10;
// Beyond the load's S s: the client's 1 s timeout, a process start, slack.
const CLIENT_GRACE_MS = 5000;
const CLIENT_START_MS = 5000;
// How long a signal waits for the client's results before reporting without.
const STOP_GRACE_MS = 500;

const run = {
	opt: null,
	work: null, // slow.make()
	roles: null, // threads.roles()
	client: null,
	server: null,
	results: null, // the client's report
	eld: monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS }),
	interrupted: null, // the signal's name
	error: null,
	stopping: false, // stopEarly() was called
	finishing: false, // finish() was called
};

// Ends the run before the client is done: it reports what it has (within
// STOP_GRACE_MS), then finish().
function stopEarly() {
	if (run.stopping)
		return;
	run.stopping = true;
	const c = run.client;
	if (!c || !c.connected || run.results)
		return finish();
	c.send({ type: 'stop' }, () => {});
	setTimeout(finish, STOP_GRACE_MS);
}

// One line on stderr; the run fails (3).
function fail(what, err) {
	if (run.finishing || run.error)
		return;
	run.error = `${what}: ${err.message}`;
	process.stderr.write(`${cli.PROG}: ${run.error}\n`);
	stopEarly();
}

function handle(req, res) {
	const reply = (status) => {
		res.writeHead(status, { 'content-type': 'text/plain' });
		res.end(status === 200 ? 'ok\n' : `${status}\n`);
	};
	if (req.url === '/fast')
		return reply(200);
	if (req.url !== '/slow')
		return reply(404);
	run.work.call().then(() => reply(200), (err) => {
		reply(500);
		fail('slow call', err);
	});
}

function listen() {
	return new Promise((resolve, reject) => {
		run.server = http.createServer(handle);
		run.server.once('error', reject).listen(0, '127.0.0.1', () => resolve(run.server.address().port));
	});
}

async function startClient(port) {
	const o = run.opt;
	run.client = forkChild('client.js', [port, o.rate, o.secs, o.conns, o.blockEvery]);
	run.client.on('message', (m) => {
		if (m && m.type === 'results') {
			run.results = m;
			finish();
		}
	});
	// Not 'exit': its SIGCHLD may be handled before the last message is
	// read; the channel's EOF comes after every message sent on it.
	run.client.on('disconnect', () => run.results ||
		fail('load client', new Error('gone before reporting')));
	await waitMessage(run.client, 'start', CLIENT_START_MS);
	run.eld.enable(); // (2)
	setTimeout(() => fail('load client', new Error('no results in time')),
		o.secs * 1000 + CLIENT_GRACE_MS).unref();
}

// The event-loop delay in ms: the histogram records the intervals between
// its timer's callbacks (ns), so the delay is what exceeds the period.
function eldSummary(h) {
	const delay = (ns) => us(Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS));
	if (h.count === 0)
		return { count: 0, p50: 0, p99: 0, max: 0 };
	return { count: h.count, p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max) };
}

// The ground truth, computed once from the run.
function report() {
	const o = run.opt;
	const c = run.work ? run.work.counters : { done: 0, blocked_ns: 0n, async_ns: 0n };
	const r = run.results || {};
	const roles = run.roles || { event_loop: process.pid, threadpool: [], other: [] };
	return {
		demo: 'node',
		mode: o.mode,
		fixed: o.fixed,
		secs: o.secs,
		rate: o.rate,
		conns: o.conns,
		block_ms: o.blockMs,
		block_every: o.blockEvery,
		requests: r.requests || { sent: 0, completed: 0, timed_out: 0, errors: 0, unanswered: 0 },
		slow_done: c.done,
		blocked_ms_total: us(Number(c.blocked_ns) / 1e6), // the event loop, in sync calls
		async_ms_total: us(Number(c.async_ns) / 1e6), // --fixed: the pool's calls
		pbkdf2: (run.work && run.work.info.pbkdf2) || null, // cpu: the calibration
		fast_ms: r.fast_ms || { count: 0, p50: 0, p99: 0, max: 0 },
		slow_ms: r.slow_ms || { count: 0, p50: 0, p99: 0, max: 0 },
		event_loop_delay_ms: { resolution: ELD_RESOLUTION_MS, ...eldSummary(run.eld) },
		threads: {
			...roles,
			client_pid: run.client ? run.client.pid : null,
			backend_pid: (run.work && run.work.info.backend_pid) || null, // read only
		},
		interrupted: run.interrupted,
		error: run.error,
	};
}

function printHuman(j) {
	const q = j.requests;
	const ms = (s) => `${s.p50} / ${s.p99} / ${s.max} ms`;
	const mean = j.slow_done ? us((j.blocked_ms_total + j.async_ms_total) / j.slow_done) : 0;
	const where = j.fixed ? 'on the threadpool' : 'blocking the event loop';
	const t = j.threads;
	process.stdout.write([
		`node demo: mode=${j.mode}${j.fixed ? ' --fixed' : ''}, ${j.secs} s at ${j.rate} req/s over ${j.conns} conns, 1 request in ${j.block_every} slow (${j.block_ms} ms)`,
		`requests:  ${q.sent} sent, ${q.completed} completed, ${q.timed_out} timed out, ${q.errors} errors, ${q.unanswered} unanswered`,
		`slow:      ${j.slow_done} calls ${where}, ${us(j.blocked_ms_total + j.async_ms_total)} ms in all (${mean} ms each)`,
		`fast p50 / p99 / max latency:   ${ms(j.fast_ms)}`,
		`event-loop delay p50 / p99 / max: ${ms(j.event_loop_delay_ms)}`,
		`threads:   event_loop=${t.event_loop} threadpool=${t.threadpool.join(',')} other=${t.other.join(',')} client=${t.client_pid} backend=${t.backend_pid}`,
		...(j.interrupted ? [`interrupted by ${j.interrupted}`] : []),
		'',
	].join('\n'));
}

// (3): idempotent; the first caller wins.
async function finish() {
	if (run.finishing)
		return;
	run.finishing = true;
	run.eld.disable();
	if (run.server) {
		run.server.close();
		run.server.closeAllConnections();
	}
	await Promise.all([stopChild(run.client), run.work && run.work.close().catch(() => {})]);
	const j = report();
	if (run.opt.json)
		process.stdout.write(`${JSON.stringify(j)}\n`);
	else
		printHuman(j);
	process.exit(run.error ? 1 : run.interrupted ? 128 + os.constants.signals[run.interrupted] : 0);
}

function onSignal(sig) {
	if (run.interrupted || run.finishing)
		return;
	run.interrupted = sig;
	stopEarly();
}

async function main() {
	run.opt = cli.parse(process.argv.slice(2));
	process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
	// The last resort of a crash: nothing can be awaited here.
	process.on('exit', () => {
		if (run.client && !exited(run.client))
			run.client.kill('SIGKILL');
		if (run.work)
			run.work.closeSync();
	});
	run.work = slow.make(run.opt); // cpu: calibrates, alone on the machine's loop
	run.roles = await threads.roles();
	if (process.env.NODE_DEMO_TIDS === '1')
		process.stderr.write(`${cli.PROG}: ${threads.line(run.roles)}\n`);
	// A signal during setup has begun finish(): start nothing more.
	if (!run.finishing)
		await run.work.start();
	if (!run.finishing)
		await startClient(await listen());
}

main().catch((err) => fail('setup', err));
