/** One business id, one workflow id. */
export const itemWorkflowId = (itemId: string): string => `item-${itemId}`;
/**
 * The key of one recorded transition: `<workflow id>/<update id>` (the create step's update id is
 * `create`). Replayed workflow code and the API's idempotency check both build it here; keep the
 * string as it is, recorded histories depend on it.
 */
export const transitionKey = (workflowId: string, updateId: string): string => `${workflowId}/${updateId}`;
export const problemListWorkflowId = (listId: string): string => `problem-list-${listId}`;
export const ITEM_TASK_QUEUE = 'duban-items';
