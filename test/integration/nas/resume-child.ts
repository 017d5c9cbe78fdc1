// Child process of resume-process.spec.ts (bundled by it, run with plain node): one half of an interrupted
// search. `first <dir> <n>` runs from scratch and pauses before step n; `finish <dir> <checkpoint>` builds a
// differently initialised net, restores the checkpoint and runs to the end. Events go to <dir>/<phase>.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../../src/main/nas/engine/backend';
import type { TrainerEvent } from '../../../src/shared/events';
import { never, newDartsSearch, pauseBefore } from './resume-setup';

async function main(): Promise<void> {
  const [phase, dir, arg] = process.argv.slice(2);
  await initBackend('wasm');
  const events: TrainerEvent[] = [];
  const search = newDartsSearch(dir, events, phase === 'first' ? undefined : 999);
  if (phase === 'finish') search.restore(arg);
  else if (phase !== 'first') throw new Error(`unknown phase '${phase}'`);
  const outcome = await search.run(phase === 'first' ? pauseBefore(Number(arg)) : never);
  search.dispose();
  writeFileSync(join(dir, `${phase}.json`), JSON.stringify({ outcome, events }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
