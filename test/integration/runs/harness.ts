import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { PushEvent } from '../../../src/shared/api';
import type { TrainerEvent } from '../../../src/shared/events';
import { createApp, type NasApp } from '../../../src/main/app';
import { TRAINER_JS, requireBuild, waitFor } from '../../support/nas-server';

// The real composition root on a temp data folder, forking the real built trainer (out/main/trainer.js).

export type MetricsEvent = Extract<TrainerEvent, { type: 'metrics' }>;

export interface Harness {
  app: NasApp;
  /** Every push event seen through onPush, in order. */
  events: PushEvent[];
  call<T = any>(channel: string, args?: unknown): Promise<T>;
  /** The trainer events of one run seen so far (from index `from` of `events`). */
  runEvents(id: number, from?: number): TrainerEvent[];
  metricsEvents(id: number, from?: number): MetricsEvent[];
  waitStatus(id: number, status: string, timeoutMs?: number): Promise<any>;
  waitEvent(id: number, pred: (e: TrainerEvent) => boolean, what: string, from?: number): Promise<TrainerEvent>;
  close(): Promise<void>;
}

export function openHarness(dataDir: string): Harness {
  requireBuild();
  const app = createApp({ dataDir, mode: 'headless', trainerScript: TRAINER_JS });
  const events: PushEvent[] = [];
  const off = app.onPush((e) => events.push(e));
  const call = <T>(channel: string, args: unknown = {}) => app.invoke(channel, args) as Promise<T>;
  const runEvents = (id: number, from = 0) =>
    events.slice(from).flatMap((e) => (e.type === 'run.event' && e.runId === id ? [e.event] : []));
  const metricsEvents = (id: number, from = 0) => runEvents(id, from).filter((e): e is MetricsEvent => e.type === 'metrics');
  let closed = false;
  return {
    app,
    events,
    call,
    runEvents,
    metricsEvents,
    async waitStatus(id, status, timeoutMs = 90_000) {
      return waitFor(
        async () => {
          const r = await call<any>('runs.get', { id });
          if (status !== 'failed' && r.status === 'failed') throw new Error(`run ${id} failed: ${r.error}`);
          return r.status === status ? r : null;
        },
        `run ${id} to be ${status}`,
        { timeoutMs },
      );
    },
    async waitEvent(id, pred, what, from = 0) {
      return waitFor(() => runEvents(id, from).find(pred), what, { timeoutMs: 90_000, intervalMs: 10 });
    },
    async close() {
      if (closed) return;
      closed = true;
      off();
      await app.close();
    },
  };
}

/** A second, read-only connection to the run history file: what is really on disk. */
export function openDb(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'nas-studio.db'), { readonly: true, fileMustExist: true });
}

export function metricRows(db: Database.Database, runId: number, name?: string): { name: string; step: number; epoch: number; value: number }[] {
  return (
    name
      ? db.prepare('SELECT name, step, epoch, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step').all(runId, name)
      : db.prepare('SELECT name, step, epoch, value FROM metrics WHERE run_id = ? ORDER BY name, step').all(runId)
  ) as { name: string; step: number; epoch: number; value: number }[];
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
