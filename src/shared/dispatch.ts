import { z } from 'zod';

// Runs dispatched to other machines through BullMQ on Redis (ARCHITECTURE §7, issue 13). The coordinator's
// SQLite stays the only source of truth: workers never touch it; they run jobs in the same trainer process
// the app uses locally and stream events back on a Redis stream per run.

/** Version of the coordinator ↔ worker protocol: a worker refuses jobs of another protocol or app version. */
export const DISPATCH_PROTOCOL_VERSION = 1;

/** Where a run trains: this machine, any worker of the lab, or a named worker. */
export const WhereSchema = z.union([z.literal('local'), z.literal('any'), z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'a worker name: letters, digits, dot, dash, underscore')]);
export type Where = z.infer<typeof WhereSchema>;

export const WorkerCapabilitiesSchema = z.object({
  appVersion: z.string(),
  protocol: z.number().int(),
  /** Backends that load on the worker, e.g. ['wasm', 'webgpu']. */
  backends: z.array(z.string()),
  /** GPU adapter or device, in words; null when none. */
  gpu: z.string().nullable(),
  cpu: z.string(),
  cores: z.number().int(),
  memoryBytes: z.number(),
  hostname: z.string(),
});
export type WorkerCapabilities = z.infer<typeof WorkerCapabilitiesSchema>;

export const WorkerStateSchema = z.enum(['idle', 'busy', 'offline', 'refused', 'revoked']);
export const WorkerInfoSchema = z.object({
  name: z.string(),
  state: WorkerStateSchema,
  capabilities: WorkerCapabilitiesSchema,
  /** The run it trains now, if any. */
  runId: z.number().int().nullable(),
  lastSeen: z.string(),
  /** Why the worker is refused (e.g. another app version), in words; null otherwise. */
  problem: z.string().nullable(),
  /** The Redis user it logs in as (its join code's); what "revoke" switches off. */
  user: z.string().nullable().optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

/** One dispatch of a run: attempt 2 is the resume on another worker after the first one died or was cut off. */
export const RunAttemptSchema = z.object({
  attempt: z.number().int().min(1),
  /** Worker name, or 'local'. */
  worker: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** How it ended: completed, paused, cancelled, failed, lost (worker died or cut off), or null while running. */
  outcome: z.string().nullable(),
  /** Epoch of the checkpoint it resumed from; null for a fresh start. */
  resumedFromEpoch: z.number().int().nullable(),
  note: z.string().nullable(),
});
export type RunAttempt = z.infer<typeof RunAttemptSchema>;

/** What a worker needs to join: shown once by the coordinator as a code the user pastes. */
export const JoinCodeSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  secret: z.string(),
  /** SHA-256 fingerprint of the coordinator's CA certificate (TLS pinning); null for a plain loopback/lab set-up. */
  caFingerprint: z.string().nullable(),
  /** The coordinator's file server (datasets and checkpoints by sha256). */
  filesUrl: z.string(),
});
export type JoinCode = z.infer<typeof JoinCodeSchema>;

export const DispatchStatusSchema = z.object({
  role: z.enum(['standalone', 'coordinator', 'worker']),
  /** Coordinator: the Redis it uses, without credentials. */
  redis: z.string().nullable(),
  /** Coordinator: the join code (base64url of a JoinCode) for the next worker; null otherwise. */
  joinCode: z.string().nullable(),
  workers: z.array(WorkerInfoSchema),
  problem: z.string().nullable(),
});
export type DispatchStatus = z.infer<typeof DispatchStatusSchema>;
