// What an empty panel says. While a run can still produce data it says when the data arrives; once the run
// has stopped (a failure before the first epoch, a cancel) "yet" would promise data that never comes.

const STOPPED = new Set(['completed', 'failed', 'cancelled']);

export const NEVER_RECORDED = 'Nothing recorded: the run stopped before producing this.';

export function emptyText(status: string | undefined, waiting: string): string {
  return status && STOPPED.has(status) ? NEVER_RECORDED : waiting;
}
