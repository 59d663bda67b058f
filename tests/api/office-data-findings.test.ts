/**
 * An outside try, entering data the way an office writes it: twelve findings about the address
 * book, unit names and ids, and the imports, each through the real API on a real PostgreSQL.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationActivities } from '../../activities/notifications';
import { NOT_UTF8 } from '../../api/imports';
import { UnitIdParam } from '../../api/routes/users';
import type { Actor } from '../../domain/actors';
import { addDays, parseDate, shanghaiDate } from '../../domain/calendar';
import { unitResolver } from '../../lib/unit-names';
import { ROOT } from '../../lib/root';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('office-data'));
}, 60_000);
afterAll(async () => stack?.close());

/** `days` calendar days from the real today (Asia/Shanghai), moved off a weekend: never a fixed date. */
function daysFromToday(days: number): string {
  let date = addDays(shanghaiDate(Date.now()), days);
  while ([0, 6].includes(new Date(parseDate(date)).getUTCDay())) date = addDays(date, 1);
  return date;
}
const DUE = daysFromToday(45);

const json = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  actor: Actor,
  payload?: Record<string, unknown>,
  headers: Record<string, string> = {},
) => stack.app.inject({ method, url, headers: { ...bearer(actor), ...headers }, ...(payload ? { payload } : {}) });
const contactsCsv = (body: string | Buffer) =>
  stack.app.inject({
    method: 'POST',
    url: '/api/contacts/csv',
    headers: { ...bearer(p.admin), 'content-type': 'text/csv' },
    payload: typeof body === 'string' ? Buffer.from(body) : body,
  });
const listCsv = (body: string | Buffer, title = '督查问题清单') =>
  stack.app.inject({
    method: 'POST',
    url: `/api/problem-lists/csv?title=${encodeURIComponent(title)}`,
    headers: { ...bearer(p.supervisor), 'content-type': 'text/csv' },
    payload: typeof body === 'string' ? Buffer.from(body) : body,
  });
const listJson = (items: unknown[]) =>
  json('POST', '/api/problem-lists', p.supervisor, { title: '问题清单', source: '测试', items });
const putUnit = (id: string, body: Record<string, unknown>) => json('PUT', `/api/units/${id}`, p.admin, body);
const reasons = (body: { fields: Array<{ field: string; reason: string }> }) =>
  Object.fromEntries(body.fields.map((f) => [f.field, f.reason]));

