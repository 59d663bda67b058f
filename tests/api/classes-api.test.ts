/**
 * Sources and classes through the API: the taxonomy as seeded and as the administrator edits
 * it, items opened with a source (督查检查 by default, 自查自纠 counted as self-found), classes
 * changed with their history, what a unit sees, the list's, export's and overview's filters,
 * and a problem list whose items take its source.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DOMAINS, DEFAULT_SOURCES } from '../../domain/classes';
import { parseCsvRecords } from '../../lib/csv';
import { admin, districtSupervisor, leadA, leadB, supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('classes'));
}, 60_000);
afterAll(async () => stack?.close());

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  actor: { userId: string },
  payload?: unknown,
) {
  return stack.app.inject({
    method,
    url,
    headers: bearer(actor),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

const base = {
  title: '食品摊点占道经营',
  description: '专项检查发现',
  category: 'inspection',
  priority: 'normal',
  leadUnitId: 'unit-a',
  coUnitIds: [],
  dueDate: DUE,
};

async function open(extra: Record<string, unknown> = {}) {
  const res = await call('POST', '/api/items', supervisor, { ...base, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().item as { id: string; classes: Record<string, unknown> };
}

/** Ids of the list's rows under a query (only this file's items carry the tag `cls`). */
async function listed(query: string, actor = supervisor): Promise<string[]> {
  const res = await call('GET', `/api/items?pageSize=100&tag=cls&${query}`, actor);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as Array<{ id: string }>).map((i) => i.id).sort();
}

/** A problem list's items once all are recorded (the list's workflow starts them; each records itself). */
async function listOf<T>(listId: string, count: number): Promise<T[]> {
  return waitFor(async () => {
    const items = (await call('GET', `/api/items?problemListId=${listId}&pageSize=100`, supervisor)).json()
      .items as T[];
    return items.length === count ? items : null;
  });
}

