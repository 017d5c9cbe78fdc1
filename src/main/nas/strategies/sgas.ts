import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StrategyConfigOf } from '../../../shared/config';
import type { Decision } from '../../../shared/events';
import type { CellTopology as SpaceTopology, EdgeSelection } from '../spaces/registry';
import { DartsSearch } from './darts';
import { oneShotSettings } from './one-shot-settings';
import { SGAS_ES_EARLY_STOP, newEigenTracker, observeEigenvalue, type EarlyStopOptions, type EigenTrackerState } from './early-stop';
import { alphaWeights } from './one-shot';
import type { StrategyContext } from './registry';
import {
  allDecided,
  decideEdge,
  decisionsPerCell,
  forcedCell,
  isDecisionEpoch,
  newSgasCellState,
  observeEpoch,
  sgasTotalEpochs,
  type CellTopology,
  type SgasCellState,
  type SgasScores,
} from './sgas-decisions';

// SGAS and SGAS-es (ALGORITHMS.md §3–4) on the DARTS engine: at a decision, each cell type fixes its best
// edge (its α leaves the optimisation), the in-degree rule prunes, and the batch grows. SGAS decides on a
// fixed schedule; SGAS-es ends each phase when λ_max's local average jumps (or at the phase limit), rolls back
// to the epoch the stop rule points at, and decides there.

type SgasOptions = StrategyConfigOf<'sgas'> | StrategyConfigOf<'sgas-es'>;

/** Checkpointed with the tensors, so a resume and an SGAS-es rollback restore it too. */
interface SgasState {
  version: 1;
  cells: Record<string, SgasCellState>;
  /** Decisions made per cell type. */
  decisions: number;
  /** SGAS-es: first epoch of the current phase, and its eigenvalue tracker (null once all is decided). */
  phaseStart: number;
  tracker: EigenTrackerState | null;
  /** The epoch count at which the search ends, set when the last edge is decided (SGAS-es). */
  endEpoch: number | null;
}

export class SgasSearch extends DartsSearch {
  private readonly sgas: SgasOptions;
  private readonly topology: CellTopology;
  private readonly spaceTopology: SpaceTopology;
  private readonly decisionsNeeded: number;
  private readonly baseBatch: number;
  private readonly phaseDir: string;
  private readonly ctx: StrategyContext<SgasOptions>;
  private s: SgasState;

  constructor(ctx: StrategyContext<SgasOptions>) {
    const spaceTopology = ctx.space.topology(ctx.config.space);
    const topology: CellTopology = {
      edges: spaceTopology.edgeNodes.map((node, e) => ({ node, source: spaceTopology.edgeSources[e] })),
      maxInDegree: spaceTopology.maxInDegree,
    };
    const decisions = decisionsPerCell(topology);
    const o = ctx.options;
    const epochs = o.name === 'sgas' ? sgasTotalEpochs(o.warmup, o.decisionFreq, decisions, o.finalEpochs) : (o.esStart + o.decisionFreq) * decisions + o.finalEpochs;
    super(
      // SGAS-es measures λ_max itself, for its stop rule.
      { ...oneShotSettings(ctx, epochs), lambdaMax: o.name === 'sgas' ? o.lambdaMax : false },
      ctx.net,
      ctx.data,
      ctx.emit,
      ctx.checkpointPath,
      { runConfig: ctx.config, scoreCell: (ops) => ctx.space.scoreCell(ops) },
    );
    this.ctx = ctx;
    this.sgas = o;
    this.topology = topology;
    this.spaceTopology = spaceTopology;
    this.decisionsNeeded = decisions;
    this.baseBatch = ctx.config.batchSize;
    this.phaseDir = join(ctx.runDir, 'phase');
    const cells = Object.fromEntries([...ctx.net.alphas.keys()].map((key) => [key, newSgasCellState(topology.edges.length)]));
    this.s = { version: 1, cells, decisions: 0, phaseStart: 0, tracker: this.isEs ? this.newTracker(0) : null, endEpoch: null };
  }

  private get isEs(): boolean {
    return this.sgas.name === 'sgas-es';
  }

  private get earlyStop(): EarlyStopOptions {
    const o = this.sgas;
    return o.name === 'sgas-es' ? { window: o.esWindow, delta: o.esDelta, factor: o.esFactor, startEpoch: o.esStart, evFreq: 1 } : SGAS_ES_EARLY_STOP;
  }

  private newTracker(phaseStart: number): EigenTrackerState {
    const o = this.sgas;
    const limit = o.name === 'sgas-es' ? o.esStart + o.decisionFreq : o.decisionFreq;
    return newEigenTracker(phaseStart, phaseStart + limit - 1);
  }

  private get everythingDecided(): boolean {
    return Object.values(this.s.cells).every(allDecided);
  }

  protected override finished(): boolean {
    if (this.isEs) return this.s.endEpoch !== null && this.state.epoch >= this.s.endEpoch;
    return this.state.epoch >= this.plannedEpochs;
  }

  protected override saveExtra(): unknown {
    return this.s;
  }

