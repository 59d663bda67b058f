/**
 * The address book (通讯录) through the API: kept by the system administrator one by one or from
 * CSV, with every error in Chinese naming the field (and the row); read by units (their own) and
 * oversight (their jurisdiction); users carry email and mobile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('contacts-api'));
}, 60_000);
afterAll(async () => stack?.close());

const json = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  actor: Actor,
  payload?: Record<string, unknown>,
) => stack.app.inject({ method, url, headers: bearer(actor), ...(payload ? { payload } : {}) });
const csv = (text: string, actor: Actor = p.admin) =>
  stack.app.inject({
    method: 'POST',
    url: '/api/contacts/csv',
    headers: { ...bearer(actor), 'content-type': 'text/csv' },
    payload: Buffer.from(text),
  });
const count = () => stack.db.contact.count();
const reasons = (body: { fields: Array<{ field: string; reason: string }> }) =>
  Object.fromEntries(body.fields.map((f) => [f.field, f.reason]));

describe('contacts, one by one', () => {
  let id = '';

  it('adds a contact, storing the mobile as 11 digits', async () => {
    const res = await json('POST', '/api/contacts', p.admin, {
      name: '张经办',
      role: 'handler',
      unitId: 'unit-a',
      email: 'zhang@mz.example.gov.cn',
      mobile: '+86 138-0013-8000',
      imId: 'zhangjb',
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json().contact;
    expect(c).toMatchObject({
      name: '张经办',
      role: 'handler',
      roleLabel: '经办人',
      unitId: 'unit-a',
      unitName: '市民政局',
      email: 'zhang@mz.example.gov.cn',
      mobile: '13800138000',
      imId: 'zhangjb',
      digest: false,
    });
    id = c.id;
  });

  it('refuses a bad email and mobile in Chinese, naming each field, and changes nothing', async () => {
    const before = await count();
    const res = await json('POST', '/api/contacts', p.admin, {
      name: '李经办',
      role: 'handler',
      unitId: 'unit-a',
      email: 'li@',
      mobile: '1380013800',
    });
    expect(res.statusCode).toBe(400);
    expect(reasons(res.json())).toEqual({
      'body.email': '邮箱格式不正确（例如 zhang@example.gov.cn）',
      'body.mobile': '手机号码应为 11 位中国大陆手机号（1 开头）',
    });
    const noUnit = await json('POST', '/api/contacts', p.admin, { name: '王经办', role: 'handler' });
    expect(noUnit.statusCode).toBe(400);
    expect(reasons(noUnit.json())).toEqual({ 'body.unitId': '经办人必须属于一个单位' });
    const unknown = await json('POST', '/api/contacts', p.admin, {
      name: '王经办',
      role: 'handler',
      unitId: 'nowhere',
    });
    expect(reasons(unknown.json())).toEqual({ 'body.unitId': '单位“nowhere”不存在' });
    const extra = await json('POST', '/api/contacts', p.admin, {
      name: '王经办',
      role: 'handler',
      unitId: 'unit-a',
      status: 'x',
    });
    expect(extra.statusCode).toBe(400);
    expect(await count()).toBe(before);
  });

  it('changes, clears an address with an empty string, and deletes; an unknown id is 404', async () => {
    const put = await json('PUT', `/api/contacts/${id}`, p.admin, {
      name: '张经办',
      role: 'handler',
      unitId: 'unit-a',
      email: '',
      mobile: '13900139000',
      digest: true,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().contact).toMatchObject({ email: null, mobile: '13900139000', digest: true });
    const missing = await json('GET', '/api/contacts?missing=email', p.admin);
    expect(missing.json().contacts.map((c: { id: string }) => c.id)).toContain(id);
    expect((await json('PUT', '/api/contacts/nobody', p.admin, { name: 'x', role: 'leader' })).statusCode).toBe(404);
    expect((await json('DELETE', `/api/contacts/${id}`, p.admin)).statusCode).toBe(200);
    expect((await json('DELETE', `/api/contacts/${id}`, p.admin)).statusCode).toBe(404);
  });
});

describe('contacts from a CSV file', () => {
  it('imports the way an office writes them (Chinese headers and roles, names of units), and updates on a second import', async () => {
    const first = await csv(
      '\uFEFF姓名,单位,角色,邮箱,手机,即时通讯\r\n' +
        '赵主任,市财政局,经办人,zhao@cz.example.gov.cn,13700137000,\r\n' +
        '钱局长,市财政局,单位负责人,,13600136000,qianjz\r\n' +
        '陈领导,,领导,chen@example.gov.cn,,\r\n',
    );
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ created: 3, updated: 0 });
    const again = await csv('姓名,单位,角色,邮箱\n钱局长,unit-b,负责人,qian@cz.example.gov.cn\n');
    expect(again.json()).toEqual({ created: 0, updated: 1 });
    const qian = await stack.db.contact.findFirstOrThrow({ where: { name: '钱局长' } });
    // An empty cell keeps what was stored; a filled one replaces it.
    expect(qian).toMatchObject({
      unitId: 'unit-b',
      role: 'unit_leader',
      email: 'qian@cz.example.gov.cn',
      mobile: '13600136000',
    });
  });

  it('imports a file of 5,000 rows, the most it takes, in one go (it was a 500 past about 2,000)', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `批量${i},unit-a,经办人,b${i}@example.gov.cn,`);
    const res = await csv(`姓名,单位,角色,邮箱,手机\n${rows.join('\n')}\n`);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.json()).toEqual({ created: 5000, updated: 0 });
    const again = await csv(`姓名,单位,角色,邮箱,手机\n${rows.slice(0, 10).join('\n')}\n`);
    expect(again.json()).toEqual({ created: 0, updated: 10 });
    expect(await stack.db.contact.count({ where: { name: { startsWith: '批量' } } })).toBe(5000);
    await stack.db.contact.deleteMany({ where: { name: { startsWith: '批量' } } });
  });

  it('answers every error of every row at once, in Chinese, naming row and field, and imports nothing', async () => {
    const before = await count();
    const res = await csv(
      '姓名,单位,角色,邮箱,手机\n' +
        '甲,市财政局,经办人,jia@,13700137000\n' +
        '乙,市财政局,经办人,yi@example.gov.cn,1234\n' +
        ',不存在的局,科员,,\n' +
        '丁,,经办人,ding@example.gov.cn,\n' +
        '乙,市财政局,经办人,,\n',
    );
    expect(res.statusCode).toBe(400);
    expect(reasons(res.json())).toEqual({
      'row2.email': '第 2 行“邮箱”：邮箱格式不正确（例如 zhang@example.gov.cn）',
      'row3.mobile': '第 3 行“手机”：手机号码应为 11 位中国大陆手机号（1 开头）',
      'row4.name': '第 4 行“姓名”：不能为空',
      'row4.role': '第 4 行“角色”：无法识别“科员”（可填：经办人、单位负责人、督查专员、领导）',
      'row4.unit': '第 4 行“单位”：单位“不存在的局”不存在',
      'row5.unit': '第 5 行“单位”：经办人必须填写所属单位',
      'row6.name': '第 6 行“姓名”：与第 3 行重复（同一单位、同一角色、同一姓名）',
    });
    expect(res.json().message).toContain('未导入任何联系人');
    expect(await count()).toBe(before);
  });

  it('names a row by its line in the file, counting blank lines (as a spreadsheet shows it)', async () => {
    const res = await csv('姓名,单位,角色,邮箱\n甲,市财政局,经办人,jia@example.gov.cn\n\n\n乙,市财政局,经办人,yi@\n');
    expect(res.statusCode).toBe(400);
    expect(reasons(res.json())).toEqual({ 'row5.email': '第 5 行“邮箱”：邮箱格式不正确（例如 zhang@example.gov.cn）' });
  });

  it('names the columns it does not know, and the ones it needs', async () => {
    const res = await csv('姓名,部门,邮箱\n甲,市财政局,jia@example.gov.cn\n');
    expect(res.statusCode).toBe(400);
    const fields = res.json().fields.map((f: { reason: string }) => f.reason);
    expect(fields[0]).toContain('无法识别的列：“部门”');
    expect(fields).toContain('缺少“角色”列');
    expect((await csv('')).statusCode).toBe(400);
  });
});

describe('users carry email and mobile', () => {
  it('keeps a user made through the API in the address book, as the role the user is told as', async () => {
    const res = await json('PUT', '/api/users/u-new', p.admin, {
      name: '孙经办',
      role: 'unit_handler',
      unitId: 'unit-c',
      email: 'sun@ga.example.gov.cn',
      mobile: '13500135000',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user).toMatchObject({ email: 'sun@ga.example.gov.cn', mobile: '13500135000', imId: null });
    const users = (await json('GET', '/api/users', p.admin)).json().users;
    expect(users.find((u: { id: string }) => u.id === 'u-new')).toMatchObject({ email: 'sun@ga.example.gov.cn' });
    const book = (await json('GET', '/api/contacts?unitId=unit-c', p.admin)).json().contacts;
    expect(book).toEqual([
      expect.objectContaining({ id: 'user:u-new', role: 'handler', userId: 'u-new', email: 'sun@ga.example.gov.cn' }),
    ]);
    // Left out, the addresses stay; the role follows the user.
    const moved = await json('PUT', '/api/users/u-new', p.admin, {
      name: '孙经办',
      role: 'unit_leader',
      unitId: 'unit-c',
    });
    expect(moved.json().user).toMatchObject({ email: 'sun@ga.example.gov.cn', mobile: '13500135000' });
    expect(await stack.db.contact.findUniqueOrThrow({ where: { id: 'user:u-new' } })).toMatchObject({
      role: 'unit_leader',
      unitId: 'unit-c',
    });
  });

  it('refuses a bad address on a user in Chinese, and an address for a role no notice goes to', async () => {
    const bad = await json('PUT', '/api/users/u-new2', p.admin, {
      name: '某人',
      role: 'unit_handler',
      unitId: 'unit-c',
      email: 'not-an-email',
      mobile: '23800138000',
    });
    expect(bad.statusCode).toBe(400);
    expect(reasons(bad.json())).toEqual({
      'body.email': '邮箱格式不正确（例如 zhang@example.gov.cn）',
      'body.mobile': '手机号码应为 11 位中国大陆手机号（1 开头）',
    });
    const verifier = await json('PUT', '/api/users/u-new3', p.admin, {
      name: '某核查',
      role: 'verifier',
      unitId: 'dcs',
      email: 'v@example.gov.cn',
    });
    expect(verifier.statusCode).toBe(400);
    expect(reasons(verifier.json())['body.email']).toContain('不接收通知');
    expect(await stack.db.user.count({ where: { id: { in: ['u-new2', 'u-new3'] } } })).toBe(0);
  });
});

describe('who may read and keep contacts', () => {
  beforeAll(async () => {
    await stack.db.contact.createMany({
      data: [
        { id: 'perm-a', unitId: 'unit-a', role: 'handler', name: 'A经办', email: 'a@example.gov.cn' },
        { id: 'perm-d', unitId: 'district-a', role: 'handler', name: '区经办', email: 'd@example.gov.cn' },
      ],
    });
  });

  const ids = async (actor: Actor) =>
    ((await json('GET', '/api/contacts', actor)).json().contacts as Array<{ id: string }>).map((c) => c.id);

  it('lets a unit see its own contacts only, and a district its own units', async () => {
    const a = await ids(p.leadA);
    expect(a).toContain('perm-a');
    expect(a).not.toContain('perm-d');
    const d = await ids(p.districtSupervisor);
    expect(d).toContain('perm-d');
    expect(d).not.toContain('perm-a');
    expect(await ids(p.supervisor)).toEqual(expect.arrayContaining(['perm-a', 'perm-d']));
    const gaps = (await json('GET', '/api/contacts', p.leadA)).json().gaps as Array<{ unitId: string }>;
    expect(new Set(gaps.map((g) => g.unitId))).toEqual(new Set(['unit-a']));
  });

  it('lets only the system administrator change them', async () => {
    const before = await count();
    const body = { name: '越权', role: 'handler', unitId: 'unit-a' };
    for (const actor of [p.supervisor, p.leadA, p.leaderA, p.leader, p.verifier])
      expect((await json('POST', '/api/contacts', actor, body)).statusCode).toBe(403);
    expect((await json('PUT', '/api/contacts/perm-a', p.leadA, body)).statusCode).toBe(403);
    expect((await json('DELETE', '/api/contacts/perm-a', p.supervisor)).statusCode).toBe(403);
    expect((await csv('姓名,单位,角色\n越权,unit-a,经办人\n', p.supervisor)).statusCode).toBe(403);
    for (const actor of [p.verifier, p.auditor])
      expect((await json('GET', '/api/contacts', actor)).statusCode).toBe(403);
    expect(await count()).toBe(before);
  });
});
