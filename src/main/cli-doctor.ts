import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendReport, BackendVerdict } from '../shared/backends';
import type { AutoVerdict } from './nas/engine/backend';
import { resolveDataDir } from './data-dir';
import { BackendDoctor, VERDICT_FILE } from './services/backend-doctor';
import { APP_VERSION } from './version';

// `nas-studio doctor [--json]`: every engine backend on this machine, whether it loads, why not in plain words
// with the fix, the GPU adapter, the probe's timings, and what `auto` picks. Uses the verdict cached in the
// data folder while the machine is unchanged (--probe measures again), as the app's Diagnostics page does.

function line(r: BackendReport): string {
  const state = r.loads ? (r.eligibleForAuto ? 'loads' : 'loads, never picked by auto') : 'does not load';
  const timing = r.probeStepMs !== null ? `, ${Math.round(r.probeStepMs)} ms per probe step` : '';
  const out = [`  ${r.name.padEnd(11)}${state}${r.device ? `: ${r.device}` : ''}${timing}`];
  if (r.reason) out.push(`  ${' '.repeat(11)}${r.reason}`);
  if (r.fix) out.push(`  ${' '.repeat(11)}Fix: ${r.fix}`);
  return out.join('\n');
}

export function formatVerdict(v: BackendVerdict, cachedIn: string | null): string {
  return [
    `auto picks ${v.chosen}. ${v.why}`,
    '',
    ...v.backends.map(line),
    '',
    `Measured ${v.measuredAt}${cachedIn ? `, kept in ${cachedIn}` : ''}; "nas-studio doctor --probe" measures again.`,
  ].join('\n');
}

async function doctor(opts: { json?: boolean; probe?: boolean; dataDir?: string }): Promise<void> {
  const dataDir = resolveDataDir(opts.dataDir);
  const trainerScript = join(dirname(fileURLToPath(import.meta.url)), 'trainer.js');
  const d = new BackendDoctor({ dataDir, trainerScript, appVersion: APP_VERSION, warn: (l) => process.stderr.write(`${l}\n`) });
  const wasCached = !opts.probe && d.cached() !== null;
  if (!wasCached) process.stderr.write('Probing each backend in a process of its own (a few seconds)…\n');
  const verdict = await d.verdict({ probe: Boolean(opts.probe) });
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...verdict, cached: wasCached, dataDir })}\n`);
  else process.stdout.write(`${formatVerdict(verdict, join(dataDir, VERDICT_FILE))}\n`);
}

/** What `auto` means for a CLI search: the verdict kept in the data folder for this machine, if any (no probe: scripts stay fast). */
export function cachedAutoChoice(dataDirFlag: string | undefined): AutoVerdict | null {
  return new BackendDoctor({ dataDir: resolveDataDir(dataDirFlag), trainerScript: '', appVersion: APP_VERSION }).autoChoice();
}

export function addDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('List every engine backend: whether it loads on this machine, why not and the fix, the GPU adapter, probe timings, and what auto picks.')
    .option('--json', 'print one JSON object (the verdict: chosen, why, backends[])')
    .option('--probe', 'measure again instead of using the verdict kept for this machine')
    .option('--data-dir <dir>', 'data folder the verdict is kept in (default: $NAS_STUDIO_DATA, else the per-user folder)')
    .action(async (opts) => doctor(opts));
}
