/**
 * Lets the browser breathe: resolves in a new task, so the work after it does not join the task
 * before it. Observable runs every cell that a value unblocks in one task; a page that draws many
 * charts at once would otherwise freeze for seconds (a "long task" over 200 ms).
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as {scheduler?: {yield?: () => Promise<void>}}).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}
