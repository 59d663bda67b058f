/**
 * Reconciliation, the pure part: one item's recorded row (PostgreSQL) against what its workflow
 * says (Temporal), and the fired rungs against the notification requests. The I/O (paging, the
 * queries, the writes) is activities/reconcile.ts; this decides what differs and says it in words.
 */
import { shanghaiDateTime } from './calendar';
import type { FiredRung } from './deadlines';
import { rungId, type KeyOf } from './events';
import { STATUS_LABELS, STATUSES, type Item, type Status } from './item';
import { NOTIFICATION_KINDS } from './notifications';

/** What the items table holds for the item. */
export interface RecordedRow {
  status: string;
  seq: number;
  /** Whether the row says its workflow still runs: not finished, or closed with a 回头看 to come. */
  open: boolean;
}

/** What Temporal says about the item's workflow. */
export type WorkflowSide =
  /** No workflow with the item's id. */
  | { kind: 'missing' }
  /** The workflow exists but no longer runs (COMPLETED, TERMINATED, FAILED …). */
  | { kind: 'ended'; executionStatus: string }
  /** The queries failed (timed out, the workflow task keeps failing …). */
  | { kind: 'unanswered'; error: string }
  /**
   * Running, as its queries answered: the item (`itemQuery`) and the recordedSeq query's view.
   * Two queries, so the item may have moved between them: `seq` is the second query's.
   */
  | { kind: 'running'; item: Item; seq: number; recordedSeq: number };

export const FINDING_KINDS = {
  no_workflow: '记录无流程',
  workflow_ended: '流程已结束',
  no_row: '流程无记录',
  record_ahead: '记录领先于流程',
  record_behind: '记录落后于流程',
  status_mismatch: '状态不一致',
  rung_notice_missing: '催督通知缺失',
  unanswered: '流程未响应',
} as const;
export type FindingKind = keyof typeof FINDING_KINDS;

/** One difference, about one item; `detail.reason` says it in Chinese. */
export interface Finding {
  subjectKind: 'item';
  subjectId: string;
  kind: FindingKind;
  /**
   * Several findings of one kind may concern one item (two rungs without notices): the key tells
   * them apart (a rung's notice key; '' otherwise).
   */
  key: string;
  detail: { reason: string } & Record<string, unknown>;
}

/**
 * The verdict on one look at an item: what differs, or that it cannot be told yet (a record in
 * flight, the item moving between the queries, a query that failed): look again shortly.
 */
export type Look = { settled: true; findings: Finding[] } | { settled: false; why: string };

/** The text that marks an item's attention as set by reconciliation (lowered only by it). */
export const ATTENTION_PREFIX = '对账发现：';

const statusText = (s: string): string =>
  (STATUSES as readonly string[]).includes(s) ? STATUS_LABELS[s as Status] : s;
const at = (status: string, seq: number) => `${statusText(status)}，第 ${seq} 步`;

/** The fired rungs that sent a notice (not skipped by an acknowledgement, not 不适用), with that notice's key. */
export function expectedRungNotices(item: Item, keyOf: KeyOf): Array<{ key: string; fired: FiredRung }> {
  return (item.deadlines?.fired ?? [])
    .filter((f) => !f.skipped && !f.notApplicable)
    .map((fired) => ({ key: keyOf(rungId(fired)), fired }));
}

function finding(
  id: string,
  kind: FindingKind,
  reason: string,
  extra: Record<string, unknown> = {},
  key = '',
): Finding {
  return { subjectKind: 'item', subjectId: id, kind, key, detail: { reason, ...extra } };
}

/**
 * One item, one look: its row (null: none), its workflow, and which of its expected rung notice
 * keys exist in notification_requests. On the `last` look what could not be told becomes a
 * finding: a record still not written, a workflow still not answering.
 */
