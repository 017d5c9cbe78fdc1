import { parseSearchConfig } from '../../shared/config';
import type { TrainerEvent } from '../../shared/events';
import { runSearchJob, trainingShape, type SearchJob } from '../nas/job';
import { isOutOfMemory, triageTrainingError } from '../nas/engine/errors';
import { isStorageFault } from '../runs/storage-fault';
import { measureMemoryFacts } from './oom-advice';
import { CpuMeter } from './cpu-meter';
import * as tf from '../nas/engine/tf';
import { runProbe, type ProbeRequest } from './probe-mode';

// The training process: receives one job from its parent (main or the headless server), runs it with the
// NAS core and streams every event back as a message. Control messages: pause (checkpoint, then exit) and
// stop. A crash here kills only this process; the parent records why.

export type TrainerRequest = { type: 'start'; job: SearchJob } | { type: 'pause' } | { type: 'stop' } | { type: 'probe'; request: ProbeRequest };
export type TrainerMessage = { type: 'event'; event: TrainerEvent } | { type: 'done'; status: 'completed' | 'paused' | 'stopped' | 'failed'; error?: string; hint?: string | null };

// Electron's utility process talks through process.parentPort; a Node child process through process.send.
const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: TrainerRequest }) => void): void } }).parentPort;

const send = (m: TrainerMessage) =>
  new Promise<void>((resolve) => {
    if (parentPort) {
      parentPort.postMessage(m);
      resolve();
    } else if (process.send) process.send(m, () => resolve());
    else resolve();
  });

let interrupt: 'pause' | 'stop' | null = null;
let started = false;

async function start(job: SearchJob): Promise<void> {
  started = true;
  let pending: Promise<void> = Promise.resolve();
  const cpu = new CpuMeter();
  const emit = (event: TrainerEvent) => {
    pending = send({ type: 'event', event });
    const busy = cpu.observe(event);
    if (busy) pending = send({ type: 'event', event: busy });
  };
  try {
    const config = parseSearchConfig(job.config);
    const { outcome } = await runSearchJob({ ...job, config }, emit, { interrupt: () => interrupt });
    await pending;
    await send({ type: 'done', status: outcome.status });
  } catch (e) {
    await pending;
    // A disk that is full or refuses writes (a checkpoint could not be written): the previous checkpoint is
    // intact, so the run pauses with the reason instead of failing.
    if (isStorageFault(e)) {
      await send({ type: 'done', status: 'paused', error: (e as Error).message, hint: 'Free some space on that disk (or make it writable), then resume the run: it continues from its last checkpoint.' });
      process.exit(0);
    }
    const backend = tf.getBackend();
    const memory = isOutOfMemory(e) ? (console.error(String((e as Error)?.stack ?? e)), await measureMemoryFacts(job, backend)) : null;
    const { message, hint } = triageTrainingError(e, { ...trainingShape(job.config), backend, memory });
    // Reported once, in 'done': the run manager stores and shows it (an 'error' event as well stored it twice).
    await send({ type: 'done', status: 'failed', error: message, hint });
  }
  process.exit(0);
}

/** Probe mode (probe-mode.ts): one measurement instead of a job, answered as { type: 'probe-result', reply }. */
async function probe(request: ProbeRequest): Promise<void> {
  started = true;
  const reply = await runProbe(request);
  await new Promise<void>((resolve) => (parentPort ? (parentPort.postMessage({ type: 'probe-result', reply }), resolve()) : process.send ? process.send({ type: 'probe-result', reply }, () => resolve()) : resolve()));
  process.exit(0);
}

function onRequest(m: TrainerRequest): void {
  if (m.type === 'start' && !started) void start(m.job);
  else if (m.type === 'probe' && !started) void probe(m.request);
  else if (m.type === 'pause') interrupt = 'pause';
  else if (m.type === 'stop') interrupt = 'stop';
}

if (parentPort) parentPort.on('message', (e) => onRequest(e.data));
else {
  process.on('message', onRequest);
  // The parent died: nothing would record our events any more, and the checkpoints on disk are the state.
  process.on('disconnect', () => process.exit(1));
}
