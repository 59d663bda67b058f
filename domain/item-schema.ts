import { z } from 'zod';
import { ROLES } from './actors';
import { ACTIONS } from './commands';
import type { Deadlines, EndedBy } from './deadlines';
import type { Item } from './item';
import { LIGHTS, RUNG_ACTIONS, STEPS, TARGETS, type Policy } from './policy';

/**
 * The item as it is stored (the `items.snapshot` column, the workflow's state): its shape, for
 * reading a snapshot back as an `Item` instead of casting it. It checks types, not the rules a
 * request is held to (lengths, real dates): those were checked when the item was opened, and a
 * rule tightened later must not make a recorded item unreadable. What older workflow versions
 * did not write yet is filled in as the current code starts it: `relapseCount` 0 (before
 * 回头看), `deadlines` null (before the ladder). The type checks at the end keep the schema and
 * the `Item` type in step, both ways.
 */

const StoredActorSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  unitId: z.string().nullable(),
  jurisdiction: z.array(z.string()).optional(),
});

const StoredPolicySchema = z.object({
  id: z.string(),
  version: z.number(),
  signDays: z.number(),
  planDays: z.number(),
  progressEveryDays: z.number(),
  reinspectAfterDays: z.number(),
  workdayEnd: z.string(),
  ladder: z.array(
    z.object({
      key: z.string(),
      step: z.enum(STEPS),
      offset: z.number(),
      action: z.enum(RUNG_ACTIONS),
      targets: z.array(z.enum(TARGETS)),
      ackGate: z.boolean().optional(),
    }),
  ),
});

const ClockSchema = z.object({
  step: z.enum(STEPS),
  epoch: z.number(),
  start: z.string(),
  deadline: z.string(),
  dueAt: z.number(),
  state: z.enum(['running', 'held', 'paused', 'done']),
  left: z.number().nullable(),
  calendarVersion: z.string(),
  heldOn: z.string().optional(),
});

const PlannedRungSchema = z.object({
  step: z.enum(STEPS),
  epoch: z.number(),
  key: z.string(),
  action: z.enum(RUNG_ACTIONS),
  deadline: z.string(),
  dueAt: z.number(),
});

export const DeadlinesSchema = z.object({
  policy: StoredPolicySchema,
  calendarVersion: z.string(),
  clocks: z.partialRecord(z.enum(STEPS), ClockSchema),
  fired: z.array(
    z.object({
      step: z.enum(STEPS),
      epoch: z.number(),
      key: z.string(),
      action: z.enum(RUNG_ACTIONS),
      deadline: z.string(),
      dueAt: z.number(),
      firedAt: z.number(),
      targets: z.array(z.string()),
      skipped: z.boolean().optional(),
      notApplicable: z.boolean().optional(),
    }),
  ),
  pauses: z.array(z.object({ from: z.string(), to: z.string().nullable() })),
  light: z.enum(LIGHTS),
  unknownYears: z.array(z.string()),
  assignedOn: z.string(),
  openedDueDate: z.string().optional(),
  signedOn: z.string().nullable(),
  reinspection: z
    .object({ due: z.string(), dueAt: z.number(), state: z.enum(['scheduled', 'due', 'done']) })
    .optional(),
  relapses: z.number().optional(),
  /** Absent on items from before each was kept: the replaced deadlines, the closing, calendar changes. */
  past: z
    .array(
      ClockSchema.extend({
        endedOn: z.string(),
        endedBy: z.enum(['calendar', ...ACTIONS] satisfies EndedBy[] as [EndedBy, ...EndedBy[]]),
        endedByUserId: z.string().optional(),
      }),
    )
    .optional(),
  closing: z
    .object({
      closedOn: z.string(),
      deadline: z.string(),
      handedInOn: z.string(),
      lateWorkingDays: z.number(),
      plan: z.array(PlannedRungSchema),
    })
    .optional(),
  recalendared: z
    .array(
      z.object({
        at: z.number(),
        from: z.string(),
        to: z.string(),
        moves: z.array(
          z.object({
            kind: z.enum(['deadline', 'rung', 'reinspection']),
            step: z.enum(STEPS).nullable(),
            key: z.string().nullable(),
            from: z.string(),
            to: z.string(),
          }),
        ),
      }),
    )
    .optional(),
});

