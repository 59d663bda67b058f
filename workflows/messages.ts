import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Item } from '../domain/item';
import type { Command } from '../domain/commands';
import type { Attention } from './attention';

/** Every state change the API must confirm: refused by the validator before it enters history. */
export const actUpdate = defineUpdate<Item, [Command]>('act');
/** Answers once every transition decided so far is recorded in PostgreSQL: read-your-writes for the API. */
export const recordedUpdate = defineUpdate<Item, []>('recorded');
/** The live state of the item. */
export const itemQuery = defineQuery<Item>('item');
/**
 * The sequence number the workflow has decided (`seq`) and the last one written to PostgreSQL
 * (`recordedSeq`): `recordedSeq < seq` means a record is still in flight, not missing.
 */
export const recordedSeqQuery = defineQuery<{ seq: number; recordedSeq: number }>('recordedSeq');
/** Whether a dependency has failed past an activity's attempt limit and the workflow is waiting to try again. */
export const attentionQuery = defineQuery<Attention | null>('attention');

/** The failure type a refused command carries, with a `Refusal` as its details. */
export const REFUSAL_TYPE = 'ActionRefused';
/** The working-day calendar changed: the item loads it and recomputes its pending dates (no answer: a rollout signals many). */
export const calendarSignal = defineSignal('calendarChanged');
