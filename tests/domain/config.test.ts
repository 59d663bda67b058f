/**
 * The config schema holds every setting, and the one composition root (app/compose.ts) carries
 * them to the API and the worker, whichever process builds them: the production API and worker
 * and the embedded default (scripts/dev.ts) call the same functions tested here.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundle } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { apiServices, workerOptions } from '../../app/compose';
import { DEFAULT_TEMPORAL_TIMEOUT_MS, loadConfig } from '../../lib/config';
import type { Db } from '../../lib/db';

const deps = {
  connection: {} as NativeConnection,
  db: {} as Db,
  temporal: {} as Client,
  workflowBundle: { code: '' } as WorkflowBundle,
};

describe('config', () => {
  it('has defaults for the Temporal timeout and the embedded default’s ports', () => {
    const c = loadConfig({});
    expect(DEFAULT_TEMPORAL_TIMEOUT_MS).toBe(15_000);
    expect(c.TEMPORAL_TIMEOUT_MS).toBe(DEFAULT_TEMPORAL_TIMEOUT_MS);
    expect(c.PG_PORT).toBe(54329);
    expect(c.TEMPORAL_PORT).toBe(7233);
    expect(c.TEMPORAL_UI_PORT).toBe(8233);
    expect(c.SMTP_SINK_PORT).toBe(2525);
  });

  it('reads them from the environment; the UI port follows the Temporal port unless set', () => {
    const c = loadConfig({
      TEMPORAL_TIMEOUT_MS: '30000',
      PG_PORT: '5432',
      TEMPORAL_PORT: '7300',
      SMTP_SINK_PORT: '2600',
    });
    expect(c).toMatchObject({ TEMPORAL_TIMEOUT_MS: 30_000, PG_PORT: 5432, TEMPORAL_PORT: 7300, SMTP_SINK_PORT: 2600 });
    expect(c.TEMPORAL_UI_PORT).toBe(8300);
    expect(loadConfig({ TEMPORAL_PORT: '7300', TEMPORAL_UI_PORT: '9000' }).TEMPORAL_UI_PORT).toBe(9000);
  });

  it('stops on a bad value, naming the variable', () => {
    expect(() => loadConfig({ TEMPORAL_TIMEOUT_MS: 'soon' })).toThrow(/TEMPORAL_TIMEOUT_MS/);
    expect(() => loadConfig({ TEMPORAL_TIMEOUT_MS: '10' })).toThrow(/TEMPORAL_TIMEOUT_MS/);
    expect(() => loadConfig({ PG_PORT: '70000' })).toThrow(/PG_PORT/);
    expect(() => loadConfig({ TEMPORAL_PORT: 'x' })).toThrow(/TEMPORAL_PORT/);
    expect(() => loadConfig({ TEMPORAL_UI_PORT: '-1' })).toThrow(/TEMPORAL_UI_PORT/);
    expect(() => loadConfig({ SMTP_SINK_PORT: '25.5' })).toThrow(/SMTP_SINK_PORT/);
  });
});

describe('composition root', () => {
  it('gives the API the configured Temporal timeout, queue and decline limit', () => {
    const c = loadConfig({ TEMPORAL_TIMEOUT_MS: '20000', TEMPORAL_TASK_QUEUE: 'q1', MAX_DECLINES: '3' });
    expect(apiServices(c, deps)).toMatchObject({ temporalTimeoutMs: 20_000, taskQueue: 'q1', maxDeclines: 3 });
    expect(apiServices(loadConfig({}), deps).temporalTimeoutMs).toBe(DEFAULT_TEMPORAL_TIMEOUT_MS);
  });

  it('gives every worker, the embedded default’s included, NOTIFY_STALE_SENDING_MS', () => {
    expect(workerOptions(loadConfig({}), deps).notifications?.staleSendingMs).toBe(120_000);
    const c = loadConfig({
      NOTIFY_STALE_SENDING_MS: '30000',
      MAIL_FROM: 'x <x@example.org>',
      PUBLIC_URL: 'https://duban.example.org',
    });
    expect(workerOptions(c, deps).notifications).toEqual({
      from: 'x <x@example.org>',
      publicUrl: 'https://duban.example.org',
      staleSendingMs: 30_000,
    });
  });

  it('passes the queue, namespace, cache size and worker version through', () => {
    const c = loadConfig({
      TEMPORAL_NAMESPACE: 'ns',
      TEMPORAL_TASK_QUEUE: 'q2',
      WORKER_MAX_CACHED_WORKFLOWS: '50',
      WORKER_DEPLOYMENT_NAME: 'duban',
      WORKER_BUILD_ID: 'v2',
    });
    expect(workerOptions(c, deps)).toMatchObject({
      namespace: 'ns',
      taskQueue: 'q2',
      maxCachedWorkflows: 50,
      deployment: { name: 'duban', buildId: 'v2' },
    });
    expect(workerOptions(loadConfig({}), deps).deployment).toBeUndefined();
  });
});
