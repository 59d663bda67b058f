import { ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import { attentionGuard } from './attention';
import { ActorSchema } from '../domain/actors';
import { BackdatedSchema, CreateItemSchema } from '../domain/commands';
import { PolicySchema } from '../domain/policy';
import { itemWorkflowId } from './ids';
import { itemWorkflow } from './item';

export const ProblemListInputSchema = z
  .object({
    listId: z.string().min(1).max(64),
    title: z.string().min(1).max(200),
    source: z.string().max(200),
    createdBy: ActorSchema,
    config: z.object({ maxDeclines: z.number().int().min(0).max(10) }),
    items: z
      .array(
        z.object({
          id: z.string().min(1).max(64),
          spec: CreateItemSchema,
          policy: PolicySchema.optional(),
          policyKey: z.string().max(200).optional(),
          /** A backdated import of an item that began in an older system (see the item workflow). */
          backdated: BackdatedSchema.optional(),
        }),
      )
      .min(1)
      .max(1000),
    /** Each policy once, named by the items' `policyKey`: a thousand copies would double the input. */
    policies: z.record(z.string(), PolicySchema).optional(),
  })
  .refine((l) => l.items.every((i) => !i.policyKey || l.policies?.[i.policyKey]), {
    message: 'policyKey names no policy',
    path: ['items'],
  });
export type ProblemListInput = z.input<typeof ProblemListInputSchema>;

const { recordProblemList } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 12,
  },
});

/**
 * A problem list (问题清单) opened as one batch: the rows were all validated before this
 * started, so starting it is the all-or-nothing step; each problem becomes its own item
 * workflow, which outlives this one.
 */
export async function problemListWorkflow(raw: ProblemListInput): Promise<{ listId: string; itemIds: string[] }> {
  const input = ProblemListInputSchema.parse(raw);
  await attentionGuard().run(() =>
    recordProblemList({
      listId: input.listId,
      title: input.title,
      source: input.source,
      total: input.items.length,
      createdBy: input.createdBy.userId,
      createdAt: new Date(workflowInfo().startTime).toISOString(),
    }),
  );
  const batch = 50;
  for (let i = 0; i < input.items.length; i += batch) {
    await Promise.all(
      input.items
        .slice(i, i + batch)
        .map(({ id, spec, policyKey, backdated, policy = policyKey ? input.policies?.[policyKey] : undefined }) =>
          startChild(itemWorkflow, {
            workflowId: itemWorkflowId(id),
            taskQueue: workflowInfo().taskQueue,
            parentClosePolicy: ParentClosePolicy.ABANDON,
            args: [
              {
                id,
                problemListId: input.listId,
                spec,
                createdBy: input.createdBy,
                config: input.config,
                ...(policy ? { policy } : {}),
                ...(backdated ? { backdated } : {}),
              },
            ],
          }),
        ),
    );
  }
  return { listId: input.listId, itemIds: input.items.map((i) => i.id) };
}
