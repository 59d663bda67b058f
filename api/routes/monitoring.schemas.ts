import { z } from 'zod';
import { FREQUENCIES } from '../../domain/monitoring';

/**
 * What the monitoring routes send (plans, cycles, indicator values, lights), as the OpenAPI
 * document promises it: each response is serialised through its schema here.
 */

const Timestamp = z.iso.datetime();
const Day = z.iso.date();
const Light = z.enum(['green', 'yellow', 'red']).describe('亮灯：green 绿灯，yellow 黄灯，red 红灯');

const Rules = z
  .object({
    frequency: z.enum(FREQUENCIES).describe('监测频次：monthly 按月，quarterly 按季'),
    dayOfMonth: z.number().int().describe('每月开启日（1–28）'),
    reportDays: z.number().int().describe('报送期限（工作日）'),
    thresholds: z.object({
      green: z.number().describe('绿灯阈值（完成进度 ÷ 时序进度）'),
      yellow: z.number().describe('黄灯阈值'),
    }),
    minReportedShare: z.number().describe('参与排名的最低报送比例'),
  })
  .describe('监测规则');

const Task = z
  .object({
    no: z.number().int(),
    title: z.string(),
    leadUnitId: z.string().describe('牵头单位'),
    coUnitIds: z.array(z.string()).describe('配合单位'),
  })
  .describe('任务');

const Indicator = z
  .object({
    planId: z.string(),
    code: z.string().describe('指标编号'),
    name: z.string(),
    ownerUnitId: z.string().describe('责任单位'),
    measure: z.string().describe('计量单位'),
    baseline: z.number().describe('基期值'),
    target: z.number().describe('目标值'),
    direction: z.string().describe('方向：higher 越高越好，lower 越低越好'),
    weight: z.number(),
    category: z.string().describe('类别'),
    source: z.string().describe('取数方式：report 单位报送，closure_rate 由督办事项按期办结率自动计算'),
    invented: z.boolean().describe('演示用的虚构指标'),
  })
  .describe('指标');

const PlanRecord = z.object({
  id: z.string(),
  year: z.number().int(),
  title: z.string(),
  source: z.string().describe('文件来源'),
  rules: Rules,
  tasks: z.array(Task),
  paused: z.boolean().describe('监测日程已暂停'),
  createdBy: z.string().describe('导入人（用户 id）'),
  createdAt: Timestamp,
});

// The null on the object, not a branch of its own: OpenAPI 3.0 has no null type, and a union's `nullable` needs one.
const Schedule = z
  .union([
    z
      .object({
        paused: z.boolean(),
        nextRuns: z.array(Timestamp).describe('接下来的开启时间'),
        spec: z.string().describe('日程说明'),
      })
      .nullable()
      .describe('监测日程；null 表示没有日程'),
    z.literal('unavailable').describe('工作流服务暂时不可用，日程未能查询'),
  ])
  .describe('监测日程');

export const PlanDetail = z
  .object({
    plan: PlanRecord,
    indicators: z.array(Indicator).describe('调用者可见的指标'),
    schedule: Schedule,
    tasks: z.array(Task).describe('调用者可见的任务'),
  })
  .describe('工作要点：任务、指标与监测日程');

export const PlanList = z
  .object({
    plans: z.array(
      z.object({
        id: z.string(),
        year: z.number().int(),
        title: z.string(),
        paused: z.boolean(),
        rules: Rules,
        createdAt: Timestamp,
      }),
    ),
  })
  .describe('工作要点列表');

export const CycleStarted = z
  .object({
    workflowId: z.string().describe('监测周期工作流 id'),
    cycleId: z.string().describe('监测周期 id（计划与监测期）'),
    period: z.string().describe('监测期'),
    started: z.boolean().describe('false：本期周期已开启过，未重复开启'),
  })
  .describe('监测周期已开启');

const CycleSummary = z.object({
  id: z.string(),
  period: z.string().describe('监测期（如 2026-10 或 2026-Q3）'),
  status: z.string().describe('状态：collecting 收集数据中，published 已晾晒'),
  dueDate: Day.describe('报送截止日'),
  openedAt: Timestamp,
  publishedAt: Timestamp.nullable(),
});

export const CycleList = z.object({ cycles: z.array(CycleSummary) }).describe('监测周期列表');

const IndicatorResult = z
  .object({
    code: z.string(),
    name: z.string(),
    ownerUnitId: z.string(),
    category: z.string(),
    weight: z.number(),
    value: z.number().nullable(),
    progress: z.number().nullable().describe('完成进度（基期值到目标值的比例）'),
    pace: z.number().nullable().describe('完成进度 ÷ 时序进度'),
    light: Light,
    missing: z.boolean().describe('未报送'),
  })
  .describe('指标晾晒结果');

/**
 * A score computed at publication. Reports are stored as JSON, where a score that overflowed
 * (±Infinity, NaN: absurd values or baselines) was written as null; such a report must still
 * display, so these fields may be null.
 */
const Computed = z.number().nullable();

