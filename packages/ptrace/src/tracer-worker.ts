import { parentPort } from 'node:worker_threads';
import { tracerOps, type TracerOps } from './tracer-ops.js';

/** The tracer thread: runs one operation at a time, in arrival order, so every ptrace call comes from this thread. */
const ops = tracerOps();
parentPort!.on('message', (msg: { id: number; op: keyof TracerOps; args: unknown[] }) => {
  let reply: unknown;
  try {
    reply = { id: msg.id, result: (ops[msg.op] as (...a: unknown[]) => unknown)(...msg.args) };
  } catch (e) {
    reply = { id: msg.id, crash: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) };
  }
  parentPort!.postMessage(reply);
});
