'use strict';
/*
 * threads.js - ground truth for an observer that classifies Node's threads.
 * Every thread of a node process is named "node", so the kernel alone cannot
 * tell the event loop from libuv's threadpool or V8's platform threads.
 *
 * Invariants:
 *  1. The event loop is the main thread: its tid is the process's pid.
 *  2. libuv starts its threadpool lazily, all UV_THREADPOOL_SIZE threads at
 *     once, on the first piece of work queued to it, and has them all
 *     running before that work can complete (libuv's init_threads waits on
 *     each).  So the pool is what appears across the first async fs call:
 *     roles() must run before anything else has used the pool.
 *  3. The other threads (V8's platform workers, the inspector's signal
 *     thread) start with the process, before any script runs.
 */
const fs = require('fs');

const tids = () => fs.readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b);

// Resolves to {event_loop, threadpool: [tid], other: [tid]}.
async function roles() {
	const before = tids();
	await fs.promises.stat('/'); // queues work to the pool: starts it (2)
	const pool = tids().filter((t) => !before.includes(t));
	if (pool.length === 0)
		throw new Error('no threadpool thread appeared: the pool was already running');
	return {
		event_loop: process.pid,
		threadpool: pool,
		other: before.filter((t) => t !== process.pid),
	};
}

// The line an observer reads while the demo runs (NODE_DEMO_TIDS=1).
function line(r) {
	return `event_loop=${r.event_loop} threadpool=${r.threadpool.join(',')} other=${r.other.join(',')}`;
}

module.exports = { roles, line };
