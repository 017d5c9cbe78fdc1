/**
 * GPU faults on the webgpu backend, as one typed error the job reports.
 *
 * WebGPU does not throw where a GPU operation fails: a buffer over the device's limits, an out-of-memory or a
 * lost device arrive later, as an `uncapturederror` event or the `device.lost` promise, while tfjs carries on
 * with invalid buffers (reads then return garbage, or never finish). The backend records the first fault
 * here and every read checks it, so the step that hit it fails with this error instead of training on garbage
 * or hanging.
 */

export type GpuFaultKind = 'device-lost' | 'out-of-memory' | 'validation' | 'internal' | 'timeout';

export class GpuFaultError extends Error {
  readonly kind: GpuFaultKind;
  hint: string;
  /** The run's state on the GPU is gone or suspect: resume from the last checkpoint rather than continue. */
  readonly resumable = true;

  constructor(
    kind: GpuFaultKind,
    readonly detail: string,
  ) {
    super(`${GpuFaultError.headline(kind)} (${firstLine(detail)})`);
    this.name = 'GpuFaultError';
    this.kind = kind;
    this.hint = GpuFaultError.advice(kind);
  }

  /** The same fault, its hint saying which checkpoint a resume continues from (or that there is none yet). */
  withCheckpoint(path: string | null): GpuFaultError {
    const e = new GpuFaultError(this.kind, this.detail);
    const where = path
      ? `The last checkpoint is ${path}.`
      : 'No checkpoint was written yet (the first one is written at the end of the first epoch), so a resume starts the run over.';
    e.hint = `${this.hint} ${where}`;
    return e;
  }

  private static headline(kind: GpuFaultKind): string {
    switch (kind) {
      case 'device-lost':
        return 'The GPU device was lost during training (driver reset, GPU removed or hung), so the run stopped';
      case 'out-of-memory':
        // Not "out of memory": that wording routes to the wasm heap advice (errors.ts), which does not apply.
        return 'The GPU had no memory left for the training step, so the run stopped';
      case 'validation':
        return 'The GPU refused an operation of the training step (a tensor larger than the GPU allows, usually), so the run stopped';
      case 'timeout':
        return 'The GPU stopped answering during training, so the run stopped';
      default:
        return 'The GPU reported an internal error during training, so the run stopped';
    }
  }

  private static advice(kind: GpuFaultKind): string {
    const resume = 'Resume the run: it continues from its last checkpoint.';
    switch (kind) {
      case 'out-of-memory':
      case 'validation':
        return `Start a new run (clone this one) with a smaller batch size or channel count C, or choose the wasm backend; resuming with the same settings would fail again. ${resume.replace('Resume', 'Or resume')}`;
      case 'device-lost':
      case 'timeout':
        return `${resume} If it happens again, update the GPU driver or choose the wasm backend.`;
      default:
        return `${resume} If it happens again, choose the wasm backend and report the message.`;
    }
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]!.slice(0, 300);
}

/** Classifies a WebGPU error event's error (GPUOutOfMemoryError, GPUValidationError, GPUInternalError). */
export function faultFromGpuError(error: { message: string; constructor: { name: string } }): GpuFaultError {
  const name = error.constructor?.name ?? '';
  const kind: GpuFaultKind = /OutOfMemory/.test(name) ? 'out-of-memory' : /Validation/.test(name) ? 'validation' : 'internal';
  return new GpuFaultError(kind, error.message);
}

/** The first fault of the current device; later ones are consequences of it. */
export class FaultLatch {
  private fault: GpuFaultError | null = null;

  record(f: GpuFaultError): void {
    this.fault ??= f;
  }

  get current(): GpuFaultError | null {
    return this.fault;
  }

  /** Throws the recorded fault, if any. */
  check(): void {
    if (this.fault) throw this.fault;
  }
}
