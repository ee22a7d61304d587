'use strict';
/*
 * child.js - the demo's child processes (the load client, the backend):
 * started with fork(), stopped by the server alone.
 *
 * Invariants:
 *  1. A child's stdout is closed: the server's stdout carries only the
 *     report (one JSON object under --json).  Its stderr is the server's.
 *  2. Children ignore SIGINT and SIGTERM (a Ctrl-C reaches the whole process
 *     group): the server decides when they stop, with SIGKILL, and waits for
 *     their exit status, so none is left behind or unreaped.  A child whose
 *     server died exits when its IPC channel closes.
 */
const { fork } = require('child_process');
const path = require('path');

function forkChild(file, args) {
	return fork(path.join(__dirname, file), args.map(String), {
		stdio: ['ignore', 'ignore', 'inherit', 'ipc'], // (1)
		execArgv: [], // not the server's --inspect and the like
	});
}

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

// Resolves with the child's first message of this type; rejects if the
// child's IPC channel closes (it exited: the EOF comes after every message
// it sent, where its 'exit' may come before) or it fails to start, or after ms.
function waitMessage(child, type, ms) {
	return new Promise((resolve, reject) => {
		const done = (err, msg) => {
			clearTimeout(timer);
			child.off('message', onMessage).off('disconnect', onGone).off('error', done);
			if (err)
				reject(err);
			else
				resolve(msg);
		};
		const onMessage = (msg) => msg && msg.type === type && done(null, msg);
		const onGone = () => done(new Error(`gone before '${type}'`));
		const timer = setTimeout(() => done(new Error(`no '${type}' within ${ms} ms`)), ms);
		child.on('message', onMessage).on('disconnect', onGone).on('error', done);
	});
}

// Kills the child (2) and resolves once it is reaped ('exit' comes after
// waitpid).  Safe to call on null or on a child that already exited.
function stopChild(child) {
	if (!child || exited(child) || child.pid === undefined)
		return Promise.resolve();
	return new Promise((resolve) => {
		child.once('exit', resolve);
		child.kill('SIGKILL');
	});
}

module.exports = { forkChild, waitMessage, stopChild, exited };
