import { join } from 'node:path';
import type { Command } from 'commander';
import type { SearchConfig } from '../shared/config';
import type { RunStatus, TrainerEvent } from '../shared/events';
import { prepareDataDir, resolveDataDir } from './data-dir';
import { Store } from './store/store';

// Runs started from the command line go into the same history as the app's (its data folder by default,
// --data-dir, or none with --no-history). The run is written when it ends, in one transaction: while it
// trains, an app opening the same history would otherwise take the CLI's 'running' row for one a crash left
// behind and mark it failed. The events are kept in memory meanwhile (a long search is a few MB).

const DB_FILE = 'nas-studio.db';

export function addHistoryFlags(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'record the run in the NAS Studio history in this folder (default: the app’s, or $NAS_STUDIO_DATA)')
    .option('--no-history', 'do not record the run in the NAS Studio history');
}

export interface HistoryRecord {
  dataDir: string;
  runId: number;
}

export class CliHistoryRecorder {
  private readonly events: TrainerEvent[] = [];
  private readonly started = Date.now();

  private constructor(
    readonly dataDir: string,
    private readonly keepCheckpoints: boolean,
  ) {}

  /** The recorder the flags ask for; null with --no-history. `keepCheckpoints`: the run folder outlives the CLI. */
  static fromFlags(opts: Record<string, unknown>, keepCheckpoints: boolean): CliHistoryRecorder | null {
    if (opts.history === false) return null;
    return new CliHistoryRecorder(resolveDataDir(opts.dataDir as string | undefined), keepCheckpoints);
  }

  record(e: TrainerEvent): void {
    // Progress only moves the bar of a live run; a checkpoint in a temporary folder is gone when the CLI exits.
    if (e.type === 'progress') return;
    if (e.type === 'checkpoint' && !this.keepCheckpoints) return;
    this.events.push(e);
  }

  /**
   * Writes the run with every event and its final status. Never throws: the search's own result stands, and
   * a history that cannot take the run (a full disk, a newer app's database) is reported as a warning.
   */
  finish(config: SearchConfig, datasetName: string, status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled'>, error: string | null = null): HistoryRecord | null {
    let store: Store | null = null;
    try {
      prepareDataDir(this.dataDir);
      store = Store.open(join(this.dataDir, DB_FILE));
      const s = store;
      const finished = Date.now();
      const runId = s.transaction(() => {
        const id = s.runs.create(config, { id: null, name: datasetName }, { status: 'queued', createdAt: this.started });
        s.runs.setStatus(id, 'running', {}, this.started);
        s.ingest(id, [{ type: 'log', level: 'info', message: `Run from the command line: nas-studio ${process.argv.slice(2).join(' ')}` }, ...this.events], this.started);
        if (status === 'completed') s.runs.updateProgress(id, 1);
        s.runs.setStatus(id, status, error ? { error } : {}, finished);
        return id;
      });
      return { dataDir: this.dataDir, runId };
    } catch (e) {
      process.stderr.write(`warning: the run was not recorded in the NAS Studio history in ${this.dataDir}: ${(e as Error).message} (pass --data-dir for another folder, or --no-history)\n`);
      return null;
    } finally {
      store?.close();
    }
  }
}