/** The items a list opened (its workflow records them a moment after the answer). */
async function itemsOf(listId: string, n: number) {
  const end = Date.now() + 15_000;
  for (;;) {
    const items = await stack.db.item.findMany({ where: { problemListId: listId }, orderBy: { id: 'asc' } });
    if (items.length >= n || Date.now() > end) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('1. a supervisor or leader contact of nobody is told only about its own part of the tree', () => {
  it('tells a contact placed in a district of that district only; one in the city’s 督查室 or in no unit of every unit', async () => {
    const add = async (name: string, role: string, unitId: string | null, email: string) => {
      const res = await json('POST', '/api/contacts', p.admin, { name, role, unitId, email });
      expect(res.statusCode, res.body).toBe(201);
    };
    await add('区督查联络员', 'supervisor', 'district', 'qu-ducha@example.gov.cn');
    await add('区分管领导', 'leader', 'district', 'qu-lingdao@example.gov.cn');
    await add('督查室联络员', 'supervisor', 'dcs', 'shi-ducha@example.gov.cn');
    await add('市领导秘书', 'leader', null, 'shi-lingdao@example.gov.cn');

    const openAt = async (leadUnitId: string) => {
      const res = await json('POST', '/api/items', p.supervisor, {
        title: `${leadUnitId} 的问题`,
        leadUnitId,
        dueDate: DUE,
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().item.id as string;
      await stack.db.notificationRequest.create({
        data: {
          key: `jurisdiction/${id}`,
          subjectKind: 'item',
          subjectId: id,
          kind: 'submitted',
          targets: ['supervisor', 'leader'],
          unitIds: [leadUnitId],
          payload: {},
          createdAt: new Date(),
        },
      });
      return id;
    };
    const cityItem = await openAt('unit-a');
    const districtItem = await openAt('district-a');
    const notices = createNotificationActivities(stack.db, undefined, {
      from: '督查督办系统 <duban@example.gov.cn>',
      publicUrl: 'https://duban.example.gov.cn',
    });
    while ((await notices.expandRequests()) > 0);
    const told = async (id: string) =>
      (await stack.db.outboxMessage.findMany({ where: { requestKey: `jurisdiction/${id}` } }))
        .map((m) => m.recipientEmail)
        .sort();
    expect(await told(cityItem)).toEqual(['shi-ducha@example.gov.cn', 'shi-lingdao@example.gov.cn']);
    expect(await told(districtItem)).toEqual([
      'qu-ducha@example.gov.cn',
      'qu-lingdao@example.gov.cn',
      'shi-ducha@example.gov.cn',
      'shi-lingdao@example.gov.cn',
    ]);
  });
});

describe('2. the contact list comes in pages', () => {
  beforeAll(async () => {
    await stack.db.contact.createMany({
      data: Array.from({ length: 120 }, (_, i) => ({
        id: `page-${String(i).padStart(3, '0')}`,
        unitId: 'unit-x',
        role: 'handler',
        name: `翻页${String(i).padStart(3, '0')}`,
        email: `page${i}@example.gov.cn`,
      })),
    });
  });

  it('answers 100 by default with the total, takes limit and offset, and refuses a limit over 500 in Chinese', async () => {
    const first = await json('GET', '/api/contacts?unitId=unit-x', p.admin);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ total: 120, limit: 100, offset: 0 });
    expect(first.json().contacts).toHaveLength(100);

    const seen: string[] = [];
    for (let offset = 0; offset < 120; offset += 50) {
      const page = await json('GET', `/api/contacts?unitId=unit-x&limit=50&offset=${offset}`, p.admin);
      expect(page.json()).toMatchObject({ total: 120, limit: 50, offset });
      seen.push(...page.json().contacts.map((c: { id: string }) => c.id));
    }
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(seen[0]).toBe('page-000');

    const tooMany = await json('GET', '/api/contacts?limit=501', p.admin);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().fields[0]).toEqual({ field: 'querystring.limit', reason: expect.stringContaining('500') });
  });
});

describe('3. unit names with zero-width characters or spaces around them', () => {
  it('stores a unit name without them, refuses one that is nothing else, and finds the unit when a cell carries them', async () => {
    const made = await putUnit('zw-sjj', { name: ' \u200B市数据资源局\u2060\u3000', parentId: 'city', kind: 'bureau' });
    expect(made.statusCode, made.body).toBe(200);
    expect(made.json().unit.name).toBe('市数据资源局');
    expect((await stack.db.unit.findUniqueOrThrow({ where: { id: 'zw-sjj' } })).name).toBe('市数据资源局');

    const empty = await putUnit('zw-empty', { name: '\u200B \uFEFF\u200D', parentId: 'city', kind: 'bureau' });
    expect(empty.statusCode).toBe(400);
    expect(reasons(empty.json())).toEqual({ 'body.name': expect.stringContaining('不能为空') });
    expect(await stack.db.unit.findUnique({ where: { id: 'zw-empty' } })).toBeNull();

    // A problem list whose cells carry them (lead and co-unit).
    const list = await listCsv(
      `问题,牵头单位,配合单位,完成时限\n数据共享滞后,\u200B市数据资源局 ,市财政局\u200C、\uFEFF市公安局\u2060,${DUE}\n` +
        `数据目录滞后,市民政局,\u200B市数据资源局\u200D,${DUE}\n`,
    );
    expect(list.statusCode, list.body).toBe(201);
    const items = await itemsOf(list.json().id, 2);
    expect(items.map((i) => [i.leadUnitId, i.coUnitIds])).toEqual([
      ['zw-sjj', ['unit-b', 'unit-c']],
      ['unit-a', ['zw-sjj']],
    ]);

    // The address book's CSV too.
    const book = await contactsCsv(
      '姓名,单位,角色,邮箱\n数据局经办,\u200D市数据资源局\u200B,经办人,sjj@example.gov.cn\n',
    );
    expect(book.statusCode, book.body).toBe(200);
    expect(await stack.db.contact.findFirst({ where: { name: '数据局经办' } })).toMatchObject({ unitId: 'zw-sjj' });

    // A name stored with them before this was fixed is found all the same.
    await stack.db.unit.create({ data: { id: 'zw-old', name: '市档案馆\u200B', parentId: 'city', kind: 'bureau' } });
    const old = await listJson([{ title: '档案数字化', leadUnitId: '市档案馆', dueDate: DUE }]);
    expect(old.statusCode, old.body).toBe(201);
  });
});

describe('4. unit ids', () => {
  it('refuses ids that are no plain lowercase key, in Chinese naming the field, and takes the seed and demo ids', async () => {
    for (const id of ['JX-SJW', 'Jx-sjw', '..', 'a.b', 'a_b', '-abc', '.hidden', 'x'.repeat(65)]) {
      // Dots spelled out, so that the URL keeps them (a bare `..` is resolved away before routing).
      const res = await putUnit(id.replaceAll('.', '%2E'), {
        name: `单位${id.length}`,
        parentId: 'city',
        kind: 'bureau',
      });
      if (id === '..') {
        expect([400, 404], res.body).toContain(res.statusCode);
        continue;
      }
      expect(res.statusCode, `${id}: ${res.body}`).toBe(400);
      expect(res.json().fields).toEqual([
        { field: 'params.id', reason: expect.stringContaining('单位编号只能由小写字母') },
      ]);
    }
    expect(UnitIdParam.safeParse('..').success).toBe(false);
    expect(await stack.db.unit.count({ where: { id: { in: ['JX-SJW', 'Jx-sjw', '..', 'a.b', 'a_b', '-abc'] } } })).toBe(
      0,
    );
    expect((await putUnit('jx-sjw', { name: '嘉兴市数据局', parentId: 'city', kind: 'bureau' })).statusCode).toBe(200);

    const demo = JSON.parse(await readFile(path.join(ROOT, 'demo', 'units.json'), 'utf8')) as {
      units: Array<{ id: string }>;
    };
    const seeded = await stack.db.unit.findMany({ select: { id: true } });
    for (const { id } of [...demo.units, ...seeded.filter((u) => u.id !== 'zw-old')])
      expect(UnitIdParam.safeParse(id).success, id).toBe(true);
  });
});

describe('5. the hint for a name two units share suggests forms that are taken', () => {
  /** Each form a refusal suggests, as it would be written back into the cell. */
  const suggestions = (reason: string) =>
    [...reason.slice(reason.indexOf('如')).matchAll(/(单位编号)?“([^”]+)”/g)].map((m) => m[2]!);

  it('suggests, for a unit at the root and one of its name below, forms that each resolve to that unit', async () => {
    expect((await putUnit('sj-city', { name: '市审计局', parentId: 'city', kind: 'bureau' })).statusCode).toBe(200);
    // Made without a parent (the form's default): a unit at the root bearing the same name.
    expect((await putUnit('sj-root', { name: '市审计局', parentId: null, kind: 'bureau' })).statusCode).toBe(200);
    const ambiguous = await listJson([{ title: '审计整改', leadUnitId: '市审计局', dueDate: DUE }]);
    expect(ambiguous.statusCode).toBe(400);
    const reason = reasons(ambiguous.json())['items[0].leadUnitId']!;
    expect(reason).toContain('不唯一');
    const forms = suggestions(reason);
    expect(forms).toHaveLength(2);
    const opened: string[] = [];
    for (const form of forms) {
      const res = await listJson([{ title: `审计整改 ${form}`, leadUnitId: form, dueDate: DUE }]);
      expect(res.statusCode, `${form}: ${res.body}`).toBe(201);
      opened.push((await itemsOf(res.json().id, 1))[0]!.leadUnitId);
    }
    expect(opened.sort()).toEqual(['sj-city', 'sj-root']);
    // Copied with the quotes the hint wrote it in, it is taken too.
    const quoted = await listJson([{ title: '审计整改', leadUnitId: '“市人民政府/市审计局”', dueDate: DUE }]);
    expect(quoted.statusCode, quoted.body).toBe(201);
  });

  it('suggests a form that resolves when one unit’s whole path is the tail of another’s (pure)', () => {
    const units = [
      { id: 'p', name: '新区', parentId: null },
      { id: 'p-x', name: '发改局', parentId: 'p' },
      { id: 'q', name: '某省', parentId: null },
      { id: 'q-p', name: '新区', parentId: 'q' },
      { id: 'q-p-x', name: '发改局', parentId: 'q-p' },
    ];
    const resolve = unitResolver(units);
    const refused = resolve('发改局');
    expect(refused).toEqual({ reason: expect.stringContaining('不唯一') });
    const forms = suggestions((refused as { reason: string }).reason);
    expect(forms.map((f) => resolve(f))).toEqual([{ id: 'p-x' }, { id: 'q-p-x' }]);
  });
});

describe('6. full-width and ASCII brackets name the same unit', () => {
  it('finds a unit stored with （） by a name written with (), in an import and in the address book, and keeps siblings apart', async () => {
    const made = await putUnit('jx-shjw', {
      name: '嘉兴市各县（市、区）社会建设委员会',
      parentId: 'city',
      kind: 'bureau',
    });
    expect(made.statusCode, made.body).toBe(200);
    const list = await listCsv(
      `问题,牵头单位,配合单位,完成时限\n社会建设任务滞后,嘉兴市各县(市、区)社会建设委员会,市财政局,${DUE}\n` +
        `社会组织培育滞后,市民政局,"市财政局、嘉兴市各县(市、区)社会建设委员会",${DUE}\n`,
    );
    expect(list.statusCode, list.body).toBe(201);
    const items = await itemsOf(list.json().id, 2);
    expect(items.map((i) => [i.leadUnitId, i.coUnitIds])).toEqual([
      ['jx-shjw', ['unit-b']],
      ['unit-a', ['unit-b', 'jx-shjw']],
    ]);
    // Stored as it was written, not normalised.
    expect((await stack.db.unit.findUniqueOrThrow({ where: { id: 'jx-shjw' } })).name).toBe(
      '嘉兴市各县（市、区）社会建设委员会',
    );
    const book = await contactsCsv('姓名,单位,角色\n社建委经办,嘉兴市各县(市、区)社会建设委员会,经办人\n');
    expect(book.statusCode, book.body).toBe(200);
    // A sibling whose name differs only in its brackets could never be told apart: refused.
    const twin = await putUnit('jx-shjw2', {
      name: '嘉兴市各县(市、区)社会建设委员会',
      parentId: 'city',
      kind: 'bureau',
    });
    expect(twin.statusCode).toBe(400);
    expect(reasons(twin.json())['body.name']).toContain('同名单位');
  });
});

describe('7. adding a contact honours Idempotency-Key and refuses the same contact twice', () => {
  const body = { name: '重试经办', role: 'handler', unitId: 'unit-c', email: 'retry@example.gov.cn' };

  it('answers a retry with the first answer and stores one contact', async () => {
    const before = await stack.db.contact.count();
    const key = { 'idempotency-key': 'contact-retry-1' };
    const first = await json('POST', '/api/contacts', p.admin, body, key);
    expect(first.statusCode, first.body).toBe(201);
    const again = await json('POST', '/api/contacts', p.admin, body, key);
    expect(again.statusCode).toBe(201);
    expect(again.json().contact.id).toBe(first.json().contact.id);
    expect(await stack.db.contact.count()).toBe(before + 1);
    const reused = await json('POST', '/api/contacts', p.admin, { ...body, name: '别人' }, key);
    expect(reused.statusCode).toBe(422);
  });

  it('refuses, 409 in Chinese, a second contact of the same unit, role, name and email; another email is another contact', async () => {
    const before = await stack.db.contact.count();
    const twin = await json('POST', '/api/contacts', p.admin, { ...body, email: 'RETRY@example.gov.cn' });
    expect(twin.statusCode).toBe(409);
    expect(twin.json()).toMatchObject({ error: 'conflict', reason: 'duplicate_contact' });
    expect(twin.json().message).toContain('已有同一单位、同一角色、同一姓名和邮箱的联系人');
    expect(await stack.db.contact.count()).toBe(before);
    const other = await json('POST', '/api/contacts', p.admin, { ...body, email: 'retry2@example.gov.cn' });
    expect(other.statusCode, other.body).toBe(201);
    // Changed into the first one's twin: refused too.
    const put = await json('PUT', `/api/contacts/${other.json().contact.id}`, p.admin, body);
    expect(put.statusCode).toBe(409);
  });
});

describe("8. a user's own contact stays in the user's unit", () => {
  it('refuses moving it through the address book, naming unitId; changing its addresses is fine', async () => {
    const user = await json('PUT', '/api/users/u-move', p.admin, {
      name: '钱调动',
      role: 'unit_handler',
      unitId: 'unit-a',
      email: 'qian@mz.example.gov.cn',
    });
    expect(user.statusCode, user.body).toBe(200);
    const own = { name: '钱调动', role: 'handler', userId: 'u-move', email: 'qian@mz.example.gov.cn' };
    const moved = await json('PUT', '/api/contacts/user:u-move', p.admin, { ...own, unitId: 'unit-b' });
    expect(moved.statusCode).toBe(400);
    expect(reasons(moved.json())).toEqual({ 'body.unitId': expect.stringContaining('请修改该用户的所属单位') });
    expect(await stack.db.contact.findUniqueOrThrow({ where: { id: 'user:u-move' } })).toMatchObject({
      unitId: 'unit-a',
    });
    const kept = await json('PUT', '/api/contacts/user:u-move', p.admin, {
      ...own,
      unitId: 'unit-a',
      mobile: '13800138001',
    });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(kept.json().contact).toMatchObject({ unitId: 'unit-a', mobile: '13800138001' });
  });
});

describe('9. the contacts CSV reads its header as the problem-list import does', () => {
  it('passes over a title row and reads column names with notes such as （必填）; rows keep their number in the file', async () => {
    const ok = await contactsCsv(
      '2026年市级部门联络员通讯录,,,\r\n' +
        '姓名（必填）,单位（必填）,角色*,电子邮箱（选填）\r\n' +
        '标题行经办,市公安局,经办人,bt@example.gov.cn\r\n',
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ created: 1, updated: 0 });
    expect(await stack.db.contact.findFirst({ where: { name: '标题行经办' } })).toMatchObject({
      unitId: 'unit-c',
      role: 'handler',
      email: 'bt@example.gov.cn',
    });
    const bad = await contactsCsv('通讯录,,,\n姓名（必填）,单位,角色,邮箱\n甲,市公安局,经办人,jia@\n');
    expect(bad.statusCode).toBe(400);
    expect(reasons(bad.json())).toEqual({ 'row3.email': '第 3 行“邮箱”：邮箱格式不正确（例如 zhang@example.gov.cn）' });
  });
});

