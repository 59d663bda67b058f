import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Item } from '../domain/item';
import { DueDateKey, ItemStatusKey, LeadUnitKey, LightKey, ProblemListKey } from './search-attributes';

/** Due date as the end of that day in Asia/Shanghai (UTC+8, no daylight saving). */
export function dueInstant(dueDate: string): Date {
  return new Date(`${dueDate}T23:59:59+08:00`);
}

export function itemSearchAttributes(item: Item): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: ItemStatusKey, value: item.status },
    { key: LeadUnitKey, value: item.leadUnitId },
    { key: DueDateKey, value: dueInstant(item.dueDate) },
    { key: LightKey, value: item.deadlines?.light ?? 'green' },
  ];
  if (item.problemListId) pairs.push({ key: ProblemListKey, value: item.problemListId });
  return pairs;
}
