import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../api/app';
import type { Db } from '../../lib/db';
import { supervisor } from '../support/actors';
import { type ApiStack, bearer, dbFingerprint, startApiStack } from '../support/api';
import { DUE, dueIn } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import { planScheduleId } from '../../workflows/client/schedules';

/**
 * Imports that fit the way offices write (issue 16, problem 4): unit lists split only outside
 * brackets and quotes, the usual column names, categories and priorities in words, dates as
 * offices write them, and every error of every row answered at once, in Chinese.
 */

let stack: ApiStack;
let db: Db;
let app: App;
const taskQueue = uniqueTaskQueue('imports');

/** Units whose names hold a separator inside brackets, as real ones do. */
const JX = { id: 'jx-shjw', name: '嘉兴市各县(市、区)社会建设委员会' };
const LZ = { id: 'lz-lianluo', name: '某区（市、县）联络组' };

beforeAll(async () => {
  stack = await startApiStack(taskQueue);
  ({ db, app } = stack);
  await db.unit.createMany({
    data: [JX, LZ].map((u) => ({ ...u, parentId: 'city', kind: 'bureau' })),
  });
});

afterAll(() => stack?.close());

const csvImport = (csv: string, title = '督查问题清单') =>
  app.inject({
    method: 'POST',
    url: `/api/problem-lists/csv?title=${encodeURIComponent(title)}`,
    headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
    payload: csv,
  });

