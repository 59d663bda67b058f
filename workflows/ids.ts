/** One business id, one workflow id. */
export const itemWorkflowId = (itemId: string): string => `item-${itemId}`;
export const problemListWorkflowId = (listId: string): string => `problem-list-${listId}`;
export const ITEM_TASK_QUEUE = 'duban-items';
