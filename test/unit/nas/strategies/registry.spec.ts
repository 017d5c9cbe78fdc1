import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SPACE_IMPLEMENTATIONS } from '../../../../src/main/nas/spaces/registry';
import { IMPLEMENTED_STRATEGIES } from '../../../../src/main/nas/strategies/registry';
import { SPACES, STRATEGIES } from '../../../../src/shared/config';
import { SPACE_DESCRIPTORS, SpaceConfigSchema } from '../../../../src/shared/spaces/registry';
import { STRATEGY_DESCRIPTORS, STRATEGY_OPTION_SCHEMAS } from '../../../../src/shared/strategies/registry';

// ARCHITECTURE §8: every strategy and space is found by name in one registry per layer. A name registered in
// one layer and missing in another fails here (the renderer's registry has its own test).

describe('strategy and space registries', () => {
  it('every strategy descriptor has an implementation, and nothing is implemented without a descriptor', () => {
    expect([...IMPLEMENTED_STRATEGIES].sort()).toEqual([...STRATEGIES].sort());
  });

  it('every space descriptor has a builder, and every strategy names only registered spaces', () => {
    expect(Object.keys(SPACE_IMPLEMENTATIONS).sort()).toEqual([...SPACES].sort());
    expect(Object.keys(SPACE_DESCRIPTORS).sort()).toEqual([...SPACES].sort());
    for (const name of STRATEGIES) {
      for (const space of STRATEGY_DESCRIPTORS[name].spaces) expect(SPACES).toContain(space);
      expect(STRATEGY_DESCRIPTORS[name].name).toBe(name);
    }
  });

  it.each(STRATEGIES)('%s: options have defaults for everything and one line of help per field', (name) => {
    const schema = STRATEGY_OPTION_SCHEMAS[name];
    const defaults = schema.parse({ name }) as Record<string, unknown>;
    const json = z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, { description?: string }> };
    for (const [field, prop] of Object.entries(json.properties)) {
      if (field === 'name') continue;
      expect(defaults[field], `${name}.${field} default`).not.toBeUndefined();
      expect(prop.description, `${name}.${field} help`).toMatch(/\S/);
    }
  });

  it('space options carry their own defaults (DARTS: L = 8 cells; NAS-Bench-201: N = 5 per stage)', () => {
    expect(SpaceConfigSchema.parse({ name: 'darts' })).toMatchObject({ cells: 8, nodes: 4, channels: 16 });
    expect(SpaceConfigSchema.parse({ name: 'nb201' })).toMatchObject({ cells: 5, channels: 16, allowNone: true });
  });
});