describe('sources and classes', () => {
  const ids = { plain: '', self: '', common: '', other: '' };

  it('seeds the taxonomy: twelve sources (自查自纠 self-found) and eight domains', async () => {
    const res = await call('GET', '/api/classification', leadA);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.sources.map((t: { label: string }) => t.label)).toEqual([
      '巡视巡察',
      '审计',
      '督查检查',
      '环保督察',
      '安全生产',
      '舆情',
      '信访',
      '人大政协',
      '上级转办',
      '领导批示',
      '监测预警',
      '自查自纠',
    ]);
    expect(
      body.sources.filter((t: { selfFound: boolean }) => t.selfFound).map((t: { code: string }) => t.code),
    ).toEqual(['zicha']);
    // The migration seeds what domain/classes.ts names as the defaults.
    expect(body.sources.map((t: { code: string; label: string }) => [t.code, t.label])).toEqual(DEFAULT_SOURCES);
    expect(body.domains.map((t: { code: string; label: string }) => [t.code, t.label])).toEqual(DEFAULT_DOMAINS);
    expect(body.domains).toHaveLength(8);
    expect(body.commonality).toEqual({ common: '共性', individual: '个性' });
  });

  it('opens items with 督查检查 by default, and a self-found source counted as such', async () => {
    const plain = await open({ tags: ['cls'] });
    expect(plain.classes).toEqual({
      sourceCode: 'ducha',
      sourceLabel: '督查检查',
      selfFound: false,
      commonality: null,
      domainCode: null,
      domainLabel: null,
      tags: ['cls'],
    });
    const self = await open({
      sourceCode: 'zicha',
      commonality: 'individual',
      domainCode: 'shipin-anquan',
      tags: ['cls', '夜市', 'cls'],
    });
    expect(self.classes).toMatchObject({
      sourceCode: 'zicha',
      sourceLabel: '自查自纠',
      selfFound: true,
      commonality: 'individual',
      domainLabel: '食品安全',
      tags: ['cls', '夜市'],
    });
    ids.plain = plain.id;
    ids.self = self.id;
    ids.common = (
      await open({ sourceCode: 'xunshi', commonality: 'common', domainCode: 'shipin-anquan', tags: ['cls'] })
    ).id;
    ids.other = (await open({ sourceCode: 'shenji', tags: ['cls'], leadUnitId: 'unit-b' })).id;
    const detail = await call('GET', `/api/items/${self.id}`, leadA);
    expect(detail.json().item.classes).toMatchObject({ sourceCode: 'zicha', selfFound: true, tags: ['cls', '夜市'] });
  });

  it('refuses an unknown source, a bad tag and a bad 共性/个性 with 400 naming the field', async () => {
    const unknown = await call('POST', '/api/items', supervisor, { ...base, sourceCode: 'nosuch' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain('来源类别');
    expect(unknown.json().fields[0].field).toBe('body.sourceCode');
    const tag = await call('POST', '/api/items', supervisor, {
      ...base,
      tags: ['这是一个超过二十个字符的非常非常长的标签文字'],
    });
    expect(tag.statusCode).toBe(400);
    expect(tag.json().fields[0]).toMatchObject({ field: 'body.tags.0', reason: '每个标签不能超过 20 个字符' });
    const commonality = await call('PATCH', `/api/items/${ids.plain}/classes`, supervisor, { commonality: '都是' });
    expect(commonality.statusCode).toBe(400);
    expect(JSON.stringify(commonality.json())).toContain('commonality');
  });

  it('changes an item’s classes with their history; a unit sees them but may not change them', async () => {
    const refused = await call('PATCH', `/api/items/${ids.plain}/classes`, leadA, { commonality: 'common' });
    expect(refused.statusCode).toBe(403);
    const res = await call('PATCH', `/api/items/${ids.plain}/classes`, supervisor, {
      commonality: 'common',
      domainCode: 'chengshi-guanli',
      tags: ['cls', '占道'],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ sourceCode: 'ducha', commonality: 'common', domainLabel: '城市管理' });
    const again = await call('PATCH', `/api/items/${ids.plain}/classes`, supervisor, { sourceCode: 'zicha' });
    expect(again.json()).toMatchObject({ sourceCode: 'zicha', selfFound: true, commonality: 'common' });
    // The same values again: no change, no history row.
    await call('PATCH', `/api/items/${ids.plain}/classes`, supervisor, { sourceCode: 'zicha' });
    const history = await call('GET', `/api/items/${ids.plain}/classes/history`, leadA);
    expect(history.statusCode).toBe(200);
    const changes = history.json().changes;
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({
      changedByName: supervisor.name,
      from: { commonality: null, domainCode: null, tags: ['cls'] },
      to: { commonality: 'common', domainCode: 'chengshi-guanli', tags: ['cls', '占道'] },
    });
    expect(changes[1]).toMatchObject({
      from: { sourceCode: 'ducha' },
      to: { sourceCode: 'zicha', sourceLabel: '自查自纠' },
    });
    // Unit B does not see unit A's item: like an unknown id.
    expect((await call('GET', `/api/items/${ids.plain}/classes/history`, leadB)).statusCode).toBe(404);
    // The history cannot be rewritten.
    await expect(stack.db.$executeRaw`UPDATE item_class_changes SET changed_by = 'x'`).rejects.toThrow(/append-only/);
    // The audit log has the change.
    const audited = await waitFor(async () => {
      const n = await stack.db.auditLog.count({
        where: { action: 'PATCH /api/items/:id/classes', target: ids.plain, status: 200 },
      });
      return n >= 3 ? n : null;
    });
    expect(audited).toBe(3);
  });

  it('leaves 自查自纠 (a bonus in the index) to the supervisor over the whole tree', async () => {
    const res = await call('POST', '/api/items', districtSupervisor, { ...base, leadUnitId: 'district-a' });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().item.id as string;
    const grant = await call('PATCH', `/api/items/${id}/classes`, districtSupervisor, { sourceCode: 'zicha' });
    expect(grant.statusCode).toBe(403);
    expect(grant.json().message).toContain('自查自纠');
    // Nothing changed, nothing on record.
    expect((await call('GET', `/api/items/${id}`, districtSupervisor)).json().item.classes).toMatchObject({
      sourceCode: 'ducha',
      selfFound: false,
    });
    expect((await call('GET', `/api/items/${id}/classes/history`, districtSupervisor)).json().changes).toEqual([]);
    // Other classes, and a source that is not self-found, remain his to change.
    const other = await call('PATCH', `/api/items/${id}/classes`, districtSupervisor, {
      sourceCode: 'shenji',
      commonality: 'common',
    });
    expect(other.statusCode, other.body).toBe(200);
    const granted = await call('PATCH', `/api/items/${id}/classes`, supervisor, { sourceCode: 'zicha' });
    expect(granted.statusCode, granted.body).toBe(200);
    expect(granted.json()).toMatchObject({ sourceCode: 'zicha', selfFound: true });
    const revoke = await call('PATCH', `/api/items/${id}/classes`, districtSupervisor, { sourceCode: 'ducha' });
    expect(revoke.statusCode).toBe(403);
  });

  it('filters the list by source, self-found, 共性, domain and tag', async () => {
    expect(await listed('source=zicha')).toEqual([ids.plain, ids.self].sort());
    expect(await listed('source=xunshi,shenji')).toEqual([ids.common, ids.other].sort());
    expect(await listed('selfFound=true')).toEqual([ids.plain, ids.self].sort());
    expect(await listed('selfFound=false')).toEqual([ids.common, ids.other].sort());
    expect(await listed('commonality=common')).toEqual([ids.plain, ids.common].sort());
    expect(await listed('domain=shipin-anquan')).toEqual([ids.self, ids.common].sort());
    expect(
      await call('GET', '/api/items?tag=%E5%A4%9C%E5%B8%82', supervisor).then((r) =>
        r.json().items.map((i: { id: string }) => i.id),
      ),
    ).toEqual([ids.self]);
    // With search text the list reads through Prisma's filters (the twin of the SQL ones): the same rows.
    expect(await listed(`q=${encodeURIComponent('占道经营')}&source=zicha`)).toEqual([ids.plain, ids.self].sort());
    expect(await listed(`q=${encodeURIComponent('占道经营')}&selfFound=false&commonality=common`)).toEqual([
      ids.common,
    ]);
    expect(await listed(`q=${encodeURIComponent('占道经营')}&domain=shipin-anquan`)).toEqual(
      [ids.self, ids.common].sort(),
    );
    // Unit A sees its own items only.
    expect(await listed('source=xunshi,shenji', leadA)).toEqual([ids.common]);
    const bad = await call('GET', '/api/items?commonality=x', supervisor);
    expect(bad.statusCode).toBe(400);
  });

  it('exports the classes in words, CSV and Excel, with the filters', async () => {
    const csv = await call('GET', '/api/items/export?tag=cls&selfFound=true', supervisor);
    expect(csv.statusCode).toBe(200);
    const rows = parseCsvRecords(csv.body.replace(/^\uFEFF/, ''));
    const header = rows[0]!.cells;
    expect(header.slice(-5)).toEqual(['来源类别', '共性/个性', '领域', '标签', '自查自纠']);
    const self = rows.find((r) => r.cells[0] === ids.self)!.cells;
    expect(self.slice(-5)).toEqual(['自查自纠', '个性', '食品安全', 'cls、夜市', '是']);
    expect(rows.length - 1).toBe(2);
    const xlsx = await call('GET', '/api/items/export?format=xlsx&tag=cls&source=xunshi', supervisor);
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const values: string[][] = [];
    sheet.eachRow((row) => values.push((row.values as unknown[]).slice(1).map((v) => String(v ?? ''))));
    const head = values.find((r) => r.includes('来源类别'))!;
    const row = values.find((r) => r.includes(ids.common))!;
    expect(row[head.indexOf('来源类别')]).toBe('巡视巡察');
    expect(row[head.indexOf('共性/个性')]).toBe('共性');
    expect(row[head.indexOf('自查自纠')]).toBe('否');
  });

  it('counts the overview by source, self-found apart, and under a filter', async () => {
    const all = (await call('GET', '/api/dashboard', supervisor)).json();
    const zicha = all.bySource.find((r: { sourceCode: string }) => r.sourceCode === 'zicha');
    expect(zicha).toMatchObject({ label: '自查自纠', selfFound: true });
    expect(all.selfFound.total).toBe(zicha.count);
    expect(all.bySource.reduce((n: number, r: { count: number }) => n + r.count, 0)).toBe(all.total);
    const filtered = (await call('GET', '/api/dashboard?tag=cls&source=zicha', supervisor)).json();
    expect(filtered.total).toBe(2);
    expect(filtered.open).toBe(2);
    expect(filtered.selfFound).toEqual({ total: 2, open: 2 });
    expect(filtered.byStatus.find((s: { status: string }) => s.status === 'assigned').count).toBe(2);
    expect(filtered.bySource.find((r: { sourceCode: string }) => r.sourceCode === 'zicha').count).toBe(2);
    // The summary by source equals a recount of the items, and a unit's overview counts what it sees.
    const unit = (await call('GET', '/api/dashboard', leadB)).json();
    const seen = (await call('GET', '/api/items?pageSize=1&source=shenji', leadB)).json().total;
    expect(unit.bySource.find((r: { sourceCode: string }) => r.sourceCode === 'shenji').count).toBe(seen);
    const drift = await stack.db.$queryRaw<Array<{ n: number }>>`
      WITH counts AS (
        SELECT v.u AS unit_id, i.lead_unit_id, i.source_code, i.self_found, i.status NOT IN ('closed', 'withdrawn') AS open,
               count(*)::int AS n
        FROM items i CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend(i.lead_unit_id, i.co_unit_ids)) u) v
        GROUP BY 1, 2, 3, 4, 5)
      SELECT count(*)::int AS n FROM (
        (SELECT * FROM counts EXCEPT SELECT unit_id, lead_unit_id, source_code, self_found, open, n FROM dashboard_sources WHERE n <> 0)
        UNION ALL
        (SELECT unit_id, lead_unit_id, source_code, self_found, open, n FROM dashboard_sources WHERE n <> 0 EXCEPT SELECT * FROM counts)) d`;
    expect(drift[0]!.n).toBe(0);
  });

  it('lets the administrator add, rename and deactivate terms, never delete them', async () => {
    expect((await call('PUT', '/api/classification/source/zicha', supervisor, { label: '自查' })).statusCode).toBe(403);
    const added = await call('PUT', '/api/classification/source/qunzhong', admin, { label: '群众举报' });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json()).toMatchObject({ code: 'qunzhong', active: true, selfFound: false, position: 13 });
    const opened = await open({ sourceCode: 'qunzhong', tags: ['cls'] });
    expect(opened.classes).toMatchObject({ sourceLabel: '群众举报' });
    const off = await call('PUT', '/api/classification/source/qunzhong', admin, { label: '群众举报', active: false });
    expect(off.json().active).toBe(false);
    const refused = await call('POST', '/api/items', supervisor, { ...base, sourceCode: 'qunzhong' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('已停用');
    // The item that names it keeps it, and its other classes can still change.
    const kept = await call('PATCH', `/api/items/${opened.id}/classes`, supervisor, { commonality: 'individual' });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(kept.json().sourceCode).toBe('qunzhong');
    const listedTerms = (await call('GET', '/api/classification', admin)).json().sources;
    expect(listedTerms.find((t: { code: string }) => t.code === 'qunzhong')).toMatchObject({ active: false });
    expect(
      (await call('PUT', '/api/classification/domain/qita', admin, { label: '其他', selfFound: true })).statusCode,
    ).toBe(400);
    expect((await call('PUT', '/api/classification/place/x', admin, { label: '某' })).statusCode).toBe(400);
  });

  it('opens a problem list under its source; a row may name another', async () => {
    const res = await call('POST', '/api/problem-lists', supervisor, {
      title: '2026年巡察反馈问题',
      source: '市委第三巡察组',
      sourceCode: 'xunshi',
      items: [
        { ...base, title: '问题一', tags: ['cls'] },
        // A row as offices write it: the source by its name, tags in one cell.
        { ...base, title: '问题二', sourceCode: '自查自纠', tags: 'cls、整改' },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const list = res.json();
    expect(list).toMatchObject({ sourceCode: 'xunshi', sourceLabel: '巡视巡察' });
    const items = await listOf<{ title: string; sourceCode: string; selfFound: boolean; tags: string[] }>(list.id, 2);
    const byTitle = Object.fromEntries(items.map((i) => [i.title, i]));
    expect(byTitle['问题一']).toMatchObject({ sourceCode: 'xunshi', selfFound: false, tags: ['cls'] });
    expect(byTitle['问题二']).toMatchObject({ sourceCode: 'zicha', selfFound: true, tags: ['cls', '整改'] });
    const detail = await call('GET', `/api/problem-lists/${list.id}`, supervisor);
    expect(detail.json().sourceLabel).toBe('巡视巡察');
    const wrong = await call('POST', '/api/problem-lists', supervisor, {
      title: '清单',
      items: [{ ...base, sourceCode: '不知道' }],
    });
    expect(wrong.statusCode).toBe(400);
    expect(JSON.stringify(wrong.json())).toContain('来源类别');
  });

  it('reads a CSV import’s 来源类别, 共性个性, 领域 and 标签 columns in office words', async () => {
    const csv =
      '标题,牵头单位,完成时限,来源类别,共性个性,领域,标签\n' +
      `消防通道堵塞,unit-a,${DUE},安全生产,共性,安全生产,cls；消防\n` +
      `夜市油烟,unit-a,${DUE},,个性,,cls\n`;
    const res = await stack.app.inject({
      method: 'POST',
      url: `/api/problem-lists/csv?title=${encodeURIComponent('CSV清单')}&source=${encodeURIComponent('舆情')}`,
      headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().sourceCode).toBe('yuqing');
    const items = await listOf<{
      title: string;
      sourceCode: string;
      commonality: string;
      domainCode: string;
      tags: string[];
    }>(res.json().id, 2);
    const byTitle = Object.fromEntries(items.map((i) => [i.title, i]));
    expect(byTitle['消防通道堵塞']).toMatchObject({
      sourceCode: 'anquan',
      commonality: 'common',
      domainCode: 'anquan-shengchan',
      tags: ['cls', '消防'],
    });
    expect(byTitle['夜市油烟']).toMatchObject({ sourceCode: 'yuqing', commonality: 'individual', domainCode: null });
    const bad = await stack.app.inject({
      method: 'POST',
      url: '/api/problem-lists/check',
      headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
      payload: `标题,牵头单位,完成时限,来源类别\n某问题,unit-a,${DUE},外星人\n`,
    });
    const check = bad.json();
    expect(check.ok).toBe(false);
    expect(check.errors[0]).toMatchObject({ row: 2, field: 'sourceCode', column: '来源类别' });
  });
});
