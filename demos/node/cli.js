'use strict';
/*
 * cli.js - the demo's command line, parsed by hand like the other demos'
 * (demos/lib/cli.c, demos/tokio/src/cli.rs): `--name value` or
 * `--name=value`, switches take no value.  Any usage error is one line on
 * stderr and exit status 2; --help prints the usage on stdout, exit 0.
 */

const PROG = 'node_demo';

const USAGE = `usage: node demos/node/server.js [options]

An HTTP service on 127.0.0.1 whose event loop is blocked by every Nth
request, and a load client (a child process) that measures the others.

  --mode cpu|read    what the slow request does (default cpu):
                     cpu:  crypto.pbkdf2Sync calibrated to B ms (on-CPU)
                     read: fs.readSync on a FIFO, a backend answers
                           after B ms (off-CPU)
  --fixed            the same work asynchronously, on libuv's threadpool
  --secs S           load duration in seconds, fractions allowed (default 5)
  --rate R           requests per second, open loop (default 200)
  --block-every N    every Nth request is a slow one (default 10)
  --block-ms B       duration of one slow call in ms (default 20)
  --conns C          keep-alive connections of the client (default 4)
  --json             print one JSON object on stdout at exit
  --help             this text

Environment: NODE_DEMO_TIDS=1 prints the thread roles on stderr at start.
Exit status: 0 done, 1 failed, 2 bad usage, 128+N stopped by signal N
(the report so far is printed first).

Examples:
  node demos/node/server.js --mode cpu --secs 2 --json
  node demos/node/server.js --mode read --fixed
`;

/*
 * name: [kind, default, ...limits].  The limits only catch typos, except
 * --block-ms: a slow request must fit, queueing included, in the client's
 * 1 s timeout (client.js), or it measures nothing.
 */
const OPTS = {
	mode: ['choice', 'cpu', ['cpu', 'read']],
	fixed: ['switch', false],
	secs: ['real', 5, 0.001, 3600],
	rate: ['real', 200, 0.1, 100000],
	'block-every': ['int', 10, 1, 1000000],
	'block-ms': ['real', 20, 1, 500],
	conns: ['int', 4, 1, 64],
	json: ['switch', false],
};

function die(msg) {
	process.stderr.write(`${PROG}: ${msg}\n`);
	process.exit(2);
}

// Converts one given value; a value outside the limits is a usage error.
function convert(name, v) {
	const [kind, , a, b] = OPTS[name];
	if (kind === 'choice') {
		if (!a.includes(v))
			die(`invalid value for --${name}: '${v}' (want ${a.join(' or ')})`);
		return v;
	}
	// Number('') is 0 and Number(' 1') is 1: insist on the plain form.
	const n = /^[0-9.eE+-]+$/.test(v) ? Number(v) : NaN;
	const whole = kind === 'int';
	if (!Number.isFinite(n) || n < a || n > b || (whole && !Number.isInteger(n)))
		die(`invalid value for --${name}: '${v}' (want ${whole ? 'an integer' : 'a number'} in [${a}, ${b}])`);
	return n;
}

// Returns {mode, fixed, secs, rate, blockEvery, blockMs, conns, json}.
function parse(argv) {
	const given = {};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--help' || arg === '-h') {
			process.stdout.write(USAGE);
			process.exit(0);
		}
		if (!arg.startsWith('--') || arg === '--')
			die(arg.startsWith('-') ? `unrecognized option '${arg}' (try --help)`
				: `unexpected argument: '${arg}' (try --help)`);
		const eq = arg.indexOf('=');
		const name = arg.slice(2, eq < 0 ? undefined : eq);
		const inline = eq < 0 ? undefined : arg.slice(eq + 1);
		if (!Object.hasOwn(OPTS, name))
			die(`unrecognized option '--${name}' (try --help)`);
		if (OPTS[name][0] === 'switch') {
			if (inline !== undefined)
				die(`option '--${name}' doesn't allow an argument`);
			given[name] = true;
		} else if (inline !== undefined) {
			given[name] = convert(name, inline);
		} else if (i + 1 < argv.length) {
			given[name] = convert(name, argv[++i]);
		} else {
			die(`option '--${name}' requires an argument`);
		}
	}
	const get = (name) => (name in given ? given[name] : OPTS[name][1]);
	return {
		mode: get('mode'),
		fixed: get('fixed'),
		secs: get('secs'),
		rate: get('rate'),
		blockEvery: get('block-every'),
		blockMs: get('block-ms'),
		conns: get('conns'),
		json: get('json'),
	};
}

module.exports = { PROG, parse };