  protected override restoreExtra(extra: unknown): void {
    const s = extra as SgasState | undefined;
    if (!s || s.version !== 1 || !s.cells) throw new Error('This checkpoint was not written by an SGAS search: resume it with the strategy that wrote it.');
    this.s = structuredClone(s);
    this.applyMasks();
  }

  /** The decided edges as architecture masks: fixed edges run their op, pruned ones nothing. */
  private applyMasks(): void {
    for (const [key, cell] of Object.entries(this.s.cells)) this.net.masks.set(key, cell.selected, this.net.ops.length);
  }

  /** The decided edges (and, with `forced`, each node's missing inputs from the current α) as a selection. */
  private selection(forced: boolean, scores?: Record<string, SgasScores>): EdgeSelection {
    const out: Record<string, Array<number | null>> = {};
    for (const [key, cell] of Object.entries(this.s.cells)) {
      if (!forced || !scores) {
        out[key] = cell.selected.map((k) => (k === null || k < 0 ? null : k));
        continue;
      }
      const row: Array<number | null> = new Array(cell.selected.length).fill(null);
      for (const f of forcedCell(cell, scores[key], this.topology, this.net.ops)) row[f.edge] = this.net.ops.indexOf(f.op);
      out[key] = row;
    }
    return out;
  }

  protected override currentCellOps(): string[] {
    return this.ctx.space.cellOps(this.forcedArchitecture().genotype);
  }

  /** The cell as it would be now: decided edges plus each node's best candidates from the current α. */
  private forcedArchitecture() {
    return this.ctx.space.fromSelection(this.ctx.config.space, this.selection(true, this.scoresNow()), this.net.ops);
  }

  /** Scores of every cell type from the current α (no history update). */
  private scoresNow(): Record<string, SgasScores> {
    const probs = alphaWeights(this.net);
    return Object.fromEntries(Object.entries(this.s.cells).map(([key, cell]) => [key, observeEpoch(cell, probs[key], this.net.ops, this.sgas.criterion, this.sgas.historySize).scores]));
  }

  protected override async endOfEpoch(epoch: number): Promise<void> {
    if (this.isEs) await this.endOfEsEpoch(epoch);
    else await this.endOfSgasEpoch(epoch);
  }

  private async endOfSgasEpoch(epoch: number): Promise<void> {
    const o = this.sgas as StrategyConfigOf<'sgas'>;
    const lambda = o.lambdaMax && !this.everythingDecided ? this.measureLambda() : null;
    if (lambda) this.emitEigenvalue(epoch, lambda, null);
    this.checkCollapse(epoch, lambda?.lambdaMax ?? null);
    const scores = this.observe();
    if (!this.everythingDecided && isDecisionEpoch(epoch, o.warmup, o.decisionFreq)) this.decide(epoch, scores, 'schedule');
    this.emitForcedGenotype(epoch);
  }

  /** The §4.3 phase loop, run at the end of epoch `epoch` (the state already counts it as trained). */
  private async endOfEsEpoch(epoch: number): Promise<void> {
    if (this.everythingDecided) {
      // The decision epoch's own checkpoint is written by now: no rollback point is needed any more.
      this.prunePhase(Infinity);
      this.checkCollapse(epoch, null);
      return;
    }
    // Rollback points that no stop can point at any more: before this phase, or further back than the stop
    // rule reaches (stop_epoch = t − ⌊w/2⌋ − δ). Pruned here, after the previous epoch's checkpoint is safe,
    // so a resume from it still finds the point a repeated stop would roll back to.
    const es = this.earlyStop;
    this.prunePhase(Math.max(this.s.phaseStart, epoch - Math.floor(es.window / 2) - es.delta));
    // The rollback point of this epoch, before anything of this epoch's end changes the state.
    mkdirSync(this.phaseDir, { recursive: true });
    await this.writeCheckpoint(this.phasePath(epoch));
    const lambda = this.measureLambda();
    let tracker = this.s.tracker ?? this.newTracker(this.s.phaseStart);
    if (lambda) {
      tracker = observeEigenvalue(tracker, epoch, lambda.lambdaMax, this.earlyStop);
      const average = tracker.averages.at(-1);
      this.emitEigenvalue(epoch, lambda, average && average.computedAt === epoch ? average.value : null);
    }
    this.s.tracker = tracker;
    this.checkCollapse(epoch, lambda?.lambdaMax ?? null);
    const o = this.sgas as StrategyConfigOf<'sgas-es'>;
    const limitEpoch = this.s.phaseStart + o.esStart + o.decisionFreq - 1;
    const stop = tracker.stop;
    if (!stop && epoch < limitEpoch) {
      this.observe();
      this.emitForcedGenotype(epoch);
      return;
    }
    const decideAt = stop ? stop.stopEpoch : limitEpoch;
    if (stop) {
      this.emit({ type: 'early-stop', earlyStop: { epoch, wallEpoch: this.wallEpoch - 1, rollbackTo: decideAt, reason: 'eigenvalue', ratio: stop.ratio } });
      this.emit({
        type: 'log',
        level: 'info',
        message: `Early stop at epoch ${epoch + 1}: λ_max's local average grew ${stop.ratio.toFixed(2)}× in ${o.esDelta} epochs; rolling back to epoch ${decideAt + 1} to decide there.`,
      });
    }
    if (decideAt !== epoch) this.rollBack(decideAt);
    const scores = this.observe();
    this.decide(decideAt, scores, stop ? 'early-stop' : 'phase-limit');
    this.s.phaseStart = decideAt + 1;
    this.s.tracker = this.everythingDecided ? null : this.newTracker(this.s.phaseStart);
    if (this.everythingDecided) this.s.endEpoch = decideAt + 1 + o.finalEpochs;
    this.emitForcedGenotype(decideAt);
  }

