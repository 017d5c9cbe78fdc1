import { Rng, hashSeed } from '../engine/rng';
import type { EdgeSelection } from '../spaces/registry';
import { mutateArchitecture, randomArchitecture, type SamplingSpace } from './architecture-sampling';
import { checkSearcherState, keepBest, type ArchitectureSearcher, type Scored } from './architecture-searcher';

// Regularised evolution (Real, Aggarwal, Huang & Le, AAAI 2019): the first P architectures are random; then
// each child is a mutation of the fittest of S members drawn from the population, and joins it while the
// oldest member dies (ageing, not fitness, removes: the regularisation). Fitness comes from the table in a dry
// run, from the shared supernet weights otherwise.

export interface EvolutionOptions {
  samples: number;
  population: number;
  sampleSize: number;
}

interface EvolutionState {
  version: 1;
  strategy: 'evolution';
  evaluations: number;
  /** Oldest first. */
  population: Scored[];
  best: Scored | null;
}

export class EvolutionSearcher implements ArchitectureSearcher {
  private s: EvolutionState = { version: 1, strategy: 'evolution', evaluations: 0, population: [], best: null };

  constructor(
    private readonly space: SamplingSpace,
    private readonly options: EvolutionOptions,
    private readonly seed: number,
  ) {
    if (options.sampleSize > options.population) throw new Error(`The tournament size (${options.sampleSize}) must not exceed the population (${options.population}).`);
  }

  get evaluations(): number {
    return this.s.evaluations;
  }

  get best(): Scored | null {
    return this.s.best;
  }

  /** The members of the current population, oldest first. */
  get population(): readonly Scored[] {
    return this.s.population;
  }

  ask(): EdgeSelection {
    const rng = new Rng(hashSeed(this.seed, 52, this.s.evaluations));
    if (this.s.evaluations < this.options.population) return randomArchitecture(this.space, rng);
    return mutateArchitecture(this.space, this.tournament(rng).selection, rng);
  }

  /** The fittest of `sampleSize` members drawn without replacement (the older wins a tie). */
  private tournament(rng: Rng): Scored {
    const indices = this.s.population.map((_, i) => i);
    let winner = -1;
    for (let i = 0; i < this.options.sampleSize; i++) {
      const j = i + rng.int(indices.length - i);
      [indices[i], indices[j]] = [indices[j], indices[i]];
      const candidate = indices[i];
      if (winner < 0 || this.s.population[candidate].score > this.s.population[winner].score || (this.s.population[candidate].score === this.s.population[winner].score && candidate < winner)) {
        winner = candidate;
      }
    }
    return this.s.population[winner];
  }

  tell(selection: EdgeSelection, score: number): void {
    this.s.evaluations += 1;
    this.s.best = keepBest(this.s.best, selection, score);
    // A NaN fitness would win no tournament but would skew none either: it joins as the weakest.
    this.s.population.push({ selection: structuredClone(selection) as EdgeSelection, score: Number.isFinite(score) ? score : -Infinity });
    if (this.s.population.length > this.options.population) this.s.population.shift();
  }

  done(): boolean {
    return this.s.evaluations >= this.options.samples;
  }

  answer(): { selection: EdgeSelection } {
    if (!this.s.best) throw new Error('Evolution scored no architecture: every fitness was NaN or infinite.');
    return { selection: this.s.best.selection };
  }

  save(): EvolutionState {
    return structuredClone(this.s);
  }

  load(state: unknown): void {
    const s = checkSearcherState<EvolutionState>(state, 'evolution');
    s.population = s.population.map((m) => ({ ...m, score: m.score ?? -Infinity }));
    this.s = s;
  }
}
