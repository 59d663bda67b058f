import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { likeLiteral } from '../../api/read/like';
import { auditor, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('wildcards'));
}, 60_000);
afterAll(() => stack?.close());

describe('likeLiteral', () => {
  it('escapes the LIKE wildcards and the escape character itself', () => {
    expect(likeLiteral('100%')).toBe('100\\%');
    expect(likeLiteral('a_b')).toBe('a\\_b');
    expect(likeLiteral('C:\\x')).toBe('C:\\\\x');
    expect(likeLiteral('消防通道')).toBe('消防通道');
  });
});

describe('search text is matched literally, never as a LIKE pattern', () => {
  const titles = ['完成率100%的整改', 'snake_case 命名的台账', 'C:\\旧系统 路径', '普通事项甲', '普通事项乙'];
  const byTitle = new Map<string, string>();

  beforeAll(async () => {
    for (const title of titles) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(supervisor),
        payload: { title, leadUnitId: 'unit-a', dueDate: DUE },
      });
      expect(res.statusCode, res.body).toBe(201);
      byTitle.set(title, res.json().item.id);
    }
  }, 60_000);

  async function search(q: string): Promise<string[]> {
    const res = await stack.app.inject({
      method: 'GET',
      url: `/api/items?pageSize=100&q=${encodeURIComponent(q)}`,
      headers: bearer(supervisor),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res
      .json()
      .items.map((i: { title: string }) => i.title)
      .sort();
  }

  it('GET /api/items?q=% and q=_ find only titles with that character', async () => {
    expect(await search('%')).toEqual(['完成率100%的整改']);
    expect(await search('_')).toEqual(['snake_case 命名的台账']);
    expect(await search('\\')).toEqual(['C:\\旧系统 路径']);
    expect(await search('%%')).toEqual([]);
    expect(await search('100%的')).toEqual(['完成率100%的整改']);
    expect(await search('普通事项_')).toEqual([]);
    // Plain text still matches as before.
    expect(await search('普通事项')).toEqual(['普通事项乙', '普通事项甲']);
  });

  it('the items export uses the same literal filter', async () => {
    const res = await stack.app.inject({
      method: 'GET',
      url: `/api/items/export?q=${encodeURIComponent('_')}`,
      headers: bearer(supervisor),
    });
    expect(res.statusCode, res.body).toBe(200);
    const ids = res.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .slice(1)
      .map((r) => r.split(',')[0]);
    expect(ids).toEqual([byTitle.get('snake_case 命名的台账')]);
  });

  it('GET /api/audit?action= treats % and _ literally', async () => {
    // Actions are route patterns, with neither character in them; two rows written here that have them.
    await stack.db.auditLog.createMany({
      data: [
        { action: 'TEST 100% done', outcome: 'ok', status: 200 },
        { action: 'TEST snake_case', outcome: 'ok', status: 200 },
      ],
    });
    const actions = async (action: string) => {
      const res = await stack.app.inject({
        method: 'GET',
        url: `/api/audit?pageSize=200&action=${encodeURIComponent(action)}`,
        headers: bearer(auditor),
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().entries.map((e: { action: string }) => e.action);
    };
    expect(await actions('%')).toEqual(['TEST 100% done']);
    expect(await actions('_')).toEqual(['TEST snake_case']);
    expect((await actions('/api/items')).length).toBeGreaterThan(0);
  });
});
