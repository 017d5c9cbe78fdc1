import { Rng, hashSeed } from '../engine/rng';
import type { EdgeSelection } from '../spaces/registry';
import { randomArchitecture, type SamplingSpace } from './architecture-sampling';
import { checkSearcherState, keepBest, type ArchitectureSearcher, type Scored } from './architecture-searcher';

// Random search (Li & Talwalkar, UAI 2019): N architectures drawn uniformly, the best by the signal wins.
// The searcher alone (no tfjs): the dry run uses it on the table, RandomSearch (random.ts) with weight sharing.

interface RandomState {
  version: 1;
  strategy: 'random';
  evaluations: number;
  best: Scored | null;
}

export class RandomSearcher implements ArchitectureSearcher {
  private s: RandomState = { version: 1, strategy: 'random', evaluations: 0, best: null };

  constructor(
    private readonly space: SamplingSpace,
    private readonly samples: number,
    private readonly seed: number,
  ) {}

  get evaluations(): number {
    return this.s.evaluations;
  }

  get best(): Scored | null {
    return this.s.best;
  }

  ask(): EdgeSelection {
    return randomArchitecture(this.space, new Rng(hashSeed(this.seed, 51, this.s.evaluations)));
  }

  tell(selection: EdgeSelection, score: number): void {
    this.s.evaluations += 1;
    this.s.best = keepBest(this.s.best, selection, score);
  }

  done(): boolean {
    return this.s.evaluations >= this.samples;
  }

  answer(): { selection: EdgeSelection } {
    if (!this.s.best) throw new Error('Random search scored no architecture: every score was NaN or infinite.');
    return { selection: this.s.best.selection };
  }

  save(): RandomState {
    return structuredClone(this.s);
  }

  load(state: unknown): void {
    this.s = checkSearcherState<RandomState>(state, 'random');
  }
}
