import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { resolveDataReference, runSearchJob } from '../../src/main/nas/job';
import type { SearchConfig } from '../../src/shared/config';
import type { TrainerEvent } from '../../src/shared/events';

// Search and retrain jobs on the built-in demo set, run in the test's own process exactly as the trainer
// runs them (nas/job.ts), with their events collected and an optional pause after N control polls. Run
// folders are temporary and removed after the file's tests. Call it at the top level of a spec file.

export interface JobRunOptions {
  runDir?: string;
  /** Answer 'pause' to the N-th poll of the control (a checkpoint mid-run). */
  pauseAfterPolls?: number;
  resumeFrom?: string;
}

export function demoJobs(prefix: string) {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const newRunDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  const run = async (c: SearchConfig, options: JobRunOptions = {}) => {
    const events: TrainerEvent[] = [];
    let polls = 0;
    const runDir = options.runDir ?? newRunDir();
    const job = await runSearchJob(
      { config: c, data: resolveDataReference('demo'), runDir, appVersion: 'test', resumeFrom: options.resumeFrom },
      (e) => events.push(e),
      { interrupt: () => (options.pauseAfterPolls !== undefined && ++polls === options.pauseAfterPolls ? 'pause' : null) },
    );
    return { ...job, events, runDir };
  };
  return { run, newRunDir };
}
