import { describe, expect, it } from 'vitest';
import { STRATEGY_OPTION_SCHEMAS, type StrategyName } from '../../../src/shared/strategies/registry';
import { SpaceConfigSchema } from '../../../src/shared/spaces/registry';
import { optionFields, schemaDefaults } from '../../../src/renderer/src/lib/schema-fields';

describe('optionFields (form fields read from an options schema)', () => {
  const schemas = [
    ...(Object.entries(STRATEGY_OPTION_SCHEMAS) as [StrategyName, (typeof STRATEGY_OPTION_SCHEMAS)[StrategyName]][]),
    ...SpaceConfigSchema.options.map((s) => [s.shape.name.value, s] as const),
  ];

  it('gives every field a label, one line of help and the schema default', () => {
    for (const [name, schema] of schemas) {
      const defaults = schemaDefaults(schema, name);
      const fields = optionFields(schema);
      expect(fields.length, name).toBeGreaterThanOrEqual(2); // mobilenet has two: width multiplier and blocks
      for (const f of fields) {
        expect(f.help, `${name}.${f.key}`).toMatch(/\S/);
        expect(f.help.includes('\n'), `${name}.${f.key} help is one line`).toBe(false);
        expect(f.label).toMatch(/\S/);
        expect(f.default, `${name}.${f.key}`).toEqual(defaults[f.key]);
      }
      expect(fields.some((f) => f.key === 'name')).toBe(false);
    }
  });

  it('reports bounds the schema enforces: the bound passes, one step past it fails', () => {
    // Whether the field itself is refused; a cross-field rule (evolution: population ≤ samples) may refuse
    // another field at the same value, which is not this field's bound.
    const fieldRefused = (schema: (typeof schemas)[number][1], value: Record<string, unknown>, key: string) => {
      const r = schema.safeParse(value);
      return !r.success && r.error.issues.some((i) => i.path[0] === key);
    };
    for (const [name, schema] of schemas) {
      const defaults = schemaDefaults(schema, name);
      for (const f of optionFields(schema).filter((x) => x.kind === 'number' && x.integer)) {
        if (f.min !== undefined) {
          expect(fieldRefused(schema, { ...defaults, [f.key]: f.min }, f.key), `${name}.${f.key} = min`).toBe(false);
          expect(fieldRefused(schema, { ...defaults, [f.key]: f.min - 1 }, f.key), `${name}.${f.key} < min`).toBe(true);
        }
        if (f.max !== undefined) expect(fieldRefused(schema, { ...defaults, [f.key]: f.max + 1 }, f.key), `${name}.${f.key} > max`).toBe(true);
      }
    }
  });

  it('renders the α order as a choice, switches as booleans, the op list as ops', () => {
    const darts = optionFields(STRATEGY_OPTION_SCHEMAS.darts);
    expect(darts.find((f) => f.key === 'order')).toMatchObject({ kind: 'choice', choices: [1, 2], default: 1 });
    expect(darts.find((f) => f.key === 'lambdaMax')).toMatchObject({ kind: 'boolean', default: false });
    const es = optionFields(STRATEGY_OPTION_SCHEMAS['sgas-es']);
    expect(es.find((f) => f.key === 'esFactor')).toMatchObject({ kind: 'number', integer: false, min: 1, max: 10 });
    const space = optionFields(SpaceConfigSchema.options[1]);
    expect(space.find((f) => f.key === 'ops')).toMatchObject({ kind: 'ops' });
  });
});
