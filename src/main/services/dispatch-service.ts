import type { PushEvent } from '../../shared/api';
import type { DispatchStatus, WorkerInfo } from '../../shared/dispatch';
import type { RemoteRuns } from '../runs/run-manager';
import { UserError } from '../app-errors';

// This app's part in a lab, for the Settings and Workers pages (issue 13): standalone, the coordinator
// ("Let other machines help": Redis here or the lab's own, a join code, the workers it sees) or a worker
// ("Join a lab"). One role at a time; the dispatch modules do the work (src/main/dispatch), this service keeps
// the role, refuses a second one with what to do, and answers the status in the contract's shape.

/** A running coordinator: the queue's Redis, the code the next worker joins with, the workers it sees. */
export interface CoordinatorSession {
  /** The Redis it uses, without credentials (redis://127.0.0.1:6390). */
  readonly redis: string;
  /** base64url of a JoinCode for the next worker; null when workers join with a Redis URL instead. */
  joinCode(): string | null;
  workers(): Promise<WorkerInfo[]>;
  /** What is wrong right now (Redis unreachable…), in words; null when all is well. */
  problem(): string | null;
  stop(): Promise<void>;
  /**
   * Switches the worker's Redis user off and drops its connections: it stops at once (its run moves to another
   * worker) and its join code no longer works. Absent where the lab's Redis is not NAS Studio's.
   */
  revokeWorker?(name: string): Promise<void>;
  /** Where runs sent to the lab go (the run manager hands them over) and the live events their streams bring. */
  readonly dispatcher?: RemoteRuns & { onPush(listener: (e: PushEvent) => void): () => void };
}

/** This app working for another coordinator. */
export interface WorkerSession {
  readonly redis: string;
  readonly name: string;
  problem(): string | null;
  stop(): Promise<void>;
}

/** How the roles start: built by the composition root from the dispatch modules. */
export interface LabRoles {
  startCoordinator(o: { redis?: string }): Promise<CoordinatorSession>;
  joinLab(o: { code: string; name: string }): Promise<WorkerSession>;
}

type Role = { kind: 'standalone' } | { kind: 'coordinator'; session: CoordinatorSession } | { kind: 'worker'; session: WorkerSession };

export class DispatchService {
  private role: Role = { kind: 'standalone' };
  /** Set while a role starts or stops, so a double click cannot start two. */
  private changing: Promise<unknown> | null = null;
  /** Why the last start failed, shown on the page until the next attempt. */
  private lastProblem: string | null = null;

  /** `onCoordinator`: told when a coordinator starts (the run manager sends remote runs to it) and stops (null). */
  constructor(
    private readonly roles: LabRoles | null,
    private readonly onCoordinator: (session: CoordinatorSession | null) => void = () => {},
  ) {}

  get coordinator(): CoordinatorSession | null {
    return this.role.kind === 'coordinator' ? this.role.session : null;
  }

  async status(): Promise<DispatchStatus> {
    const r = this.role;
    if (r.kind === 'standalone') return { role: 'standalone', redis: null, joinCode: null, workers: [], problem: this.lastProblem };
    if (r.kind === 'worker') return { role: 'worker', redis: r.session.redis, joinCode: null, workers: [], problem: r.session.problem() };
    let workers: WorkerInfo[] = [];
    let problem = r.session.problem();
    try {
      workers = await r.session.workers();
    } catch (err) {
      problem ??= `Cannot read the workers from Redis at ${r.session.redis}: ${(err as Error).message}`;
    }
    return { role: 'coordinator', redis: r.session.redis, joinCode: r.session.joinCode(), workers, problem };
  }

  async workers(): Promise<WorkerInfo[]> {
    const c = this.coordinator;
    return c ? c.workers() : [];
  }

  async revokeWorker(name: string): Promise<DispatchStatus> {
    const c = this.coordinator;
    if (!c) throw new UserError('This app coordinates no lab, so it has no worker to revoke.', 'Revoke workers on the coordinator of their lab.');
    if (!c.revokeWorker) {
      throw new UserError(
        `The lab's Redis at ${c.redis} is not run by NAS Studio, so it cannot switch a worker's user off.`,
        "Switch the worker's Redis user off on that server (ACL SETUSER <user> off) and stop the worker.",
      );
    }
    await c.revokeWorker(name);
    return this.status();
  }

  async startCoordinator(o: { redis?: string }): Promise<DispatchStatus> {
    if (this.role.kind === 'coordinator') return this.status();
    if (this.role.kind === 'worker') throw new UserError('This app works for a lab, so it cannot coordinate one too.', 'Leave the lab under Settings → Join a lab first.');
    const roles = this.need();
    await this.change(async () => {
      const session = await roles.startCoordinator(o).catch((err: unknown) => this.failed(err));
      this.role = { kind: 'coordinator', session };
      this.onCoordinator(session);
    });
    return this.status();
  }

  async join(o: { code: string; name: string }): Promise<DispatchStatus> {
    if (this.role.kind === 'worker') throw new UserError(`This app already works for the lab at ${this.role.session.redis} as ${this.role.session.name}.`, 'Leave that lab first.');
    if (this.role.kind === 'coordinator') throw new UserError('This app coordinates a lab, so it cannot join another one.', 'Stop coordinating under Settings → Let other machines help first.');
    const roles = this.need();
    await this.change(async () => {
      const session = await roles.joinLab(o).catch((err: unknown) => this.failed(err));
      this.role = { kind: 'worker', session };
    });
    return this.status();
  }

  /** Back to standalone. Runs already sent to workers keep their rows; they continue when coordinating again. */
  async stop(): Promise<DispatchStatus> {
    const r = this.role;
    if (r.kind !== 'standalone') {
      await this.change(async () => {
        // Runs sent to workers stay queued or running in the history; coordinating again picks them up.
        if (r.kind === 'coordinator') this.onCoordinator(null);
        await r.session.stop();
        this.role = { kind: 'standalone' };
      });
    }
    this.lastProblem = null;
    return this.status();
  }

  async close(): Promise<void> {
    if (this.changing) await this.changing.catch(() => undefined);
    if (this.role.kind === 'coordinator') this.onCoordinator(null);
    if (this.role.kind !== 'standalone') await this.role.session.stop().catch(() => undefined);
    this.role = { kind: 'standalone' };
  }

  private need(): LabRoles {
    if (!this.roles) throw new UserError('This build cannot dispatch runs to other machines.', 'Use the desktop app or `nas-studio serve`, which include the lab modules.');
    return this.roles;
  }

  private async change(step: () => Promise<void>): Promise<void> {
    if (this.changing) throw new UserError('The lab setting is still changing.', 'Wait a moment and try again.');
    this.lastProblem = null;
    const p = step();
    this.changing = p;
    try {
      await p;
    } finally {
      this.changing = null;
    }
  }

  /** The lab modules explain what went wrong (a bad code, a port in use, no redis-server) with a hint: those
   * are the user's to fix, so they answer as such instead of as a server fault. */
  private failed(err: unknown): never {
    this.lastProblem = err instanceof Error ? err.message : String(err);
    if (err instanceof Error && !(err instanceof UserError) && 'hint' in err) {
      const hint = (err as { hint?: unknown }).hint;
      throw new UserError(err.message, typeof hint === 'string' ? hint : undefined);
    }
    throw err;
  }
}
