import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, demoConfig, makeTempDir, startServer, waitFor, type ServerProcess } from '../../support/nas-server';

// Two real servers on one data folder: the second is refused with a message naming the first and exits
// non-zero, while the first keeps serving and its live run keeps training. A killed holder's lock is stale and
// taken over by the next server.

describe('one server per data folder', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  const servers: ServerProcess[] = [];
  beforeEach(() => {
    tmp = makeTempDir('nas-store-lock-');
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.crash();
    tmp.dispose();
  });

  it('refuses a second server on the same folder while the first keeps training and serving', async () => {
    const first = await startServer(tmp.dir);
    servers.push(first);
    const datasetId = (await first.call<{ id: number }>('datasets.importBuiltin', { which: 'demo' })).id;
    const { id } = await first.call<{ id: number }>('runs.create', { config: demoConfig(datasetId, { epochs: 50 }) });
    await waitFor(async () => (await first.call('runs.get', { id })).status === 'running', `run ${id} to train`);
    const trainer = await waitFor(() => first.childPids()[0], 'the trainer process');

    const refused = await startServer(tmp.dir).then(
      (s) => (servers.push(s), null),
      (err: Error) => err,
    );
    expect(refused).not.toBeNull();
    expect(refused!.message).toMatch(/server exited \(1\) before printing its URL/);
    expect(refused!.message).toMatch(
      new RegExp(
        `The data folder ${tmp.dir} is in use by the NAS Studio server \\(PID ${first.pid}, started \\d\\d:\\d\\d\\)\\. ` +
          'Stop it or use --data-dir for another folder\\.',
      ),
    );

    // The first one is untouched: still answering, its run still running (not marked interrupted), trainer alive.
    const info = await first.call('app.info');
    expect(info.dataDir).toBe(tmp.dir);
    const run = await first.call('runs.get', { id });
    expect(run.status).toBe('running');
    expect(run.error).toBeNull();
    expect(alive(trainer)).toBe(true);
  });

  it('takes over the lock of a server that was killed', async () => {
    const first = await startServer(tmp.dir);
    servers.push(first);
    await first.crash(); // SIGKILL: its lock stays behind

    const next = await startServer(tmp.dir);
    servers.push(next);
    expect(next.output()).toContain(`Took over the lock of ${tmp.dir} left by the NAS Studio server (PID ${first.pid}, started `);
    expect((await next.call('app.info')).dataDir).toBe(tmp.dir);
  });
});
