/** Polls `fn` until it returns something, for work that lands after the call that started it. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
