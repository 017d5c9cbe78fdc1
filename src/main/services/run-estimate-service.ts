import type { RunEstimate } from '../../shared/api';
import type { BackendName } from '../../shared/backends';
import { isDryRun, type SearchConfig } from '../../shared/config';
import type { BackendDoctor } from './backend-doctor';
import { isCellSpace } from '../../shared/spaces/registry';
import { resolveRunThreads } from '../nas/parallel/threads';
import { ProbeCancelledError, type ProbeRun } from './probe-process';

// runs.estimate: the New-run pre-flight's short probe of the run's own config in a trainer process: the backend
// it would run on (and why), its memory estimate against that backend's limit, and the measured time per
// epoch. The newest request wins: an older probe still running is stopped (the form asks again as the user
// types). Results are remembered per config shape, so going back to a config answers at once.

export interface DatasetShape {
  shape: number[];
  classes: number;
  trainCount: number;
}

const TIMED_STEPS = 2;
const REMEMBERED = 32;

/** Steps of one epoch, as the trainer counts them: round(portion·n) images for w, the last batch partial. */
export function stepsPerEpoch(config: SearchConfig, trainCount: number): number {
  const n = config.trainLimit > 0 ? Math.min(config.trainLimit, trainCount) : trainCount;
  return Math.max(1, Math.ceil(Math.round(n * config.trainPortion) / config.batchSize));
}

export class RunEstimateService {
  private running: ProbeRun | null = null;
  private generation = 0;
  private readonly remembered = new Map<string, RunEstimate>();

  constructor(
    private readonly doctor: BackendDoctor,
    private readonly dataset: (id: string) => DatasetShape | null,
  ) {}

  /** A request a newer one replaced answers `superseded` (an expected outcome while the user types, not an error). */
  async estimate(config: SearchConfig): Promise<RunEstimate> {
    try {
      return await this.measure(config);
    } catch (e) {
      if (!(e instanceof ProbeCancelledError)) throw e;
      const backend: BackendName = config.backend === 'auto' ? 'wasm' : config.backend;
      return { backend, device: null, why: '', stepMs: null, stepThreads: 1, threads: 1, threadsReason: null, stepsPerEpoch: null, epochSeconds: null, params: null, memory: null, problem: null, superseded: true };
    }
  }

  private async measure(config: SearchConfig): Promise<RunEstimate> {
    const generation = ++this.generation;
    this.running?.cancel();
    const none = { device: null, stepMs: null, stepThreads: 1, threads: 1, threadsReason: null, stepsPerEpoch: null, epochSeconds: null, params: null, memory: null } as const;
    const fallbackBackend: BackendName = config.backend === 'auto' ? 'wasm' : config.backend;
    if (isDryRun(config)) {
      return { ...none, backend: fallbackBackend, why: 'A dry run looks architectures up in the NAS-Bench-201 table.', problem: { message: 'A dry run trains nothing, so it needs no backend.', hint: null } };
    }
    const data = this.dataset(String(config.dataset));
    if (!data) {
      return { ...none, backend: fallbackBackend, why: '', problem: { message: 'Choose a dataset to see the time per epoch and the memory estimate.', hint: null } };
    }
    if (!isCellSpace(config.space)) {
      return {
        ...none,
        backend: fallbackBackend,
        why: '',
        problem: {
          message: `No measured estimate for the ${config.space.name} space yet: the pre-flight sizes and times the image cell supernets (NAS-Bench-201, DARTS).`,
          hint: 'If memory runs out, the run stops with advice and can resume from its last checkpoint with a smaller batch.',
        },
      };
    }
    let backend: BackendName;
    let why: string;
    if (config.backend === 'auto') {
      const verdict = await this.doctor.verdict();
      backend = verdict.chosen;
      why = `auto picks ${verdict.why}`;
    } else {
      backend = config.backend;
      why = `${backend}: chosen in the form.`;
    }
    const [h, w, c] = data.shape as [number, number, number];
    const inputShape: [number, number, number] = config.augment ? [32, 32, c ?? 1] : [h, w, c ?? 1];
    // The threads the run would train on now ('auto' follows the machine's load): each replica's memory.
    const { threads, reason: threadsReason } = resolveRunThreads(config, backend);
    const key = JSON.stringify([backend, config.space, config.batchSize, config.recompute, threads, config.threadBn, inputShape, data.classes]);
    const steps = stepsPerEpoch(config, data.trainCount);
    const known = this.remembered.get(key);
    if (known) return { ...known, why, threadsReason, stepsPerEpoch: steps, epochSeconds: known.stepMs === null ? null : (known.stepMs * steps) / 1000 };
    if (generation !== this.generation) throw new ProbeCancelledError();
    const reply = await this.doctor.exclusive(
      { kind: 'config', backend, config: { ...config, threads }, inputShape, classes: data.classes, steps: TIMED_STEPS },
      (run) => {
        // Superseded while it waited its turn: stop it at once.
        if (generation !== this.generation) run.cancel();
        else this.running = run;
      },
    );
    if (reply.kind === 'error') return { ...none, backend, why, problem: { message: reply.message, hint: reply.hint } };
    if (reply.kind !== 'config') throw new Error('The probe answered with the wrong kind of result.');
    const { probe } = reply;
    const result: RunEstimate = {
      backend,
      device: reply.device,
      why,
      stepMs: probe.stepMs,
      stepThreads: probe.stepThreads,
      threads,
      threadsReason,
      stepsPerEpoch: steps,
      epochSeconds: probe.stepMs === null ? null : (probe.stepMs * steps) / 1000,
      params: Math.round(probe.params),
      memory: {
        estimateBytes: probe.memory.estimateBytes,
        totalBytes: probe.memory.totalBytes,
        threads: probe.memory.threads,
        limitBytes: probe.memory.limitBytes,
        fits: probe.memory.fits,
        largestBatchThatFits: probe.memory.largestBatchThatFits,
        recompute: probe.memory.recompute,
        narrowerFits: probe.narrower,
      },
      problem: null,
    };
    this.remembered.set(key, result);
    if (this.remembered.size > REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    return result;
  }
}
