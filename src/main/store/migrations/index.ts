import { sql as initial } from './001_initial';
import { sql as activeTime } from './002_active_time';
import { sql as runIds } from './003_run_ids';
import { sql as strategySeam, transform as strategySeamConfigs } from './004_strategy_seam';
import { sql as dryRuns } from './005_dry_runs';
import { sql as history } from './006_history';
import { sql as resultDetails } from './007_result_details';
import { sql as dispatch } from './008_dispatch';
import { sql as spdDatasets } from './009_spd_datasets';

export interface Migration {
  /** The `user_version` the database has once this migration is applied. */
  version: number;
  name: string;
  sql: string;
  /** Row-level changes SQL cannot express well (JSON reshaping), run after `sql` in the same transaction. */
  transform?: (db: import('better-sqlite3').Database) => void;
}

/**
 * Every schema change, oldest first. Append only: never edit a migration that has shipped, add the next one.
 * Version N must sit at index N-1 (checked when the database opens).
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'active_time', sql: activeTime },
  { version: 3, name: 'run_ids', sql: runIds },
  { version: 4, name: 'strategy_seam', sql: strategySeam, transform: strategySeamConfigs },
  { version: 5, name: 'dry_runs', sql: dryRuns },
  { version: 6, name: 'history', sql: history },
  { version: 7, name: 'result_details', sql: resultDetails },
  { version: 8, name: 'dispatch', sql: dispatch },
  { version: 9, name: 'spd_datasets', sql: spdDatasets },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

/** 0x4E415353, 'NASS': set by migration 1 in the file header (`PRAGMA application_id`). */
export const APPLICATION_ID = 0x4e415353;
