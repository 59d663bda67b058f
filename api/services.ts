import type { Client } from '@temporalio/client';
import { shanghaiDate } from '../domain/calendar';
import type { Db } from '../lib/db';

/** What the API's routes, services and reads are given: one Prisma client, one Temporal client, and settings. */
export interface Services {
  db: Db;
  temporal: Client;
  taskQueue: string;
  maxDeclines: number;
  /** How long an API call waits on Temporal before answering 503. */
  temporalTimeoutMs: number;
  /** The clock for "today" (overdue days, ledgers); tests on a time-skipping server pass theirs. */
  now?: () => number;
}

/** Today in Asia/Shanghai by the services' clock. */
export function today(s: Pick<Services, 'now'>): string {
  return shanghaiDate(s.now?.() ?? Date.now());
}
