/**
 * Dawn's Node binding (npm `webgpu`) as the process's WebGPU: loaded on demand, so runs on other backends never
 * touch Dawn (see shared/ENGINE.md "WebGPU in Node").
 *
 * Two things tfjs's WebGPU backend needs that Node does not give it:
 * - the WebGPU globals (GPUBufferUsage…) and `navigator.gpu`, before the backend module is evaluated;
 * - synchronous reads. tfjs reads a GPU tensor synchronously (dataSync) through OffscreenCanvas, which Node lacks,
 *   and the engine reads scalars synchronously inside its training step. Dawn finishes a mapAsync only when its
 *   event pump runs, and it schedules that pump with `setImmediate`; `pumpUntil` runs the pump in a loop on the
 *   spot instead of waiting for the event loop, which turns a mapAsync into a synchronous read.
 */

// The slices of the WebGPU API used here (the app's tsconfig does not load the DOM's WebGPU types).
export interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxStorageBuffersPerShaderStage: number;
  [name: string]: number;
}
export interface GpuAdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
export interface GpuDeviceLike {
  lost: Promise<{ reason: string; message: string }>;
  onuncapturederror: ((e: { error: { message: string; constructor: { name: string } } }) => void) | null;
  destroy(): void;
  features: { has(name: string): boolean };
}
export interface GpuAdapterLike {
  info: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  limits: GpuLimits;
  features: { has(name: string): boolean };
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

type Immediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

let gpuPromise: Promise<GpuLike> | null = null;

/** Dawn's GPU object, with the WebGPU globals installed. Loads the native module on first call. */
export function dawnGpu(): Promise<GpuLike> {
  gpuPromise ??= (async () => {
    const { create, globals } = (await import('webgpu')) as unknown as { create(flags: string[]): GpuLike; globals: object };
    Object.assign(globalThis, globals);
    installPump();
    const gpu = create([]);
    // Node 21+ defines `navigator` as a getter-only global: redefine it rather than assign into it.
    const existing = (globalThis as { navigator?: object }).navigator;
    Object.defineProperty(globalThis, 'navigator', {
      value: Object.assign(Object.create(existing ?? null) as object, { gpu }),
      configurable: true,
      writable: true,
    });
    return gpu;
  })();
  gpuPromise.catch(() => (gpuPromise = null));
  return gpuPromise;
}

// Dawn's pump is a native function it passes to setImmediate with no arguments; a wrapper sees each one.
let latestPump: (() => void) | null = null;
let heldPump: (() => void) | null = null;
let pumping = false;
let realPending = 0;
let installed = false;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function isDawnPump(fn: unknown, args: unknown[]): fn is () => void {
  return typeof fn === 'function' && args.length === 0 && Function.prototype.toString.call(fn).includes('[native code]');
}

function installPump(): void {
  if (installed) return;
  installed = true;
  const real = globalThis.setImmediate as unknown as Immediate;
  const schedule = (fn: () => void) => {
    realPending++;
    return real(() => {
      realPending--;
      fn();
    });
  };
  const wrapped: Immediate = (fn, ...args) => {
    if (!isDawnPump(fn, args)) return real(fn, ...args);
    latestPump = fn;
    // While pumping by hand the pump is held, not queued: queuing every re-schedule would leave one more
    // endless pump loop on the event loop per synchronous read.
    if (pumping) {
      heldPump = fn;
      return undefined;
    }
    return schedule(fn);
  };
  // Keep what other code may read off setImmediate (promisify's custom symbol).
  Object.assign(wrapped, real);
  globalThis.setImmediate = wrapped as unknown as typeof globalThis.setImmediate;
  releaseHeld = () => {
    const fn = heldPump;
    heldPump = null;
    // Dawn believes its pump is queued; make that true unless an earlier real one is still waiting.
    if (fn && realPending === 0) schedule(fn);
  };
}
let releaseHeld: () => void = () => {};

/**
 * Run Dawn's event pump synchronously until `done()` holds; throws after `timeoutMs` (a GPU that stopped
 * answering must not hang the process). Work started inside `start` (e.g. a mapAsync) has its pump held here.
 */
export function pumpUntil(start: () => void, done: () => boolean, timeoutMs: number): void {
  if (pumping) throw new Error('pumpUntil is not reentrant');
  pumping = true;
  try {
    start();
    const started = Date.now();
    const deadline = started + timeoutMs;
    while (!done()) {
      const fn = heldPump ?? latestPump;
      heldPump = null;
      if (!fn) throw new Error('Dawn has not started its event pump: no WebGPU device is active.');
      fn();
      if (done()) break;
      // Spin briefly (a real GPU answers within microseconds), then sleep between polls: a spinning main
      // thread would take a core from the driver's own threads (all of the GPU's work on a software adapter).
      if (Date.now() - started > 2) Atomics.wait(sleeper, 0, 0, 1);
      if (Date.now() > deadline) {
        throw new Error(`The GPU did not answer a read within ${Math.round(timeoutMs / 1000)} s.`);
      }
    }
  } finally {
    pumping = false;
    releaseHeld();
  }
}
