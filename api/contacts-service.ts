/** The address book (通讯录): the system administrator's writes, one by one or from a CSV file. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Role } from '../domain/actors';
import {
  addressOf,
  CONTACT_ROLE_LABELS,
  CONTACT_ROLE_WORDS,
  CONTACT_ROLES,
  contactRoleOf,
  EMAIL_REASON,
  EmailField,
  ImIdField,
  isEmail,
  isMobile,
  MOBILE_REASON,
  MobileField,
  UNIT_CONTACT_ROLES,
  type ContactRole,
} from '../domain/contacts';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/db';
import { unitResolver } from '../lib/unit-names';
import { AppError, badRequest, notFound, type FieldError } from './errors';
import { readCsvTable } from './imports';
import { contactView, unitNamer } from './read/contacts';
import type { Services } from './services';

export const ContactBody = z.strictObject({
  name: z.string().trim().min(1, '不能为空').max(64, '最多 64 个字符').describe('姓名'),
  role: z
    .enum(CONTACT_ROLES)
    .describe('角色：handler 经办人，unit_leader 单位负责人，supervisor 督查专员，leader 领导'),
  unitId: z.string().trim().min(1).max(64).nullable().default(null).describe('所属单位（经办人、单位负责人必填）'),
  email: EmailField.default(null),
  mobile: MobileField.default(null),
  imId: ImIdField.default(null),
  userId: z.string().trim().min(1).max(64).nullable().default(null).describe('对应的系统用户（可空）'),
  digest: z.boolean().default(false).describe('非紧急通知是否并入每日汇总'),
});
export type ContactInput = z.output<typeof ContactBody>;

/** The rules a contact must meet beyond its shape; each names the field at fault. */
async function contactProblems(db: Db | Prisma.TransactionClient, c: ContactInput): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  if (UNIT_CONTACT_ROLES.has(c.role) && !c.unitId)
    problems.push({ field: 'body.unitId', reason: `${CONTACT_ROLE_LABELS[c.role]}必须属于一个单位` });
  if (c.unitId && !(await db.unit.findUnique({ where: { id: c.unitId }, select: { id: true } })))
    problems.push({ field: 'body.unitId', reason: `单位“${c.unitId}”不存在` });
  if (c.userId && !(await db.user.findUnique({ where: { id: c.userId }, select: { id: true } })))
    problems.push({ field: 'body.userId', reason: `用户“${c.userId}”不存在` });
  return problems;
}

const stored = (c: ContactInput) => ({
  name: c.name,
  role: c.role,
  unitId: c.unitId,
  email: addressOf(c.email, 'email'),
  mobile: addressOf(c.mobile, 'mobile'),
  imId: addressOf(c.imId, 'imId'),
  userId: c.userId,
  digest: c.digest,
});

async function view(s: Services, c: Parameters<typeof contactView>[0]) {
  const units = await s.db.unit.findMany({ select: { id: true, name: true, parentId: true } });
  return contactView(c, unitNamer(units));
}

const newId = () => `c-${randomBytes(6).toString('hex')}`;

/**
 * The same person in the same seat twice (same unit, role, name and email, the email in any
 * case): refused, 409, naming the contact already there. `except` is the contact being changed.
 */
async function refuseDuplicate(db: Db, c: ContactInput, except?: string): Promise<void> {
  const email = addressOf(c.email, 'email');
  const twin = await db.contact.findFirst({
    where: {
      unitId: c.unitId,
      role: c.role,
      name: c.name,
      email: email === null ? null : { equals: email, mode: 'insensitive' },
      ...(except ? { NOT: { id: except } } : {}),
    },
    select: { id: true },
  });
  if (twin)
    throw new AppError(
      409,
      'conflict',
      `已有同一单位、同一角色、同一姓名和邮箱的联系人“${c.name}”（编号 ${twin.id}），请修改该联系人，不要重复登记`,
      { reason: 'duplicate_contact' },
    );
}

export async function createContact(s: Services, body: ContactInput) {
  const problems = await contactProblems(s.db, body);
  if (problems.length) throw badRequest(problems);
  await refuseDuplicate(s.db, body);
  const saved = await s.db.contact.create({ data: { id: newId(), ...stored(body) } });
  return { contact: await view(s, saved) };
}

