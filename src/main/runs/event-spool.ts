import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStatus, TrainerEvent } from '../../shared/events';
import type { Store } from '../store/store';
import { isStorageFault } from './storage-fault';

// Writes the run manager could not make to SQLite (a full, read-only or failing disk), kept in order until
// they can be: in memory, and appended as JSON lines to `pending-events.jsonl` in the run's folder so that a
// restart of the app finds them too. Replaying is idempotent: a record written to SQLite just before the app
// died (the spool file not yet removed) is recognised and not stored twice.

export const SPOOL_FILE = 'pending-events.jsonl';

export interface SpoolRecord {
  /** When it happened; log lines are stamped with it. */
  time: number;
  events?: TrainerEvent[];
  /** A status change; `error` absent keeps the run's error as setStatus does. */
  status?: { status: RunStatus; error?: string | null };
}

export class PendingWrites {
  private readonly pending = new Map<number, SpoolRecord[]>();

  constructor(
    private readonly store: Store,
    private readonly runDir: (id: number) => string,
  ) {}

  /** Whether writes of `runId` (or of any run) are waiting. */
  has(runId?: number): boolean {
    return runId === undefined ? this.pending.size > 0 : this.pending.has(runId);
  }

  /** Events waiting for `runId`, in order (what the run reported that SQLite does not hold yet). */
  events(runId: number): TrainerEvent[] {
    return (this.pending.get(runId) ?? []).flatMap((r) => r.events ?? []);
  }

  /** Queues a record behind the run's earlier ones: in memory, and in the spool file where the disk allows
   * (if even that fails, memory keeps it and the retries continue). */
  add(runId: number, record: SpoolRecord): void {
    const queue = this.pending.get(runId) ?? [];
    queue.push(record);
    this.pending.set(runId, queue);
    try {
      mkdirSync(this.runDir(runId), { recursive: true });
      appendFileSync(join(this.runDir(runId), SPOOL_FILE), `${JSON.stringify(record)}\n`, { flag: 'a' });
    } catch {
      // Kept in memory; drain() writes it to SQLite when the disk recovers.
    }
  }

  /** Loads the spool files of every run folder under `runsDir` (left by an app that stopped during a fault). */
  load(runsDir: string): void {
    if (!existsSync(runsDir)) return;
    for (const name of readdirSync(runsDir)) {
      const id = Number(name);
      const file = join(runsDir, name, SPOOL_FILE);
      if (!Number.isInteger(id) || !existsSync(file) || this.pending.has(id)) continue;
      const records: SpoolRecord[] = [];
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line) as SpoolRecord);
        } catch {
          // A line torn by the crash that left the file: everything before it is whole.
        }
      }
      if (records.length) this.pending.set(id, records);
      else rmSync(file, { force: true });
    }
  }

  /**
   * Writes every waiting record to SQLite, in order. Returns true when nothing is left. A storage fault stops
   * the drain (retried later); any other error (the run was deleted) drops that run's records.
   * `restoreStatus`: at start-up a status record applies only to a run still marked running (its status
   * write was lost); during the session it always applies.
   */
  drain(restoreStatus: 'always' | 'if-running' = 'always'): boolean {
    for (const [runId, queue] of this.pending) {
      try {
        while (queue.length) {
          this.write(runId, queue[0]!, restoreStatus);
          queue.shift();
        }
      } catch (e) {
        if (isStorageFault(e)) return false;
        console.error(`Dropping unsaved events of run ${runId}: ${(e as Error).message}`);
        queue.length = 0;
      }
      this.pending.delete(runId);
      rmSync(join(this.runDir(runId), SPOOL_FILE), { force: true });
    }
    return true;
  }

  private write(runId: number, record: SpoolRecord, restoreStatus: 'always' | 'if-running'): void {
    const run = this.store.runs.summary(runId); // the status only: no need to parse the stored config
    if (!run) throw new Error(`run ${runId} no longer exists`);
    if (record.events?.length) this.store.ingest(runId, this.notYetStored(runId, record), record.time);
    if (record.status && (restoreStatus === 'always' || run.status === 'running')) {
      this.store.runs.setStatus(runId, record.status.status, statusFields(record), record.time);
    }
  }

  /** The record's events minus those already in SQLite. Metrics, progress, result and environment overwrite
   * themselves; log lines, snapshots and checkpoints would be stored twice. */
  private notYetStored(runId: number, record: SpoolRecord): TrainerEvent[] {
    const events = record.events!;
    const needs = (t: TrainerEvent['type']) => events.some((e) => e.type === t);
    const logs = needs('log') || needs('error') ? new Set(this.store.logs.list(runId).map((l) => `${l.time}|${l.level}|${l.message}`)) : null;
    const checkpoints = needs('checkpoint') ? new Set(this.store.artifacts.list(runId).map((a) => a.path)) : null;
    const snapshotKeys = new Map<string, Set<string>>();
    const snapshots = (kind: 'alpha' | 'probabilities' | 'genotype' | 'policy') => {
      let set = snapshotKeys.get(kind);
      if (!set) snapshotKeys.set(kind, (set = new Set(this.store.snapshots.list(runId, kind).map((s) => `${s.epoch}|${JSON.stringify(s.payload)}`))));
      return set;
    };
    return events.filter((e) => {
      switch (e.type) {
        case 'log':
          return !logs!.has(`${record.time}|${e.level}|${e.message}`);
        case 'error':
          return !logs!.has(`${record.time}|error|${e.hint ? `${e.message} (${e.hint})` : e.message}`);
        case 'checkpoint':
          return !checkpoints!.has(e.path);
        case 'snapshot':
          return !snapshots(e.kind).has(`${e.epoch}|${JSON.stringify(e.payload)}`);
        default:
          return true;
      }
    });
  }
}

/** setStatus fields of a status record (a JSON round trip drops an undefined error, which keeps it so). */
export function statusFields(record: SpoolRecord): { error?: string | null } {
  return record.status && 'error' in record.status ? { error: record.status.error ?? null } : {};
}
