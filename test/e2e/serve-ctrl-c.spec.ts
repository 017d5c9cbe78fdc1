import { afterAll, describe, expect, test } from 'vitest';
import { alive, demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../support/nas-server';

// `npm run serve` (scripts/serve.js in front of the server) as a person runs it in a terminal: both in one
// process group, Ctrl+C = one SIGINT to the whole group. One press must pause the search at a checkpoint,
// exactly like Ctrl+C to the server alone, and the run must continue from it after a restart.

interface RunDetail {
  status: string;
  lastCheckpointEpoch: number | null;
  resumable: boolean;
  error: string | null;
}

describe('e2e: Ctrl+C on npm run serve', () => {
  const tmp = makeTempDir('nas-e2e-ctrlc-');
  let s: ServerProcess | undefined;
  afterAll(async () => {
    await s?.crash();
    tmp.dispose();
  });

  test('one Ctrl+C pauses the running search at a checkpoint; after a restart it resumes from there and completes', async () => {
    s = await startServer(tmp.dir, { viaServeScript: true });
    const datasetId = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
    // ~13 steps per epoch: long enough to be caught mid-run, short enough to finish after the resume.
    const epochs = 4;
    const { id } = await s.call<{ id: number }>('runs.create', {
      config: demoConfig(datasetId, { name: 'ctrl-c', epochs, trainLimit: 400, batchSize: 32 }),
    });
    await waitFor(async () => (await s!.call<RunDetail>('runs.get', { id })).lastCheckpointEpoch === 1, 'the first checkpoint', { timeoutMs: 90_000, intervalMs: 100 });
    expect((await s.call<RunDetail>('runs.get', { id })).status).toBe('running');
    const stepsBefore = (await s.call<Record<string, number[][]>>('runs.metrics', { id })).train_loss!.length;
    const serverPid = s.serverPid()!;

    const code = await s.interrupt(); // SIGINT to the process group, once
    expect(code, s.output()).toBe(0);
    expect(alive(serverPid)).toBe(false);
    expect(s.output()).toMatch(/Pausing run \d+ at the end of its current step/);
    expect(s.output()).not.toMatch(/Stopping at once/);

    s = await startServer(tmp.dir, { viaServeScript: true });
    const paused = await s.call<RunDetail>('runs.get', { id });
    expect(paused.status).toBe('paused');
    expect(paused.error).toBeNull();
    expect(paused.resumable).toBe(true);
    const checkpoint = paused.lastCheckpointEpoch!;
    expect(checkpoint).toBeGreaterThanOrEqual(1);
    const logs = await s.call<{ message: string }[]>('runs.logs', { id });
    expect(logs.map((l) => l.message).join('\n')).toMatch(/paus/i);

    await s.call('runs.resume', { id });
    await waitFor(async () => (await s!.call<RunDetail>('runs.get', { id })).status === 'completed', 'the resumed run to complete', { timeoutMs: 180_000, intervalMs: 250 });
    // One point per step, numbered 1..N without a gap or a repeat: the resume continued from the checkpoint
    // (steps after it are retrained once), it did not start over.
    const m = await s.call<Record<string, number[][]>>('runs.metrics', { id });
    const steps = m.train_loss!.map((p) => p[0]);
    const stepsPerEpoch = m.val_acc![0]![0]!;
    expect(steps).toEqual(Array.from({ length: epochs * stepsPerEpoch }, (_, i) => i + 1));
    expect(steps.length).toBeGreaterThan(stepsBefore);
    // One validation point per epoch, each epoch once.
    const validatedEpochs = m.val_acc!.map((p) => p[1]);
    expect(validatedEpochs).toHaveLength(epochs);
    expect(new Set(validatedEpochs).size).toBe(epochs);
  });

  test('a second Ctrl+C stops at once: the server says so and the wrapper exits 1', async () => {
    await s?.stop();
    s = await startServer(tmp.dir, { viaServeScript: true });
    const datasetId = (await s.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
    const { id } = await s.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { name: 'ctrl-c twice', epochs: 20 }) });
    await waitFor(async () => (await s!.call<RunDetail>('runs.get', { id })).status === 'running', 'the run to start', { timeoutMs: 60_000, intervalMs: 100 });
    const exit = new Promise<number | null>((r) => s!.proc.once('exit', (c) => r(c)));
    process.kill(-s.pid, 'SIGINT');
    await waitFor(() => /Pausing run/.test(s!.output()), 'the first press to be acknowledged', { timeoutMs: 10_000 });
    process.kill(-s.pid, 'SIGINT');
    expect(await exit).toBe(1);
    expect(s.output()).toMatch(/Stopping at once/);
    s = await startServer(tmp.dir, { viaServeScript: true });
    // A stop without a checkpoint of this step: the run is not lost, it can be resumed (or restarted).
    const after = await s.call<RunDetail>('runs.get', { id });
    expect(['paused', 'failed']).toContain(after.status);
    await s.call('runs.cancel', { id }).catch(() => undefined);
  });

  test('the wrapper exits non-zero when the server is killed (SIGKILL)', async () => {
    await s?.stop();
    s = await startServer(tmp.dir, { viaServeScript: true });
    const wrapper = s.proc;
    const exit = new Promise<[number | null, string | null]>((r) => wrapper.once('exit', (c, sig) => r([c, sig])));
    process.kill(s.serverPid()!, 'SIGKILL');
    const [code, signal] = await exit;
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(s.output()).toMatch(/the server was killed \(SIGKILL\)/);
  });

  test('SIGTERM to the wrapper alone is passed on once: the server shuts down cleanly and the wrapper exits 0', async () => {
    s = await startServer(tmp.dir, { viaServeScript: true });
    const serverPid = s.serverPid()!;
    await s.stop(); // SIGTERM to the wrapper's pid only, as a process manager does
    expect(s.proc.exitCode).toBe(0);
    expect(alive(serverPid)).toBe(false);
    expect(s.output()).toMatch(/Shutting down/);
    expect(s.output()).not.toMatch(/Stopping at once/);
  });
});
