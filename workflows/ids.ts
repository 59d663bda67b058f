/** One business id, one workflow id. */
export const itemWorkflowId = (itemId: string): string => `item-${itemId}`;
/**
 * The key of one recorded transition: `<workflow id>/<update id>`. The steps the workflow takes on
 * its own have ids of their own (`create`, `rung/<step>/<epoch>/<rung>`, `reinspection/<date>`,
 * and a notice's `calendar-unknown/<year>`: see domain/events.ts). Replayed workflow code and the
 * API's idempotency check both build keys here and nowhere else; keep the string as it is,
 * recorded histories and stored records depend on it.
 */
export const transitionKey = (workflowId: string, updateId: string): string => `${workflowId}/${updateId}`;
export const problemListWorkflowId = (listId: string): string => `problem-list-${listId}`;
export const ITEM_TASK_QUEUE = 'duban-items';
export const calendarRolloutWorkflowId = (version: string): string => `calendar-rollout-${version}`;