export function compareItem(
  id: string,
  row: RecordedRow | null,
  wf: WorkflowSide,
  notices: { expected: Array<{ key: string; fired: FiredRung }>; present: ReadonlySet<string> },
  last: boolean,
): Look {
  switch (wf.kind) {
    case 'missing':
      return row?.open
        ? settled([finding(id, 'no_workflow', `记录显示事项尚在办理（${at(row.status, row.seq)}），但找不到它的流程`)])
        : settled([]);
    case 'ended':
      return row?.open
        ? settled([
            finding(
              id,
              'workflow_ended',
              `记录显示事项尚在办理（${at(row.status, row.seq)}），但流程已结束（${wf.executionStatus}）`,
              { executionStatus: wf.executionStatus, recorded: { status: row.status, seq: row.seq } },
            ),
          ])
        : settled([]);
    case 'unanswered':
      return last
        ? settled([
            finding(id, 'unanswered', `流程未响应查询，无法核对：${wf.error.slice(0, 200)}`, { error: wf.error }),
          ])
        : { settled: false, why: 'unanswered' };
    case 'running':
      return compareRunning(id, row, wf, notices, last);
  }
}

function settled(findings: Finding[]): Look {
  return { settled: true, findings };
}

function compareRunning(
  id: string,
  row: RecordedRow | null,
  wf: Extract<WorkflowSide, { kind: 'running' }>,
  notices: { expected: Array<{ key: string; fired: FiredRung }>; present: ReadonlySet<string> },
  last: boolean,
): Look {
  const { item } = wf;
  // The item moved between the two queries: neither view is the other's.
  if (wf.seq !== item.seq) return last ? settled([]) : { settled: false, why: 'moving' };
  const inFlight = wf.recordedSeq < wf.seq;
  const workflow = { status: item.status, seq: item.seq, recordedSeq: wf.recordedSeq };
  const out: Finding[] = [];
  if (!row) {
    if (inFlight && !last) return { settled: false, why: 'in flight' };
    return settled([
      finding(id, 'no_row', `流程在运行（${at(item.status, item.seq)}），但数据库中没有该事项的记录`, { workflow }),
    ]);
  }
  if (row.seq > item.seq)
    out.push(
      finding(
        id,
        'record_ahead',
        `数据库记录领先于流程：记录为${at(row.status, row.seq)}，流程只到${at(item.status, item.seq)}`,
        { recorded: row, workflow },
      ),
    );
  else if (row.seq < item.seq) {
    if (inFlight && !last) return { settled: false, why: 'in flight' };
    out.push(
      finding(
        id,
        'record_behind',
        `数据库记录落后于流程：记录为${at(row.status, row.seq)}，流程已到${at(item.status, item.seq)}${inFlight ? '，写入迟迟未完成' : ''}`,
        { recorded: row, workflow, inFlight },
      ),
    );
  } else if (row.status !== item.status)
    out.push(
      finding(
        id,
        'status_mismatch',
        `数据库记录的状态（${statusText(row.status)}）与流程（${statusText(item.status)}）不一致，同为第 ${row.seq} 步`,
        { recorded: row, workflow },
      ),
    );
  // A rung's notice is written with its record: while a record is in flight it may not be there yet.
  if (!inFlight)
    for (const { key, fired } of notices.expected)
      if (!notices.present.has(key))
        out.push(
          finding(
            id,
            'rung_notice_missing',
            `「${NOTIFICATION_KINDS[fired.action].label}」已于 ${shanghaiDateTime(new Date(fired.firedAt))} 触发，但没有对应的通知请求，相关单位和人员可能未收到`,
            { noticeKey: key, rung: { step: fired.step, epoch: fired.epoch, key: fired.key, action: fired.action } },
            key,
          ),
        );
  return settled(out);
}

/** The item's attention text for its open findings: what the API and console show as 需关注. */
export function attentionText(findings: readonly Pick<Finding, 'detail'>[]): string {
  return `${ATTENTION_PREFIX}${findings.map((f) => f.detail.reason).join('；')}`.slice(0, 2000);
}

/** Whether an item's attention mark was set by reconciliation (so that it may lower it). */
export function isReconciliationMark(attention: string | null): boolean {
  return attention?.startsWith(ATTENTION_PREFIX) ?? false;
}
