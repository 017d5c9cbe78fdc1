import { parseSearchConfig } from '../../shared/config';
import type { TrainerEvent } from '../../shared/events';
import { runSearchJob, type SearchJob } from '../nas/job';
import { triageTrainingError } from '../nas/engine/errors';
import * as tf from '../nas/engine/tf';

// The training process: receives one job from its parent (main or the headless server), runs it with the
// NAS core and streams every event back as a message. Control messages: pause (checkpoint, then exit) and
// stop. A crash here kills only this process; the parent records why.

export type TrainerRequest = { type: 'start'; job: SearchJob } | { type: 'pause' } | { type: 'stop' };
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
  const emit = (event: TrainerEvent) => {
    pending = send({ type: 'event', event });
  };
  try {
    const config = parseSearchConfig(job.config);
    const { outcome } = await runSearchJob({ ...job, config }, emit, { interrupt: () => interrupt });
    await pending;
    await send({ type: 'done', status: outcome.status });
  } catch (e) {
    const { message, hint } = triageTrainingError(e, { batchSize: job.config.batchSize, channels: job.config.channels, backend: tf.getBackend() });
    emit({ type: 'error', message, hint });
    await pending;
    await send({ type: 'done', status: 'failed', error: message, hint });
  }
  process.exit(0);
}

function onRequest(m: TrainerRequest): void {
  if (m.type === 'start' && !started) void start(m.job);
  else if (m.type === 'pause') interrupt = 'pause';
  else if (m.type === 'stop') interrupt = 'stop';
}

if (parentPort) parentPort.on('message', (e) => onRequest(e.data));
else {
  process.on('message', onRequest);
  // The parent died: nothing would record our events any more, and the checkpoints on disk are the state.
  process.on('disconnect', () => process.exit(1));
}
