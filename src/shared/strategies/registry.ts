import { z } from 'zod';
import { DartsStrategySchema, darts } from './darts';
import { EvolutionStrategySchema, evolution } from './evolution';
import { InstanasStrategySchema, instanas } from './instanas';
import { MdenasStrategySchema, mdenas } from './mdenas';
import { RandomStrategySchema, random } from './random';
import { RetrainStrategySchema, retrain } from './retrain';
import { SgasStrategySchema, sgas } from './sgas';
import { SgasEsStrategySchema, sgasEs } from './sgas-es';
import { SpdnasStrategySchema, spdnas } from './spdnas';
import { candidateRankingFields, weightTrainingFields } from './one-shot-options';
import type { StrategyDescriptor } from './types';

// Every strategy by name. Adding one: a descriptor + options schema file here, an implementation in
// main/nas/strategies/, panels in renderer/src/strategies/<name>/, and one line in each registry.

export const STRATEGY_DESCRIPTORS = {
  darts,
  sgas,
  'sgas-es': sgasEs,
  mdenas,
  random,
  evolution,
  instanas,
  retrain,
  spdnas,
} as const satisfies Record<string, StrategyDescriptor>;

export const StrategyConfigSchema = z.discriminatedUnion('name', [
  DartsStrategySchema,
  SgasStrategySchema,
  SgasEsStrategySchema,
  MdenasStrategySchema,
  RandomStrategySchema,
  EvolutionStrategySchema,
  InstanasStrategySchema,
  RetrainStrategySchema,
  SpdnasStrategySchema,
]);
export type StrategyConfig = z.output<typeof StrategyConfigSchema>;
export type StrategyName = StrategyConfig['name'];
export type StrategyConfigOf<N extends StrategyName> = Extract<StrategyConfig, { name: N }>;
export const STRATEGIES = Object.keys(STRATEGY_DESCRIPTORS) as StrategyName[];

/** The options schema of one strategy (for forms: defaults, bounds and one-line help via `.description`). */
export const STRATEGY_OPTION_SCHEMAS: Record<StrategyName, z.ZodType> = {
  darts: DartsStrategySchema,
  sgas: SgasStrategySchema,
  'sgas-es': SgasEsStrategySchema,
  mdenas: MdenasStrategySchema,
  random: RandomStrategySchema,
  evolution: EvolutionStrategySchema,
  instanas: InstanasStrategySchema,
  retrain: RetrainStrategySchema,
  spdnas: SpdnasStrategySchema,
};

/** Strategies that can dry-run on the NAS-Bench-201 table. */
export const TABLE_STRATEGIES = STRATEGIES.filter((n) => STRATEGY_DESCRIPTORS[n].tableBudget !== undefined);

/** The table queries a dry run of this strategy config makes (the option its descriptor names), or null. */
export function tableQueries(strategy: StrategyConfig): number | null {
  const key = (STRATEGY_DESCRIPTORS[strategy.name] as StrategyDescriptor).tableBudget;
  const value = key ? (strategy as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' ? value : null;
}

/**
 * Strategy options a dry run ignores: the supernet's weight training, candidate ranking and path sampling,
 * and supernet epochs where the table budget is another option (random search, evolution count samples).
 */
export function dryRunIgnoredOptions(name: StrategyName): Set<string> {
  const ignored = new Set([...Object.keys(weightTrainingFields), ...Object.keys(candidateRankingFields), 'sampling']);
  if ((STRATEGY_DESCRIPTORS[name] as StrategyDescriptor).tableBudget !== 'epochs') ignored.add('epochs');
  return ignored;
}