describe('10. a CSV that is not UTF-8', () => {
  /** `姓名,单位,角色\n张三,市民政局,经办人\n` and `问题,牵头单位,完成时限\n` as Excel saves them on a Chinese Windows (GBK). */
  const GBK_CONTACTS = Buffer.from('d0d5c3fb2cb5a5cebb2cbdc7c9ab0ad5c5c8fd2ccad0c3f1d5febed62cbeadb0ecc8cb0a', 'hex');
  const GBK_LIST = Buffer.from('cecacce22cc7a3cdb7b5a5cebb2ccdeab3c9cab1cfde0a', 'hex');
  const utf16 = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf16le');

  it('is refused in Chinese, naming the body, by both CSV imports (GBK and UTF-16)', async () => {
    const before = await stack.db.contact.count();
    for (const file of [GBK_CONTACTS, utf16('姓名,单位,角色\n张三,市民政局,经办人\n')]) {
      const res = await contactsCsv(file);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ message: NOT_UTF8, fields: [{ field: 'body', reason: NOT_UTF8 }] });
    }
    expect(await stack.db.contact.count()).toBe(before);
    for (const file of [GBK_LIST, utf16(`问题,牵头单位,完成时限\n问题一,市民政局,${DUE}\n`)]) {
      const res = await listCsv(file);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ message: NOT_UTF8, fields: [{ field: 'body', reason: NOT_UTF8 }] });
    }
    expect(NOT_UTF8).toBe('文件不是 UTF-8 编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”');
  });
});

