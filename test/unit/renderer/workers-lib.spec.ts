import { describe, expect, it } from 'vitest';
import { WhereSchema, type WorkerCapabilities } from '../../../src/shared/dispatch';
import { capabilityLine, formatBytes, lastSeenText, openAttemptText, ranOnText, whereText, whereUnavailableReason } from '../../../src/renderer/src/lib/workers';

// The words the Workers page, the New-run form's "where" choice and the runs list use for the lab's machines.

const caps = (over: Partial<WorkerCapabilities> = {}): WorkerCapabilities => ({
  appVersion: '0.1.0', protocol: 1, backends: ['wasm'], gpu: null, cpu: 'Some CPU', cores: 8, memoryBytes: 16 * 1024 ** 3, hostname: 'box', ...over,
});

describe('a worker in words', () => {
  it('says what it trains on: backends, GPU or none, cores and memory in binary units', () => {
    expect(capabilityLine(caps())).toBe('wasm · no GPU · 8 cores · 16.0 GiB');
    expect(capabilityLine(caps({ backends: ['wasm', 'webgpu'], gpu: 'NVIDIA H200', memoryBytes: 1536 * 1024 ** 3 }))).toBe('wasm, webgpu · NVIDIA H200 · 8 cores · 1.5 TiB');
    expect(capabilityLine(caps({ backends: [] }))).toMatch(/^no backend/);
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(200 * 1024 ** 2)).toBe('200 MiB');
    expect(formatBytes(0)).toBe('—');
  });

  it('says when it was last seen relative to now, and keeps a time it cannot read', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const ago = (ms: number) => new Date(now - ms).toISOString();
    expect(lastSeenText(ago(1000), now)).toBe('just now');
    expect(lastSeenText(ago(12_000), now)).toBe('12 s ago');
    expect(lastSeenText(ago(3 * 60_000 + 5000), now)).toBe('3 min ago');
    expect(lastSeenText(ago(2 * 3_600_000), now)).toBe('2 h ago');
    // A clock a little ahead of ours is not "in the future".
    expect(lastSeenText(new Date(now + 3000).toISOString(), now)).toBe('just now');
    expect(lastSeenText('yesterday-ish', now)).toBe('yesterday-ish');
  });
});

describe('where a run trains', () => {
  it('names every value the contract accepts', () => {
    for (const w of ['local', 'any', 'gpu-box-2']) expect(WhereSchema.safeParse(w).success).toBe(true);
    expect(whereText('local')).toBe('this machine');
    expect(whereText(undefined)).toBe('this machine');
    expect(whereText('any')).toBe('any worker');
    expect(whereText('gpu-box-2')).toBe('gpu-box-2');
  });

  it('shows the machine a run ran on once known, else where it was sent', () => {
    expect(ranOnText({ where: 'any', ranOn: 'w1' })).toBe('w1');
    expect(ranOnText({ where: 'any', ranOn: null })).toBe('any worker');
    expect(ranOnText({ where: 'local', ranOn: null })).toBe('this machine');
  });

  it('offers other machines only to a coordinator, and says where to turn it on otherwise', () => {
    expect(whereUnavailableReason('coordinator')).toBeNull();
    expect(whereUnavailableReason('standalone')).toMatch(/Settings/);
    expect(whereUnavailableReason(null)).toMatch(/Let other machines help/);
    expect(whereUnavailableReason('worker')).toMatch(/coordinator/);
  });
});

describe("a run's open attempt", () => {
  it('trains, or waits for the worker it was sent to (a named one that died waits for it to come back)', () => {
    expect(openAttemptText('running', 'w1')).toBe('training');
    expect(openAttemptText('queued', 'w1')).toBe('waiting for w1');
    expect(openAttemptText('queued', 'any')).toBe('waiting for a free worker');
  });
});
