/**
 * Gradient registration for tfjs-core used without the `@tensorflow/tfjs` umbrella package.
 *
 * tfjs-core's Node entry (dist/tf-core.node.js) contains no gradient functions: they live only in its ESM
 * tree (dist/register_all_gradients.js and dist/gradients/*), which the umbrella package normally imports.
 * That tree uses extensionless relative imports, which Node's ESM loader rejects, so under plain Node we add a
 * tiny resolve hook (module.register) that appends ".js" to relative imports made from inside
 * @tensorflow/tfjs-core/dist/. Under a bundler or vitest the import is transformed and the hook is unused.
 * The ESM copy shares the engine and the kernel/gradient registries with the CJS copy (tfjs keeps them on
 * globalThis), so the registered gradients apply to every tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nodeModule from 'node:module';

const HOOKS = `export async function resolve(specifier, context, next) {
  if (context.parentURL && context.parentURL.includes('/@tensorflow/tfjs-core/dist/') &&
      specifier.startsWith('.') && !specifier.endsWith('.js')) {
    try { return await next(specifier + '.js', context); } catch {}
  }
  return next(specifier, context);
}`;

let hookRegistered = false;
let done: Promise<void> | null = null;
const afterLoad: Array<() => void> = [];

/** Run `fn` now if gradients are loaded, and again after they load (to re-apply gradient overrides). */
export function onGradientsLoaded(fn: () => void): void {
  afterLoad.push(fn);
  fn();
}

function registerHook(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const register = (nodeModule as { register?: (url: string) => void }).register;
  if (typeof register === 'function') {
    try {
      register('data:text/javascript,' + encodeURIComponent(HOOKS));
    } catch {
      // Not supported in this runtime (e.g. a bundle that inlines the gradients): the import below may still work.
    }
  }
}

/** Make sure tfjs-core's gradient functions are registered (idempotent). */
export function ensureGradientsRegistered(): Promise<void> {
  if (!done) {
    done = (async () => {
      // A Sum gradient is registered by register_all_gradients; if present, someone already loaded them.
      if (!tf.getGradient(tf.Sum)) {
        registerHook();
        const spec = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
        await import(/* @vite-ignore */ spec);
        if (!tf.getGradient(tf.Sum)) throw new Error('tfjs-core gradients could not be registered');
      }
      for (const fn of afterLoad) fn();
    })();
    done.catch(() => {
      done = null;
    });
  }
  return done;
}
