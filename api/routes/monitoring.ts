import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DateString } from '../../domain/commands';
import type { EvidenceStore } from '../../lib/evidence-store';
import { ErrorBody } from '../contract';
import { AppError } from '../errors';
import type { Services } from '../services';
import { receiveFiles } from '../evidence-service';
import { cycleSubject } from '../../domain/subject';
import {
  Bulletin,
  CycleDetail,
  CycleList,
  CycleStarted,
  CycleUploads,
  PlanDetail,
  PlanList,
  PublishStarted,
  Reminded,
  ReportForm,
  UnitLights,
  UnitReporting,
} from './monitoring.schemas';
import { XlsxFile } from './items.schemas';
import { CsvPlanQuery, planFromCsv } from '../plan-csv';
import {
  checkCycleUpload,
  DraftBody,
  importPlan,
  publishNow,
  RemindBody,
  remindUnits,
  runCycle,
  saveDraft,
  ScheduleBody,
  submitValues,
  updateSchedule,
  ValuesBody,
} from '../plans-service';
import { bulletinSheets, cycleBulletin, cycleDetail, listCycles, reportForm, unitLights } from '../read/cycles';
import { sendXlsx, XLSX_CONTENT_TYPE, xlsxBuffer, xlsxFileName } from '../../lib/xlsx';
import { listPlans, planDetail } from '../read/plans';

const PLAN_BODY_LIMIT = 10 * 1024 * 1024;
const Id = z.object({ id: z.string().min(1).max(80) });

