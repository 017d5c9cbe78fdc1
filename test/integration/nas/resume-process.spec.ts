/**
 * Exact resume across processes, as SGAS-es's rollback and the app's pause/resume rely on: a DARTS-space
 * search (α_normal and α_reduce), second order, augmentation and recompute on, is run straight through in this
 * process; then a child process runs it from scratch and pauses mid-epoch 2, and a second child (a fresh
 * process, a differently initialised net) restores that checkpoint and finishes. Every tensor of the two final
 * checkpoints (weights, BN buffers, α, SGD momentum, Adam moments) and of the live net, every loss and accuracy
 * after the resume point, and the final state (batchers, Adam step, accuracies) must match bit for bit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/main/nas/engine/backend';
import { loadCheckpoint } from '../../../src/main/nas/engine/checkpoint';
import type { DartsOutcome } from '../../../src/main/nas/strategies/darts';
import type { TrainerEvent } from '../../../src/shared/events';
import { tfjsEsmAliases } from '../../../scripts/tfjs-esm-aliases';
import { sameBits, snapshot } from '../../unit/nas/fixtures';
import { CONFIG, never, newDartsSearch } from './resume-setup';

const ROOT = join(__dirname, '..', '..', '..');
// Inside the repository so the bundle resolves node_modules (tfjs-backend-wasm's .wasm files) like the app does.
const CACHE = join(ROOT, 'node_modules', '.cache');
let work = '';
let childScript = '';

beforeAll(async () => {
  await initBackend('wasm');
  mkdirSync(CACHE, { recursive: true });
  work = mkdtempSync(join(CACHE, 'resume-process-'));
  // The child is plain node on a bundle of resume-child.ts (tfjs inlined from its ESM entries, as in the app).
  await build({
    configFile: false,
    logLevel: 'error',
    root: ROOT,
    resolve: { alias: tfjsEsmAliases },
    ssr: { noExternal: [/@tensorflow\//] },
    build: {
      ssr: join(__dirname, 'resume-child.ts'),
      outDir: join(work, 'bundle'),
      minify: false,
      rollupOptions: {
        // The CommonJS globals Emscripten's wasm loader reads, as electron-vite's build provides them.
        output: {
          entryFileNames: 'resume-child.mjs',
          banner: "import { createRequire as __createRequire } from 'node:module'; const __filename = import.meta.filename; const __dirname = import.meta.dirname; const require = __createRequire(import.meta.url);",
        },
      },
    },
  });
  childScript = join(work, 'bundle', 'resume-child.mjs');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function child(phase: 'first' | 'finish', dir: string, arg: string): { outcome: DartsOutcome; events: TrainerEvent[] } {
  const r = spawnSync(process.execPath, [childScript, phase, dir, arg], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`child '${phase}' failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(readFileSync(join(dir, `${phase}.json`), 'utf8'));
}

const checkpoints = (events: TrainerEvent[]) => events.filter((e): e is Extract<TrainerEvent, { type: 'checkpoint' }> => e.type === 'checkpoint');
/** Losses, accuracies and α snapshots (no wall-clock timings) at or after global step `from`. */
type TraceEntry = { step: number; epoch: number; values: Record<string, number> } | { epoch: number; payload: unknown };
function trace(events: TrainerEvent[], from: number): TraceEntry[] {
  return events.flatMap((e): TraceEntry[] => {
    if (e.type === 'metrics' && e.step >= from) {
      const { epoch_seconds: _, ...values } = e.values;
      return [{ step: e.step, epoch: e.epoch, values }];
    }
    if (e.type === 'snapshot') return [{ epoch: e.epoch, payload: e.payload }];
    return [];
  });
}
/** Names of the tensors that differ in at least one bit between two checkpoint files (or exist in one only). */
function differingTensors(a: string, b: string): { names: string[]; count: number; stateA: unknown; stateB: unknown } {
  const ca = loadCheckpoint(a);
  const cb = loadCheckpoint(b);
  const names = new Set([...ca.tensors.keys(), ...cb.tensors.keys()]);
  const differing = [...names].filter((n) => {
    const ta = ca.tensors.get(n);
    const tb = cb.tensors.get(n);
    return !ta || !tb || ta.shape.join() !== tb.shape.join() || !sameBits(ta.data, tb.data);
  });
  return { names: differing, count: names.size, stateA: ca.state, stateB: cb.state };
}

describe('exact resume in a new process (DARTS space, second order, augmentation, recompute)', () => {
  it('straight run here = first half in one child + restore and finish in another, value by value', async () => {
    const straightDir = join(work, 'straight');
    const events: TrainerEvent[] = [];
    const straight = newDartsSearch(straightDir, events);
    expect([...straight.net.alphas.keys()]).toEqual(['normal', 'reduce']);
    const initial = snapshot(straight.net.alphas);
    const outcome = await straight.run(never);
    expect(outcome.status).toBe('completed');
    expect(straight.stepsPerEpoch).toBe(2);
    const live = { alpha: snapshot(straight.net.alphas), weights: snapshot(straight.net.params.trainable), buffers: snapshot(straight.net.params.buffers) };
    straight.dispose();
    // Both α trained (so the comparison below covers them moving, not two copies of the initialisation).
    for (const k of ['normal', 'reduce']) expect(sameBits(live.alpha.get(k)!, initial.get(k)!), k).toBe(false);

    // Child 1: one step of epoch 1, pause before the 2nd step; then the process exits.
    const splitDir = join(work, 'split');
    const first = child('first', splitDir, '2');
    expect(first.outcome.status).toBe('paused');
    const pause = checkpoints(first.events).at(-1)!;
    expect(pause.path).toBe(join(splitDir, 'epoch-0-step-1.ckpt'));
    expect(trace(first.events, 0)).toEqual(trace(events, 0).slice(0, trace(first.events, 0).length));

    // Child 2: a new process restores the mid-epoch checkpoint into a net initialised with another seed and
    // runs the 3 remaining steps, across the epoch boundary (evaluation, lr schedule, reshuffle, checkpoint).
    const finish = child('finish', splitDir, pause.path);
    expect(finish.outcome.status).toBe('completed');
    expect(finish.outcome.epochsDone).toBe(CONFIG.epochs);
    const resumed = trace(finish.events, 0);
    expect(resumed[0]).toMatchObject({ step: 2, epoch: 0 });
    expect(resumed).toEqual(trace(events, 2));
    expect(finish.outcome).toEqual(outcome);

    // Every tensor of the final checkpoints, value by value, and the saved state (batchers, Adam, accuracies).
    const finalStraight = checkpoints(events).at(-1)!.path;
    const finalSplit = checkpoints(finish.events).at(-1)!.path;
    expect(finalSplit).toBe(join(splitDir, 'epoch-2-step-0.ckpt'));
    const diff = differingTensors(finalStraight, finalSplit);
    expect(diff.names).toEqual([]);
    const expectedCount = live.alpha.size + live.weights.size + live.buffers.size + live.weights.size /* SGD momentum */ + 2 * live.alpha.size /* Adam m, v */;
    expect(diff.count).toBe(expectedCount);
    expect(diff.stateB).toEqual(diff.stateA);
    // And the live tensors of this process equal the other process's file.
    const file = loadCheckpoint(finalSplit).tensors;
    for (const [prefix, values] of [['alpha', live.alpha], ['w', live.weights], ['buf', live.buffers]] as const) {
      for (const [k, v] of values) expect(sameBits(file.get(`${prefix}/${k}`)!.data, v), `${prefix}/${k}`).toBe(true);
    }
    expect(existsSync(childScript)).toBe(true);
  }, 600_000);
});
