'use strict';
/*
 * backend.js - the slow backend of --mode read, and the wire format between
 * it and the server (required by slow.js; run by fork()).
 *
 * It models a legacy synchronous client or a slow disk: each request line
 * `ID\n` read from the request FIFO is answered B ms later with a reply of
 * exactly REPLY_LEN bytes on the reply FIFO.  The server reads replies in
 * read(2) calls, so what matters is how long its reads wait, not how the
 * backend spends that time.
 *
 * Invariants:
 *  1. A reply is one write of REPLY_LEN <= PIPE_BUF bytes: atomic, so
 *     replies never interleave; the reader still loops on short reads.
 *  2. The server has at most one request outstanding (slow.js), so the
 *     reply it reads is the one to its request; the ID in it is checked.
 *  3. Opening never blocks: the server holds the request FIFO open for
 *     writing before fork(), and this side opens the reply FIFO read-write.
 *     The reply FIFO's only writer is this process, so when it dies the
 *     server's read sees EOF instead of hanging.
 *  4. The server owns the lifecycle: SIGINT and SIGTERM (a Ctrl-C reaches
 *     the whole process group) are ignored; the backend exits when the
 *     server closes the request FIFO or the IPC channel, or kills it.
 */
const fs = require('fs');

const REPLY_LEN = 16; // 15 digits of ID and '\n'

const request = (id) => Buffer.from(`${id}\n`);
const reply = (id) => Buffer.from(`${String(id).padStart(REPLY_LEN - 1, '0')}\n`);
const replyId = (buf) => Number(buf.toString('latin1', 0, REPLY_LEN - 1));

function main(reqPath, respPath, blockMs) {
	const req = fs.openSync(reqPath, 'r'); // (3)
	const resp = fs.openSync(respPath, 'r+');
	let pending = '';

	process.on('SIGINT', () => {}); // (4)
	process.on('SIGTERM', () => {});
	process.on('disconnect', () => process.exit(0));
	fs.createReadStream(null, { fd: req })
		.on('data', (chunk) => {
			// A chunk may hold several lines or part of one.
			const lines = (pending + chunk.toString('latin1')).split('\n');
			pending = lines.pop();
			for (const id of lines)
				setTimeout(() => fs.writeSync(resp, reply(id)), blockMs); // (1)
		})
		.on('end', () => process.exit(0))
		.on('error', (err) => {
			process.stderr.write(`node_demo: backend: ${reqPath}: ${err.message}\n`);
			process.exit(1);
		});
	process.send({ type: 'ready' });
}

if (require.main === module)
	main(process.argv[2], process.argv[3], Number(process.argv[4]));

module.exports = { REPLY_LEN, request, replyId };