const jsonImport = (payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/problem-lists', headers: bearer(supervisor), payload: payload as object });

async function itemsOf(listId: string, n: number) {
  const end = Date.now() + 15_000;
  for (;;) {
    const items = await db.item.findMany({ where: { problemListId: listId }, orderBy: { id: 'asc' } });
    if (items.length >= n || Date.now() > end) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
}

type RowsBody = { rows: Array<{ row: number; errors: Array<{ field: string; column: string; reason: string }> }> };
const HAN = /[\u4e00-\u9fff]/;
const ENGLISH = /Invalid|expected|Unrecognized|received|Too (big|small)/;

/** Three due dates a week apart, and a date as offices write it: YYYY/MM/DD, YYYY年MM月DD日, YYYY.MM.DD. */
const [D1, D2, D3] = [DUE, dueIn(52), dueIn(59)] as const;
const slashes = (date: string) => date.replaceAll('-', '/');
const dots = (date: string) => date.replaceAll('-', '.');
const inWords = (date: string) => `${date.slice(0, 4)}年${date.slice(5, 7)}月${date.slice(8, 10)}日`;

describe('CSV import as offices write it', () => {
  it('reads bracketed unit names, quoted cells, the usual column names, categories, priorities and dates in words', async () => {
    const csv = [
      '2026年第四季度督查问题清单,,,,,,',
      '序号,问题,责任单位,协办单位,截止日期,分类,紧急程度',
      `1,"楼道堆物,影响通行",市民政局,"${JX.name}、市财政局",${slashes(D1)},督查检查发现,紧急`,
      `2,路灯损坏,unit-b,${LZ.name}；市公安局,${inWords(D2)},领导批示,重要`,
      `3,"井盖缺失",市公安局,"“${JX.name}”",${dots(D3)},inspection,normal`,
      '',
    ].join('\r\n');
    const res = await csvImport(csv);
    expect(res.statusCode, res.body).toBe(201);
    const items = await itemsOf(res.json().id, 3);
    expect(items.map((i) => [i.title, i.leadUnitId, i.coUnitIds, i.dueDate, i.category, i.priority])).toEqual([
      ['楼道堆物,影响通行', 'unit-a', [JX.id, 'unit-b'], D1, 'inspection', 'urgent'],
      ['路灯损坏', 'unit-b', [LZ.id, 'unit-c'], D2, 'leader_instruction', 'high'],
      ['井盖缺失', 'unit-c', [JX.id], D3, 'inspection', 'normal'],
    ]);
  });

  it('takes the other names of each column: 主办单位, 协同单位, 办结时限, 类别 and 优先级 in words', async () => {
    const csv = [
      '问题描述,主办单位,协同单位,办结时限,类别,优先级',
      `公厕无人保洁,市民政局,${JX.name},${DUE},群众反映,一般`,
    ].join('\n');
    const res = await csvImport(csv);
    expect(res.statusCode, res.body).toBe(201);
    const [item] = await itemsOf(res.json().id, 1);
    expect(item).toMatchObject({ leadUnitId: 'unit-a', coUnitIds: [JX.id], category: 'complaint', priority: 'normal' });
  });

  it('answers every error of every row at once, units with the other fields, naming row and column in Chinese; nothing is stored', async () => {
    const before = await dbFingerprint(db);
    const csv = [
      '问题描述,主办单位,配合单位,办结时限,类别,优先级',
      `问题一,市民政局,,${DUE},督查检查发现,一般`,
      `,不存在的局,"${JX.name}、不存在的办",2026/02/30,随便,很急很急`,
      '',
      '问题三,市财政局,,明年三月,,',
    ].join('\r\n');
    const res = await csvImport(csv);
    expect(res.statusCode, res.body).toBe(400);
    const body = res.json() as RowsBody & { message: string; fields: Array<{ field: string; reason: string }> };
    expect(body.message).toBe('清单有 2 行有误（共 7 处），未导入任何问题');
    // Row numbers as the file shows them: the header is row 1, the blank row 4 counts.
    expect(body.rows.map((r) => [r.row, r.errors.map((e) => [e.field, e.column])])).toEqual([
      [
        3,
        [
          ['title', '问题描述'],
          ['category', '类别'],
          ['priority', '优先级'],
          ['dueDate', '办结时限'],
          ['leadUnitId', '主办单位'],
          ['coUnitIds[1]', '配合单位'],
        ],
      ],
      [5, [['dueDate', '办结时限']]],
    ]);
    const reasons = Object.fromEntries(body.fields.map((f) => [f.field, f.reason]));
    expect(reasons).toMatchObject({
      'row3.title': '第 3 行“问题描述”：必填，不能为空',
      'row3.leadUnitId': '第 3 行“主办单位”：单位“不存在的局”不存在',
      'row3.coUnitIds[1]': '第 3 行“配合单位”：单位“不存在的办”不存在',
      'row3.dueDate': '第 3 行“办结时限”：日期不存在：2026-02-30',
      'row5.dueDate': expect.stringContaining('第 5 行“办结时限”：无法识别的日期“明年三月”'),
    });
    expect(reasons['row3.category']).toContain('督查检查发现');
    expect(reasons['row3.priority']).toContain('紧急');
    for (const f of body.fields) {
      expect(f.reason).toMatch(HAN);
      expect(f.reason).not.toMatch(ENGLISH);
    }
    expect(await dbFingerprint(db)).toBe(before);
  });

  it('names unknown and missing columns together', async () => {
    const res = await csvImport('问题,颜色\n路灯损坏,红\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().fields.map((f: { reason: string }) => f.reason)).toEqual([
      '第 2 列“颜色”无法识别',
      expect.stringContaining('缺少“牵头单位”列'),
      expect.stringContaining('缺少“完成时限”列'),
    ]);
  });

  it('a lead unit cell naming two units says so', async () => {
    const res = await csvImport(`问题,牵头单位,完成时限\n路灯损坏,市民政局、市财政局,${DUE}\n`);
    expect(res.statusCode).toBe(400);
    expect(res.json().fields).toEqual([
      {
        field: 'row2.leadUnitId',
        reason: '第 2 行“牵头单位”：牵头单位只能有一个，这里写了 2 个（市民政局、市财政局），其余请写入配合单位',
      },
    ]);
  });
});

describe('JSON import errors', () => {
  it('are in Chinese, name an unknown key as the field it is, and check units in the same pass; nothing is stored', async () => {
    const before = await dbFingerprint(db);
    const res = await jsonImport({
      title: 'JSON 清单',
      items: [
        { title: 1, leadUnitId: '市民政局', dueDate: DUE, foo: 'x' },
        { title: '问题二', leadUnitId: '不存在的局', coUnitIds: `${JX.name}、市财政局`, dueDate: inWords(DUE) },
        { title: '问题三', leadUnitId: 'unit-a', dueDate: DUE, category: '督查检查发现', priority: '紧急' },
      ],
    });
    expect(res.statusCode, res.body).toBe(400);
    const body = res.json() as RowsBody & { fields: Array<{ field: string; reason: string }> };
    expect(body.fields.map((f) => f.field)).toEqual(['items[0].title', 'items[0].foo', 'items[1].leadUnitId']);
    expect(body.fields[1]).toEqual({ field: 'items[0].foo', reason: '第 1 项“foo”：未知字段' });
    expect(body.fields[2]!.reason).toBe('第 2 项“牵头单位（leadUnitId）”：单位“不存在的局”不存在');
    for (const f of body.fields) {
      expect(f.reason).toMatch(HAN);
      expect(f.reason).not.toMatch(ENGLISH);
    }
    expect(body.rows.map((r) => r.row)).toEqual([1, 2]);
    expect(await dbFingerprint(db)).toBe(before);

    // Fixed, the same list imports: the unit list and the date as written, the category and priority in words.
    const ok = await jsonImport({
      title: 'JSON 清单',
      items: [
        { title: '问题一', leadUnitId: '市民政局', dueDate: DUE },
        { title: '问题二', leadUnitId: '市公安局', coUnitIds: `${JX.name}、市财政局`, dueDate: inWords(DUE) },
        { title: '问题三', leadUnitId: 'unit-a', dueDate: DUE, category: '督查检查发现', priority: '紧急' },
      ],
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const items = await itemsOf(ok.json().id, 3);
    expect(items.map((i) => [i.leadUnitId, i.coUnitIds, i.dueDate, i.category, i.priority])).toEqual([
      ['unit-a', [], DUE, 'other', 'normal'],
      ['unit-c', [JX.id, 'unit-b'], DUE, 'other', 'normal'],
      ['unit-a', [], DUE, 'inspection', 'urgent'],
    ]);
  });

  it('an unknown key at the top of the body is named too', async () => {
    const res = await jsonImport({ title: '清单', items: [{}], colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().fields).toEqual([{ field: 'body.colour', reason: '未知字段“colour”' }]);
  });
});

describe('plan CSV import', () => {
  const planCsv = (csv: string, id: string) =>
    app.inject({
      method: 'POST',
      url: `/api/plans/csv?id=${id}&year=2026&title=${encodeURIComponent('社会建设工作要点')}`,
      headers: { ...bearer(supervisor), 'content-type': 'text/csv' },
      payload: csv,
    });

  it('splits co-units outside brackets and takes 主办单位/协办单位; every bad row answered at once', async () => {
    const bad = await planCsv(
      [
        '类型,序号,任务名称,主办单位,协办单位',
        `任务,1,推进社区建设,市民政局,"${JX.name}、市财政局"`,
        `任务,2,,不存在的局,${LZ.name}；不存在的办`,
        '计划,3,完善养老服务,市民政局,',
      ].join('\n'),
      'imports-plan-bad',
    );
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().fields).toEqual([
      { field: 'row3.title', reason: '第 3 行“任务名称”：必填，不能为空' },
      { field: 'row3.leadUnitId', reason: '第 3 行“主办单位”：单位“不存在的局”不存在' },
      { field: 'row3.coUnitIds[1]', reason: '第 3 行“协办单位”：单位“不存在的办”不存在' },
      { field: 'row4.type', reason: '第 4 行“类型”：无法识别“计划”，应为“任务”或“指标”' },
    ]);
    expect(await db.plan.count({ where: { id: 'imports-plan-bad' } })).toBe(0);

    const ok = await planCsv(
      ['类型,序号,任务名称,主办单位,协办单位', `任务,1,推进社区建设,市民政局,"${JX.name}、市财政局"`].join('\n'),
      'imports-plan-ok',
    );
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().tasks).toEqual([
      { no: 1, title: '推进社区建设', leadUnitId: 'unit-a', coUnitIds: [JX.id, 'unit-b'] },
    ]);
    await stack.t.client.schedule.getHandle(planScheduleId('imports-plan-ok')).delete();
  });
});
