import type { RunStatus, TrainerEvent } from '../../shared/events';
import type { JobExit } from '../runs/execution-backend';
import type { AttemptOutcome } from '../store/dispatch-repository';
import type { Store } from '../store/store';
import type { CoordinatorFiles } from './files';
import { decodeEntry } from './protocol';

// Applies a run's stream entries to SQLite. In one transaction per batch: the rows, the attempt's last
// sequence number and the stream cursor. An entry counts only if it belongs to the run's newest attempt (the
// fence: a zombie's events are dropped) and its sequence number is new (a replay changes nothing); the final
// status is written only by that attempt's 'done'.

export interface IngestResult {
  applied: number;
  dropped: number;
  /** What was applied, for live views. */
  events: TrainerEvent[];
  status: RunStatus | null;
}

export function ingestEntries(store: Store, files: CoordinatorFiles, runId: number, entries: [string, string[]][], now = Date.now()): IngestResult {
  return store.transaction(() => {
    const result: IngestResult = { applied: 0, dropped: 0, events: [], status: null };
    const current = store.dispatch.current(runId);
    let lastSeq = current?.lastSeq ?? 0;
    let batch: TrainerEvent[] = [];
    const flush = () => {
      store.ingest(runId, batch, now);
      result.events.push(...batch);
      batch = [];
    };
    for (const [, fields] of entries) {
      const decoded = decodeEntry(fields);
      if (!decoded || !current || decoded.attempt !== current.attempt || decoded.seq <= lastSeq || current.outcome !== null) {
        result.dropped++;
        continue;
      }
      lastSeq = decoded.seq;
      result.applied++;
      const { entry } = decoded;
      if (entry.kind === 'started') {
        store.dispatch.claim(runId, current.attempt, entry.worker);
        const from = current.resumedFromEpoch === null ? '' : `, resuming from the checkpoint of epoch ${current.resumedFromEpoch}`;
        batch.push({ type: 'log', level: 'info', message: `Attempt ${current.attempt} started on worker ${entry.worker}${from}.` });
        flush();
        if (store.runs.summary(runId)?.status !== 'running') store.runs.setStatus(runId, 'running', {}, now);
        result.status = 'running';
      } else if (entry.kind === 'event') {
        const e = entry.event;
        // A checkpoint is recorded where its upload landed on this machine (resume and export read it here).
        if (e.type === 'checkpoint') batch.push({ ...e, path: (entry.file && files.pathOf(entry.file.sha256)) ?? e.path });
        else batch.push(e);
      } else {
        flush();
        result.status = finish(store, runId, current.attempt, entry.exit, now);
      }
    }
    flush();
    if (current && lastSeq > current.lastSeq) store.dispatch.setLastSeq(runId, current.attempt, lastSeq);
    const last = entries[entries.length - 1];
    if (last) store.dispatch.setCursor(runId, last[0]);
    return result;
  });
}

/** The attempt's end: the run's status, the attempt's outcome and a line in the run's log. */
function finish(store: Store, runId: number, attempt: number, exit: JobExit, now: number): RunStatus {
  const status: RunStatus = exit.status === 'completed' ? 'completed' : exit.status === 'paused' ? 'paused' : exit.status === 'stopped' ? 'cancelled' : 'failed';
  const reason = exit.error ? [exit.error, exit.hint].filter(Boolean).join(' ') : null;
  const error = status === 'failed' ? (reason ?? 'The run failed on its worker.') : status === 'paused' ? reason : null;
  store.runs.setStatus(runId, status, { error }, now);
  store.dispatch.end(runId, attempt, status as AttemptOutcome, reason, now);
  const worker = store.dispatch.ranOn(runId) ?? 'its worker';
  store.ingest(runId, [{ type: 'log', level: status === 'failed' ? 'error' : 'info', message: error ?? `Run ${status} on worker ${worker} (attempt ${attempt}).` }], now);
  return status;
}
