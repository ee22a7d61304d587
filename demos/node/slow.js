'use strict';
/*
 * slow.js - the call behind /slow: one per --mode, each in a blocking form
 * that runs on the event loop and a --fixed form that hands the same work
 * to libuv's threadpool.
 *
 *   cpu   crypto.pbkdf2Sync, its iteration count calibrated at startup so
 *         that one call takes B ms: the event loop is busy on-CPU.
 *         --fixed: crypto.pbkdf2, which runs on the pool.
 *   read  fs.writeSync of a request to a FIFO, then fs.readSync of the reply,
 *         which backend.js sends B ms later: the event loop sleeps in
 *         read(2), off-CPU.  --fixed: fs.write / fs.read, the pool blocks.
 *
 * Invariants:
 *  1. counters.blocked_ns is measured around each synchronous call, so it
 *     is the time the event loop spent in slow calls; counters.async_ns
 *     around each --fixed call from its start to its callback.
 *  2. One backend request at a time: the event loop cannot start another
 *     while blocked, and --fixed chains them, so each reply read is the
 *     reply to the request just written (backend.js, invariant 2).  The
 *     chain's queueing time is not in async_ns.
 *  3. close() kills and reaps the backend and removes the FIFOs; after it,
 *     call() fails instead of touching a closed (maybe reused) fd.
 */
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { promisify } = require('util');
const { REPLY_LEN, request, replyId } = require('./backend');
const { forkChild, waitMessage, stopChild } = require('./child');
const { us } = require('./stats');

const now = process.hrtime.bigint;
// pbkdf2's inputs: only its iteration count matters for the time it takes.
const PBKDF2 = ['password', 'salt', 32, 'sha256'];
const CALIBRATION_ROUNDS = 3; // the first from a guess
const CALIBRATION_MAX_MS = 50; // pbkdf2's time is linear in its iterations
const BACKEND_START_MS = 5000; // a node process starts in ~50 ms

// Iterations for one pbkdf2Sync call of blockMs.  Each measure of a call
// can only overstate its cost: wall time by preemption, the process's CPU
// time by other threads' work (V8's, at startup); so a call counts as the
// smaller of the two.  The CPU's speed itself varies (an SMT sibling's load,
// the clock): the count comes from the fastest rate seen in any call, so a
// call takes about B ms when the machine is at its fastest, longer otherwise.
function calibrate(blockMs) {
	const [pw, salt, len, digest] = PBKDF2;
	const msPer = (n) => {
		const t0 = now();
		const c0 = process.cpuUsage();
		crypto.pbkdf2Sync(pw, salt, n, len, digest);
		const c = process.cpuUsage(c0);
		return Math.min(Number(now() - t0) / 1e6, (c.user + c.system) / 1000) / n;
	};
	const target = Math.min(blockMs, CALIBRATION_MAX_MS);
	let best = Infinity; // ms per iteration
	let n = 10000;
	msPer(1000); // the first call pays for loading the digest
	for (let round = 0; round < CALIBRATION_ROUNDS; round++) {
		best = Math.min(best, msPer(n), msPer(n));
		n = Math.max(1, Math.round(target / best));
	}
	return { iterations: Math.max(1, Math.round(blockMs / best)), ns_per_iteration: us(best * 1e6) };
}

function cpuWork(opt) {
	const cal = calibrate(opt.blockMs);
	const [pw, salt, len, digest] = PBKDF2;
	return {
		info: { pbkdf2: cal },
		serial: false,
		start: async () => {},
		callSync: () => crypto.pbkdf2Sync(pw, salt, cal.iterations, len, digest),
		callAsync: promisify((cb) => crypto.pbkdf2(pw, salt, cal.iterations, len, digest, cb)),
		close: async () => {},
	};
}

function readWork(opt) {
	const read = promisify(fs.read);
	const write = promisify(fs.write);
	const buf = Buffer.alloc(REPLY_LEN);
	let dir = null;
	let reqFd = -1;
	let respFd = -1;
	let backend = null;
	let seq = 0;

	// A read of 0 bytes is EOF: the backend, the reply FIFO's only writer,
	// is gone (backend.js, invariant 3).
	const got = (n, off, id) => {
		if (n === 0)
			throw new Error('the backend closed the reply FIFO');
		if (off + n === REPLY_LEN && replyId(buf) !== id)
			throw new Error(`reply ${replyId(buf)} to request ${id}: framing lost`);
		return off + n;
	};
	const w = {
		info: { backend_pid: null },
		serial: true, // (2)
		async start() {
			dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-demo-'));
			const reqPath = path.join(dir, 'req');
			const respPath = path.join(dir, 'resp');
			execFileSync('mkfifo', ['-m', '600', reqPath, respPath]);
			// Read-write: the open cannot block, and writes never fail for
			// want of a reader (backend.js, invariant 3).
			reqFd = fs.openSync(reqPath, 'r+');
			backend = forkChild('backend.js', [reqPath, respPath, opt.blockMs]);
			w.info.backend_pid = backend.pid;
			await waitMessage(backend, 'ready', BACKEND_START_MS);
			// The backend holds the reply FIFO open: this open returns at once.
			respFd = fs.openSync(respPath, 'r');
		},
		// A request (at most REPLY_LEN bytes) is written whole: a pipe's
		// writes up to PIPE_BUF are atomic.
		callSync() {
			const id = ++seq;
			fs.writeSync(reqFd, request(id));
			for (let off = 0; off < REPLY_LEN;)
				off = got(fs.readSync(respFd, buf, off, REPLY_LEN - off, null), off, id);
		},
		async callAsync() {
			const id = ++seq;
			await write(reqFd, request(id));
			for (let off = 0; off < REPLY_LEN;)
				off = got((await read(respFd, buf, off, REPLY_LEN - off, null)).bytesRead, off, id);
		},
		async close() {
			await stopChild(backend);
			for (const fd of [reqFd, respFd])
				if (fd >= 0)
					fs.closeSync(fd);
			reqFd = respFd = -1;
			w.closeSync();
		},
		// The last resort of process.on('exit'): nothing can be awaited.
		closeSync() {
			if (backend && backend.exitCode === null && backend.signalCode === null)
				backend.kill('SIGKILL');
			if (dir)
				fs.rmSync(dir, { recursive: true, force: true });
			dir = null;
		},
	};
	return w;
}

// The slow call of opt.mode, timed into counters (1).  Call start() first;
// call() returns a promise in both forms (the blocking form has blocked by
// the time call() returns).
function make(opt) {
	const impl = opt.mode === 'cpu' ? cpuWork(opt) : readWork(opt);
	const counters = { done: 0, blocked_ns: 0n, async_ns: 0n };
	let closed = false;
	let tail = Promise.resolve();

	const blocking = async () => {
		const t0 = now();
		impl.callSync();
		counters.blocked_ns += now() - t0;
		counters.done++;
	};
	const pooled = async () => {
		const t0 = now();
		await impl.callAsync();
		counters.async_ns += now() - t0;
		counters.done++;
	};
	const serial = () => { // (2)
		const p = tail.then(pooled);
		tail = p.catch(() => {});
		return p;
	};
	const run = !opt.fixed ? blocking : impl.serial ? serial : pooled;
	return {
		info: impl.info,
		counters,
		start: () => impl.start(),
		call: () => (closed ? Promise.reject(new Error('closed')) : run()), // (3)
		close: () => {
			closed = true;
			return impl.close();
		},
		closeSync: () => impl.closeSync && impl.closeSync(),
	};
}

module.exports = { make };
