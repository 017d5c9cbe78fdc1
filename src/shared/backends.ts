import { z } from 'zod';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
/** A concrete engine backend (what `auto` resolves to). */
export type BackendName = Exclude<BackendChoice, 'auto'>;
export const BACKEND_NAMES = BACKENDS.filter((b): b is BackendName => b !== 'auto');

// What the backend doctor (Diagnostics page, `nas-studio doctor`) and the New-run form know about each
// backend on this machine. Produced in a trainer process (loading a backend is process-wide in tfjs).

export const GpuAdapterSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** A software or fallback adapter (e.g. SwiftShader): correct but slow; `auto` never picks it. */
  isFallbackAdapter: z.boolean(),
  /** Largest single GPU buffer in bytes (bounds the biggest tensor). */
  maxBufferSize: z.number(),
  maxStorageBufferBindingSize: z.number(),
});
export type GpuAdapter = z.infer<typeof GpuAdapterSchema>;

export const BackendReportSchema = z.object({
  name: z.enum(BACKEND_NAMES as unknown as [BackendName, ...BackendName[]]),
  /** Initialised in a trainer process on this machine. */
  loads: z.boolean(),
  /** e.g. "GPU (NVIDIA RTX 4090 via WebGPU/Vulkan)", "CPU (WebAssembly, SIMD)"; null when it does not load. */
  device: z.string().nullable(),
  adapter: GpuAdapterSchema.nullable(),
  /** Why it does not load, or its caveat when it does (software adapter…), in plain words; null when none. */
  reason: z.string().nullable(),
  /** What the user can do about `reason`; null when nothing. */
  fix: z.string().nullable(),
  /** Whether `auto` may pick it (false for the plain-JS cpu backend and software adapters). */
  eligibleForAuto: z.boolean(),
  /** Median training-step time of the probe's small supernet (ms); null when not probed or it does not load. */
  probeStepMs: z.number().nullable(),
  /** Memory the backend can give one run, in bytes (wasm heap ceiling, GPU buffer limits); null when unknown. */
  memoryLimitBytes: z.number().nullable(),
});
export type BackendReport = z.infer<typeof BackendReportSchema>;

export const BackendVerdictSchema = z.object({
  /** Hash of what decides the verdict: CPU model and cores, memory, OS, Node and app versions, installed backend packages, GPU adapters. */
  fingerprint: z.string(),
  measuredAt: z.string(),
  /** What `auto` resolves to on this machine. */
  chosen: z.enum(BACKEND_NAMES as unknown as [BackendName, ...BackendName[]]),
  /** Why, in one sentence (e.g. "fastest of the backends that load: webgpu 41 ms/step, wasm 310 ms/step"). */
  why: z.string(),
  backends: z.array(BackendReportSchema),
});
export type BackendVerdict = z.infer<typeof BackendVerdictSchema>;
