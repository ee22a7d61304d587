'use strict';
/*
 * client.js - the demo's load: an open-loop HTTP client in its own process
 * (forked by server.js), so that a blocked server cannot slow the generator
 * down.  Reports to the server over IPC: {type: 'start'} when the load
 * starts, {type: 'results', ...} at the end or when told {type: 'stop'}.
 *
 * Invariants:
 *  1. Open loop: request i is due at start + i/R whatever happened to the
 *     others, and its latency is measured from that intended time, so the
 *     time it waited for a free connection or for a stalled server counts
 *     (no coordinated omission).
 *  2. Request i goes to /slow when (i + 1) % N == 0 (as demo_server.c), to
 *     /fast otherwise; only /fast latencies are the victims' numbers.
 *  3. Bounded: nothing is due at or after S seconds, and each request is
 *     given up TIMEOUT_MS after it was sent (counted in timed_out).
 *  4. The server owns the lifecycle (child.js, invariant 2).
 */
const http = require('http');
const { performance } = require('perf_hooks');
const { summary } = require('./stats');

// Twice the longest block allowed (cli.js): past this, an answer is lost.
const TIMEOUT_MS = 1000;

function main(port, rate, secs, conns, every) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
	const total = Math.ceil(secs * rate); // i/R < S (3)
	const counts = { sent: 0, completed: 0, timed_out: 0, errors: 0 };
	const fast = [];
	const slow = [];
	let next = 0;
	let outstanding = 0;
	let finished = false;
	let t0 = 0;
	const due = (i) => t0 + (i * 1000) / rate;

	function finish() {
		if (finished)
			return;
		finished = true;
		process.send({
			type: 'results',
			requests: { ...counts, unanswered: outstanding },
			fast_ms: summary(fast),
			slow_ms: summary(slow),
		}, () => process.exit(0));
	}

	function send(i) {
		const isSlow = (i + 1) % every === 0; // (2)
		const intended = due(i);
		let settled = false;
		const end = (what) => {
			if (settled)
				return;
			settled = true;
			clearTimeout(timer);
			outstanding--;
			counts[what]++;
			if (what === 'completed')
				(isSlow ? slow : fast).push(performance.now() - intended); // (1)
			if (next === total && outstanding === 0)
				finish();
		};
		const req = http.get({ agent, host: '127.0.0.1', port, path: isSlow ? '/slow' : '/fast' }, (res) => {
			res.on('end', () => end(res.statusCode === 200 ? 'completed' : 'errors'));
			res.on('close', () => end('errors')); // cut short: no 'end' came first
			res.on('error', () => {}); // counted on 'close'
			res.resume();
		});
		req.on('error', () => end('errors'));
		const timer = setTimeout(() => {
			end('timed_out');
			req.destroy();
		}, TIMEOUT_MS);
		counts.sent++;
		outstanding++;
	}

	// Sends whatever is due, then sleeps until the next due time: a late
	// wake-up sends the requests it missed at once, dated when they were due.
	function tick() {
		const t = performance.now();
		while (next < total && due(next) <= t)
			send(next++);
		if (next < total)
			setTimeout(tick, due(next) - t);
		else if (outstanding === 0)
			finish();
	}

	process.on('SIGINT', () => {}); // (4)
	process.on('SIGTERM', () => {});
	process.on('disconnect', () => process.exit(0));
	process.on('message', (m) => m && m.type === 'stop' && finish());
	process.send({ type: 'start' });
	t0 = performance.now();
	tick();
}

main(...process.argv.slice(2).map(Number));
