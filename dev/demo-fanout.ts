/**
 * Demo data for 举一反三 (issue 21), through the product's own services: the 浙里食安 task's
 * problem (seed 002, 莲都: 区市场监管局) marked 共性 and fanned out to 莲都's other bureaus, every
 * one of which answers (区教育局 存在, which opens its item; the rest 不存在), so the workflow
 * draws its spot-check sample and one drawn answer is upheld; and a 安全生产 problem of 深圳's
 * 市应急办 fanned out to its district and township, one of which has answered. Runs once.
 */
import type { Client } from '@temporalio/client';
import type { Actor } from '../domain/actors';
import { shanghaiDate, shiftWorkingDays } from '../domain/calendar';
import { answerFanOut, createFanOut, spotCheckFanOut } from '../api/fan-out-service';
import type { Services } from '../api/services';
import { currentCalendar } from '../lib/calendar-store';
import type { Db } from '../lib/db';
import { openItem } from '../workflows/client/items';
import { DEMO_SUPERVISOR, DEMO_VERIFIER, handlerOf } from './demo';

const unitHandler = (id: string, name: string): Actor => handlerOf({ id, name, parentId: null, kind: 'bureau' });

export async function loadDemoFanOut(db: Db, client: Client, taskQueue: string, maxDeclines: number): Promise<boolean> {
  const [{ n }] = (await db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM fan_outs`) as [
    { n: number },
  ];
  if (n > 0) return false;
  const s: Services = { db, temporal: client, taskQueue, maxDeclines, temporalTimeoutMs: 30_000 };
  const cal = await currentCalendar(db);
  const due = shiftWorkingDays(cal, shanghaiDate(Date.now()), 20).date;
  const origin = (
    id: string,
    title: string,
    description: string,
    leadUnitId: string,
    sourceCode: string,
    domainCode: string,
  ) =>
    openItem(client, taskQueue, {
      id,
      problemListId: null,
      spec: {
        title,
        description,
        category: 'inspection',
        priority: 'high',
        source: '2026年专项督查',
        leadUnitId,
        coUnitIds: [],
        dueDate: due,
        sourceCode,
        domainCode,
      },
      createdBy: DEMO_SUPERVISOR,
      config: { maxDeclines },
    }).catch(async (err: unknown) => {
      // Opened by an earlier, interrupted run: that item is the origin.
      if ((err as { name?: string }).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    });

  await origin(
    'DEMO-FO-SHIAN',
    '农贸市场食品安全风险闭环管控不到位（浙里食安）',
    '专项督查发现：部分农贸市场快检不合格产品未追溯来源、未闭环处置，风险隐患反复出现。',
    'ld-scj',
    'ducha',
    'shipin-anquan',
  );
  await waitRecorded(db, 'DEMO-FO-SHIAN');
  const shian = await createFanOut(
    s,
    DEMO_SUPERVISOR,
    'DEMO-FO-SHIAN',
    {
      units: { subtreeOf: 'ld', kinds: ['bureau'] },
      answerDays: 10,
      spotCheckShare: 0.2,
      requirements:
        '请对照源头问题，排查本系统、本领域食品安全风险（学校食堂、养老机构、旅游景区等）是否存在发现不追溯、处置不闭环的情况，并说明排查范围和结论。',
      itemDueInWorkingDays: 20,
    },
    'demo-fan-out-shian',
  );
  const unitsOf = await db.$queryRaw<Array<{ unit_id: string; name: string }>>`
    SELECT f.unit_id, u.name FROM fan_out_units f JOIN units u ON u.id = f.unit_id WHERE f.fan_out_id = ${shian.id} ORDER BY f.unit_id`;
  await waitAsked(db, shian.id, unitsOf.length);
  for (const u of unitsOf) {
    const present = u.unit_id === 'ld-jyj';
    await answerFanOut(s, unitHandler(u.unit_id, u.name), shian.id, {
      answer: present ? 'present' : 'absent',
      reason: present
        ? '排查发现2所学校食堂快检不合格食材未追溯供应商，已立行立改。'
        : '已组织系统内排查，未发现同类问题。',
      attachments: [],
    });
  }
  // Everyone has answered: the workflow draws its sample; one drawn 不存在 is checked and upheld.
  const drawn = await waitDrawn(db, shian.id);
  await spotCheckFanOut(s, DEMO_VERIFIER, shian.id, drawn, { decision: 'upheld', note: '抽查排查台账，结论属实。' });

  await origin(
    'DEMO-FO-ANQUAN',
    '高层建筑消防通道堵塞、占用问题突出',
    '安全生产大检查发现：部分高层住宅消防通道长期被占用，物业未落实巡查责任。',
    'sz17',
    'anquan',
    'anquan-shengchan',
  );
  await waitRecorded(db, 'DEMO-FO-ANQUAN');
  const anquan = await createFanOut(
    s,
    DEMO_SUPERVISOR,
    'DEMO-FO-ANQUAN',
    {
      units: { subtreeOf: 'sz', kinds: ['district', 'township'] },
      answerDays: 5,
      spotCheckShare: 0.5,
      requirements: '请排查辖区高层建筑消防通道占用情况，答复是否存在同类问题。',
      itemDueInWorkingDays: 15,
    },
    'demo-fan-out-anquan',
  );
  await waitAsked(db, anquan.id, anquan.unitCount);
  await answerFanOut(s, unitHandler('sz-ft-yt', '福田区园岭街道办事处'), anquan.id, {
    answer: 'absent',
    reason: '街道已完成辖区高层建筑全覆盖巡查，未发现消防通道占用。',
    attachments: [],
  });
  return true;
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`demo fan-out: ${what} did not happen within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const waitRecorded = (db: Db, id: string) =>
  poll(`item ${id} recorded`, async () => ((await db.item.count({ where: { id } })) > 0 ? true : undefined));

const waitAsked = (db: Db, fanOutId: string, n: number) =>
  poll(`every unit of ${fanOutId} asked`, async () => {
    const [r] = await db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND asked_at IS NOT NULL`;
    return r!.n >= n ? true : undefined;
  });

const waitDrawn = (db: Db, fanOutId: string) =>
  poll(`the sample of ${fanOutId}`, async () => {
    const [r] = await db.$queryRaw<Array<{ unit_id: string }>>`
      SELECT unit_id FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND sampled ORDER BY unit_id LIMIT 1`;
    return r?.unit_id;
  });