const ItemCoreShape = {
  id: z.string(),
  title: z.string(),
  description: z.string(),
  category: z.string(),
  priority: z.string(),
  source: z.string(),
  problemListId: z.string().nullable(),
  leadUnitId: z.string(),
  coParts: z.array(z.object({ unitId: z.string(), state: z.enum(['pending', 'signed', 'done']), reports: z.number() })),
  dueDate: z.string(),
  createdAt: z.string(),
  createdBy: StoredActorSchema,
  updatedAt: z.string(),
  seq: z.number(),
  declines: z.array(z.object({ unitId: z.string(), reason: z.string(), at: z.string() })),
  ownerRuled: z.boolean(),
  returnCount: z.number(),
  /** Absent before 回头看 existed. */
  relapseCount: z.number().default(0),
  extensions: z.array(
    z.object({
      dueDateBefore: z.string().optional(),
      requestedDueDate: z.string(),
      reason: z.string(),
      requestedBy: z.string(),
      requestedAt: z.string(),
      decision: z.object({ approved: z.boolean(), by: z.string(), at: z.string(), opinion: z.string() }).optional(),
    }),
  ),
  plan: z.string().nullable(),
  progressReports: z.number(),
  /** Absent before the leader's work existed: 批示, 圈阅, decisions on a proposed 通报问责. */
  instructions: z
    .array(
      z.object({
        text: z.string(),
        binding: z.boolean(),
        by: z.string(),
        byName: z.string(),
        at: z.string(),
        acknowledged: z.object({ by: z.string(), at: z.string(), note: z.string() }).optional(),
      }),
    )
    .default([]),
  initials: z.array(z.object({ by: z.string(), byName: z.string(), at: z.string(), note: z.string() })).default([]),
  accountabilityDecisions: z
    .array(
      z.object({
        step: z.enum(STEPS),
        epoch: z.number(),
        key: z.string(),
        approved: z.boolean(),
        reason: z.string(),
        by: z.string(),
        at: z.string(),
      }),
    )
    .default([]),
  /** Absent before 催办 by hand and recorded 约谈 existed, and until the first. */
  urges: z
    .array(
      z.object({ at: z.string(), by: z.string(), byName: z.string(), text: z.string(), unitIds: z.array(z.string()) }),
    )
    .optional(),
  interviews: z
    .array(
      z.object({
        heldOn: z.string(),
        attendees: z.string(),
        summary: z.string(),
        by: z.string(),
        byName: z.string(),
        at: z.string(),
      }),
    )
    .optional(),
  /** Absent before the deadline ladder existed. */
  deadlines: DeadlinesSchema.nullable().default(null),
  /** The classes the item was opened with; absent before sources and classes existed, or when none was given. */
  classes: z
    .object({
      sourceCode: z.string().optional(),
      commonality: z.enum(['common', 'individual']).optional(),
      domainCode: z.string().optional(),
      tags: z.array(z.string()).optional(),
    })
    .optional(),
};

const phase = <S extends string, P extends z.ZodRawShape>(status: S, extra: P) =>
  z.object({ ...ItemCoreShape, status: z.literal(status), ...extra });

/** A stored item: the common fields and, by its status, that state's own (where a suspension resumes, when it closed). */
export const ItemSchema = z.discriminatedUnion('status', [
  phase('assigned', {}),
  phase('declined', { declinedBy: z.string() }),
  phase('arbitration', {}),
  phase('signed', {}),
  phase('rectifying', {}),
  phase('verifying', {}),
  phase('suspended', { resumeTo: z.enum(['assigned', 'signed', 'rectifying']), reason: z.string() }),
  phase('closed', { closedAt: z.string() }),
  phase('withdrawn', { reason: z.string() }),
]);

/** A stored item snapshot as an `Item`; throws (a 500: the record is corrupt) when it is not one. */
export function parseItem(snapshot: unknown): Item {
  return ItemSchema.parse(snapshot);
}

// Compile-time: what the schema yields is exactly an Item, and every Item is what it yields.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const itemMatches: Same<z.output<typeof ItemSchema>, Item> = true;
const deadlinesMatch: Same<z.output<typeof DeadlinesSchema>, Deadlines> = true;
const policyMatches: Same<z.output<typeof StoredPolicySchema>, Policy> = true;
void [itemMatches, deadlinesMatch, policyMatches];
