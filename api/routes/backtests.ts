import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ladderBacktest } from '../read/backtest';
import type { Services } from '../services';
import { LadderBacktestBody, LadderBacktestResponse } from './backtests.schemas';

/** Rules tried on the past before they apply. Reads only: nothing is written, no workflow started. */
export const backtestRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/backtests/ladder',
    {
      config: { permission: 'backtest.run' },
      schema: {
        summary: '催办阶梯回测：候选期限规则在过去一段期间的已记录事项上会触发哪些催办、红灯、约谈、通报问责（只读）',
        tags: ['settings'],
        body: LadderBacktestBody,
        response: { 200: LadderBacktestResponse },
      },
    },
    async (request) => ladderBacktest(services, request.actor, request.body),
  );
};
