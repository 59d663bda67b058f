/**
 * Monitoring periods ("2026-10", "2026-Q3"): which one a cycle opened on a day reports on, and
 * its last day. No runtime import, so the console can use it too.
 */

export type Frequency = 'monthly' | 'quarterly';

/** The period a cycle opened on `date` (YYYY-MM-DD) reports on: the month, or quarter, before it. */
export function periodFor(date: string, frequency: Frequency): { period: string; year: number; end: string } {
  const [y, m] = date.split('-').map(Number) as [number, number];
  if (frequency === 'monthly') {
    const py = m === 1 ? y - 1 : y;
    const pm = m === 1 ? 12 : m - 1;
    return { period: `${py}-${String(pm).padStart(2, '0')}`, year: py, end: lastDay(py, pm) };
  }
  const q = Math.floor((m - 1) / 3); // this quarter, 0-based
  const py = q === 0 ? y - 1 : y;
  const pq = q === 0 ? 4 : q;
  return { period: `${py}-Q${pq}`, year: py, end: lastDay(py, pq * 3) };
}

/** The last day of a period: "2026-03" or "2026-Q1". */
export function periodEnd(period: string): string {
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  const [y, m] = q ? [Number(q[1]), Number(q[2]) * 3] : (period.split('-').map(Number) as [number, number]);
  return lastDay(y, m);
}

function lastDay(y: number, m: number): string {
  const d = new Date(Date.UTC(y, m, 0));
  return d.toISOString().slice(0, 10);
}