export async function updateContact(s: Services, id: string, body: ContactInput) {
  const existing = await s.db.contact.findUnique({ where: { id }, select: { id: true, unitId: true, userId: true } });
  if (!existing) throw notFound('联系人不存在');
  const problems = await contactProblems(s.db, body);
  // A user's own contact is kept in step with the user (syncUserContact): moved here, the user
  // would be in one unit and told as a member of another.
  if (existing.userId && body.unitId !== existing.unitId)
    problems.push({
      field: 'body.unitId',
      reason: `该联系人属于系统用户“${existing.userId}”，不能在通讯录中改换单位：请修改该用户的所属单位`,
    });
  if (problems.length) throw badRequest(problems);
  await refuseDuplicate(s.db, body, id);
  const saved = await s.db.contact.update({ where: { id }, data: { ...stored(body), updatedAt: new Date() } });
  return { contact: await view(s, saved) };
}

export async function deleteContact(s: Services, id: string) {
  const gone = await s.db.contact.deleteMany({ where: { id } });
  if (gone.count === 0) throw notFound('联系人不存在');
  return { deleted: id };
}

/** The columns an office's spreadsheet may carry, by the words it uses (the field's own name is taken too). */
const CSV_COLUMNS: Record<keyof CsvRow, readonly string[]> = {
  name: ['姓名'],
  unit: ['单位', '单位名称', '所属单位', '单位编号', 'unitId'],
  role: ['角色', '身份'],
  email: ['邮箱', '电子邮箱', '电子邮件', 'e-mail'],
  mobile: ['手机', '手机号', '手机号码', '移动电话'],
  imId: ['即时通讯', '即时通讯账号', '浙政钉', '钉钉'],
  userId: ['用户', '用户编号', '账号'],
  digest: ['每日汇总'],
};
const COLUMN_LABELS = {
  name: '姓名',
  unit: '单位',
  role: '角色',
  email: '邮箱',
  mobile: '手机',
  imId: '即时通讯',
  userId: '用户编号',
  digest: '每日汇总',
};

interface CsvRow {
  name: string;
  unit: string;
  role: string;
  email: string;
  mobile: string;
  imId: string;
  userId: string;
  digest: string;
}

export const MAX_CONTACT_ROWS = 5000;

const YES = new Set(['是', 'y', 'yes', 'true', '1']);
const NO = new Set(['否', 'n', 'no', 'false', '0']);

/**
 * Imports contacts from CSV (列名: 姓名, 单位, 角色, 邮箱, 手机, 即时通讯, 用户编号, 每日汇总; a title row
 * above them may stay). Every error of every row comes back in one answer, naming the row (as the
 * file counts it) and the column; only a wholly valid file is imported. A row updates the contact
 * of the same unit, role and name, or adds one; an empty address cell keeps what is stored.
 */
