import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { computeRunNow, createRulesVersion, decideAppeal, fileAppeal, publishRun } from '../control-index-service';
import { ErrorBody } from '../contract';
import { once, requestHash, sendOutcome } from '../idempotency';
import { indexBacktest, indexRules, listRuns, ranking, runAppeals, unitScore } from '../read/control-index';
import type { Services } from '../services';
import {
  AppealBody,
  AppealParams,
  AppealView,
  DecisionBody,
  IndexBacktestBody,
  IndexBacktestResponse,
  PublishBody,
  RankingQuery,
  RankingResponse,
  RulesBody,
  RulesResponse,
  RulesVersion,
  RunAppealsResponse,
  RunBody,
  RunParams,
  RunsResponse,
  RunUnitParams,
  RunView,
  UnitScoreResponse,
} from './control-index.schemas';

const ONCE = {
  409: ErrorBody.describe('相同的请求（同一 Idempotency-Key）正在处理中，或状态不允许'),
  422: ErrorBody.describe('该 Idempotency-Key 已用于另一个请求'),
};

/** 管控力指数: rules and their versions, runs, rankings with reasons, appeals, and the backtest of rules. */
export const controlIndexRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const idem = (
    request: { actor: { userId: string }; headers: Record<string, unknown>; url: string; body: unknown },
    run: () => Promise<{ statusCode: number; body: unknown }>,
  ) =>
    once(
      services.db,
      request.actor.userId,
      request.headers['idempotency-key'] as string | undefined,
      requestHash('POST', request.url, request.body),
      run,
    );

  app.get(
    '/api/index/rules',
    {
      config: { permission: 'index.read' },
      schema: { summary: '管控力指数的扣分加分规则及其全部版本', tags: ['index'], response: { 200: RulesResponse } },
    },
    async () => indexRules(services),
  );

  app.post(
    '/api/index/rules',
    {
      config: { permission: 'rules.manage' },
      schema: {
        summary: '修订指数规则（生成新版本；已发布的排名不变）',
        tags: ['index'],
        body: RulesBody,
        response: { 201: RulesVersion, ...ONCE },
      },
    },
    async (request, reply) =>
      sendOutcome(
        reply,
        await idem(request, async () => ({
          statusCode: 201,
          body: await createRulesVersion(services, request.actor, request.body.rules, request.body.note),
        })),
      ),
  );

  app.get(
    '/api/index/runs',
    {
      config: { permission: 'index.read' },
      schema: { summary: '指数计算记录（未发布的仅督查室可见）', tags: ['index'], response: { 200: RunsResponse } },
    },
    async (request) => listRuns(services, request.actor),
  );

  app.post(
    '/api/index/runs',
    {
      config: { permission: 'index.manage' },
      schema: {
        summary: '按现行规则计算一个季度的管控力指数（待发布）',
        tags: ['index'],
        body: RunBody,
        response: { 201: RunView, ...ONCE },
      },
    },
    async (request, reply) =>
      sendOutcome(
        reply,
        await idem(request, async () => ({
          statusCode: 201,
          body: await computeRunNow(services, request.actor, request.body.period),
        })),
      ),
  );

  app.post(
    '/api/index/runs/:id/publish',
    {
      config: { permission: 'index.manage' },
      schema: {
        summary: '发布一次计算：成为该季度的排名，此后不可更改（取代该季度此前发布的排名）',
        tags: ['index'],
        params: RunParams,
        body: PublishBody,
        response: { 200: RunView, 409: ErrorBody.describe('该次计算已发布，或该季度的另一次发布正在进行') },
      },
    },
    async (request) => publishRun(services, request.actor, request.params.id),
  );

  app.get(
    '/api/index/runs/:id/ranking',
    {
      config: { permission: 'index.read' },
      schema: {
        summary: '同类组内的排名（单位或区域）',
        tags: ['index'],
        params: RunParams,
        querystring: RankingQuery,
        response: { 200: RankingResponse },
      },
    },
    async (request) => ranking(services, request.actor, request.params.id, request.query.scope),
  );

  app.get(
    '/api/index/runs/:id/units/:unitId',
    {
      config: { permission: 'index.read' },
      schema: {
        summary: '一个单位的得分，及每项扣分、加分的理由和引起它的记录',
        tags: ['index'],
        params: RunUnitParams,
        response: { 200: UnitScoreResponse },
      },
    },
    async (request) => unitScore(services, request.actor, request.params.id, request.params.unitId),
  );

  app.post(
    '/api/index/runs/:id/appeals',
    {
      config: { permission: 'index.appeal' },
      schema: {
        summary: '对本单位的一项扣分提出申诉',
        tags: ['index'],
        params: RunParams,
        body: AppealBody,
        response: { 201: AppealView, ...ONCE },
      },
    },
    async (request, reply) =>
      sendOutcome(
        reply,
        await idem(request, async () => ({
          statusCode: 201,
          body: await fileAppeal(services, request.actor, request.params.id, request.body.reasonId, request.body.text),
        })),
      ),
  );

  app.get(
    '/api/index/runs/:id/appeals',
    {
      config: { permission: 'index.read' },
      schema: {
        summary: '对该次计算的申诉（督查室据此处理）',
        tags: ['index'],
        params: RunParams,
        response: { 200: RunAppealsResponse },
      },
    },
    async (request) => runAppeals(services, request.actor, request.params.id),
  );

  app.post(
    '/api/index/appeals/:id/decision',
    {
      config: { permission: 'index.manage' },
      schema: {
        summary: '处理申诉：成立（下次计算免除该项）或驳回',
        tags: ['index'],
        params: AppealParams,
        body: DecisionBody,
        response: { 200: AppealView },
      },
    },
    async (request) =>
      decideAppeal(services, request.actor, request.params.id, request.body.decision, request.body.note),
  );

  app.post(
    '/api/backtests/index',
    {
      config: { permission: 'backtest.run' },
      schema: {
        summary: '指数规则试算：拟用规则在过去一个季度的排名，与已发布的排名并列（不写入任何数据）',
        tags: ['index'],
        body: IndexBacktestBody,
        response: { 200: IndexBacktestResponse },
      },
    },
    async (request) => indexBacktest(services, request.actor, request.body.rules, request.body.period),
  );
};
