import type { Db } from '../lib/db';
import { createRecordActivities } from './record';

export interface ActivityDeps {
  db: Db;
}

/** Activities are built from their dependencies, so tests give them a real database of their own. */
export function createActivities(deps: ActivityDeps) {
  return { ...createRecordActivities(deps.db) };
}

export type Activities = ReturnType<typeof createActivities>;
