import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Ids and states only: no personal data in search attributes (they are stored unencrypted).
export const ItemStatusKey = defineSearchAttributeKey('ItemStatus', SearchAttributeType.KEYWORD);
export const LeadUnitKey = defineSearchAttributeKey('LeadUnit', SearchAttributeType.KEYWORD);
export const DueDateKey = defineSearchAttributeKey('DueDate', SearchAttributeType.DATETIME);
export const LightKey = defineSearchAttributeKey('Light', SearchAttributeType.KEYWORD);
export const ProblemListKey = defineSearchAttributeKey('ProblemList', SearchAttributeType.KEYWORD);
/** A dependency failed past an activity's attempt limit; the workflow retries on a timer until it works. */
export const NeedsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);

/** Name → type, for registering them on a server (dev server flags, operator service). */
export { SEARCH_ATTRIBUTES } from '../domain/search-attributes';