export async function importContacts(s: Services, text: string) {
  // Read as the problem-list import reads its file: a title row above the header passed over,
  // notes such as `（必填）` or a `*` in a column name ignored, each row keeping its number in the
  // file (the header is row 1, a blank line counts); a file that is not UTF-8 refused at once.
  const table = readCsvTable<keyof CsvRow>(text, CSV_COLUMNS, { label: (f) => COLUMN_LABELS[f] });
  if (table.errors.some((e) => e.field === 'csv')) throw badRequest(table.errors, '通讯录文件有误');
  const errors: FieldError[] = [];
  // Every column it does not know in one sentence, with the columns it does.
  if (table.unknown.length)
    errors.push({
      field: 'csv.header',
      reason: `无法识别的列：${table.unknown.map((h) => `“${h}”`).join('、')}（可用的列：${Object.values(COLUMN_LABELS).join('、')}）`,
    });
  errors.push(...table.errors.filter((e) => !(e.field === 'csv.header' && e.reason.endsWith('无法识别'))));
  for (const need of ['name', 'role'] as const)
    if (table.columns[need] === undefined)
      errors.push({ field: 'csv.header', reason: `缺少“${COLUMN_LABELS[need]}”列` });
  if (errors.length) throw badRequest(errors, '通讯录文件有误');
  const records = table.rows;
  if (records.length === 0) throw badRequest([{ field: 'csv', reason: '文件中没有联系人' }], '通讯录文件有误');
  if (records.length > MAX_CONTACT_ROWS)
    throw badRequest(
      [{ field: 'csv', reason: `一次最多导入 ${MAX_CONTACT_ROWS} 位联系人，本次 ${records.length} 位，请拆分导入` }],
      '通讯录文件有误',
    );

  const units = await s.db.unit.findMany({ select: { id: true, name: true, parentId: true } });
  const resolveUnit = unitResolver(units);
  const userIds = new Set(
    (
      await s.db.user.findMany({
        where: {
          id: { in: records.flatMap(({ cells }) => (cells.userId ? [cells.userId] : [])) },
        },
        select: { id: true },
      })
    ).map((u) => u.id),
  );

  const parsed: Array<{
    row: number;
    data: ContactInput;
    keep: Set<'email' | 'mobile' | 'imId' | 'userId' | 'digest'>;
  }> = [];
  const firstRowOf = new Map<string, number>();
  for (const { place, cells } of records) {
    const { row } = place;
    const r: CsvRow = { name: '', unit: '', role: '', email: '', mobile: '', imId: '', userId: '', digest: '' };
    Object.assign(r, cells);
    const bad = (col: keyof CsvRow, reason: string) =>
      errors.push({ field: `row${row}.${col}`, reason: `第 ${row} 行“${COLUMN_LABELS[col]}”：${reason}` });
    const before = errors.length;
    if (!r.name) bad('name', '不能为空');
    else if (r.name.length > 64) bad('name', '最多 64 个字符');
    const role: ContactRole | undefined = CONTACT_ROLE_WORDS[r.role] ?? CONTACT_ROLE_WORDS[r.role.toLowerCase()];
    if (!r.role) bad('role', '不能为空（经办人、单位负责人、督查专员或领导）');
    else if (!role) bad('role', `无法识别“${r.role}”（可填：经办人、单位负责人、督查专员、领导）`);
    let unitId: string | null = null;
    if (r.unit) {
      const found = resolveUnit(r.unit);
      if ('id' in found) unitId = found.id;
      else bad('unit', found.reason);
    } else if (role && UNIT_CONTACT_ROLES.has(role)) bad('unit', `${CONTACT_ROLE_LABELS[role]}必须填写所属单位`);
    if (r.email && !isEmail(r.email)) bad('email', EMAIL_REASON);
    if (r.email.length > 254) bad('email', '最多 254 个字符');
    if (r.mobile && !isMobile(r.mobile)) bad('mobile', MOBILE_REASON);
    if (r.imId.length > 128) bad('imId', '最多 128 个字符');
    if (r.userId && !userIds.has(r.userId)) bad('userId', `用户“${r.userId}”不存在`);
    const digest = r.digest
      ? YES.has(r.digest.toLowerCase())
        ? true
        : NO.has(r.digest.toLowerCase())
          ? false
          : null
      : false;
    if (digest === null) bad('digest', '请填写“是”或“否”');
    // The same person twice in one file, whatever else is wrong with either row.
    if (role && r.name && (unitId || !r.unit)) {
      const key = `${unitId ?? ''}\u0001${role}\u0001${r.name}`;
      const first = firstRowOf.get(key);
      if (first !== undefined) bad('name', `与第 ${first} 行重复（同一单位、同一角色、同一姓名）`);
      else firstRowOf.set(key, row);
    }
    if (errors.length > before || !role) continue;
    const keep = new Set<'email' | 'mobile' | 'imId' | 'userId' | 'digest'>();
    if (!r.email) keep.add('email');
    if (!r.mobile) keep.add('mobile');
    if (!r.imId) keep.add('imId');
    if (!r.userId) keep.add('userId');
    if (!r.digest) keep.add('digest');
    parsed.push({
      row,
      keep,
      data: {
        name: r.name,
        role,
        unitId,
        email: r.email || null,
        mobile: r.mobile || null,
        imId: r.imId || null,
        userId: r.userId || null,
        digest: digest ?? false,
      },
    });
  }
  if (errors.length) throw badRequest(errors, `通讯录文件有 ${errors.length} 处错误，未导入任何联系人`);

  // One read of the contacts the file may update, then one write a row: a file of 5,000 rows
  // took longer than Prisma's default 5 s for an interactive transaction when each row read too.
  return s.db.$transaction(
    async (tx) => {
      let created = 0;
      let updated = 0;
      const key = (c: { unitId: string | null; role: string; name: string }) =>
        JSON.stringify([c.unitId, c.role, c.name]);
      const existingByKey = new Map<string, { id: string }>();
      const rows = await tx.contact.findMany({
        where: { name: { in: [...new Set(parsed.map((p) => p.data.name))] } },
        orderBy: { id: 'desc' },
        select: { id: true, unitId: true, role: true, name: true },
      });
      // Ordered newest id first, so the map keeps the first by id, as findFirst ordered by id did.
      for (const c of rows) existingByKey.set(key(c), c);
      for (const { data, keep } of parsed) {
        const existing = existingByKey.get(key(data));
        const values = stored(data);
        if (existing) {
          const patch: Prisma.ContactUpdateInput = { updatedAt: new Date() };
          if (!keep.has('email')) patch.email = values.email;
          if (!keep.has('mobile')) patch.mobile = values.mobile;
          if (!keep.has('imId')) patch.imId = values.imId;
          if (!keep.has('userId')) patch.userId = values.userId;
          if (!keep.has('digest')) patch.digest = values.digest;
          await tx.contact.update({ where: { id: existing.id }, data: patch });
          updated++;
        } else {
          const id = newId();
          await tx.contact.create({ data: { id, ...values } });
          existingByKey.set(key(data), { id });
          created++;
        }
      }
      return { created, updated };
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}

/**
 * A user's addresses live on the contact the user is told as (`user:<id>`, or the one already
 * linked to the user in that role and unit): saving a user keeps it in step, so a user made
 * through the API is reached (or, without an address, reported) from the first notice on.
 * Addresses left out of the body stay as they are; null or "" clears one. Every other contact
 * linked to the user (another role, another unit) carries the same person's addresses.
 */
export async function syncUserContact(
  tx: Prisma.TransactionClient,
  user: { id: string; name: string; role: Role; unitId: string | null },
  addresses: { email?: string | null; mobile?: string | null; imId?: string | null },
): Promise<void> {
  const role = contactRoleOf(user.role);
  const linked = await tx.contact.findMany({ where: { userId: user.id }, orderBy: { id: 'asc' } });
  const patch: Prisma.ContactUpdateInput = { name: user.name, updatedAt: new Date() };
  if (addresses.email !== undefined) patch.email = addressOf(addresses.email, 'email');
  if (addresses.mobile !== undefined) patch.mobile = addressOf(addresses.mobile, 'mobile');
  if (addresses.imId !== undefined) patch.imId = addressOf(addresses.imId, 'imId');
  const own = `user:${user.id}`;
  if (!role) {
    // A role no notice is addressed to: the contact this user was told as goes.
    await tx.contact.deleteMany({ where: { id: own } });
    return;
  }
  const unitId = user.unitId;
  const primary = linked.find((c) => c.role === role && c.unitId === unitId) ?? linked.find((c) => c.id === own);
  // The seat this user was told as before, in another role or unit, is not theirs any more.
  const stale = linked.filter((c) => c.id === own && c !== primary);
  if (stale.length) await tx.contact.deleteMany({ where: { id: own } });
  const others = linked.filter((c) => c !== primary && c.id !== own);
  if (primary) await tx.contact.update({ where: { id: primary.id }, data: { ...patch, role, unitId } });
  else {
    const first = linked[0];
    await tx.contact.create({
      data: {
        id: own,
        name: user.name,
        role,
        unitId,
        userId: user.id,
        // A new seat for a person already in the book carries the person's addresses.
        email: addresses.email !== undefined ? addressOf(addresses.email, 'email') : (first?.email ?? null),
        mobile: addresses.mobile !== undefined ? addressOf(addresses.mobile, 'mobile') : (first?.mobile ?? null),
        imId: addresses.imId !== undefined ? addressOf(addresses.imId, 'imId') : (first?.imId ?? null),
      },
    });
  }
  if (others.length)
    await tx.contact.updateMany({
      where: { id: { in: others.map((c) => c.id) } },
      data: patch as Prisma.ContactUpdateManyMutationInput,
    });
}
