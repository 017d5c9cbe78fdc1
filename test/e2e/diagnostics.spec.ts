import { describe, expect, test } from 'vitest';
import { e2eSession, importDemo, openPage, tid } from './browser';

// The GPU doctor and the New-run pre-flight in Chromium against the real headless server, whose probes run in
// real trainer processes: Diagnostics lists every backend with why it does or does not load here (no native
// TensorFlow, no GPU adapter: wasm is auto's choice); the pre-flight names the backend, measures a small
// config's time per epoch, and flags batch 1024, C = 256, N = 30 before it starts, with Start disabled.
// Screenshots (1280 px wide): test-artifacts/e2e/diagnostics-*.png.

describe('e2e: Diagnostics and the New-run pre-flight', () => {
  const session = e2eSession('nas-e2e-diagnostics-', importDemo);

  test('Diagnostics lists each backend, whether it loads and why not, with the fix', { timeout: 120_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.goto(`${session.server.url.split('#')[0]}#/runs`);
    await page.click(tid('nav-diagnostics'));
    await page.waitForURL(/#\/diagnostics$/);
    await page.locator(tid('diagnostics-chosen')).waitFor({ timeout: 60_000 });

    const verdict = await session.server.call('system.backends', {});
    await expect(page.locator(tid('diagnostics-chosen')).textContent()).resolves.toBe(verdict.chosen);
    expect(verdict.chosen).toBe('wasm');
    for (const r of verdict.backends) {
      const card = page.locator(tid(`diagnostics-backend-${r.name}`));
      await expect(card.locator(tid('diagnostics-status')).textContent()).resolves.toMatch(r.loads ? /^loads/ : /does not load/);
      if (r.reason) await expect(card.locator(tid('diagnostics-reason')).textContent()).resolves.toBe(r.reason);
      if (r.fix) await expect(card.locator(tid('diagnostics-fix')).textContent()).resolves.toBe(r.fix);
    }
    await expect(page.locator(`${tid('diagnostics-backend-tensorflow')} ${tid('diagnostics-reason')}`).textContent()).resolves.toMatch(/not installed/);
    await expect(page.locator(`${tid('diagnostics-backend-webgpu')} ${tid('diagnostics-reason')}`).textContent()).resolves.toMatch(/adapter|driver/i);
    await shot('diagnostics-01-backends');

    // Run probe again: measured anew (a later time), same choice.
    await page.click(tid('diagnostics-probe'));
    await page.locator(`${tid('diagnostics-probe')}:not([disabled])`).waitFor({ timeout: 60_000 });
    const again = await session.server.call('system.backends', {});
    expect(again.measuredAt > verdict.measuredAt).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  test('the pre-flight measures a small config and flags one that cannot fit, with Start disabled', { timeout: 180_000 }, async () => {
    const { page, shot, pageErrors } = await openPage(session.browser);
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.goto(`${session.server.url.split('#')[0]}#/new`);
    await page.locator(tid('new-run-form')).waitFor();
    await page.locator(`${tid('new-run-dataset')} option:checked:not([value=""])`).waitFor({ state: 'attached' });

    // The backend select: backends that do not load are listed, disabled, and say why.
    await expect(page.locator(tid('new-run-backend-tensorflow')).isDisabled()).resolves.toBe(true);
    await expect(page.locator(tid('new-run-backend-webgpu')).isDisabled()).resolves.toBe(true);
    await expect(page.locator(tid('new-run-backend-wasm')).isDisabled()).resolves.toBe(false);
    await expect(page.locator(tid('new-run-backend-unavailable')).textContent()).resolves.toMatch(/tensorflow \(Native TensorFlow is not installed\)/);

    // A small config: the backend auto resolves to and a measured time per epoch.
    await page.fill(tid('new-run-channels'), '4');
    await page.fill(tid('new-run-cells'), '1');
    await page.fill(tid('new-run-batch-size'), '16');
    await page.fill(tid('new-run-train-limit'), '200');
    const preflight = page.locator(tid('new-run-preflight'));
    await expect(preflight.locator(tid('new-run-preflight-epoch-time')).textContent()).resolves.toMatch(/measuring…|—|≈/);
    await preflight.locator(`${tid('new-run-preflight-epoch-time')}:text-matches("ms per step")`).waitFor({ timeout: 90_000 });
    await expect(preflight.locator(tid('new-run-preflight-backend')).textContent()).resolves.toMatch(/^wasm/);
    await expect(preflight.locator(tid('new-run-preflight-epoch-time')).textContent()).resolves.toMatch(/≈ [\d.]+ (s|min|h) \(\d+ ms per step × 7 steps\)/);
    await expect(preflight.locator(tid('new-run-preflight-memory')).textContent()).resolves.toMatch(/of 4\.0 GB/);
    await expect(preflight.locator(tid('new-run-preflight-why')).textContent()).resolves.toMatch(/auto picks wasm/);
    await expect(page.locator(tid('new-run-start')).isDisabled()).resolves.toBe(false);
    await shot('diagnostics-02-preflight-small');

    // The new user's trial: batch 1024, C = 256, N = 30 is flagged before it starts.
    await page.fill(tid('new-run-channels'), '256');
    await page.fill(tid('new-run-cells'), '30');
    await page.fill(tid('new-run-batch-size'), '1024');
    await preflight.locator(tid('new-run-preflight-blocked')).waitFor({ timeout: 90_000 });
    await expect(preflight.locator(tid('new-run-preflight-memory')).textContent()).resolves.toMatch(/does not fit \((largest batch that fits: \d+|no batch fits at this C and N; largest C that fits at batch 16: \d+)\)/);
    await expect(preflight.locator(tid('new-run-preflight-blocked')).textContent()).resolves.toMatch(/Will not fit in memory: batch 1024, C = 256, N = 30 needs about [\d.]+ GB, more than the wasm backend's 4\.0 GB.*the largest C that fits is \d+ at batch 16, with N = 30/);
    await expect(page.locator(tid('new-run-start')).isDisabled()).resolves.toBe(true);
    await page.locator(tid('new-run-start-blocked')).waitFor();
    await shot('diagnostics-03-preflight-too-big');

    // Batch alone too big: the largest batch that fits is named, and it does fit.
    await page.fill(tid('new-run-channels'), '16');
    await page.fill(tid('new-run-cells'), '2');
    await page.fill(tid('new-run-batch-size'), '1024');
    await page.selectOption(tid('new-run-recompute'), 'off');
    await preflight.locator(`${tid('new-run-preflight-memory')}:text-matches("largest batch that fits: \\\\d+")`).waitFor({ timeout: 90_000 });
    const largest = Number(/largest batch that fits: (\d+)/.exec((await preflight.locator(tid('new-run-preflight-memory')).textContent()) ?? '')![1]);
    expect(largest).toBeGreaterThanOrEqual(2);
    expect(largest).toBeLessThan(1024);
    await shot('diagnostics-04-preflight-largest-batch');
    await page.fill(tid('new-run-batch-size'), String(largest));
    await preflight.locator(`${tid('new-run-preflight-memory')}:not(.bad):text-matches("of 4.0 GB")`).waitFor({ timeout: 90_000 });
    await expect(page.locator(tid('new-run-start')).isDisabled()).resolves.toBe(false);

    // Invalid values never reach the plan: the problem is listed instead.
    await page.fill(tid('new-run-seed'), '-1');
    await preflight.locator(tid('new-run-preflight-invalid')).waitFor();
    await expect(preflight.locator(tid('new-run-preflight-invalid')).textContent()).resolves.toMatch(/Seed/);
    await expect(preflight.textContent()).resolves.not.toMatch(/-1/);
    expect(pageErrors).toEqual([]);
  });
});