const Standing = z
  .object({
    unitId: z.string(),
    group: z.string().describe('排名分组（同类单位相比）'),
    indicators: z.number().int(),
    reported: z.number().int(),
    score: z.number().nullable(),
    rank: z.number().int().nullable(),
    ranked: z.boolean(),
    reason: z.string().optional().describe('未参与排名的原因'),
    lights: z.object({ green: z.number().int(), yellow: z.number().int(), red: z.number().int() }),
    byCategory: z.record(z.string(), Computed).describe('各类别得分（null 表示无法计算）'),
    toRise: z
      .object({
        scoreGap: Computed.describe('分差（null 表示无法计算）'),
        aboveUnitId: z.string(),
        options: z.array(
          z.object({ code: z.string(), valueNeeded: Computed.describe('所需达到的值（null 表示无法计算）') }),
        ),
      })
      .nullable()
      .describe('上升一名所需：分差，以及单独提升某一指标所需达到的值'),
  })
  .describe('单位得分与排名');

const CycleReport = z
  .object({
    cycleId: z.string(),
    planId: z.string(),
    period: z.string(),
    elapsed: z.number().describe('时序进度'),
    publishedAt: Timestamp,
    indicators: z.array(IndicatorResult),
    notApplicable: z.array(z.string()).describe('本期无从取数、不亮灯的指标'),
    standings: z.array(Standing),
    requests: z.array(
      z.object({
        unitId: z.string(),
        asked: z.number().int(),
        chased: z.number().int(),
        completedAt: Timestamp.nullable(),
      }),
    ),
    reds: z.array(
      z.object({ code: z.string(), ownerUnitId: z.string(), itemId: z.string().describe('据此开启的督办事项') }),
    ),
  })
  .describe('晾晒结果（仅调用者可见单位的部分）');

const Thresholds = z
  .object({
    green: z.number().describe('绿灯阈值（完成进度 ÷ 时序进度）'),
    yellow: z.number().describe('黄灯阈值'),
  })
  .describe('亮灯阈值');

const Lights = z.object({ green: z.number().int(), yellow: z.number().int(), red: z.number().int() });

export const CycleDetail = z
  .object({
    plan: z.object({ id: z.string(), title: z.string(), year: z.number().int() }),
    thresholds: Thresholds,
    reporting: z
      .object({
        units: z.number().int().describe('应报送数据的单位数（调用者可见的）'),
        complete: z.number().int().describe('其中已报齐的单位数'),
        notReported: z
          .array(
            z.object({
              unitId: z.string(),
              missing: z.array(z.object({ code: z.string(), name: z.string() })).describe('尚未报送的指标'),
            }),
          )
          .describe('未报齐的单位'),
      })
      .describe('报送进度：与 units 中各单位的行一致（报齐 = 本期应报指标均已报送）'),
    cycle: CycleSummary.extend({ planId: z.string(), workflowId: z.string().nullable() }),
    report: CycleReport.nullable(),
    requests: z.array(
      z.object({
        unitId: z.string(),
        asked: z.number().int(),
        indicators: z.array(z.string()),
        chased: z.number().int().describe('催报次数'),
        completedAt: Timestamp.nullable(),
      }),
    ),
    values: z.array(
      z.object({
        code: z.string(),
        value: z.number(),
        note: z.string(),
        source: z.string().describe('report 单位报送，derived 系统计算'),
        submittedBy: z.string(),
        submittedAt: Timestamp,
      }),
    ),
    units: z
      .array(
        z.object({
          unitId: z.string(),
          owed: z.number().int().describe('本期应报指标数（由单位报送的指标）'),
          reported: z.number().int().describe('本期已报指标数'),
          missing: z.array(z.string()).describe('尚未报送的指标编号'),
          lastReportedAt: Timestamp.nullable().describe('最近一次报送时间'),
          chased: z.number().int().describe('催报次数'),
          lastChasedAt: Timestamp.nullable().describe('最近一次报送提醒或催报的时间'),
          urgedToday: z.boolean().describe('今天督查室已催报过（每个单位每天至多一次）'),
        }),
      )
      .describe('各单位报送情况（调用者可见的单位）'),
  })
  .describe('监测周期：报送进度，晾晒结果与排名');

