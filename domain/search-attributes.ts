/**
 * The product's search attributes, name → type as the Temporal CLI and the operator service name
 * them. Here, below both users: the workflows upsert them (workflows/search-attributes.ts keys
 * them), and lib/search-attributes-setup.ts registers them on a server that lacks them.
 */
export const SEARCH_ATTRIBUTES = {
  ItemStatus: 'Keyword',
  LeadUnit: 'Keyword',
  DueDate: 'Datetime',
  Light: 'Keyword',
  ProblemList: 'Keyword',
  NeedsAttention: 'Bool',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
export type SearchAttributeTypeName = (typeof SEARCH_ATTRIBUTES)[SearchAttributeName];