describe('11. a JSON row with an unknown key', () => {
  it("reports the unknown key and the row's other errors, each naming row and field in Chinese", async () => {
    const past = daysFromToday(-30);
    const res = await listJson([
      { title: '问题一', leadUnitId: 'unit-a', dueDate: past, colour: 'red' },
      { title: '', leadUnitId: '不存在的局', dueInWorkingDays: 10, dueDate: DUE, 优先: '高' },
    ]);
    expect(res.statusCode).toBe(400);
    const got = reasons(res.json());
    expect(got['items[0].colour']).toBe('第 1 项“colour”：未知字段');
    expect(got['items[0].dueDate']).toMatch(/^第 1 项“完成时限（dueDate）”：截止日期不能早于下一个工作日/);
    expect(got['items[1].优先']).toBe('第 2 项“优先”：未知字段');
    expect(got['items[1].title']).toMatch(/^第 2 项“标题（title）”：/);
    expect(got['items[1].leadUnitId']).toBe('第 2 项“牵头单位（leadUnitId）”：单位“不存在的局”不存在');
    expect(got['items[1].dueDate']).toBe('第 2 项“完成时限（dueDate）”：截止日期与工作日数只能给出其一');
  });
});

describe('12. the gap list leaves out units never given an item', () => {
  it('lists no gap for the city at the root or a supervision office, and still those of the units', async () => {
    const res = await json('GET', '/api/contacts', p.admin);
    expect(res.statusCode).toBe(200);
    const units = new Set((res.json().gaps as Array<{ unitId: string }>).map((g) => g.unitId));
    expect(units.has('city')).toBe(false);
    expect(units.has('dcs')).toBe(false);
    expect(units.has('district')).toBe(true);
    expect(units.has('unit-b')).toBe(true);
  });
});
