import type { Client } from '@temporalio/client';
import type { Db } from '../lib/db';
import { createMonitoringActivities } from './monitoring';
import type { Mailer } from '../lib/mailer';
import { createNotificationActivities, type NotificationOptions } from './notifications';
import { createReconcileActivities } from './reconcile';
import { createControlIndexActivities } from './control-index';
import { createFanOutActivities } from './fan-out';
import { createRecordActivities } from './record';

export interface ActivityDeps {
  db: Db;
  /** Absent where nothing is mailed (most tests): the dispatcher then only expands requests. */
  mailer?: Mailer;
  notifications?: NotificationOptions;
  /** For activities that start workflows (items opened from red indicators). */
  temporal?: Client;
}

const DEFAULT_NOTIFICATION_OPTIONS: NotificationOptions = {
  from: '督查督办系统 <duban@localhost>',
  publicUrl: 'http://127.0.0.1:3000',
};

/** Activities are built from their dependencies, so tests give them a real database of their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createRecordActivities(deps.db),
    ...createMonitoringActivities(deps.db, deps.temporal),
    ...createNotificationActivities(deps.db, deps.mailer, deps.notifications ?? DEFAULT_NOTIFICATION_OPTIONS),
    ...createReconcileActivities(deps.db, deps.temporal),
    ...createControlIndexActivities(deps.db),
    ...createFanOutActivities(deps.db),
  };
}

export type Activities = ReturnType<typeof createActivities>;
