import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { Db } from '../../lib/db';
import { leadA, supervisor, verifier } from '../support/actors';
import { type ApiStack, bearer, dbFingerprint, startApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
let db: Db;
let app: App;
const taskQueue = uniqueTaskQueue('lists');

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  ({ db, app } = stack);
});

afterAll(() => stack?.close());

const row = (title: string, extra: Record<string, unknown> = {}) => ({
  title,
  leadUnitId: 'unit-a',
  dueDate: DUE,
  category: 'inspection',
  ...extra,
});

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('problem lists (问题清单)', () => {
  it('imports nothing when one row is bad, and names the row and the field', async () => {
    const before = await dbFingerprint(db);
    const res = await app.inject({
      method: 'POST',
      url: '/api/problem-lists',
      headers: bearer(supervisor),
      payload: {
        title: '专项督查问题清单',
        items: [row('问题一'), row('问题二', { dueDate: '2026-13-01' }), row('问题三', { leadUnitId: '不存在的局' })],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields.map((f: { field: string }) => f.field)).toEqual([
      'items[1].dueDate',
      'items[2].leadUnitId',
    ]);
    expect(res.json().message).toContain('未导入任何问题');
    expect(await dbFingerprint(db)).toBe(before);
  });

  it('opens a list from CSV with unit names, and shows progress until it is cleared', async () => {
    const csv = [
      // Past due dates only for items imported as begun in an older system (issue 16): backdated, with 立项日期.
      '问题描述,牵头单位,配合单位,完成时限,类别,立项日期',
      `"楼道堆物,影响通行",市民政局,,${DUE},inspection,2026-11-02`,
      '路灯损坏,unit-b,,2020-06-30,inspection,2020-01-02',
      '',
    ].join('\r\n');
    const res = await app.inject({
      method: 'POST',
      url: `/api/problem-lists/csv?backdated=true&title=${encodeURIComponent('2026年第四季度督查问题清单')}`,
      headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(201);
    const list = res.json();
    expect(list).toMatchObject({ title: '2026年第四季度督查问题清单', total: 2 });
    const progress = await waitFor(
      async () =>
        (await app.inject({ method: 'GET', url: `/api/problem-lists/${list.id}`, headers: bearer(supervisor) })).json()
          .progress,
      (p) => p.opened === 2,
    );
    expect(progress).toMatchObject({ total: 2, opened: 2, closed: 0, overdue: 1, cleared: false });

    const items = (
      await app.inject({
        method: 'GET',
        url: `/api/items?problemListId=${list.id}&sort=dueDate`,
        headers: bearer(supervisor),
      })
    ).json().items;
    expect(items.map((i: { title: string }) => i.title)).toEqual(['路灯损坏', '楼道堆物,影响通行']);
    const [lamp, hall] = items as Array<{ id: string }>;
    await app.inject({
      method: 'POST',
      url: `/api/items/${lamp!.id}/withdraw`,
      headers: bearer(supervisor),
      payload: { reason: '已由其他清单办理' },
    });
    for (const [action, actor] of [
      ['sign', leadA],
      ['filePlan', leadA],
      ['submit', leadA],
      ['verifyReturn', verifier],
      ['submit', leadA],
      ['verifyPass', verifier],
    ] as const) {
      const body =
        { filePlan: { plan: '方案' }, submit: { summary: '已整改' }, verifyReturn: { reasons: '照片不清' } }[
          action as string
        ] ?? {};
      const r = await app.inject({
        method: 'POST',
        url: `/api/items/${hall!.id}/${action}`,
        headers: bearer(actor),
        payload: body,
      });
      expect(r.statusCode, `${action} ${r.body}`).toBe(200);
    }
    const done = (
      await app.inject({ method: 'GET', url: `/api/problem-lists/${list.id}`, headers: bearer(supervisor) })
    ).json().progress;
    expect(done).toMatchObject({ total: 2, closed: 1, withdrawn: 1, returned: 1, overdue: 0, cleared: true });
  });

  it('refuses a CSV with an unknown column', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/problem-lists/csv?title=x',
      headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
      payload: '标题,颜色\n问题,红\n',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields[0]).toMatchObject({ field: 'csv.header' });
  });
});