/** Plans, indicators and monitoring cycles (常态化监测、定期晾晒). */
export const monitoringRoutes: FastifyPluginAsyncZod<{
  services: Services;
  evidence: { store: EvidenceStore; maxBytes: number; maxFiles: number };
}> = async (app, { services, evidence }) => {
  // A plan of a thousand units' indicators is a few megabytes.
  app.post(
    '/api/plans',
    {
      bodyLimit: PLAN_BODY_LIMIT,
      config: { permission: 'plan.manage' },
      schema: {
        summary: '导入工作要点（任务与指标，JSON），逐条校验，全部通过才导入，并建立监测日程',
        tags: ['monitoring'],
        body: z.unknown(),
        response: { 201: PlanDetail, 409: ErrorBody },
      },
    },
    async (request, reply) => reply.status(201).send(await importPlan(services, request.actor, request.body)),
  );

  app.post(
    '/api/plans/csv',
    {
      bodyLimit: PLAN_BODY_LIMIT,
      config: { permission: 'plan.manage' },
      schema: {
        summary: '以 CSV 导入工作要点：每行一个任务或指标（类型列为“任务”或“指标”）',
        tags: ['monitoring'],
        querystring: CsvPlanQuery,
        consumes: ['text/csv'],
        response: { 201: PlanDetail, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { raw, rowOf } = planFromCsv(typeof request.body === 'string' ? request.body : '', request.query);
      return reply.status(201).send(await importPlan(services, request.actor, raw, rowOf));
    },
  );

  app.get(
    '/api/plans',
    {
      config: { permission: 'plan.read' },
      schema: { summary: '工作要点列表', tags: ['monitoring'], response: { 200: PlanList } },
    },
    async (request) => ({ plans: await listPlans(services, request.actor) }),
  );

  app.get(
    '/api/plans/:id',
    {
      config: { permission: 'plan.read' },
      schema: {
        summary: '工作要点：任务、指标与监测日程',
        tags: ['monitoring'],
        params: Id,
        response: { 200: PlanDetail },
      },
    },
    async (request) => planDetail(services, request.actor, request.params.id),
  );

  app.put(
    '/api/plans/:id/schedule',
    {
      config: { permission: 'plan.manage' },
      schema: {
        summary: '修改或暂停监测日程（频次、开启日、报送期限、亮灯阈值、排名最低报送比例）',
        tags: ['monitoring'],
        params: Id,
        body: ScheduleBody,
        response: { 200: PlanDetail },
      },
    },
    async (request) => updateSchedule(services, request.actor, request.params.id, request.body),
  );

  app.post(
    '/api/plans/:id/cycles',
    {
      config: { permission: 'plan.manage' },
      schema: {
        summary: '立即开启一个监测周期（可指定按哪一天开启，用于补开）',
        tags: ['monitoring'],
        params: Id,
        body: z.strictObject({ openedOn: DateString.optional() }),
        response: { 202: CycleStarted },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await runCycle(services, request.actor, request.params.id, request.body.openedOn)),
  );

  app.get(
    '/api/plans/:id/cycles',
    {
      config: { permission: 'plan.read' },
      schema: { summary: '监测周期列表', tags: ['monitoring'], params: Id, response: { 200: CycleList } },
    },
    async (request) => ({
      cycles: await listCycles(services, request.actor, request.params.id),
    }),
  );

  app.get(
    '/api/cycles/:id',
    {
      config: { permission: 'plan.read' },
      schema: {
        summary: '监测周期：报送进度，晾晒结果与排名',
        tags: ['monitoring'],
        params: Id,
        response: { 200: CycleDetail },
      },
    },
    async (request) => cycleDetail(services, request.actor, request.params.id),
  );

  app.get(
    '/api/cycles/:id/bulletin',
    {
      config: { permission: 'plan.read' },
      schema: {
        summary: '晾晒通报：标题、概况、各组排名（文字与百分比）、红灯单位、未报齐单位',
        tags: ['monitoring'],
        params: Id,
        response: { 200: Bulletin, 409: ErrorBody },
      },
    },
    async (request) => cycleBulletin(services, request.actor, request.params.id),
  );

  app.get(
    '/api/cycles/:id/bulletin.xlsx',
    {
      config: { permission: 'plan.read' },
      schema: {
        summary: '导出晾晒通报（.xlsx）：排名、红灯指标、未报齐单位三张表',
        tags: ['monitoring'],
        params: Id,
        response: {
          200: { description: '晾晒通报（Excel）', content: { [XLSX_CONTENT_TYPE]: { schema: XlsxFile } } },
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const bulletin = await cycleBulletin(services, request.actor, request.params.id);
      const now = new Date(services.now?.() ?? Date.now());
      return sendXlsx(
        reply,
        await xlsxBuffer(bulletinSheets(bulletin, now)),
        xlsxFileName(`晾晒通报-${bulletin.planTitle}-${bulletin.periodWords}`, now),
      );
    },
  );

  app.post(
    '/api/cycles/:id/publish',
    {
      config: { permission: 'plan.manage' },
      schema: {
        summary: '提前晾晒：不等截止日，立即计算亮灯与排名并发布',
        tags: ['monitoring'],
        params: Id,
        // No body is needed; one with fields is refused like every other unknown field.
        body: z.strictObject({}),
        response: { 202: PublishStarted, 409: ErrorBody },
      },
    },
    async (request, reply) => reply.status(202).send(await publishNow(services, request.actor, request.params.id)),
  );

  app.post(
    '/api/cycles/:id/evidence',
    {
      config: { permission: 'indicator.report' },
      schema: {
        summary: '上传指标数据的佐证材料（multipart），报送时以 sha256 引用',
        tags: ['monitoring'],
        params: Id,
        consumes: ['multipart/form-data'],
        response: { 201: CycleUploads, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new AppError(415, 'unsupported_media_type', '请以 multipart/form-data 上传文件');
      await checkCycleUpload(services, request.actor, request.params.id);
      return reply.status(201).send({
        files: await receiveFiles(
          request,
          services,
          evidence.store,
          evidence.maxBytes,
          evidence.maxFiles,
          cycleSubject(request.params.id),
        ),
      });
    },
  );

  app.post(
    '/api/cycles/:id/values',
    {
      config: { permission: 'indicator.report' },
      schema: {
        summary: '报送本单位指标数据（截止前可更正）',
        tags: ['monitoring'],
        params: Id,
        body: ValuesBody,
        response: { 200: UnitReporting, 409: ErrorBody },
      },
    },
    async (request) => submitValues(services, request.actor, request.params.id, request.body),
  );

  app.get(
    '/api/cycles/:id/draft',
    {
      config: { permission: 'indicator.report' },
      schema: {
        summary: '本单位本期报送表：需报送的指标（目标、基期、上期值、时序进度），已提交的值与草稿',
        tags: ['monitoring'],
        params: Id,
        response: { 200: ReportForm },
      },
    },
    async (request) => reportForm(services, request.actor, request.params.id),
  );

  app.put(
    '/api/cycles/:id/draft',
    {
      config: { permission: 'indicator.report' },
      schema: {
        summary: '保存草稿：本单位本期的指标值（可留空）、说明与材料，不提交、不亮灯、不晾晒',
        tags: ['monitoring'],
        params: Id,
        body: DraftBody,
        response: { 200: ReportForm, 409: ErrorBody },
      },
    },
    async (request) => saveDraft(services, request.actor, request.params.id, request.body),
  );

  app.post(
    '/api/cycles/:id/remind',
    {
      config: { permission: 'plan.manage' },
      schema: {
        summary: '催报：提醒尚未报齐本期指标的单位（每个单位每天至多一次）',
        tags: ['monitoring'],
        params: Id,
        body: RemindBody,
        response: { 200: Reminded, 409: ErrorBody },
      },
    },
    async (request) => remindUnits(services, request.actor, request.params.id, request.body),
  );

  app.get(
    '/api/units/:id/lights',
    {
      config: { permission: 'plan.read' },
      schema: { summary: '单位历次监测亮灯情况', tags: ['monitoring'], params: Id, response: { 200: UnitLights } },
    },
    async (request) => unitLights(services, request.actor, request.params.id),
  );
};