export const Bulletin = z
  .object({
    cycleId: z.string(),
    planTitle: z.string(),
    period: z.string(),
    periodWords: z.string().describe('监测期（中文，如 2026年10月）'),
    title: z.string().describe('通报标题'),
    publishedAt: Timestamp,
    elapsed: z.number().describe('时序进度'),
    rule: z.string().describe('亮灯规则'),
    summary: z.array(z.string()).describe('通报正文：概况句'),
    groups: z.array(
      z.object({
        group: z.string(),
        label: z.string().describe('分组名称'),
        rows: z.array(
          z.object({
            rank: z.number().int().nullable().describe('名次；null 为不参与排名'),
            unitId: z.string(),
            unitName: z.string(),
            score: z.number().nullable().describe('进度（完成进度 ÷ 时序进度，1 为与时序进度同步）'),
            progress: z.string().describe('进度（文字，如 进度 114%（超出时序进度 14 个百分点））'),
            gap: z.string().describe('与前一名的差距（文字）'),
            lights: Lights,
            owed: z.number().int().describe('应报指标数'),
            reported: z.number().int().describe('已报指标数'),
            note: z.string().describe('说明（如不参与排名的原因）'),
          }),
        ),
      }),
    ),
    reds: z
      .array(
        z.object({
          unitId: z.string(),
          unitName: z.string(),
          indicators: z.array(
            z.object({
              code: z.string(),
              name: z.string(),
              why: z.string().describe('亮红灯的原因'),
              itemId: z.string(),
              item: z.string().describe('据此开启的督办事项：督办编号与标题'),
            }),
          ),
        }),
      )
      .describe('有红灯指标的单位'),
    notReported: z
      .array(
        z.object({
          unitId: z.string(),
          unitName: z.string(),
          missing: z.array(z.object({ code: z.string(), name: z.string() })),
        }),
      )
      .describe('未报齐的单位'),
  })
  .describe('晾晒通报');

export const PublishStarted = z
  .object({ cycleId: z.string(), workflowId: z.string() })
  .describe('已通知监测周期立即晾晒');

const StoredFile = z.object({
  sha256: z.string(),
  name: z.string(),
  size: z.number().int(),
  mime: z.string(),
  ref: z.string().describe('引用（evidence:<sha256>）'),
});

export const CycleUploads = z.object({ files: z.array(StoredFile) }).describe('已上传的佐证材料');

export const UnitReporting = z
  .object({
    cycleId: z.string(),
    unitId: z.string(),
    request: z
      .object({
        asked: z.array(z.string()).describe('本期需报送的指标'),
        chased: z.number().int(),
        completedAt: Timestamp.nullable(),
      })
      .nullable(),
    values: z.array(
      z.object({
        code: z.string(),
        value: z.number(),
        note: z.string(),
        attachments: z.array(StoredFile).describe('佐证材料'),
        source: z.string(),
        submittedBy: z.string(),
        submittedAt: Timestamp,
      }),
    ),
  })
  .describe('本单位本期的报送情况');

export const UnitLights = z
  .object({
    unitId: z.string(),
    cycles: z.array(
      z.object({
        cycleId: z.string(),
        planId: z.string(),
        period: z.string(),
        standing: Standing.nullable(),
        indicators: z.array(
          z.object({
            code: z.string(),
            name: z.string(),
            value: z.number().nullable(),
            light: Light,
            missing: z.boolean(),
          }),
        ),
      }),
    ),
  })
  .describe('单位历次监测亮灯情况');

export const ReportForm = z
  .object({
    cycleId: z.string(),
    period: z.string(),
    status: z.string().describe('collecting 收集数据中，published 已晾晒'),
    dueDate: Day.describe('报送截止日'),
    unitId: z.string().nullable().describe('报送单位（调用者的单位）'),
    elapsed: z.number().describe('时序进度：本期末已过去的全年比例'),
    thresholds: z.object({ green: z.number(), yellow: z.number() }).describe('亮灯阈值（完成进度 ÷ 时序进度）'),
    indicators: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        measure: z.string().describe('计量单位'),
        baseline: z.number().describe('基期值'),
        target: z.number().describe('目标值'),
        direction: z.string().describe('higher 越高越好，lower 越低越好'),
        category: z.string(),
        expected: z.number().describe('按时序进度本期应达到的值（达到即绿灯）'),
        yellowLine: z.number().describe('黄灯线：达到即不亮红灯'),
        previous: z.object({ period: z.string(), value: z.number() }).nullable().describe('上期（最近一期）报送值'),
        submitted: z
          .object({
            value: z.number(),
            note: z.string(),
            attachments: z.array(StoredFile),
            submittedBy: z.string(),
            submittedAt: Timestamp,
            light: Light.describe('按本期时序进度的亮灯'),
          })
          .nullable()
          .describe('本期已提交的值'),
      }),
    ),
    draft: z
      .object({
        values: z.array(
          z.object({
            code: z.string(),
            value: z.number().nullable(),
            note: z.string(),
            light: Light.nullable().describe('该值提交后按本期时序进度将亮的灯'),
          }),
        ),
        attachments: z.array(StoredFile),
        savedBy: z.string(),
        savedAt: Timestamp,
      })
      .nullable()
      .describe('本单位的草稿（未提交，不亮灯，不晾晒）'),
  })
  .describe('本单位本期报送表：需报送的指标、已提交的值与草稿');

export const Reminded = z
  .object({
    cycleId: z.string(),
    date: Day.describe('催报日期（每个单位每天至多催报一次）'),
    units: z.array(
      z.object({
        unitId: z.string(),
        sent: z.boolean().describe('false：今天已催报过，未重复发送'),
        missing: z.array(z.string()).describe('尚未报送的指标'),
      }),
    ),
  })
  .describe('催报结果');