  /**
   * Back to the state saved at the end of epoch `epoch`: weights, α, optimisers, data order, SGAS state and
   * learning-rate schedule (a function of the epoch). Wall counters keep counting: they measure work done.
   */
  private rollBack(epoch: number): void {
    const wall = { globalStep: this.state.globalStep, wallEpoch: this.wallEpoch, collapse: this.collapse.save() };
    this.restoreFrom(this.phasePath(epoch));
    this.state.globalStep = wall.globalStep;
    this.state.wallEpoch = wall.wallEpoch;
    this.collapse.load(wall.collapse);
  }

  private phasePath(epoch: number): string {
    return join(this.phaseDir, `epoch-${String(epoch).padStart(4, '0')}.ckpt`);
  }

  /** Removes the rollback points of epochs before `firstKept`. */
  private prunePhase(firstKept: number): void {
    if (!existsSync(this.phaseDir)) return;
    for (const f of readdirSync(this.phaseDir)) {
      const epoch = Number(/^epoch-(\d+)\.ckpt$/.exec(f)?.[1] ?? NaN);
      if (!(epoch >= firstKept)) rmSync(join(this.phaseDir, f), { force: true });
    }
  }

  /** End-of-epoch scores for every cell type; Criterion 2's history takes this epoch's distribution. */
  private observe(): Record<string, SgasScores> {
    const probs = alphaWeights(this.net);
    const scores: Record<string, SgasScores> = {};
    for (const [key, cell] of Object.entries(this.s.cells)) {
      const r = observeEpoch(cell, probs[key], this.net.ops, this.sgas.criterion, this.sgas.historySize);
      this.s.cells[key] = r.state;
      scores[key] = r.scores;
    }
    return scores;
  }

  /** One edge per cell type, then pruning, masks and the batch growth. */
  private decide(epoch: number, scores: Record<string, SgasScores>, reason: Decision['reason']): void {
    for (const [key, cell] of Object.entries(this.s.cells)) {
      if (allDecided(cell)) continue;
      const { state, decision } = decideEdge(cell, scores[key], this.topology, this.net.ops);
      this.s.cells[key] = state;
      const sc = decision.scores;
      this.emit({
        type: 'decision',
        decision: {
          epoch,
          wallEpoch: this.wallEpoch - 1,
          cellType: key,
          edge: decision.edge,
          edgeLabel: this.spaceTopology.edgeLabels[decision.edge],
          op: decision.opName,
          pruned: decision.pruned,
          scores: {
            importance: sc.importance,
            certainty: sc.certainty,
            stability: sc.stability,
            score: sc.score.map((v, e) => (cell.selected[e] === -1 ? v : null)),
          },
          reason,
        },
      });
      const prunedText = decision.pruned.length ? `; pruned ${decision.pruned.map((e) => this.spaceTopology.edgeLabels[e]).join(', ')}` : '';
      this.emit({ type: 'log', level: 'info', message: `Decision ${this.s.decisions + 1}/${this.decisionsNeeded} (${key}, epoch ${epoch + 1}): ${this.spaceTopology.edgeLabels[decision.edge]} → ${decision.opName}${prunedText}` });
    }
    this.s.decisions += 1;
    this.applyMasks();
    // λ_max is over the undecided α: after a decision it is another quantity, so its trend starts over.
    this.collapse.resetLambdas();
    const grow = this.sgas.batchIncrease;
    if (grow > 0) {
      // Fixed edges free memory, so the batch grows (§3); never beyond the images of a split.
      const cap = Math.min(this.trainBatches.set.count, this.valBatches.set.count);
      this.setBatchSize(Math.min(this.baseBatch + grow * this.s.decisions, cap));
    }
  }

  /** The cell as it would be now (decided edges + the best candidates), for the growing cell graph. */
  private emitForcedGenotype(epoch: number): void {
    const decided = this.selection(false);
    this.emit({ type: 'snapshot', epoch, kind: 'genotype', payload: { genotype: this.forcedArchitecture().genotype, decided, forced: true } });
  }

  override async run(control: Parameters<DartsSearch['run']>[0]) {
    const outcome = await super.run(control);
    return outcome.status === 'completed' ? { ...outcome, selection: this.selection(false) } : outcome;
  }
}
