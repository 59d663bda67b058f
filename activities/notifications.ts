import { Context } from '@temporalio/activity';
import { createHash, randomBytes } from 'node:crypto';
import { inWorkingTime, shanghaiDate, workingDaysBetween, type WorkHours } from '../domain/calendar';
import type { Item } from '../domain/item';
import { parseItem } from '../domain/item-schema';
import {
  isKind,
  NOTIFICATION_KINDS,
  renderDigest,
  renderMessage,
  type NotificationKind,
} from '../domain/notifications';
import { CONTACT_ROLE_LABELS, type ContactRole } from '../domain/contacts';
import { itemSubject, subjectColumns, subjectOf, subjectPath, type Subject } from '../domain/subject';
import { currentCalendar } from '../lib/calendar-store';
import { cancelNoticesOfFinishedItems } from './cancel-notices';
import type { Db } from '../lib/db';
import { unitLabels } from '../lib/unit-names';
import { MailError, type Mailer } from '../lib/mailer';
import { Prisma } from '../generated/prisma/client';
import { activeTracing, inStoredTrace } from '../lib/tracing';

export interface NotificationOptions {
  from: string;
  /** Where the console is, for the link in each message. */
  publicUrl: string;
  /** Office hours; outside them (and on rest days) only urgent notices are sent. */
  workHours?: WorkHours;
  /** A row still "sending" this long after it was claimed is sent again (its worker died). */
  staleSendingMs?: number;
  now?: () => number;
}

const DEFAULT_WORK_HOURS: WorkHours = { start: '08:30', end: '18:00' };

interface RequestRow {
  key: string;
  subject_kind: string;
  subject_id: string;
  kind: string;
  targets: string[];
  unit_ids: string[];
  payload: Record<string, unknown>;
}

interface ContactRow {
  id: string;
  unitId: string | null;
  role: string;
  name: string;
  email: string | null;
  userId: string | null;
  digest: boolean;
}

interface OutboxRow {
  id: bigint;
  key: string;
  recipient_email: string;
  subject: string;
  text: string;
  html: string;
  attempts: number;
  /** The trace of the action that asked for this notice, while this process traces (lib/tracing.ts). */
  trace_context?: unknown;
}

/**
 * Tells Temporal the sending activity is alive, so a worker killed mid-batch is noticed within the
 * heartbeat timeout rather than the whole start-to-close timeout. Outside an activity (tests
 * calling the functions directly) there is nobody to tell.
 */
function alive(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not running as an activity
  }
}

