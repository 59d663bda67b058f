/** Today's date (YYYY-MM-DD) in Asia/Shanghai, where every deadline of this domain is kept. */
export function todayInShanghai(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