/** 5 s, 10 s, 20 s … up to 10 minutes between attempts at a temporarily failing server. */
export function backoffMs(attempts: number): number {
  return Math.min(10 * 60_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

export function messageIdFor(key: string): string {
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@duban.local>`;
}

/**
 * What a message says of its subject: its title, the unit answering for it, the deadline in
 * force, whether working days are still counted towards it, and its page in the console.
 */
interface About {
  subject: Subject;
  /** An item's 督办编号; a cycle has none. */
  number?: string;
  title: string;
  unitId: string;
  /** A calendar date. */
  deadline: string;
  /** False once there is nothing left to do (a closed or withdrawn item): no days left or overdue are shown. */
  counting: boolean;
  /** Under the public URL. */
  path: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An item's notice speaks of the item as recorded; a rung's notice names the deadline it is about. */
function aboutItem(item: Item, number: string | undefined, payload: Record<string, unknown>): About {
  const subject = itemSubject(item.id);
  return {
    subject,
    number,
    title: item.title,
    unitId: item.leadUnitId,
    deadline: str(payload.deadline) ?? item.deadlines?.clocks.closure?.deadline ?? item.dueDate,
    counting: item.status !== 'closed' && item.status !== 'withdrawn',
    path: str(payload.link) ?? subjectPath(subject),
  };
}

/**
 * A monitoring cycle's (or a 举一反三's) notice carries what it says in its payload: the title and the
 * deadline (and its page); it is addressed to the unit it names first (none: a notice to
 * supervisors and leaders). Without a title or a deadline there is nothing to say.
 */
function aboutCycle(subject: Subject, unitIds: string[], payload: Record<string, unknown>): About | undefined {
  const title = str(payload.title);
  const deadline = str(payload.deadline);
  if (title === undefined || deadline === undefined) return undefined;
  return {
    subject,
    title,
    unitId: unitIds[0] ?? '',
    deadline,
    counting: true,
    path: str(payload.link) ?? subjectPath(subject),
  };
}

/** One person (or an empty seat) a notice goes to. */
interface Recipient {
  /** Who it is, for keys and de-duplication when there is no address: `contact:<id>`, `unit:<id>:<role>`, `user:<id>`. */
  key: string;
  name: string;
  email: string | null;
  userId: string | null;
  digest: boolean;
  /** The unit the seat belongs to (null: oversight). */
  unitId: string | null;
  /** Why no mail can go (when `email` is null): shown in the undelivered list and told to the supervisor. */
  missing: string | null;
}

interface ResolverData {
  contacts: ContactRow[];
  users: Map<string, { id: string; name: string; active: boolean; jurisdictionUnitId: string | null }>;
  units: Map<string, string>;
  parentOf: Map<string, string | null>;
  /** Each unit's kind (`supervision`: a 督查室, whose contacts oversee the level it belongs to). */
  kindOf?: Map<string, string>;
}

/**
 * Who a notice reaches, from the address book (`contacts`). A target nobody fills is an empty
 * seat: a recipient without an address ("缺少联系人"), so the notice is listed as undelivered and
 * the supervisor told, never dropped. A contact whose user is disabled fills no seat. Supervisors
 * and leaders are those over the unit: a contact linked to a user covers the user's jurisdiction
 * (all units when the user has none); a contact of nobody's covers the subtree of the unit it is
 * placed in — of its parent when that is a supervision office (督查室), which oversees the level
 * it belongs to — and every unit when it is placed at the root or in no unit.
 */
export function recipientResolver({ contacts, users, units, parentOf, kindOf }: ResolverData) {
  const live = (c: ContactRow) => !c.userId || users.get(c.userId)?.active !== false;
  const ancestors = (unitId: string | undefined): Set<string> | null => {
    if (!unitId) return null;
    const out = new Set<string>();
    for (let at: string | null | undefined = unitId, i = 0; at && i < 1000; at = parentOf.get(at), i++) out.add(at);
    return out;
  };
  /** The root of the subtree a contact of nobody's oversees; null for everything. */
  const placedOver = (unitId: string | null): string | null => {
    const at = unitId && kindOf?.get(unitId) === 'supervision' ? (parentOf.get(unitId) ?? null) : unitId;
    return at && parentOf.get(at) ? at : null;
  };
  const covers = (c: ContactRow, over: Set<string> | null) => {
    const linked = c.userId ? users.get(c.userId) : undefined;
    const j = linked ? linked.jurisdictionUnitId : placedOver(c.unitId);
    return !j || over === null || over.has(j);
  };
  const person = (c: ContactRow): Recipient => ({
    key: `contact:${c.id}`,
    name: c.name,
    email: c.email,
    userId: c.userId,
    digest: c.digest,
    unitId: c.unitId,
    missing: c.email ? null : '缺少邮箱',
  });
  const seat = (unitId: string | null, role: ContactRole): Recipient => {
    const label = CONTACT_ROLE_LABELS[role];
    return {
      key: unitId ? `unit:${unitId}:${role}` : `oversight:${role}`,
      name: unitId ? `${units.get(unitId) ?? unitId}${label}（未登记）` : `${label}（未登记）`,
      email: null,
      userId: null,
      digest: false,
      unitId,
      missing: `缺少联系人：${unitId ? '该单位' : ''}未登记${label}`,
    };
  };
  const inUnit = (unitId: string, role: ContactRole): Recipient[] => {
    const found = contacts.filter((c) => c.unitId === unitId && c.role === role && live(c));
    return found.length ? found.map(person) : [seat(unitId, role)];
  };
  const over = (role: 'supervisor' | 'leader', unitId: string | undefined): ContactRow[] => {
    const up = ancestors(unitId);
    return contacts.filter((c) => c.role === role && live(c) && covers(c, up));
  };
  return {
    /** The recipients of a notice's targets, one per person (by address, or by seat without one). */
    recipients(targets: string[], unitIds: string[]): Recipient[] {
      const [lead, ...co] = unitIds;
      const wanted: Recipient[] = [];
      for (const target of targets) {
        if (target === 'handler' && lead) wanted.push(...inUnit(lead, 'handler'));
        if (target === 'unit_leader' && lead) wanted.push(...inUnit(lead, 'unit_leader'));
        if (target === 'co_units') for (const u of co) wanted.push(...inUnit(u, 'handler'));
        if (target === 'supervisor' || target === 'leader') {
          const found = over(target, lead);
          wanted.push(...(found.length ? found.map(person) : [seat(null, target)]));
        }
      }
      // One person reached through two roles gets one message.
      const seen = new Set<string>();
      return wanted.filter((r) => {
        const k = r.email?.toLowerCase() ?? r.key;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    },
    /**
     * Whom to tell that a recipient of `unitId` cannot be reached: the supervisors over the unit
     * and whoever opened the item (a user without a contact is told in the app only).
     */
    tellers(unitId: string | undefined, openerUserId: string | undefined): Recipient[] {
      const found = over('supervisor', unitId).map(person);
      if (openerUserId && !found.some((r) => r.userId === openerUserId)) {
        const own = contacts.find((c) => c.userId === openerUserId && c.role === 'supervisor' && live(c));
        const user = users.get(openerUserId);
        if (own) found.push(person(own));
        else if (user?.active)
          found.push({
            key: `user:${user.id}`,
            name: user.name,
            email: null,
            userId: user.id,
            digest: false,
            unitId: null,
            missing: '缺少邮箱',
          });
      }
      const seen = new Set<string>();
      return found.filter((r) => {
        const k = r.email?.toLowerCase() ?? r.key;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    },
  };
}

/**
 * The outbox: requests (one per event) become messages (one per event and recipient), and
 * messages are sent. Both steps are idempotent and safe to run in several workers at once.
 */
export function createNotificationActivities(db: Db, mailer: Mailer | undefined, opts: NotificationOptions) {
  const now = () => opts.now?.() ?? Date.now();
  const workHours = opts.workHours ?? DEFAULT_WORK_HOURS;
  const ackLinkFor = (token: string) => `${opts.publicUrl}/api/ack/${token}`;

  /** Resolves each pending request's recipients and writes one outbox row per person. */
  async function expandRequests(limit = 200): Promise<number> {
    const cal = await currentCalendar(db);
    return db.$transaction(async (tx) => {
      const requests = await tx.$queryRaw<RequestRow[]>`
        SELECT key, subject_kind, subject_id, kind, targets, unit_ids, payload FROM notification_requests
        WHERE status = 'pending' ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (requests.length === 0) return 0;
      const itemRows = await tx.item.findMany({
        where: { id: { in: requests.filter((r) => r.subject_kind === 'item').map((r) => r.subject_id) } },
        select: { id: true, number: true, snapshot: true },
      });
      const items = new Map(itemRows.map((i) => [i.id, parseItem(i.snapshot)]));
      const numbers = new Map(itemRows.map((i) => [i.id, i.number]));
      const aboutRequest = (req: RequestRow): About | undefined => {
        const subject = subjectOf({ subjectKind: req.subject_kind, subjectId: req.subject_id });
        // A 举一反三's notice carries what it says in its payload, as a cycle's does.
        if (subject.kind !== 'item') return aboutCycle(subject, req.unit_ids, req.payload);
        const item = items.get(subject.id);
        return item && aboutItem(item, numbers.get(subject.id), req.payload);
      };
      const unitIds = [...new Set(requests.flatMap((r) => r.unit_ids))];
      // The whole tree, small: names, and the ancestors that say whose jurisdiction a unit is in.
      const allUnits = await tx.unit.findMany({ select: { id: true, name: true, parentId: true, kind: true } });
      // Named to people by label: qualified by the parent's name where two units share a name.
      const units = unitLabels(allUnits);
      const parentOf = new Map(allUnits.map((u) => [u.id, u.parentId]));
      const contacts = (await tx.contact.findMany({
        where: { OR: [{ unitId: { in: unitIds } }, { role: { in: ['supervisor', 'leader'] } }] },
        orderBy: { id: 'asc' },
      })) as ContactRow[];
      const openers = [...items.values()].map((i) => i.createdBy?.userId).filter((x): x is string => !!x);
      const users = new Map(
        (
          await tx.user.findMany({
            where: { id: { in: [...new Set([...contacts.flatMap((c) => (c.userId ? [c.userId] : [])), ...openers])] } },
            select: { id: true, name: true, active: true, jurisdictionUnitId: true },
          })
        ).map((u) => [u.id, u]),
      );
      const kindOf = new Map(allUnits.map((u) => [u.id, u.kind]));
      const resolver = recipientResolver({ contacts, users, units, parentOf, kindOf });
      const rows: Prisma.OutboxMessageCreateManyInput[] = [];
      for (const req of requests) {
        const about = aboutRequest(req);
        if (!about || !isKind(req.kind)) {
          // Never dropped without trace: a notice that cannot be written is listed as undelivered.
          rows.push({
            key: `${req.key}/unrenderable`,
            requestKey: req.key,
            ...subjectColumns(subjectOf({ subjectKind: req.subject_kind, subjectId: req.subject_id })),
            kind: req.kind,
            urgent: false,
            recipientEmail: null,
            recipientName: '（无法确定收件人）',
            userId: null,
            subject: '',
            text: '',
            html: '',
            status: 'failed',
            lastError: '无法生成通知：所涉事项或监测周期不存在，或通知类型未知',
            ackToken: null,
            nextAttemptAt: new Date(now()),
          });
          continue;
        }
        const kind: NotificationKind = req.kind;
        const recipients = resolver.recipients(req.targets, req.unit_ids);
        const { deadline } = about;
        const today = shanghaiDate(now());
        const left = !about.counting
          ? null
          : today <= deadline
            ? workingDaysBetween(cal, today, deadline)
            : -workingDaysBetween(cal, deadline, today);
        const render = (
          recipientName: string,
          k: NotificationKind,
          extra: Record<string, unknown>,
          ackToken: string | null,
        ) =>
          renderMessage({
            kind: k,
            recipientName,
            subjectId: about.subject.id,
            number: about.number,
            title: about.title,
            unitName: units.get(about.unitId) ?? about.unitId,
            deadline,
            workingDaysLeft: left,
            link: `${opts.publicUrl}${about.path}`,
            ...(ackToken ? { ackLink: ackLinkFor(ackToken) } : {}),
            extra,
          });
        const opener = about.subject.kind === 'item' ? items.get(about.subject.id)?.createdBy?.userId : undefined;
        for (const c of recipients) {
          const ackToken = c.email ? randomBytes(16).toString('hex') : null;
          const msg = render(c.name, kind, req.payload, ackToken);
          const urgent = NOTIFICATION_KINDS[kind].urgent;
          const recipientKey = c.email?.toLowerCase() ?? c.key;
          rows.push({
            // A year without calendar data is told to each recipient once, whichever item counted in it first.
            key:
              kind === 'calendar_unknown'
                ? `calendar-unknown/${String((req.payload as { year?: unknown }).year)}/${recipientKey}`
                : `${req.key}/${recipientKey}`,
            requestKey: req.key,
            ...subjectColumns(about.subject),
            kind,
            urgent,
            recipientEmail: c.email,
            recipientName: c.name,
            userId: c.userId,
            ...msg,
            // Urgent kinds always go at once; the rest wait for the daily digest of those who chose it.
            status: !c.email ? 'no_address' : c.digest && !urgent ? 'digest' : 'pending',
            lastError: c.email ? null : c.missing,
            ackToken,
            nextAttemptAt: new Date(now()),
          });
          if (c.email) continue;
          // Never silently dropped: the supervisors over the unit, and whoever opened the item, are
          // told whose address is missing, once per unit and condition (the key has no request in it).
          const unitLabel = c.unitId ? (units.get(c.unitId) ?? c.unitId) : '督查及领导';
          for (const s of resolver.tellers(c.unitId ?? req.unit_ids[0], opener)) {
            if (s.key === c.key) continue;
            const token = s.email ? randomBytes(16).toString('hex') : null;
            const m = render(
              s.name,
              'missing_address',
              { contactName: c.name, contactUnit: unitLabel, missingReason: c.missing },
              token,
            );
            rows.push({
              key: `missing/${c.unitId ?? '-'}/${c.key}/${s.email?.toLowerCase() ?? s.key}`,
              requestKey: req.key,
              ...subjectColumns(about.subject),
              kind: 'missing_address',
              urgent: false,
              recipientEmail: s.email,
              recipientName: s.name,
              userId: s.userId,
              ...m,
              // A supervisor without an address is told in the app (and is listed as undelivered in turn).
              status: s.email ? 'pending' : 'no_address',
              lastError: s.email ? null : s.missing,
              ackToken: token,
              nextAttemptAt: new Date(now()),
            });
          }
        }
      }
      if (rows.length) await tx.outboxMessage.createMany({ data: rows, skipDuplicates: true });
      await tx.notificationRequest.updateMany({
        where: { key: { in: requests.map((r) => r.key) } },
        data: { status: 'expanded' },
      });
      return requests.length;
    });
  }

  /**
   * Sends what is due. A row is claimed (status sending) before the SMTP conversation and marked
   * sent right after it; a row still "sending" two minutes later (its worker died in between) is
   * sent again, with the same Message-ID. That is the only window for a duplicate.
   */
  async function sendPending(limit = 50): Promise<{ sent: number; retried: number; failed: number }> {
    if (!mailer) throw new Error('no mailer configured');
    const at = new Date(now());
    // Quiet hours: outside office hours of a working day only urgent notices go out.
    const onlyUrgent = !inWorkingTime(await currentCalendar(db), at.getTime(), workHours);
    const claimed = await db.$queryRaw<OutboxRow[]>`
      UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ${at}
      WHERE id IN (
        SELECT id FROM outbox
        WHERE ((status = 'pending' AND next_attempt_at <= ${at})
           OR (status = 'sending' AND next_attempt_at <= ${new Date(at.getTime() - (opts.staleSendingMs ?? 120_000))}))
          AND (urgent OR NOT ${onlyUrgent})
        ORDER BY urgent DESC, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id, key, recipient_email, subject, text, html, attempts${
        activeTracing()
          ? Prisma.sql`, (SELECT r.payload -> 'traceContext' FROM notification_requests r WHERE r.key = outbox.request_key) AS trace_context`
          : Prisma.empty
      }`;
    let sent = 0;
    let retried = 0;
    let failed = 0;
    // A few messages in flight at once over the pooled connections; the pool keeps the rate limit.
    let next = 0;
    const sendOne = async (row: OutboxRow) => {
      alive();
      try {
        const info = await inStoredTrace(row.trace_context, () =>
          mailer.send({
            from: opts.from,
            to: row.recipient_email,
            subject: row.subject,
            text: row.text,
            html: row.html,
            messageId: messageIdFor(row.key),
          }),
        );
        await db.outboxMessage.update({
          where: { id: row.id },
          data: { status: 'sent', messageId: info.messageId, sentAt: new Date(now()), lastError: null },
        });
        sent++;
      } catch (err) {
        const permanent = err instanceof MailError && err.permanent;
        await db.outboxMessage.update({
          where: { id: row.id },
          data: permanent
            ? { status: 'failed', lastError: (err as Error).message.slice(0, 1000) }
            : {
                status: 'pending',
                lastError: (err as Error).message.slice(0, 1000),
                nextAttemptAt: new Date(now() + backoffMs(row.attempts)),
              },
        });
        if (permanent) failed++;
        else retried++;
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(8, claimed.length) }, async () => {
        while (next < claimed.length) await sendOne(claimed[next++]!);
      }),
    );
    return { sent, retried, failed };
  }

  /**
   * Once a working day, in office hours: everything waiting for a person's digest becomes one
   * message. The digest's key holds the date and the address, so it is made once a day at most.
   */
  async function composeDigests(): Promise<number> {
    const at = now();
    if (!inWorkingTime(await currentCalendar(db), at, workHours)) return 0;
    const date = shanghaiDate(at);
    return db.$transaction(async (tx) => {
      const waiting = await tx.$queryRaw<
        Array<{
          id: bigint;
          recipient_email: string;
          recipient_name: string;
          user_id: string | null;
          kind: string;
          subject_kind: string;
          subject_id: string;
          subject: string;
        }>
      >`
        SELECT id, recipient_email, recipient_name, user_id, kind, subject_kind, subject_id, subject FROM outbox WHERE status = 'digest' ORDER BY id FOR UPDATE SKIP LOCKED`;
      const byRecipient = new Map<string, typeof waiting>();
      for (const w of waiting)
        byRecipient.set(w.recipient_email.toLowerCase(), [
          ...(byRecipient.get(w.recipient_email.toLowerCase()) ?? []),
          w,
        ]);
      for (const [email, rows] of byRecipient) {
        const key = `digest/${email}/${date}`;
        const token = randomBytes(16).toString('hex');
        const entries = rows.map((r) => ({
          kindLabel: isKind(r.kind) ? NOTIFICATION_KINDS[r.kind].label : r.kind,
          title: r.subject.replace(/^【[^】]*】/, ''),
          link: `${opts.publicUrl}${subjectPath(subjectOf({ subjectKind: r.subject_kind, subjectId: r.subject_id }))}`,
        }));
        const msg = renderDigest(rows[0]!.recipient_name, date, entries, ackLinkFor(token));
        const created = await tx.outboxMessage.createMany({
          data: [
            {
              key,
              requestKey: key,
              // A digest is filed under its first entry's subject; who may read it is judged by all of them (api/visibility.ts).
              subjectKind: rows[0]!.subject_kind,
              subjectId: rows[0]!.subject_id,
              kind: 'digest',
              urgent: false,
              recipientEmail: rows[0]!.recipient_email,
              recipientName: rows[0]!.recipient_name,
              userId: rows[0]!.user_id,
              ...msg,
              status: 'pending',
              ackToken: token,
              nextAttemptAt: new Date(at),
            },
          ],
          skipDuplicates: true,
        });
        // Today's digest went out already: what came later waits for tomorrow's.
        if (created.count === 1)
          await tx.outboxMessage.updateMany({
            where: { id: { in: rows.map((r) => r.id) } },
            data: { status: 'digested', digestKey: key },
          });
      }
      return byRecipient.size;
    });
  }

  return {
    expandRequests,
    sendPending,
    composeDigests,
    /** Whether anyone acknowledged the notice of this request (read it in the app or opened the link). */
    async isAcknowledged(requestKey: string): Promise<boolean> {
      return (await db.outboxMessage.count({ where: { requestKey, readAt: { not: null } } })) > 0;
    },
    /** One round of the dispatcher: expand, then send; `more` when another round should follow at once. */
    async dispatchOutbox(): Promise<{
      expanded: number;
      sent: number;
      retried: number;
      failed: number;
      more: boolean;
    }> {
      // A withdrawn or closed item's notices still waiting are cancelled (kept, marked), not sent.
      await cancelNoticesOfFinishedItems(db);
      const expanded = await expandRequests();
      await composeDigests();
      if (expanded) await cancelNoticesOfFinishedItems(db);
      const r = mailer ? await sendPending() : { sent: 0, retried: 0, failed: 0 };
      return { expanded, ...r, more: expanded === 200 || r.sent + r.failed === 50 };
    },
  };
}
